//! The incident list (filterable, paginated, live) and one incident with its timeline.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use tocsin_core::model::{EventKind, Incident, Service, TimelineEvent};
use tocsin_core::{IncidentId, IncidentStatus};

use super::{fmt_time, layout, notifications, urlencode, Ctx, WebCaller, WebError, WebPath};
use crate::api::{events_page, page as incident_page, EventsParams, ListParams};
use crate::json::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    team: Option<String>,
    status: Option<String>,
    service_id: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    /// `rows`: only the table rows, for live updates.
    partial: Option<String>,
}

pub async fn list(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/incidents").await?;
    let services = s
        .store
        .list_services(ctx.caller.reads(), ctx.team_id())
        .await?;
    let params = ListParams {
        service_id: q.service_id.clone().filter(|v| !v.is_empty()),
        team_id: ctx.team_id().map(|t| t.to_string()),
        status: q.status.clone().filter(|v| !v.is_empty()),
        q: q.q.clone(),
        cursor: q.cursor.clone(),
        limit: Some(25),
        ..Default::default()
    };
    let page = incident_page(&s, &ctx.caller, &params).await?;
    let rows = rows(&page.incidents, &services);
    if q.partial.as_deref() == Some("rows") {
        return Ok(rows.into_response());
    }
    let status = q.status.clone().unwrap_or_default();
    let body = html! {
        h1 { "Incidents" }
        form.card method="get" action="/incidents" {
            div.row {
                div {
                    label for="f-status" { "Status" }
                    select #f-status name="status" {
                        @for (v, l) in [("", "Any"), ("open", "Open"), ("triggered", "Triggered"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved"), ("suppressed", "Suppressed")] {
                            option value=(v) selected[status == v] { (l) }
                        }
                    }
                }
                div {
                    label for="f-service" { "Service" }
                    select #f-service name="service_id" {
                        option value="" { "Any" }
                        @for svc in &services {
                            option value=(svc.id) selected[q.service_id.as_deref() == Some(&svc.id.to_string())] { (svc.name) }
                        }
                    }
                }
                div {
                    label for="f-q" { "Search" }
                    input #f-q type="search" name="q" value=(q.q.clone().unwrap_or_default()) placeholder="title or alert id";
                }
                div.shrink { button type="submit" { "Filter" } }
            }
        }
        div.table-wrap {
            table {
                thead { tr { th { "#" } th { "Title" } th { "Status" } th { "Severity" } th.opt { "Service" } th.opt { "Events" } th.opt { "Opened" } } }
                tbody #incident-rows aria-live="polite" { (rows) }
            }
        }
        @if let Some(c) = page.next_cursor {
            p.pager {
                a.button href={"/incidents?status=" (urlencode(&status)) "&service_id=" (urlencode(q.service_id.as_deref().unwrap_or(""))) "&q=" (urlencode(q.q.as_deref().unwrap_or(""))) "&cursor=" (c)} { "Older incidents →" }
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Incidents", "Incidents", body)))
}

fn rows(incidents: &[Incident], services: &[Service]) -> Markup {
    html! {
        @for i in incidents {
            tr {
                td { (i.number) }
                td { a href={"/incidents/" (i.id)} { (i.title) } }
                td { (layout::status(i.status)) }
                td { (layout::severity(i.severity)) }
                td.opt { (services.iter().find(|s| s.id == i.service_id).map(|s| s.name.as_str()).unwrap_or("")) }
                td.opt { (i.event_count) }
                td.opt { (fmt_time(i.created_at)) }
            }
        }
        @if incidents.is_empty() { tr { td colspan="7" { "No incidents match." } } }
    }
}

/// Events on one page of an incident: the newest first, older ones a link away.
const PAGE_EVENTS: u32 = 50;

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// The timeline page: events older than this one (the "Older events" link).
    cursor: Option<String>,
}

/// One incident and one page of its timeline. Raw payloads are not in the page (an incident
/// may hold hundreds of alerts of up to 256 KiB each): each is loaded when its "Raw payload"
/// is opened, so the page's size does not depend on what the alerts carried.
pub async fn show(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    WebPath(id): WebPath<IncidentId>, ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, WebError> {
    let page_q = EventsParams {
        limit: Some(PAGE_EVENTS),
        cursor: q.cursor.clone(),
    }
    .to_query()?;
    let inc = s.store.get_incident(caller.reads(), id).await?;
    let timeline = events_page(&s, &caller, id, &page_q).await?;
    let svc = s.store.get_service(caller.reads(), inc.service_id).await?;
    let notifications = notifications::section(&s, &caller, id).await?;
    let path = format!("/incidents/{id}");
    let ctx = Ctx::load(&s, caller, &headers, Some(&inc.team_id.to_string()), &path).await?;
    let resolved_by = inc.resolved_by.as_deref().map(|by| {
        if by == inc.alert_source.slug() {
            format!("Resolved by {}", inc.alert_source.display_name())
        } else {
            format!("Resolved by {by}")
        }
    });
    let body = html! {
        p.muted { a href="/incidents" { "Incidents" } " / #" (inc.number) }
        h1 { "#" (inc.number) " " (inc.title) }
        section.card {
            p { (layout::status(inc.status)) " " (layout::severity(inc.severity)) }
            @if let Some(r) = &resolved_by { p #resolved-by { strong { (r) } @if let Some(t) = inc.resolved_at { " at " (fmt_time(t)) } } }
            @if let Some(by) = &inc.acknowledged_by { p { "Acknowledged by " (by) @if let Some(t) = inc.acknowledged_at { " at " (fmt_time(t)) } } }
            dl {
                dt { "Service" } dd { a href={"/services/" (svc.id)} { (svc.name) } }
                dt { "Alert source" } dd { (inc.alert_source.display_name()) }
                dt { "Alert id" } dd { code { (inc.dedup_key) } }
                dt { "Opened" } dd { (fmt_time(inc.created_at)) }
                dt { "Alerts" } dd { (inc.event_count) }
                @if !inc.tags.is_empty() {
                    dt { "Tags" }
                    dd { @for (k, v) in &inc.tags { span.badge.muted { (k) "=" (v) } " " } }
                }
            }
            @if !inc.description.is_empty() { h2 { "Details" } pre { (inc.description) } }
            @if inc.status.is_open() {
                p.row {
                    @if inc.status == IncidentStatus::Triggered {
                        button type="button" data-action-url={"/api/v1/incidents/" (inc.id) "/acknowledge"} { "Acknowledge" }
                    }
                    button.secondary type="button" data-action-url={"/api/v1/incidents/" (inc.id) "/resolve"} { "Resolve" }
                }
            }
            p #action-error .error role="alert" hidden {}
        }
        section.card {
            h2 { "Add note" }
            form data-api={"/api/v1/incidents/" (inc.id) "/notes"} {
                label for="note-text" { "Note" }
                textarea #note-text name="text" rows="3" required maxlength="10000" {}
                p.error role="alert" hidden {}
                p { button type="submit" { "Add note" } }
            }
        }
        (notifications)
        section.card #timeline {
            h2 { "Timeline" }
            p.muted { "Newest first." @if page_q.before().is_some() { " Older events." } }
            ol.timeline { @for ev in &timeline.events { (event(&inc, ev)) } }
            @if page_q.before().is_some() || timeline.next_cursor.is_some() {
                p.pager.row {
                    @if page_q.before().is_some() {
                        a.button.secondary href={"/incidents/" (inc.id) "#timeline"} { "← Newest events" }
                    }
                    @if let Some(c) = timeline.next_cursor {
                        a.button href={"/incidents/" (inc.id) "?cursor=" (c) "#timeline"} { "Older events →" }
                    }
                }
            }
        }
    };
    Ok(ctx.respond(layout::page(
        &ctx,
        &format!("#{} {}", inc.number, inc.title),
        "Incidents",
        body,
    )))
}

fn event(inc: &Incident, ev: &TimelineEvent) -> Markup {
    let source = inc.alert_source.display_name();
    let what = match ev.kind {
        EventKind::Opened => format!("{source} alert opened the incident"),
        EventKind::Joined => format!("{source} alert joined"),
        EventKind::AutoResolved => format!("Resolved by {source}"),
        EventKind::Unmatched => format!("{source} recovery with nothing open"),
        EventKind::Test => format!("{source} connectivity test"),
        EventKind::Acknowledged => {
            format!("Acknowledged by {}", ev.actor.as_deref().unwrap_or("?"))
        }
        EventKind::Resolved => format!("Resolved by {}", ev.actor.as_deref().unwrap_or("?")),
        EventKind::Note => format!("Note by {}", ev.actor.as_deref().unwrap_or("?")),
        // The text says what paging did (a step fired, a delivery sent or failed).
        EventKind::Paging => "Paging".to_owned(),
        // The text says which window or rule suppressed it.
        EventKind::Suppressed => format!("{source} alert suppressed"),
    };
    html! {
        li data-kind=(ev.kind.as_str()) class=[(ev.kind == EventKind::Paging).then_some("paging")] {
            div.when { (fmt_time(ev.received_at)) }
            div {
                strong { (what) }
                @if let Some(l) = &ev.level { " " span.badge { (l) } }
            }
            @if let Some(t) = &ev.text { p { (t) } }
            @if let Some(url) = &ev.payload_url {
                details data-payload-url=(url) {
                    summary { "Raw payload (" (fmt_size(ev.payload_size.unwrap_or(0))) ")" }
                    pre { "Loading…" }
                    p { a href=(url) target="_blank" rel="noopener" { "Open the raw payload" } }
                }
            }
        }
    }
}

/// A body's size for people: bytes, or KiB with one decimal.
fn fmt_size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
