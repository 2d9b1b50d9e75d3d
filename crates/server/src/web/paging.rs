//! A team's paging: its escalation policies (who is told, in what order) and its channels
//! (destinations the team owns). Everyone in the team reads it; only team admins and owners
//! get the controls that change it, as the API allows only them.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use tocsin_core::model::Service;
use tocsin_core::paging::policy::Repeat;
use tocsin_core::paging::records::{Channel, EscalationPolicy};
use tocsin_core::{Grants, Role, TeamId};

use super::contacts::{destination_fields, kind_label, secret_panel, target_cell};
use super::overview::TeamParam;
use super::policy_editor::Directory;
use super::{layout, Ctx, WebCaller, WebError};
use crate::json::ApiQuery;
use crate::state::AppState;

/// The least role that changes a team's paging (channels, policies, a service's policy): the
/// API's rule, asked here only to leave out controls that would be refused.
pub fn manages_paging(grants: &Grants, team: TeamId) -> bool {
    grants.at_least(team, Role::Admin)
}

pub async fn page(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/paging").await?;
    let Some(team) = ctx.team.clone() else {
        let body = html! { h1 { "Paging" } p { "You are not in any team yet." } };
        return Ok(ctx.respond(layout::page(&ctx, "Paging", "Paging", body)));
    };
    let scope = ctx.caller.reads();
    let policies = s.store.list_policies(scope, Some(team.id)).await?;
    let services = s.store.list_services(scope, Some(team.id)).await?;
    let dir = Directory::load(&s, &ctx.caller, team.id).await?;
    let manages = manages_paging(&ctx.caller.grants, team.id);
    let body = html! {
        h1 { "Paging · " (team.name) }
        @if !manages {
            p.muted { "Only the team's admins and owners can change its paging." }
        }
        section.card #policies {
            h2 { "Escalation policies" }
            @for p in &policies { (policy_card(p, &dir, &services, manages)) }
            @if policies.is_empty() { p { "No escalation policies yet: incidents page nobody." } }
            p.error.action-error role="alert" hidden {}
            @if manages {
                p { a.button href={"/paging/policies/new?team=" (team.id)} { "New escalation policy" } }
            }
        }
        (channels_card(team.id, &dir.channels, manages))
    };
    Ok(ctx.respond(layout::page(&ctx, "Paging", "Paging", body)))
}

/// "Runs once", "Repeats 2 more times", "Repeats until acknowledged".
pub fn repeat_text(r: Repeat) -> String {
    match r {
        Repeat::Times(0) => "Runs once".to_owned(),
        Repeat::Times(1) => "Repeats 1 more time".to_owned(),
        Repeat::Times(n) => format!("Repeats {n} more times"),
        Repeat::UntilAcknowledged => "Repeats until acknowledged".to_owned(),
    }
}

fn policy_card(
    p: &EscalationPolicy, dir: &Directory, services: &[Service], manages: bool,
) -> Markup {
    let used: Vec<&Service> = services
        .iter()
        .filter(|s| s.escalation_policy_id == Some(p.id))
        .collect();
    html! {
        article.policy data-policy=(p.id) {
            h3 { (p.name) }
            ol.steps {
                @for (i, step) in p.rules.steps.iter().enumerate() {
                    li {
                        "Step " (i + 1) ", after " (step.delay_minutes) " min"
                        @if i > 0 { " more" } ": "
                        (step.targets.iter().map(|t| dir.target_label(t)).collect::<Vec<_>>().join(", "))
                        @if step.round_robin { " (round robin: one per firing, in turn)" }
                    }
                }
            }
            p.muted {
                (repeat_text(p.rules.repeat)) ". "
                @match p.rules.ack_timeout_minutes {
                    Some(m) => { "An acknowledged incident not resolved after " (m) " min escalates again." }
                    None => { "An acknowledged incident stays acknowledged." }
                }
            }
            p {
                "Used by: "
                @if used.is_empty() { "no service" }
                @for (i, svc) in used.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={"/services/" (svc.id)} { (svc.name) }
                }
            }
            @if manages {
                p.row {
                    a.button.secondary href={"/paging/policies/" (p.id)} { "Edit" }
                    button.secondary type="button" data-action-method="DELETE"
                        data-action-url={"/api/v1/escalation-policies/" (p.id)}
                        data-confirm={"Delete the escalation policy " (p.name) "?"} { "Delete" }
                }
            }
        }
    }
}

fn channels_card(team: TeamId, channels: &[Channel], manages: bool) -> Markup {
    let base = format!("/api/v1/teams/{team}/channels");
    let cols = if manages { 4 } else { 3 };
    html! {
        section.card #channels {
            h2 { "Channels" }
            p.muted { "Destinations the team owns (a shared webhook, a chat room, a mailing list) that a policy's step can notify." }
            div.table-wrap {
                table {
                    thead { tr { th { "Type" } th { "Name" } th { "URL or address" } @if manages { th { "" } } } }
                    tbody {
                        @for c in channels {
                            @let result = format!("test-result-{}", c.id);
                            tr data-channel=(c.id) {
                                td { (kind_label(c.kind)) }
                                td { (c.name) }
                                td { (target_cell(c.kind, &c.target)) }
                                @if manages {
                                    td {
                                        div.row {
                                            button.secondary type="button" data-test-send={(base) "/" (c.id) "/test"}
                                                data-result-id=(result) { "Send test" }
                                            button.secondary type="button" data-action-method="DELETE"
                                                data-action-url={(base) "/" (c.id)}
                                                data-confirm={"Delete the channel " (c.name) "?"} { "Delete" }
                                        }
                                        p id=(result) role="status" hidden {}
                                    }
                                }
                            }
                        }
                        @if channels.is_empty() { tr { td colspan=(cols) { "No channels yet." } } }
                    }
                }
            }
            p.error.action-error role="alert" hidden {}
            @if manages {
                h3 { "Add a channel" }
                form data-destination-api=(base) data-secret-panel="channel-secret" {
                    (destination_fields("ch"))
                    p.error role="alert" hidden {}
                    p { button type="submit" { "Add channel" } }
                }
                (secret_panel("channel-secret"))
            }
        }
    }
}
