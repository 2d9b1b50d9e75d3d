//! The service page's "Paging" card: which escalation policy the service's incidents run, and
//! for team admins a select to change it (`PATCH /api/v1/services/{id}` with
//! `escalation_policy_id`, an id or null).

use maud::{html, Markup};
use tocsin_core::model::Service;

use super::paging::{manages_paging, repeat_text};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn section(s: &AppState, caller: &Caller, svc: &Service) -> Result<Markup, ApiError> {
    let policies = s
        .store
        .list_policies(caller.reads(), Some(svc.team_id))
        .await?;
    let current = svc
        .escalation_policy_id
        .and_then(|id| policies.iter().find(|p| p.id == id));
    let manages = manages_paging(&caller.grants, svc.team_id);
    Ok(html! {
        section.card #paging {
            h2 { "Paging" }
            p #service-policy {
                @match current {
                    Some(p) => {
                        "Escalation policy: " strong { (p.name) } " — " (p.rules.steps.len()) " step"
                        @if p.rules.steps.len() != 1 { "s" } ", " (repeat_text(p.rules.repeat).to_lowercase()) "."
                    }
                    None => { "No escalation policy: this service's incidents page nobody." }
                }
            }
            @if manages {
                form data-api={"/api/v1/services/" (svc.id)} data-method="PATCH" {
                    label for="service-policy-select" { "Escalation policy" }
                    div.row {
                        div {
                            select #service-policy-select name="escalation_policy_id" data-json="nullable" {
                                option value="" selected[current.is_none()] { "None (page nobody)" }
                                @for p in &policies {
                                    option value=(p.id) selected[current.is_some_and(|c| c.id == p.id)] { (p.name) }
                                }
                            }
                        }
                        div.shrink { button type="submit" { "Save" } }
                    }
                    p.error role="alert" hidden {}
                }
                p.muted { a href={"/paging?team=" (svc.team_id)} { "Manage the team's escalation policies" } }
            } @else {
                p.muted { "Only the team's admins and owners can choose the escalation policy." }
            }
        }
    })
}
