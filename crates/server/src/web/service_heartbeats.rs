//! The service page's "Heartbeats" card (issue 18): the service's heartbeats (name, interval,
//! grace, state, last check-in, and the check-in URL with a copy button for those who may see
//! webhook URLs), and for them a form to add one (`POST /api/v1/services/{id}/heartbeats`)
//! and a button to delete each (`DELETE …/heartbeats/{heartbeat_id}`).

use maud::{html, Markup};
use tocsin_core::heartbeat::{HeartbeatState, MIN_INTERVAL_SECONDS};
use tocsin_core::model::Service;

use super::fmt_time;
use crate::api::heartbeats::view;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `3600` → "1 h", `90` → "90 s": what a person reads in the table.
fn seconds(n: i64) -> String {
    match n {
        n if n > 0 && n % 86_400 == 0 => format!("{} d", n / 86_400),
        n if n > 0 && n % 3600 == 0 => format!("{} h", n / 3600),
        n if n > 0 && n % 60 == 0 => format!("{} min", n / 60),
        n => format!("{n} s"),
    }
}

pub async fn section(s: &AppState, caller: &Caller, svc: &Service) -> Result<Markup, ApiError> {
    let all = s.store.list_heartbeats(caller.reads(), svc.id).await?;
    let none = all.is_empty();
    let manages = caller.grants.sees_webhook_keys(svc.team_id);
    let base = format!("/api/v1/services/{}/heartbeats", svc.id);
    let cols = if manages { 7 } else { 5 };
    Ok(html! {
        section.card #heartbeats {
            h2 { "Heartbeats" }
            p.muted {
                "A job that should check in regularly (a backup, a cron job): when it has not checked in by its interval and grace, an incident "
                code { "heartbeat:<name>" } " opens on this service and pages; its next check-in resolves it."
            }
            div.table-wrap {
                table {
                    thead { tr {
                        th { "Name" } th { "Interval" } th { "Grace" } th { "State" } th { "Last check-in" }
                        @if manages { th { "Check-in URL" } th { "" } }
                    } }
                    tbody {
                        @for h in all {
                            @let v = view(s, caller, h);
                            @let url_id = format!("heartbeat-url-{}", v.id);
                            tr data-heartbeat=(v.name) {
                                td { (v.name) }
                                td { (seconds(v.interval_seconds)) }
                                td { (seconds(v.grace_seconds)) }
                                td data-state=(v.state.as_str()) {
                                    @match v.state {
                                        HeartbeatState::Ok => { span.dot.green aria-hidden="true" {} " OK" }
                                        HeartbeatState::Missed => { span.dot aria-hidden="true" {} " Missed" }
                                    }
                                }
                                td { @match v.last_checkin_at { Some(t) => (fmt_time(t)), None => "never" } }
                                @if manages {
                                    td {
                                        @if let Some(url) = &v.checkin_url {
                                            div.copyline {
                                                input id=(url_id) type="text" readonly value=(url) aria-label={"Check-in URL of " (v.name)};
                                                button type="button" data-copy=(url_id) { "Copy" }
                                            }
                                        }
                                    }
                                    td {
                                        button.secondary type="button" data-action-method="DELETE"
                                            data-action-url={(base) "/" (v.id)}
                                            data-confirm={"Delete the heartbeat " (v.name) "? An open incident it opened stays open."} { "Delete" }
                                    }
                                }
                            }
                        }
                        @if none {
                            tr { td colspan=(cols) { "No heartbeats yet." } }
                        }
                    }
                }
            }
            p.error.action-error role="alert" hidden {}
            @if manages {
                form #new-heartbeat data-api=(base) {
                    div.row {
                        div {
                            label for="heartbeat-name" { "Name" }
                            input #heartbeat-name type="text" name="name" required maxlength="100" placeholder="nightly-backup";
                        }
                        div {
                            label for="heartbeat-interval" { "Interval (seconds)" }
                            input #heartbeat-interval type="number" name="interval_seconds" data-json="number" required min=(MIN_INTERVAL_SECONDS) value="300";
                        }
                        div {
                            label for="heartbeat-grace" { "Grace (seconds)" }
                            input #heartbeat-grace type="number" name="grace_seconds" data-json="number" min="0" value="60";
                        }
                        div.shrink { button type="submit" { "Add heartbeat" } }
                    }
                    p.error role="alert" hidden {}
                }
            } @else {
                p.muted { "Only the team's admins and owners can add heartbeats and see their check-in URLs: whoever holds one can check in." }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(super::seconds(10), "10 s");
        assert_eq!(super::seconds(90), "90 s");
        assert_eq!(super::seconds(300), "5 min");
        assert_eq!(super::seconds(7200), "2 h");
        assert_eq!(super::seconds(86_400), "1 d");
        assert_eq!(super::seconds(0), "0 s");
    }
}
