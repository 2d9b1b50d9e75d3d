use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{layout, WebCaller};
use crate::json::ApiQuery;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only local paths: a login link must not send people to another site afterwards.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

pub async fn page(who: Option<WebCaller>, ApiQuery(q): ApiQuery<Next>) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    if who.is_some() {
        return Redirect::to(&next).into_response();
    }
    let body = html! {
        section.card style="max-width:26rem;margin:2rem auto" {
            h1 { "Sign in to Tocsin" }
            form data-api="/api/v1/session" data-redirect=(next) {
                label for="username" { "Username" }
                input #username type="text" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                p.error role="alert" hidden {}
                p { button type="submit" { "Sign in" } }
            }
        }
    };
    layout::bare("Sign in", body).into_response()
}
