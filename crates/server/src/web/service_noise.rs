//! The service page's "Noise" card (issue 18): its maintenance windows (list, add, end) and
//! its rules as a JSON list with Save and a "Test against the last 50 alerts" preview.
//! Everything goes through the noise API (`noise.js`); members see it, team admins change it.

use chrono::Utc;
use maud::{html, Markup};
use tocsin_core::model::Service;

use super::fmt_time;
use super::paging::manages_paging;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn section(s: &AppState, caller: &Caller, svc: &Service) -> Result<Markup, ApiError> {
    let windows = s
        .store
        .list_maintenance_windows(caller.reads(), svc.id)
        .await?;
    let rules = s.store.service_rules(caller.reads(), svc.id).await?;
    let rules_json = serde_json::to_string_pretty(&rules).unwrap_or_else(|_| "[]".into());
    let manages = manages_paging(&caller.grants, svc.team_id);
    let now = Utc::now();
    let base = format!("/api/v1/services/{}", svc.id);
    Ok(html! {
        section.card #noise data-noise-service=(svc.id) {
            h2 { "Noise" }
            h3 { "Maintenance windows" }
            p.muted { "Alerts that arrive during a window are stored as suppressed incidents: visible, never paged." }
            @if windows.is_empty() {
                p #noise-no-windows .muted { "No maintenance window." }
            } @else {
                div.table-wrap {
                    table #noise-windows {
                        thead { tr { th { "From" } th { "Until" } th { "Repeats" } th { "State" } th {} } }
                        tbody {
                            @for w in &windows {
                                @let active = w.active(now);
                                tr data-window=(w.id) {
                                    td { (fmt_time(w.spec.start)) }
                                    td { @match w.spec.end { Some(e) => (fmt_time(e)), None => "until ended" } }
                                    td { @if w.spec.weekly { "weekly (" (w.spec.time_zone.as_deref().unwrap_or("UTC")) ")" } @else { "once" } }
                                    td.window-state {
                                        @if active { strong { "active" } }
                                        @else if let Some(e) = w.ended_at { "ended " (fmt_time(e)) }
                                        @else if w.spec.start > now { "planned" }
                                        @else { "over" }
                                    }
                                    td {
                                        @if manages && w.ended_at.is_none() && !w.window().is_ok_and(|x| x.is_over(now)) {
                                            button type="button" data-action-url={(base) "/maintenance-windows/" (w.id)}
                                                data-action-method="DELETE" data-confirm="End this maintenance window?" {
                                                @if w.spec.start > now { "Remove" } @else { "End" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p.action-error.error role="alert" hidden {}
            }
            @if manages {
                form #noise-window-form data-noise-api={(base) "/maintenance-windows"} {
                    div.row {
                        div {
                            label for="noise-start" { "Start (your local time)" }
                            input #noise-start type="datetime-local" name="start" required data-now;
                        }
                        div {
                            label for="noise-end" { "End (empty: until ended)" }
                            input #noise-end type="datetime-local" name="end";
                        }
                        div {
                            label for="noise-weekly" { "Every week" }
                            input #noise-weekly type="checkbox" name="weekly";
                        }
                        div.shrink { button type="submit" { "Add maintenance window" } }
                    }
                    p.error role="alert" hidden {}
                }
            }
            h3 { "Rules" }
            p.muted {
                "Run in order on every alert before dedup: "
                code { "suppress" } ", " code { "route" } ", " code { "tag" } ", " code { "dedup_window" } ", "
                code { "set_severity" } ", with conditions over " code { "source" } ", " code { "severity" } ", "
                code { "dedup_key" } ", " code { "title" } ", " code { "description" } ", " code { "tags.<name>" }
                " or " code { "payload.<json path>" } " (" code { "==" } ", " code { "!=" } ", " code { "contains" } ", "
                code { "matches" } ")."
            }
            form #noise-rules-form data-noise-api={(base) "/rules"} {
                label for="noise-rules" { "Rules (JSON list)" }
                textarea #noise-rules name="rules" rows="10" spellcheck="false" readonly[!manages] { (rules_json) }
                div.row {
                    @if manages { div.shrink { button type="submit" { "Save rules" } } }
                    div.shrink { button type="button" #noise-preview data-preview-url={(base) "/rules/preview"} { "Test against the last 50 alerts" } }
                }
                p.error role="alert" hidden {}
                p #noise-saved role="status" hidden { "Saved." }
            }
            div #noise-preview-result {}
        }
    })
}
