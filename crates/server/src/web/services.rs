//! Services, and a service's alert sources: where a person copies the webhook URL. The URL
//! holds a write credential, so only those who may change the service see it (and the
//! set-up guide and test button that go with it); everyone else is told who can.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Duration, Utc};
use maud::{html, Markup};
use tocsin_core::{ServiceId, SourceKind, TeamId};

use super::overview::TeamParam;
use super::{
    fmt_time, layout, service_heartbeats, service_noise, service_policy, source_guides, Ctx,
    WebCaller, WebError, WebPath,
};
use crate::api::{catalogue, AlertSourceView};
use crate::json::ApiQuery;
use crate::state::AppState;

pub async fn list(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/services").await?;
    let services = s
        .store
        .list_services(ctx.caller.reads(), ctx.team_id())
        .await?;
    let summary = s
        .store
        .incident_summary(
            ctx.caller.reads(),
            ctx.team_id(),
            Utc::now() - Duration::days(1),
        )
        .await?;
    let body = html! {
        h1 { "Services" }
        div.table-wrap {
            table {
                thead { tr { th { "Service" } th { "Open incidents" } th.opt { "Created" } } }
                tbody {
                    @for svc in &services {
                        @let open = summary.open_by_service.iter().find(|(id, _)| *id == svc.id).map(|(_, n)| *n).unwrap_or(0);
                        tr {
                            td { a href={"/services/" (svc.id)} { (svc.name) } }
                            td { a href={"/incidents?status=open&service_id=" (svc.id)} { (open) } }
                            td.opt { (fmt_time(svc.created_at)) }
                        }
                    }
                    @if services.is_empty() { tr { td colspan="3" { "No services yet." } } }
                }
            }
        }
        @if let Some(team) = &ctx.team {
            section.card.spaced {
                h2 { "New service" }
                form data-api="/api/v1/services" {
                    input type="hidden" name="team_id" value=(team.id);
                    label for="new-service-name" { "Name" }
                    div.row {
                        div { input #new-service-name type="text" name="name" required maxlength="100"; }
                        div.shrink { button type="submit" { "Create service" } }
                    }
                    p.error role="alert" hidden {}
                }
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Services", "Services", body)))
}

pub async fn show(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    WebPath(id): WebPath<ServiceId>,
) -> Result<Response, WebError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let path = format!("/services/{id}");
    let ctx = Ctx::load(&s, caller, &headers, Some(&svc.team_id.to_string()), &path).await?;
    let sources = catalogue(&s, &ctx.caller, &svc, None).await?;
    let manages = ctx.caller.grants.sees_webhook_keys(svc.team_id);
    let paging = service_policy::section(&s, &ctx.caller, &svc).await?;
    let heartbeats = service_heartbeats::section(&s, &ctx.caller, &svc).await?;
    let noise = service_noise::section(&s, &ctx.caller, &svc).await?;
    let body = html! {
        p.muted { a href="/services" { "Services" } " / " (svc.name) }
        h1 { (svc.name) }
        section.card {
            h2 #alert-sources { "Alert Sources" }
            label for="source-search" { "Search alert sources" }
            input #source-search type="search" placeholder="e.g. Kapacitor" autocomplete="off" aria-controls="source-list";
            ul.sources #source-list {
                @for src in &sources {
                    li data-source-name=(src.name) data-source-slug=(src.source.slug()) {
                        button type="button" data-pick-source=(src.source.slug()) aria-pressed="false" {
                            (src.name)
                        }
                    }
                }
            }
            p #source-none .muted hidden { "No alert source matches." }
            @for src in &sources {
                (source_panel(&svc.id, svc.team_id, src, manages))
            }
        }
        (paging)
        (heartbeats)
        (noise)
    };
    Ok(ctx.respond(layout::page(&ctx, &svc.name, "Services", body)))
}

fn source_panel(svc: &ServiceId, team: TeamId, src: &AlertSourceView, manages: bool) -> Markup {
    let slug = src.source.slug();
    let url_id = format!("{slug}-webhook-url");
    let status_id = format!("{slug}-status");
    html! {
        div data-source-panel=(slug) hidden {
            h3 { (src.name) }
            @if let Some(url) = &src.webhook_url {
                label for=(url_id) { "Webhook URL" }
                div.copyline {
                    input id=(url_id) type="text" readonly value=(url);
                    button type="button" data-copy=(url_id) { "Copy" }
                }
                @if let Some(key) = &src.routing_key {
                    label for={(slug) "-routing-key"} { "Routing key" }
                    div.copyline {
                        input id={(slug) "-routing-key"} type="text" readonly value=(key);
                        button type="button" data-copy={(slug) "-routing-key"} { "Copy" }
                    }
                }
            } @else {
                p.muted id=(url_id) {
                    "Only team owners and admins can see the webhook URL: whoever holds it can open and resolve incidents. Ask one of them to set up "
                    (src.name) "."
                }
            }
            p id=(status_id) data-active=(src.active) role="status" {
                span class={"dot" @if src.active { " green" }} aria-hidden="true" {}
                span { @if src.active { "Receiving alerts" } @else { "Not receiving alerts" } }
            }
            p id={(status_id) "-hint"} .muted hidden[src.active] {
                "No incident has come in through " (src.name) " in the last 30 days."
                @if manages { " Send a test alert to check the pipeline." }
            }
            @if let Some(t) = src.last_incident_at { p.muted { "Last incident: " (fmt_time(t)) } }
            @if let Some(t) = src.last_test_at { p.muted { "Last connectivity test from " (src.name) ": " (fmt_time(t)) } }
            @if manages { p {
                button.secondary type="button"
                    data-test-url={"/api/v1/services/" (svc) "/alert-sources/" (slug) "/test"}
                    data-sources-url={"/api/v1/services/" (svc) "/alert-sources"}
                    data-source=(slug) data-status-id=(status_id) data-error-id={(slug) "-test-error"}
                    { "Send test alert" }
            } }
            p.error id={(slug) "-test-error"} role="alert" hidden {}
            @if let Some(url) = &src.webhook_url { (source_guides::guide(src.source, url, src.routing_key.as_deref())) }
            @if src.source == SourceKind::Kapacitor { (tick_check(team)) }
        }
    }
}

/// The doctor: paste a TICKscript, see its findings inline (`kapacitor.js` posts it to
/// `POST /api/v1/kapacitor/check`). For everyone who sees the service: the check reads only
/// the script, and never shows a webhook key.
fn tick_check(team: TeamId) -> Markup {
    html! {
        h3 { "Check a TICKscript" }
        p.muted {
            "Paste a task's TICKscript to find what loses or merges incidents (an id without the group, "
            code { ".noRecoveries()" } ", " code { ".stateChangesOnly()" } " without an interval, a URL that is not this Tocsin's…). "
            "The same check runs as " code { "tocsin kapacitor check" } "."
        }
        form #tick-check data-tick-check="/api/v1/kapacitor/check" {
            label for="tick-script" { "TICKscript" }
            textarea #tick-script name="script" rows="12" spellcheck="false" required {}
            details {
                summary { "kapacitor.conf (optional, to check " code { ".endpoint()" } " names)" }
                label for="tick-conf" { "kapacitor.conf" }
                textarea #tick-conf name="kapacitor_conf" rows="6" spellcheck="false" {}
            }
            p { button type="submit" { "Check TICKscript" } }
            p.error role="alert" hidden {}
        }
        p #tick-verdict role="status" {}
        ul #tick-findings .findings {}
        p { a href={"/kapacitor?team=" (team)} { "The team's live Kapacitor tasks" } }
    }
}
