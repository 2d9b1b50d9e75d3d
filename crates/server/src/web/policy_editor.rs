//! Creating and editing an escalation policy: its name, how it loops, and its steps, each a
//! delay and the targets it notifies (picked from the team's people, channels and schedules).
//! The page renders the form; `paging.js` turns it into the API's JSON body (`POST` or `PUT
//! /api/v1/escalation-policies`), so core's rules and the store's checks answer as they do
//! for any client. Only team admins and owners get the page, as only they may save it.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use tocsin_core::paging::policy::{Repeat, Step, Target, MAX_DELAY_MINUTES, MAX_REPEAT};
use tocsin_core::paging::records::{Channel, EscalationPolicy};
use tocsin_core::{PolicyId, ScheduleId, TeamId, UserId};

use super::overview::TeamParam;
use super::paging::manages_paging;
use super::{layout, Ctx, WebCaller, WebError, WebPath};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::state::AppState;

/// Whom a team's policies can name, and the names to show for them.
pub struct Directory {
    /// The team's members, and the person looking (an org admin pages themselves without
    /// being a member).
    pub people: Vec<(UserId, String)>,
    /// Every user the caller can see, for naming targets.
    names: HashMap<UserId, String>,
    pub channels: Vec<Channel>,
    /// The team's schedules: a step may page whoever is on call on one.
    pub schedules: Vec<(ScheduleId, String)>,
}

impl Directory {
    pub async fn load(s: &AppState, caller: &Caller, team: TeamId) -> Result<Self, WebError> {
        let scope = caller.reads();
        let me = caller.user.as_ref();
        let mut people: Vec<(UserId, String)> = s
            .accounts
            .list_members(scope, team)
            .await?
            .into_iter()
            .map(|m| (m.user_id, m.username))
            .collect();
        if let Some(u) = me.filter(|u| !people.iter().any(|(id, _)| *id == u.id)) {
            people.push((u.id, u.username.clone()));
        }
        let mut names: HashMap<UserId, String> = s
            .accounts
            .list_users(scope, me.map(|u| u.id))
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        names.extend(people.iter().cloned());
        let channels = s.store.list_channels(scope, Some(team)).await?;
        let schedules = s
            .store
            .list_schedules(scope, Some(team))
            .await?
            .into_iter()
            .map(|sch| (sch.id, sch.name))
            .collect();
        Ok(Directory {
            people,
            names,
            channels,
            schedules,
        })
    }

