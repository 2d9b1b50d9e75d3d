//! Making request-derived text safe to write to the log.
//!
//! Two dangers: text that forges log lines or hides what it is (newlines, carriage returns,
//! terminal escape sequences, bidi overrides), and secrets in URLs (a webhook key mistyped
//! into some other path is still a password). Every `tracing` call that logs something a
//! client sent passes it through [`escape`], and every logged path through [`redact_path`].

use percent_encoding::percent_decode_str;

/// Characters of logged user text kept; the rest is cut, so a megabyte header is one short
/// line.
pub const MAX_LOGGED_CHARS: usize = 200;

/// Characters of a logged error message kept.
pub const MAX_LOGGED_ERROR_CHARS: usize = 4000;

/// What a key-shaped run of characters becomes in the log.
pub const REDACTED: &str = "<key>";

/// The shortest run of URL-safe base64 characters taken for a secret. Webhook keys are 43
/// such characters and API tokens `tocsin_` + 43 (`secrets.rs`), an operator's admin token at
/// least 32; typed ids (`inc_` + a 26-character ULID) stay below it, so they are still logged.
pub const MIN_KEY_CHARS: usize = 32;

/// `text` with every control or invisible formatting character written as a Rust escape
/// (`\n`, `\r`, `\u{1b}`, `\u{202e}`), backslashes doubled so the escapes cannot be faked,
/// and cut at [`MAX_LOGGED_CHARS`] (marked with `…`). Printable text, spaces and quotes are
/// kept as they are; the log formatter quotes string fields.
pub fn escape(text: &str) -> String {
    escape_up_to(text, MAX_LOGGED_CHARS)
}

/// [`escape`] with another length limit: error messages, which may quote what a client sent
/// but are worth reading whole, keep [`MAX_LOGGED_ERROR_CHARS`].
pub fn escape_up_to(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_invisible_format(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Unicode format characters that reorder or hide text on a terminal or in a log viewer:
/// bidi controls, zero-width characters, line and paragraph separators, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A request path (and query, if one is given) fit for the log: percent-decoded (repeatedly,
/// so `%252F` hides nothing), then every run of at least [`MIN_KEY_CHARS`] URL-safe base64
/// characters replaced by [`REDACTED`], whatever route it is on and in any letter case. So
/// `/v1/incidents/kapacitor/<key>`, `/api/v1/incidents/kapacitor/<key>`, `/V1/…` and
/// `…kapacitor%2F<key>` all lose the key. The result still needs [`escape`] (decoding can
/// produce a newline).
pub fn redact_path(path: &str) -> String {
    let mut text = path.to_owned();
    for _ in 0..4 {
        let decoded = percent_decode_str(&text).decode_utf8_lossy().into_owned();
        if decoded == text {
            break;
        }
        text = decoded;
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= MIN_KEY_CHARS {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_key_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::secrets::{new_api_token, new_service_key};

    #[test]
    fn newlines_and_terminal_escapes_cannot_forge_lines() {
        let forged = "bob\nINFO tocsin: sign-in ok username=admin\r\x1b[2J\u{202e}";
        let e = escape(forged);
        assert_eq!(
            e,
            "bob\\nINFO tocsin: sign-in ok username=admin\\r\\u{1b}[2J\\u{202e}"
        );
        assert!(!e.chars().any(char::is_control));
        // A typed backslash-n is not confused with an escaped newline.
        assert_eq!(escape("a\\nb"), "a\\\\nb");
        assert_eq!(escape("plain name ü"), "plain name ü");
        let long = "x".repeat(10_000);
        assert_eq!(escape(&long).chars().count(), MAX_LOGGED_CHARS + 1);
    }

    #[test]
    fn keys_are_cut_from_any_path_in_any_case_and_encoding() {
        let key = new_service_key();
        let token = new_api_token();
        let upper = key.to_uppercase();
        for path in [
            format!("/v1/incidents/kapacitor/{key}"),
            format!("/api/v1/incidents/kapacitor/{key}"),
            format!("/V1/INCIDENTS/KAPACITOR/{upper}"),
            format!("/v1/incidents/kapacitor%2F{key}"),
            format!("/v1/incidents/kapacitor%252F{key}"),
            format!("/services/{key}/edit"),
            format!("/v1/incidents/kapacitor/{key}?key={token}"),
            format!(
                "/x/{}",
                key.chars()
                    .map(|c| format!("%{:02X}", c as u32))
                    .collect::<String>()
            ),
        ] {
            let r = redact_path(&path);
            assert!(!r.contains(&key), "{path} -> {r}");
            assert!(!r.contains(&upper), "{path} -> {r}");
            assert!(!r.contains(&token), "{path} -> {r}");
            assert!(r.contains(REDACTED), "{path} -> {r}");
        }
        assert_eq!(
            redact_path(&format!("/v1/incidents/kapacitor/{key}")),
            "/v1/incidents/kapacitor/<key>"
        );
        // A secret calendar URL loses its token, keeping the route readable.
        let feed = crate::secrets::new_calendar_token();
        assert_eq!(
            redact_path(&format!("/calendar/{feed}.ics")),
            "/calendar/<key>.ics"
        );
    }

    #[test]
    fn heartbeat_check_in_keys_are_cut_too() {
        let key = crate::secrets::new_heartbeat_key();
        for path in [
            format!("/v1/heartbeats/{key}"),
            format!("/v1/heartbeats/{key}?x=1"),
        ] {
            let logged = redact_path(&path);
            assert!(!logged.contains(&key), "{logged}");
            assert!(logged.starts_with("/v1/heartbeats/"), "{logged}");
        }
    }

    #[test]
    fn ordinary_paths_and_ids_are_kept() {
        for p in [
            "/api/v1/incidents",
            "/api/v1/incidents/inc_01JDQ3Z5K2M8N9P0Q1R2S3T4V5/acknowledge",
            "/teams/team_01JDQ3Z5K2M8N9P0Q1R2S3T4V5",
            "/healthz",
        ] {
            assert_eq!(redact_path(p), p);
        }
        assert_eq!(redact_path("/a%20b"), "/a b");
    }

    proptest! {
        #[test]
        fn escaped_text_never_holds_a_control_character(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.chars().any(|c| c.is_control() || is_invisible_format(c)));
            prop_assert!(e.chars().count() <= MAX_LOGGED_CHARS + 1);
        }

        #[test]
        fn a_key_anywhere_in_a_path_is_never_logged(
            bytes in any::<[u8; 32]>(),
            before in "[a-zA-Z0-9/%._~-]{0,30}",
            after in "[/?&=.~%]{1}[a-zA-Z0-9/._~-]{0,30}",
            upper in any::<bool>(),
        ) {
            use base64::Engine;
            let mut key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            if upper {
                key = key.to_uppercase();
            }
            let r = redact_path(&format!("/{before}/{key}{after}"));
            prop_assert!(!r.to_lowercase().contains(&key.to_lowercase()[..MIN_KEY_CHARS]), "{}", r);
        }
    }
}
