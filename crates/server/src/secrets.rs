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
