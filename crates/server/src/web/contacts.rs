//! The account page's paging sections: how a person is reached (contact methods) and when
//! each is used (notification rules). Only the person themselves sees these (the API lets an
//! org admin manage anyone's, but the page is "your account"), so every control is theirs.
//!
//! A webhook's signing secret is in the answer that creates it and nowhere else: the script
//! shows it once, in the page, and the list never has it.

use maud::{html, Markup};
use tocsin_core::paging::records::{ContactMethod, MethodKind, NotificationRule};
use tocsin_core::UserId;

use super::WebError;
use crate::state::AppState;

/// The contact methods and rules of `user`, for the account page.
pub async fn sections(s: &AppState, user: UserId) -> Result<Markup, WebError> {
    let methods = s.store.list_contact_methods(user).await?;
    let rules = s.store.list_notification_rules(user).await?;
    Ok(html! {
        (methods_card(user, &methods))
        (rules_card(user, &methods, &rules))
    })
}

/// "Webhook", "Slack", "Email": how the kinds read in the page.
pub fn kind_label(k: MethodKind) -> &'static str {
    match k {
        MethodKind::Webhook => "Webhook",
        MethodKind::Slack => "Slack-compatible webhook",
        MethodKind::Email => "Email",
    }
}

/// The type select, and a URL and an address field of which the script keeps only the one
/// the type needs enabled (a disabled field is not sent). Shared by contact methods and team
/// channels: both take `{type, name, url | address}`.
pub fn destination_fields(prefix: &str) -> Markup {
    let (kind, name, url, address) = (
        format!("{prefix}-type"),
        format!("{prefix}-name"),
        format!("{prefix}-url"),
        format!("{prefix}-address"),
    );
    html! {
        div.row {
            div {
                label for=(kind) { "Type" }
                select id=(kind) name="type" data-destination-type=(prefix) {
                    @for k in [MethodKind::Webhook, MethodKind::Slack, MethodKind::Email] {
                        option value=(k.as_str()) { (kind_label(k)) }
                    }
                }
            }
            div {
                label for=(name) { "Name" }
                input id=(name) type="text" name="name" required maxlength="100";
            }
        }
        div data-target-field="url" {
            label for=(url) { "URL" }
            input id=(url) type="url" name="url" required maxlength="2048" placeholder="https://";
        }
        div data-target-field="address" hidden {
            label for=(address) { "Email address" }
            input id=(address) type="email" name="address" required maxlength="254" disabled;
        }
    }
}

/// `url` or `address`, whichever the kind has.
pub fn target_cell(kind: MethodKind, target: &str) -> Markup {
    html! {
        @if kind == MethodKind::Email { (target) } @else { code { (target) } }
    }
}

fn methods_card(user: UserId, methods: &[ContactMethod]) -> Markup {
    let base = format!("/api/v1/users/{user}/contact-methods");
    html! {
        section.card.spaced #contact-methods {
            h2 { "Contact methods" }
            p.muted { "Where paging reaches you. With no notification rules, every contact method is used as soon as you are paged." }
            div.table-wrap {
                table {
                    thead { tr { th { "Type" } th { "Name" } th { "URL or address" } th { "" } } }
                    tbody {
                        @for m in methods {
                            @let result = format!("test-result-{}", m.id);
                            tr data-contact-method=(m.id) {
                                td { (kind_label(m.kind)) }
                                td { (m.name) }
                                td { (target_cell(m.kind, &m.target)) }
                                td {
                                    div.row {
                                        button.secondary type="button" data-test-send={(base) "/" (m.id) "/test"}
                                            data-result-id=(result) { "Send test" }
                                        button.secondary type="button" data-action-method="DELETE"
                                            data-action-url={(base) "/" (m.id)}
                                            data-confirm={"Delete the contact method " (m.name) "? Its notification rules go with it."}
                                            { "Delete" }
                                    }
                                    p id=(result) role="status" hidden {}
                                }
                            }
                        }
                        @if methods.is_empty() { tr { td colspan="4" { "No contact methods yet: paging cannot reach you." } } }
                    }
                }
            }
            p.error.action-error role="alert" hidden {}
            h3 { "Add a contact method" }
            form data-destination-api=(base) data-secret-panel="contact-secret" {
                (destination_fields("cm"))
                p.error role="alert" hidden {}
                p { button type="submit" { "Add contact method" } }
            }
            (secret_panel("contact-secret"))
        }
    }
}

/// Where the script shows a new webhook's signing secret, once.
pub fn secret_panel(id: &str) -> Markup {
    let value = format!("{id}-value");
    html! {
        div.card.notice id=(id) role="status" hidden {
            p { strong data-secret-title="1" { "Added." } }
            div data-secret-block="1" {
                p { "This webhook's signing secret (HMAC-SHA256 of " code { "X-Tocsin-Signature" } "). "
                    strong { "Store it now: it is not shown again." } }
                div.copyline {
                    input id=(value) type="text" readonly aria-label="Signing secret";
                    button type="button" data-copy=(value) { "Copy" }
                }
            }
            p { button type="button" data-reload="1" { "Done" } }
        }
    }
}

fn rules_card(user: UserId, methods: &[ContactMethod], rules: &[NotificationRule]) -> Markup {
    let base = format!("/api/v1/users/{user}/notification-rules");
    let name = |id| {
        methods
            .iter()
            .find(|m| m.id == id)
            .map(|m| format!("{} ({})", m.name, kind_label(m.kind)))
            .unwrap_or_else(|| "a removed contact method".to_owned())
    };
    html! {
        section.card.spaced #notification-rules {
            h2 { "Notification rules" }
            p.muted { "When you are paged: after how many minutes each contact method is used." }
            div.table-wrap {
                table {
                    thead { tr { th { "After" } th { "Contact method" } th { "" } } }
                    tbody {
                        @for r in rules {
                            tr {
                                td { (r.delay_minutes) " min" }
                                td { (name(r.contact_method_id)) }
                                td {
                                    button.secondary type="button" data-action-method="DELETE"
                                        data-action-url={(base) "/" (r.id)} { "Delete" }
                                }
                            }
                        }
                        @if rules.is_empty() { tr { td colspan="3" { "No rules: every contact method is used at once." } } }
                    }
                }
            }
            p.error.action-error role="alert" hidden {}
            @if methods.is_empty() {
                p.muted { "Add a contact method first." }
            } @else {
                h3 { "Add a rule" }
                form data-api=(base) {
                    div.row {
                        div {
                            label for="rule-method" { "Contact method" }
                            select #rule-method name="contact_method_id" {
                                @for m in methods { option value=(m.id) { (m.name) " (" (kind_label(m.kind)) ")" } }
                            }
                        }
                        div {
                            label for="rule-delay" { "After (minutes)" }
                            input #rule-delay type="number" name="delay_minutes" data-json="number"
                                min="0" max="1440" value="0" required;
                        }
                        div.shrink { button type="submit" { "Add rule" } }
                    }
                    p.error role="alert" hidden {}
                }
            }
        }
    }
}
