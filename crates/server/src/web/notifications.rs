//! The incident page's "Notifications": everything paging sent about the incident, to whom,
//! and how each delivery went (the store's `incident_notifications`, as the API's
//! `GET /incidents/{id}/notifications` lists it). The id shown is the delivery id receivers
//! get as `X-Tocsin-Delivery`, so a person can match what arrived with what was sent.

use std::collections::HashMap;

use maud::{html, Markup};
use tocsin_core::paging::delivery::DeliveryStatus;
use tocsin_core::paging::records::Notification;
use tocsin_core::IncidentId;

use super::fmt_time;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Who a notification went to, as a person reads it.
async fn recipients(
    s: &AppState, caller: &Caller, all: &[Notification],
) -> Result<Vec<String>, ApiError> {
    // An incident pages the same few people many times: look each up once.
    let mut users = HashMap::new();
    let mut methods = HashMap::new();
    let mut channels = HashMap::new();
    let mut out = Vec::with_capacity(all.len());
    for n in all {
        let who = if let Some(c) = n.channel_id {
            if let std::collections::hash_map::Entry::Vacant(e) = channels.entry(c) {
                let name = match s.store.get_channel(caller.reads(), c).await {
                    Ok(ch) => format!("channel {}", ch.name),
                    Err(tocsin_store::StoreError::NotFound(_)) => format!("channel {c} (removed)"),
                    Err(e) => return Err(e.into()),
                };
                e.insert(name);
            }
            channels[&c].clone()
        } else if let Some(u) = n.user_id {
            if let std::collections::hash_map::Entry::Vacant(e) = users.entry(u) {
                let name = s.accounts.user_by_id(u).await?.map(|u| u.username);
                e.insert(name.unwrap_or_else(|| format!("user {u} (removed)")));
            }
            let method = match n.contact_method_id {
                Some(m) => {
                    if let std::collections::hash_map::Entry::Vacant(e) = methods.entry(m) {
                        let name = match s.store.get_contact_method(u, m).await {
                            Ok(cm) => cm.name,
                            Err(tocsin_store::StoreError::NotFound(_)) => {
                                "a removed contact method".to_owned()
                            }
                            Err(e) => return Err(e.into()),
                        };
                        e.insert(name);
                    }
                    methods[&m].clone()
                }
                None => "no contact method".to_owned(),
            };
            format!("{} · {}", users[&u], method)
        } else {
            "nobody".to_owned()
        };
        out.push(who);
    }
    Ok(out)
}

fn status_badge(s: DeliveryStatus) -> Markup {
    html! { span class={"badge nt-" (s.as_str())} { (s.as_str()) } }
}

/// The section, or nothing when paging sent nothing about the incident.
pub async fn section(
    s: &AppState, caller: &Caller, incident: IncidentId,
) -> Result<Markup, ApiError> {
    let all = s
        .store
        .incident_notifications(caller.reads(), incident)
        .await?;
    let who = recipients(s, caller, &all).await?;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(fmt_time).unwrap_or_else(|| "—".to_owned())
    };
    Ok(html! {
        section.card #notifications {
            h2 { "Notifications" }
            @if all.is_empty() {
                p.muted { "Paging has sent nothing about this incident." }
            } @else {
                p.muted { "Oldest first. The delivery id is what receivers get as " code { "X-Tocsin-Delivery" } "." }
                div.table-wrap {
                    table {
                        thead { tr {
                            th { "Kind" } th { "Step" } th { "Recipient" } th { "Status" } th { "Attempts" }
                            th.opt { "Next attempt" } th { "Sent" } th.opt { "Delivery id" } th { "Error" }
                        } }
                        tbody {
                            @for (n, who) in all.iter().zip(&who) {
                                tr data-notification=(n.id) data-status=(n.status.as_str()) {
                                    td.nowrap { (n.kind.as_str()) }
                                    td { (n.step + 1) " (pass " (n.loop_ + 1) @if n.round > 0 { ", run " (n.round + 1) } ")" }
                                    td { (who) }
                                    td { (status_badge(n.status)) }
                                    td { (n.attempts) }
                                    td.opt { (time(n.next_attempt_at.filter(|_| n.status.is_open()))) }
                                    td { (time(n.sent_at)) }
                                    td.opt { code.delivery-id { (n.id) } }
                                    td { (n.error.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}
