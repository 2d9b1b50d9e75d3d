//! Making new secrets: webhook keys and API tokens, 256 random bits, URL-safe.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

fn random(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A service's webhook key: the secret in its ingestion URL.
pub fn new_service_key() -> String {
    random("")
}

/// An API token; the prefix makes leaked tokens easy to find by secret scanners.
pub fn new_api_token() -> String {
    random("tocsin_")
}

/// A webhook contact method's or channel's signing secret (the HMAC key of
/// `X-Tocsin-Signature`), shown once when it is created.
pub fn new_signing_secret() -> String {
    random("")
}

/// A heartbeat's check-in key: the secret in its check-in URL.
pub fn new_heartbeat_key() -> String {
    random("")
}

/// A secret calendar feed's token: the credential in its URL.
pub fn new_calendar_token() -> String {
    random("")
}

/// The shortest admin token an operator may choose.
pub const MIN_GIVEN_TOKEN_CHARS: usize = 32;
/// Different characters a chosen token needs (against `aaaa…a1`-style padding).
pub const MIN_GIVEN_TOKEN_DISTINCT: usize = 12;

/// Whether a token the operator chose (`TOCSIN_ADMIN_TOKEN`) is strong enough to be a
/// never-expiring organisation-admin credential: at least [`MIN_GIVEN_TOKEN_CHARS`]
/// characters, from at least two of the kinds lowercase letters, capitals, digits and other
/// characters, with at least [`MIN_GIVEN_TOKEN_DISTINCT`] different ones. Two kinds, not
/// three, so `openssl rand -hex 32` and a UUID pass; the length does the work. The error says
/// what is missing, never the token.
pub fn check_given_token(token: &str) -> Result<(), String> {
    let chars = token.chars().count();
    if chars < MIN_GIVEN_TOKEN_CHARS {
        return Err(format!(
            "it has {chars} characters; at least {MIN_GIVEN_TOKEN_CHARS} are needed"
        ));
    }
    let kinds = [
        token.chars().any(|c| c.is_lowercase()),
        token.chars().any(|c| c.is_uppercase()),
        token.chars().any(|c| c.is_ascii_digit()),
        token
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 2 {
        return Err(
            "it uses one kind of character; mix at least two of lowercase letters, capitals, digits and symbols"
                .into(),
        );
    }
    let distinct = token
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if distinct < MIN_GIVEN_TOKEN_DISTINCT {
        return Err(format!(
            "it has only {distinct} different characters; at least {MIN_GIVEN_TOKEN_DISTINCT} are needed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_admin_tokens_are_refused() {
        for weak in [
            "admin",
            "",
            "changeme-changeme",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abcdefghijklmnopqrstuvwxyzabcdefgh",
            "password1password1password1password1",
            "Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1",
        ] {
            let e = check_given_token(weak).expect_err(weak);
            if !weak.is_empty() {
                assert!(!e.contains(weak), "the error repeats the token: {e}");
            }
        }
    }

    #[test]
    fn strong_admin_tokens_pass_including_every_one_our_scripts_use() {
        for strong in [
            // crates/cli/tests/it/support.rs, tests/browser/support.mjs, bench/run.sh,
            // scripts/bench-ingest, scripts/schemathesis's shape.
            "tocsin_test_admin_token_0123456789abcdef",
            "tocsin_browser_admin_token_0123456789",
            "bench_admin_token_0123456789abcdef0123",
            "tocsin_schemathesis_00112233445566778899aabbccddeeff",
            // openssl rand -hex 32; -base64 32; uuidgen.
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "q1Zx7lB0m4k2yP6c+Vh8dE3tW9sN5rJ/aU0oG1iF2Xw=",
            "3b241101-e2bb-4255-8caf-4136c566a962",
        ] {
            assert_eq!(check_given_token(strong), Ok(()), "{strong}");
        }
    }

    #[test]
    fn tokens_we_generate_would_pass() {
        for _ in 0..1000 {
            let t = new_api_token();
            assert_eq!(check_given_token(&t), Ok(()), "{t}");
        }
    }
}
