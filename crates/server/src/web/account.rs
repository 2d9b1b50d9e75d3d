//! "Your account": change your password, see your sign-in sessions and end them, and say how
//! paging reaches you ([`contacts`]). Every change goes through the JSON API from the browser,
//! like the rest of the UI.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use tocsin_core::UserId;

use super::{contacts, fmt_time, layout, schedules, Ctx, WebCaller, WebError};
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Params {
    /// Set after a password change, to say what happened.
    changed: Option<String>,
}

pub async fn page(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<Params>,
) -> Result<Response, WebError> {
    let Some(user) = caller.user.clone() else {
        return Err(ApiError::forbidden("this page is for signed-in users").into());
    };
    let current = caller.session;
    let sessions = s.accounts.list_sessions(user.id).await?;
    let ctx = Ctx::load(&s, caller, &headers, None, "/account").await?;
    let others = sessions.iter().filter(|x| Some(x.id) != current).count();
    let paging = contacts::sections(&s, user.id).await?;
    let body = html! {
        h1 { "Your account" }
        p { "Signed in as " strong { (user.username) } " (" (user.email) ")"
            @if user.org_admin { ", organisation admin" } "." }
        section.card {
            h2 { "Change your password" }
            @if q.changed.is_some() {
                p role="status" { "Your password was changed, and your other sessions have ended." }
            }
            form data-api={"/api/v1/users/" (user.id) "/password"} data-redirect="/account?changed=1" {
                label for="current-password" { "Current password" }
                input #current-password type="password" name="current_password" autocomplete="current-password" required;
                label for="new-password" { "New password (8 characters or more)" }
                input #new-password type="password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="1024";
                p.error role="alert" hidden {}
                p { button type="submit" { "Change password" } }
            }
            p { "Changing it signs you out everywhere else. Your API tokens keep working." }
        }
        (paging)
        (upcoming_shifts(user.id, &ctx))
        section.card.spaced {
            h2 { "Your sessions" }
            div.table-wrap {
                table {
                    thead { tr { th { "Signed in" } th { "Last seen" } th.opt { "Expires" } th { "" } } }
                    tbody {
                        @for x in &sessions {
                            tr {
                                td { (fmt_time(x.created_at)) }
                                td { (x.last_seen_at.map(fmt_time).unwrap_or_else(|| "—".to_owned())) }
                                td.opt { (fmt_time(x.expires_at)) }
                                td {
                                    @if Some(x.id) == current { "This session" } @else {
                                        button.secondary type="button" data-action-method="DELETE"
                                            data-action-url={"/api/v1/session/sessions/" (x.id)} { "End" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.error #action-error role="alert" hidden {}
            @if others > 0 {
                p { button type="button" data-action-method="DELETE" data-action-url="/api/v1/session/sessions" {
                    "End all other sessions (" (others) ")" } }
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Your account", "", body)))
}

/// "Your upcoming shifts": the script reads the schedules of the caller's teams and keeps the
/// shifts that are theirs over the next 14 days; and the feed of their own shifts.
fn upcoming_shifts(user: UserId, ctx: &Ctx) -> Markup {
    let teams: Vec<String> = ctx.teams.iter().map(|t| t.id.to_string()).collect();
    html! {
        section.card.spaced #upcoming-shifts data-upcoming-user=(user) data-teams=(teams.join(",")) {
            h2 { "Your upcoming shifts" }
            p.muted { "The next 14 days, across the schedules of your teams." }
            div.table-wrap {
                table {
                    thead { tr { th { "Schedule" } th { "From" } th { "To" } } }
                    tbody #upcoming-rows { tr { td colspan="3" { "Loading…" } } }
                }
            }
            p.error.action-error role="alert" hidden {}
            section #my-calendar-feed {
                h3 { "Calendar feed of your shifts" }
                (schedules::feed_controls(&format!("/api/v1/users/{user}/calendar-feed"), true))
            }
        }
    }
}
