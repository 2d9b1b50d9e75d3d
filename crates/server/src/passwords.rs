//! Passwords: argon2id, hashed and checked on the blocking pool because each costs tens of
//! milliseconds of CPU on purpose.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ApiError;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 1024;

pub fn check_policy(password: &str) -> Result<(), ApiError> {
    check_field("password", password)
}

/// The policy for a new password sent in `field`.
pub fn check_field(field: &str, password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `{field}`: must be {MIN_LEN}–{MAX_LEN} characters"),
        ));
    }
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal("password hashing", e)
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// A hash to check against when the user does not exist, so an unknown name takes as long
/// as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        SaltString::encode_b64(b"tocsin-decoy-salt")
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"decoy password", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

/// Whether `password` matches `stored` (a PHC string); with no stored hash, checks a decoy.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let stored = stored.unwrap_or_else(|| decoy().to_owned());
        let ok = match PasswordHash::new(&stored) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        ok && real
    })
    .await
    .map_err(internal)
}
