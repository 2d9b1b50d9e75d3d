use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{layout, WebCaller};
use crate::json::ApiQuery;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Where to go after signing in (the server's redirect and the form's `data-redirect`): a path
/// on this server, or `/`. A login link must not send people to another site afterwards.
///
/// Browsers read URLs generously: they drop TAB, CR and LF anywhere and take `\` for `/`, so
/// `/\t/evil.example` becomes `//evil.example`, another site. So the rule is a whitelist, not a
/// list of tricks: one leading `/` (not `//` nor `/\`) and then only characters that are the
/// same to every URL parser (RFC 3986's unreserved and reserved ones, and `%`); anything else,
/// an over-long value included, is refused whole. Percent escapes stay escaped in a redirect, so
/// `%09` is harmless once it is not a real TAB.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if is_local_path(n) => n,
        _ => "/",
    }
}

/// Longer than any page of Tocsin's with its filters.
const MAX_NEXT: usize = 2048;

fn is_local_path(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() <= MAX_NEXT
        && b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#%".contains(c))
}

pub async fn page(who: Option<WebCaller>, ApiQuery(q): ApiQuery<Next>) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    if who.is_some() {
        return Redirect::to(&next).into_response();
    }
    let body = html! {
        section.card.narrow {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::safe_next;

    /// Where a browser goes when sent to `next` from this server, parsed the way browsers
    /// parse URLs (the WHATWG URL standard, the `url` crate).
    fn lands_on(next: &str) -> Option<(String, Option<String>)> {
        let base = url::Url::parse("https://tocsin.example/login").ok()?;
        let to = base.join(next).ok()?;
        Some((to.scheme().to_owned(), to.host_str().map(str::to_owned)))
    }

    fn home() -> Option<(String, Option<String>)> {
        Some(("https".into(), Some("tocsin.example".into())))
    }

    #[test]
    fn hostile_values_become_the_root() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            " /x",
            "/x y",
            "/\u{0}x",
            "/\u{7f}x",
            "/\u{1b}[31m",
            "/x\\y",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\u{3000}/evil.example",
            "/ü",
            "/<script>",
            "/\"onmouseover=x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(5000)))), "/");
    }

    #[test]
    fn local_paths_pass_unchanged() {
        for good in [
            "/",
            "/incidents?status=open&service_id=svc_01JX",
            "/services/svc_01JX#alert-sources",
            "/%09/evil.example",
            "/a/../b",
            "/search?q=a%20b&x=(1)",
        ] {
            assert_eq!(safe_next(Some(good)), good);
            assert_eq!(lands_on(good), home(), "{good:?}");
        }
    }

    /// Text made of the pieces open redirects are made of, in any order.
    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => Just("/".to_owned()),
            2 => Just("\\".to_owned()),
            3 => "[\t\r\n\u{0}\u{b}\u{c} ]".prop_map(String::from),
            1 => Just("evil.example".to_owned()),
            1 => Just(":".to_owned()),
            1 => Just("@".to_owned()),
            1 => Just("%09".to_owned()),
            1 => "[a-z.]{1,4}",
            1 => any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the value, the browser stays on this server.
        #[test]
        fn never_leaves_the_site(next in tricky()) {
            let to = safe_next(Some(&next));
            prop_assert!(to == "/" || to == next);
            prop_assert_eq!(lands_on(to), home(), "{:?} -> {:?}", next, to);
        }

        #[test]
        fn any_text_at_all(next in any::<String>()) {
            let to = safe_next(Some(&next));
            prop_assert!(to == "/" || to == next);
            prop_assert_eq!(lands_on(to), home());
        }
    }
}
