//! First start: an empty database gets a Default Team, a Default Service and an admin token,
//! so a new user can copy a webhook URL without any set-up.

use tocsin_core::secret;
use tocsin_store::{AccountStore, Bootstrap, NewUser, Store, StoreError};

use crate::secrets::{check_given_token, new_api_token, new_service_key};

pub const DEFAULT_TEAM: &str = "Default Team";
pub const DEFAULT_SERVICE: &str = "Default Service";

/// What the first start did.
pub enum FirstStart {
    /// The database already had data.
    AlreadyInitialised,
    /// Created; the admin token was given by the operator (`TOCSIN_ADMIN_TOKEN`).
    CreatedWithGivenToken,
    /// Created with a generated admin token, to be shown once.
    CreatedWithNewToken(String),
}

pub async fn first_start(
    store: &dyn Store, given_token: Option<&str>,
) -> Result<FirstStart, StoreError> {
    let token = given_token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    // Checked again here (the binary checks before opening the database) so no caller can
    // bootstrap with a weak token.
    check_admin_token(token.as_deref()).map_err(StoreError::Other)?;
    let generated = token.is_none();
    let token = token.unwrap_or_else(new_api_token);
    let created = store
        .bootstrap(Bootstrap {
            team_name: DEFAULT_TEAM.into(),
            service_name: DEFAULT_SERVICE.into(),
            service_api_key: new_service_key(),
            admin_token_name: "admin".into(),
            admin_token_hash: secret::hash(&token),
        })
        .await?;
    Ok(match (created, generated) {
        (false, _) => FirstStart::AlreadyInitialised,
        (true, false) => FirstStart::CreatedWithGivenToken,
        (true, true) => FirstStart::CreatedWithNewToken(token),
    })
}

/// Refuse a weak `TOCSIN_ADMIN_TOKEN` ([`check_given_token`]), at every start and not only
/// the first: a weak token already in the database is as weak as a new one, and the operator
/// should hear about it. `None` or blank (a token will be generated) passes.
pub fn check_admin_token(given: Option<&str>) -> Result<(), String> {
    let Some(t) = given.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    check_given_token(t).map_err(|why| {
        format!(
            "TOCSIN_ADMIN_TOKEN is too weak to be a never-expiring admin token: {why}. Choose at \
             least 32 characters mixing two kinds of letters, digits or symbols (e.g. the output \
             of `openssl rand -base64 32`), or unset it to have one generated"
        )
    })
}

pub const ADMIN_USER: &str = "admin";

/// What the first start did about the first admin user.
pub enum FirstAdmin {
    /// Users already exist.
    AlreadyExists,
    /// Created with the operator's password (`TOCSIN_ADMIN_PASSWORD`).
    CreatedWithGivenPassword,
    /// Created with a generated password, to be shown once.
    CreatedWithNewPassword(String),
}

/// Create the organisation admin user `admin` when there is no user yet (a new database, or
/// one from before accounts existed).
pub async fn first_admin(
    accounts: &dyn AccountStore, given_password: Option<&str>,
) -> Result<FirstAdmin, StoreError> {
    let given = given_password.filter(|p| !p.is_empty()).map(str::to_owned);
    if let Some(p) = &given {
        crate::passwords::check_policy(p).map_err(|e| StoreError::Other(e.detail))?;
    }
    let generated = given.is_none();
    let password = given.unwrap_or_else(|| new_api_token().replacen("tocsin_", "", 1));
    let password_hash = crate::passwords::hash(password.clone())
        .await
        .map_err(|e| StoreError::Other(e.detail))?;
    let created = accounts
        .ensure_first_admin(NewUser {
            username: ADMIN_USER.into(),
            email: "admin@localhost.localdomain".into(),
            password_hash,
            org_admin: true,
        })
        .await?;
    Ok(match (created, generated) {
        (false, _) => FirstAdmin::AlreadyExists,
        (true, false) => FirstAdmin::CreatedWithGivenPassword,
        (true, true) => FirstAdmin::CreatedWithNewPassword(password),
    })
}
