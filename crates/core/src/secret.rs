//! Secrets (webhook keys, API tokens) are high-entropy random strings, so a plain SHA-256 is
//! enough to store and look them up by: there is nothing to brute-force. Comparisons of
//! secrets go through [`eq`], whose time does not depend on how much of them matched.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Constant-time equality of two secrets' hashes.
pub fn eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// Shows a secret's first characters only, for logs and lists.
pub fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(6).collect();
    format!("{head}…")
}
