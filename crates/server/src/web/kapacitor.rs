//! A team's Kapacitor: the URL of the Kapacitor it runs (team admins set it), and that
//! Kapacitor's enabled tasks posting to the team's services, read live through the outbound
//! guard each time the page loads (`api::kapacitor_tasks::live_tasks`), with each task's
//! findings and when it last alerted, and the services gone silent.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use tocsin_core::Role;

use super::overview::TeamParam;
use super::{fmt_time, layout, Ctx, WebCaller, WebError};
use crate::api::kapacitor_tasks::{live_tasks, LiveTasks};
use crate::json::ApiQuery;
use crate::state::AppState;

pub async fn page(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/kapacitor").await?;
    let Some(team) = ctx.team.clone() else {
        let body = html! { h1 { "Kapacitor" } p { "You are not in any team yet." } };
        return Ok(ctx.respond(layout::page(&ctx, "Kapacitor", "Kapacitor", body)));
    };
    let url = s
        .store
        .team_kapacitor_url(ctx.caller.reads(), team.id)
        .await?;
    let manages = ctx.caller.grants.at_least(team.id, Role::Admin);
    let live = match &url {
        Some(_) => Some(live_tasks(&s, &ctx.caller, team.id).await),
        None => None,
    };
    let body = html! {
        h1 { "Kapacitor · " (team.name) }
        section.card {
            h2 { "The team's Kapacitor" }
            @if manages {
                form data-api={"/api/v1/teams/" (team.id) "/kapacitor"} data-method="PUT" {
                    label for="kapacitor-url" { "Kapacitor URL" }
                    div.row {
                        div { input #kapacitor-url type="text" name="kapacitor_url" data-json="nullable"
                            placeholder="http://kapacitor:9092" value=[url.as_deref()]; }
                        div.shrink { button type="submit" { "Save" } }
                    }
                    p.muted { "Tocsin reads its task list (GET /kapacitor/v1/tasks) when this page loads. Leave it empty to stop." }
                    p.error role="alert" hidden {}
                }
            } @else {
                p { "Kapacitor URL: " @if let Some(u) = &url { code { (u) } } @else { "not set" } }
                p.muted { "Only the team's admins and owners can change it." }
            }
        }
        section.card.spaced #live-tasks {
            h2 { "Live tasks posting to this team" }
            @match live {
                None => p { "Set the team's Kapacitor URL to list its tasks." },
                Some(Err(e)) => p.error role="alert" { (e.detail) },
                Some(Ok(l)) => @if let Some(e) = &l.error { p.error role="alert" { (e) } } @else { (listing(&l)) },
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Kapacitor", "Kapacitor", body)))
}

fn listing(l: &LiveTasks) -> Markup {
    html! {
        p.muted { "From " code { (l.kapacitor_url) } ": every enabled task that posts to one of the team's services, by URL or through an [[httppost]] endpoint." }
        div.table-wrap {
            table {
                thead { tr { th { "Task" } th { "Posts to" } th { "Last alerted" } th { "Findings" } } }
                tbody {
                    @for t in &l.tasks {
                        tr data-task=(t.id) {
                            td { code { (t.id) } }
                            td { @for (i, s) in t.services.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href={"/services/" (s.id)} { (s.name) }
                            } }
                            td { @if let Some(at) = t.last_alerted_at { (fmt_time(at)) } @else { "never" } }
                            td {
                                @if t.findings.is_empty() { "none" }
                                ul.findings { @for f in &t.findings {
                                    li class={"finding-" (f.severity)} data-code=(f.code) {
                                        strong { (f.line) ":" (f.column) " " (f.severity) " " (f.code) }
                                        " " (f.message)
                                        div.muted { "Fix: " (f.fix) }
                                    }
                                } }
                            }
                        }
                    }
                    @if l.tasks.is_empty() { tr { td colspan="4" { "No enabled task posts to this team's services." } } }
                }
            }
        }
        @if !l.silent_services.is_empty() {
            h3 { "Silent services" }
            p.muted { "These received Kapacitor alerts before, but no enabled task posts to them now." }
            ul #silent-services { @for s in &l.silent_services { li { a href={"/services/" (s.id)} { (s.name) } } } }
        }
    }
}
