//! A team's on-call schedules in the web UI (issue 15): the list with who is on call now, the
//! editor (time zone, layers, rotations, restrictions) and a schedule's page (a two-week
//! timeline of the final shifts, its overrides, its calendar feed).
//!
//! The pages are shells: `schedules.js` reads and writes everything through the schedules API,
//! as any client does, so core's rules and the API's checks answer the browser too and the
//! pages need no second path to the store. The server renders what it already knows — the
//! schedule's team (404 for another team's), whether the caller may change its schedules, and
//! the names of the people in it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use tocsin_core::{ScheduleId, TeamId};

use super::overview::TeamParam;
use super::paging::manages_paging;
use super::policy_editor::Directory;
use super::{layout, Ctx, WebCaller, WebError, WebPath};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::state::AppState;

/// Zones offered in the editor's list; any IANA name may be typed, and the API checks it.
const COMMON_ZONES: [&str; 24] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Africa/Johannesburg",
];

/// Days as the API spells them, with the editor's labels.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

/// `/schedules?team=…`: the team's schedules; the script adds who is on call now.
pub async fn list(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/schedules").await?;
    let Some(team) = ctx.team.clone() else {
        let body = html! { h1 { "Schedules" } p { "You are not in any team yet." } };
        return Ok(ctx.respond(layout::page(&ctx, "Schedules", "Schedules", body)));
    };
    let manages = manages_paging(&ctx.caller.grants, team.id);
    let body = html! {
        h1 { "Schedules · " (team.name) }
        @if !manages {
            p.muted { "Only the team's admins and owners can change its schedules." }
        }
        section.card #schedules data-schedule-list=(team.id) {
            div.table-wrap {
                table {
                    thead { tr { th { "Schedule" } th.opt { "Time zone" } th { "On call now" } th { "Until" } } }
                    tbody #schedule-rows { tr { td colspan="4" { "Loading…" } } }
                }
            }
            p.error.action-error role="alert" hidden {}
            @if manages {
                p { a.button href={"/schedules/new?team=" (team.id)} { "New schedule" } }
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Schedules", "Schedules", body)))
}

/// `/schedules/new?team=…`
pub async fn new(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/schedules/new").await?;
    editor(&s, ctx, None).await
}

/// `/schedules/{id}/edit`: the script loads the schedule into the form.
pub async fn edit(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    WebPath(id): WebPath<ScheduleId>,
) -> Result<Response, WebError> {
    let ctx = schedule_ctx(&s, caller, &headers, id, &format!("/schedules/{id}/edit")).await?;
    editor(&s, ctx, Some(id)).await
}

/// The page's context with the schedule's own team picked; not found (a 404 page) for a
/// schedule of a team the caller cannot see, as the API answers.
async fn schedule_ctx(
    s: &AppState, caller: Caller, headers: &HeaderMap, id: ScheduleId, path: &str,
) -> Result<Ctx, WebError> {
    let schedule = s.store.get_schedule(caller.reads(), id).await?;
    let team = schedule.team_id.to_string();
    Ok(Ctx::load(s, caller, headers, Some(&team), path).await?)
}

fn picked_team(ctx: &Ctx) -> Result<(TeamId, String), ApiError> {
    ctx.team
        .as_ref()
        .map(|t| (t.id, t.name.clone()))
        .ok_or_else(|| ApiError::not_found("team"))
}

async fn editor(s: &AppState, ctx: Ctx, id: Option<ScheduleId>) -> Result<Response, WebError> {
    let (team, team_name) = picked_team(&ctx)?;
    if !manages_paging(&ctx.caller.grants, team) {
        return Err(ApiError::forbidden(
            "only the team's admins and owners can edit its schedules",
        )
        .into());
    }
    let dir = Directory::load(s, &ctx.caller, team).await?;
    let title = if id.is_some() {
        "Edit schedule"
    } else {
        "New schedule"
    };
    let body = html! {
        p.muted { a href={"/schedules?team=" (team)} { "Schedules · " (team_name) } " / " (title) }
        h1 { (title) }
        form.card #schedule-form data-team=(team) data-schedule-id=[id] data-names=(dir.names_json()) {
            label for="schedule-name" { "Name" }
            input #schedule-name type="text" name="name" required maxlength="100";
            label for="schedule-zone" { "Time zone (IANA name; layers' starts and restrictions are local times there)" }
            input #schedule-zone type="text" name="time_zone" required list="zones" value="UTC" autocomplete="off";
            datalist #zones { @for z in COMMON_ZONES { option value=(z) {} } }
            h2 { "Layers" }
            p.muted { "Where several layers cover a moment, the last one wins." }
            div #layers {}
            p { button.secondary type="button" data-add-layer="1" { "Add layer" } }
            template #layer-template { (layer_fields(&dir)) }
            template #restriction-template { (restriction_fields()) }
            p.error role="alert" hidden {}
            p { button type="submit" { @if id.is_some() { "Save schedule" } @else { "Create schedule" } } }
        }
        section.card.notice #schedule-saved hidden {
            h2 { "Saved" }
            p #schedule-gaps role="status" {}
            p { a.button #schedule-saved-link href="/schedules" { "Go to the schedule" } }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, title, "Schedules", body)))
}

/// One layer. Inputs sit inside their labels, so the fields repeat without ids.
fn layer_fields(dir: &Directory) -> Markup {
    html! {
        fieldset.layer {
            legend { "Layer" }
            label { "Layer name" input.layer-name type="text" required maxlength="100"; }
            div.row {
                div {
                    label { "Hand-off every"
                        input.layer-length type="number" min="1" max="1000" value="1" required; }
                }
                div {
                    label { "Rotation unit"
                        select.layer-unit {
                            option value="hour" { "hours" }
                            option value="day" { "days" }
                            option value="week" selected { "weeks" }
                        }
                    }
                }
                div {
                    label { "First hand-off (local date and time)"
                        input.layer-start type="datetime-local" step="60" required; }
                }
            }
            fieldset.participants {
                legend { "Participants, in turn" }
                ol.participant-list {}
                div.row {
                    div {
                        label { "Participant to add"
                            select.participant-pick {
                                @for (id, name) in &dir.people { option value=(id) { (name) } }
                            }
                        }
                    }
                    div.shrink { button.secondary type="button" data-add-participant="1" { "Add participant" } }
                }
            }
            div.restrictions {}
            p.row {
                button.secondary type="button" data-add-restriction="1" { "Restrict to certain days and times" }
                button.secondary type="button" data-remove-layer="1" { "Remove layer" }
            }
        }
    }
}

fn restriction_fields() -> Markup {
    html! {
        fieldset.restriction {
            legend { "Only on" }
            div.days {
                @for (value, label) in DAYS {
                    label.check { input type="checkbox" data-day=(value) checked; (label) }
                }
            }
            div.row {
                div { label { "From (local)" input.restriction-from type="time" value="09:00" required; } }
                div { label { "To (local)" input.restriction-to type="time" value="17:00" required; } }
                div.shrink { button.secondary type="button" data-remove-restriction="1" { "Remove restriction" } }
            }
        }
    }
}

/// `/schedules/{id}`: the timeline, the overrides, the calendar feed.
pub async fn show(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    WebPath(id): WebPath<ScheduleId>,
) -> Result<Response, WebError> {
    let ctx = schedule_ctx(&s, caller, &headers, id, &format!("/schedules/{id}")).await?;
    let (team, team_name) = picked_team(&ctx)?;
    let manages = manages_paging(&ctx.caller.grants, team);
    let dir = Directory::load(&s, &ctx.caller, team).await?;
    let api = format!("/api/v1/schedules/{id}");
    let body = html! {
        p.muted { a href={"/schedules?team=" (team)} { "Schedules · " (team_name) } }
        div #schedule-page data-schedule=(id) data-team=(team) data-names=(dir.names_json()) {
            h1 #schedule-title { "Schedule" }
            p #schedule-zone.muted {}
            section.card #on-call-now {
                h2 { "On call now" }
                p #on-call-now-text role="status" { "Loading…" }
            }
            section.card #schedule-timeline {
                h2 { "The next two weeks" }
                div.sched-timeline #timeline-body {}
                p #timeline-gaps.muted {}
            }
            section.card #overrides {
                h2 { "Overrides" }
                div.table-wrap {
                    table {
                        thead { tr { th { "Who" } th { "From" } th { "To" } @if manages { th { "" } } } }
                        tbody #override-rows {}
                    }
                }
                p.error.action-error role="alert" hidden {}
                @if manages {
                    h3 { "Add override" }
                    form #override-form data-override-api=(format!("{api}/overrides")) {
                        div.row {
                            div {
                                label for="override-user" { "Who is on call instead" }
                                select #override-user {
                                    @for (uid, name) in &dir.people { option value=(uid) { (name) } }
                                }
                            }
                            div {
                                label for="override-start" { "From (your local time)" }
                                input #override-start type="datetime-local" step="60" required;
                            }
                            div {
                                label for="override-end" { "To (your local time)" }
                                input #override-end type="datetime-local" step="60" required;
                            }
                        }
                        p.error role="alert" hidden {}
                        p { button type="submit" { "Add override" } }
                    }
                }
            }
            section.card #calendar-feed {
                h2 { "Calendar feed" }
                p.muted { "A secret address calendar apps can subscribe to. It is shown once; getting a new one revokes the old." }
                (feed_controls(&format!("{api}/calendar-feed"), manages))
            }
            @if manages {
                p.row {
                    a.button.secondary href={"/schedules/" (id) "/edit"} { "Edit schedule" }
                    button.secondary type="button" data-delete-schedule=(api)
                        data-done={"/schedules?team=" (team)} { "Delete schedule" }
                }
                p.error #schedule-delete-error role="alert" hidden {}
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Schedule", "Schedules", body)))
}

/// "Get a calendar feed URL" and "Revoke", with the one-time URL shown beside them.
pub fn feed_controls(api: &str, allowed: bool) -> Markup {
    html! {
        @if allowed {
            p.row {
                button.secondary type="button" data-feed-create=(api) { "Get calendar feed URL" }
                button.secondary type="button" data-feed-revoke=(api) { "Revoke feed" }
            }
            div.feed-url hidden {
                label { "Calendar feed URL (store it now: it is not shown again)"
                    input.feed-url-value type="text" readonly; }
            }
            p.feed-status role="status" hidden {}
            p.error role="alert" hidden {}
        } @else {
            p.muted { "Only the team's admins and owners can make the schedule's feed." }
        }
    }
}
