//! The incident page's "Notifications": everything paging sent about the incident, to whom,
//! and how each delivery went (the store's `incident_notifications`, as the API's
//! `GET /incidents/{id}/notifications` lists it). The id shown is the delivery id receivers
//! get as `X-Tocsin-Delivery`, so a person can match what arrived with what was sent.

use std::collections::HashMap;

use maud::{html, Markup};
use tocsin_core::paging::delivery::DeliveryStatus;
use tocsin_core::paging::records::Notification;
use tocsin_core::{ChannelId, ContactMethodId, IncidentId, UserId};
use tocsin_store::StoreError;

use super::fmt_time;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Who each notification went to, as a person reads it: "ann · phone" or "channel ops".
async fn recipients(
    s: &AppState, caller: &Caller, all: &[Notification],
) -> Result<Vec<String>, ApiError> {
    // An incident pages the same few people many times: look each name up once.
    let mut users: HashMap<UserId, String> = HashMap::new();
    let mut methods: HashMap<ContactMethodId, String> = HashMap::new();
    let mut channels: HashMap<ChannelId, String> = HashMap::new();
    for n in all {
        if let Some(c) = n.channel_id.filter(|c| !channels.contains_key(c)) {
            let name = match s.store.get_channel(caller.reads(), c).await {
                Ok(ch) => format!("channel {}", ch.name),
                Err(StoreError::NotFound(_)) => format!("channel {c} (removed)"),
                Err(e) => return Err(e.into()),
            };
            channels.insert(c, name);
        }
        if let Some(u) = n.user_id.filter(|u| !users.contains_key(u)) {
            let name = s.accounts.user_by_id(u).await?.map(|u| u.username);
            users.insert(u, name.unwrap_or_else(|| format!("user {u}")));
        }
        let method = n.contact_method_id.filter(|m| !methods.contains_key(m));
        if let (Some(u), Some(m)) = (n.user_id, method) {
            let name = match s.store.get_contact_method(u, m).await {
                Ok(cm) => cm.name,
                Err(StoreError::NotFound(_)) => "a removed contact method".to_owned(),
                Err(e) => return Err(e.into()),
            };
            methods.insert(m, name);
        }
    }
    let label = |n: &Notification| match (n.channel_id, n.user_id, n.contact_method_id) {
        (Some(c), _, _) => name(&channels, &c),
        (None, Some(u), Some(m)) => format!("{} · {}", name(&users, &u), name(&methods, &m)),
        (None, Some(u), None) => name(&users, &u),
        (None, None, _) => "nobody".to_owned(),
    };
    Ok(all.iter().map(label).collect())
}

fn name<K: std::hash::Hash + Eq>(map: &HashMap<K, String>, k: &K) -> String {
    map.get(k).cloned().unwrap_or_default()
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
