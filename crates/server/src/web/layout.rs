use maud::{html, Markup, DOCTYPE};

use super::Ctx;

/// Everything a page loads: served by Tocsin itself, no CDN.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tocsin" }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/app.js" defer {}
            script src="/assets/paging.js" defer {}
            script src="/assets/schedules.js" defer {}
            script src="/assets/kapacitor.js" defer {}
            script src="/assets/noise.js" defer {}
        }
    }
}

/// The frame of every signed-in page: navigation, team picker, content.
pub fn page(ctx: &Ctx, title: &str, nav: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/" { "Tocsin" }
                    nav aria-label="Main" {
                        @for (href, label) in [("/", "Overview"), ("/services", "Services"), ("/incidents", "Incidents"), ("/paging", "Paging"), ("/schedules", "Schedules"), ("/kapacitor", "Kapacitor")] {
                            a href=(href) aria-current=[(label == nav).then_some("page")] { (label) }
                        }
                    }
                    span.spacer {}
                    form method="get" action=(ctx.path) {
                        label for="team-picker" { "Team" }
                        select id="team-picker" name="team" data-autosubmit="1" {
                            @for t in &ctx.teams {
                                option value=(t.id) selected[ctx.team_id() == Some(t.id)] { (t.name) }
                            }
                        }
                        noscript { button type="submit" { "Switch" } }
                    }
                    @if ctx.caller.user.is_some() {
                        a.account-link href="/account" title="Your account" { (ctx.caller.actor()) }
                    } @else {
                        span { (ctx.caller.actor()) }
                    }
                    button.secondary type="button" data-sign-out="1" { "Sign out" }
                }
                main { (body) }
            }
        }
    }
}

/// A page for people who are not signed in.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top { a.brand href="/" { "Tocsin" } }
                main { (body) }
            }
        }
    }
}

pub fn severity(s: tocsin_core::Severity) -> Markup {
    html! { span class={"badge sev-" (s.as_str())} { (s.as_str()) } }
}

pub fn status(s: tocsin_core::IncidentStatus) -> Markup {
    html! { span class={"badge st-" (s.as_str())} { (s.as_str()) } }
}