    /// Every name the caller can see, as JSON `{user id: name}`: the schedule pages' script
    /// names the users of shifts and overrides with it (the shifts API answers ids only).
    pub fn names_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .names
            .iter()
            .map(|(id, n)| (id.to_string(), serde_json::Value::String(n.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    pub fn user_name(&self, id: UserId) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("user {id}"))
    }

    /// How a target reads in a policy's summary.
    pub fn target_label(&self, t: &Target) -> String {
        match t {
            Target::User { id } => self.user_name(*id),
            Target::Channel { id } => match self.channels.iter().find(|c| c.id == *id) {
                Some(c) => format!("channel {}", c.name),
                None => format!("channel {id} (removed)"),
            },
            Target::Schedule { id } => match self.schedules.iter().find(|(s, _)| s == id) {
                Some((_, name)) => format!("schedule {name}"),
                None => format!("schedule {id} (removed)"),
            },
        }
    }
}

/// `/paging/policies/new?team=…`
pub async fn new(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(
        &s,
        caller,
        &headers,
        q.team.as_deref(),
        "/paging/policies/new",
    )
    .await?;
    let team = ctx
        .team
        .clone()
        .ok_or_else(|| ApiError::not_found("team"))?;
    editor(&s, ctx, team.id, None).await
}

/// `/paging/policies/{id}`
pub async fn edit(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    WebPath(id): WebPath<PolicyId>,
) -> Result<Response, WebError> {
    let policy = s.store.get_policy(caller.reads(), id).await?;
    let path = format!("/paging/policies/{id}");
    let team = policy.team_id.to_string();
    let ctx = Ctx::load(&s, caller, &headers, Some(&team), &path).await?;
    editor(&s, ctx, policy.team_id, Some(policy)).await
}

async fn editor(
    s: &AppState, ctx: Ctx, team: TeamId, policy: Option<EscalationPolicy>,
) -> Result<Response, WebError> {
    if !manages_paging(&ctx.caller.grants, team) {
        return Err(ApiError::forbidden(
            "only the team's admins and owners can edit its escalation policies",
        )
        .into());
    }
    let mut dir = Directory::load(s, &ctx.caller, team).await?;
    // Someone the policy names stays pickable, member or not, so saving keeps them.
    if let Some(p) = &policy {
        for t in p.rules.targets() {
            if let Target::User { id } = t {
                if !dir.people.iter().any(|(u, _)| *u == id) {
                    let name = dir.user_name(id);
                    dir.people.push((id, name));
                }
            }
        }
    }
    let (url, method, title) = match &policy {
        Some(p) => (
            format!("/api/v1/escalation-policies/{}", p.id),
            "PUT",
            format!("Edit {}", p.name),
        ),
        None => (
            "/api/v1/escalation-policies".to_owned(),
            "POST",
            "New escalation policy".to_owned(),
        ),
    };
    let first = Step {
        delay_minutes: 0,
        round_robin: false,
        targets: vec![],
    };
    let steps = policy
        .as_ref()
        .map(|p| p.rules.steps.clone())
        .unwrap_or_else(|| vec![first]);
    let repeat = policy
        .as_ref()
        .map(|p| p.rules.repeat)
        .unwrap_or(Repeat::Times(0));
    let ack = policy.as_ref().and_then(|p| p.rules.ack_timeout_minutes);
    let team_name = ctx
        .team
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let body = html! {
        p.muted { a href={"/paging?team=" (team)} { "Paging · " (team_name) } " / " (title) }
        h1 { (title) }
        form.card #policy-form data-policy-url=(url) data-policy-method=(method)
            data-team=(team) data-done={"/paging?team=" (team)} {
            label for="policy-name" { "Name" }
            input #policy-name type="text" name="name" required maxlength="100"
                value=(policy.as_ref().map(|p| p.name.as_str()).unwrap_or(""));
            div.row {
                div {
                    label for="policy-repeat" { "When the last step has fired" }
                    select #policy-repeat name="repeat" {
                        @for n in 0..=MAX_REPEAT {
                            option value=(n) selected[repeat == Repeat::Times(n)] {
                                @if n == 0 { "Stop" } @else { "Start again, " (n) " more time" @if n > 1 { "s" } }
                            }
                        }
                        option value="until_acknowledged" selected[repeat == Repeat::UntilAcknowledged] { "Start again until acknowledged" }
                    }
                }
                div {
                    label for="policy-ack" { "Escalate again if acknowledged but not resolved after (minutes; empty: never)" }
                    input #policy-ack type="number" name="ack_timeout_minutes" min="1" max=(MAX_DELAY_MINUTES)
                        value=[ack];
                }
            }
            h2 { "Steps" }
            div #steps {
                @for (i, step) in steps.iter().enumerate() { (step_fields(i, Some(step), &dir)) }
            }
            p { button.secondary type="button" data-add-step="1" { "Add step" } }
            template #step-template { (step_fields(steps.len(), None, &dir)) }
            p.error role="alert" hidden {}
            p { button type="submit" { @if policy.is_some() { "Save policy" } @else { "Create policy" } } }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, &title, "Paging", body)))
}

/// One step: its delay, round robin, and a checkbox per person and channel. Inputs are inside
/// their labels, so the same fields repeat without ids.
fn step_fields(i: usize, step: Option<&Step>, dir: &Directory) -> Markup {
    let has = |t: Target| step.is_some_and(|s| s.targets.contains(&t));
    html! {
        fieldset.step {
            legend { "Step " (i + 1) }
            div.row {
                div {
                    label {
                        "Delay (minutes after the previous step, or after the incident opened for the first)"
                        input.step-delay type="number" min="0" max=(MAX_DELAY_MINUTES) required
                            value=(step.map(|s| s.delay_minutes).unwrap_or(0));
                    }
                }
                div {
                    label.check {
                        input.step-rr type="checkbox" checked[step.is_some_and(|s| s.round_robin)];
                        "Round robin (one target per firing, in turn)"
                    }
                }
            }
            fieldset.targets {
                legend { "Notify" }
                @for (id, name) in &dir.people {
                    label.check {
                        input type="checkbox" data-target-type="user" data-target-id=(id)
                            checked[has(Target::User { id: *id })];
                        (name)
                    }
                }
                @for c in &dir.channels {
                    label.check {
                        input type="checkbox" data-target-type="channel" data-target-id=(c.id)
                            checked[has(Target::Channel { id: c.id })];
                        "channel " (c.name)
                    }
                }
                @for (id, name) in &dir.schedules {
                    label.check {
                        input type="checkbox" data-target-type="schedule" data-target-id=(id)
                            checked[has(Target::Schedule { id: *id })];
                        "schedule " (name)
                    }
                }
                @if dir.people.is_empty() && dir.channels.is_empty() && dir.schedules.is_empty() {
                    p.muted { "The team has no members, channels or schedules to notify." }
                }
            }
            p { button.secondary type="button" data-remove-step="1" { "Remove step" } }
        }
    }
}
