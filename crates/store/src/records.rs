//! New records as both backends create them, before they are written: ids and creation
//! times are chosen here once, so a team, service or token looks the same whichever database
//! stores it.

use chrono::Utc;
use tocsin_core::model::{ApiToken, Service, Team};
use tocsin_core::{ServiceId, TeamId, TokenId};
use tokio::sync::mpsc::error::TrySendError;

use crate::{Bootstrap, NewToken, StoreError};

pub fn team(name: &str) -> Team {
    Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: Utc::now(),
    }
}

pub fn service(team: TeamId, name: &str, key: &str) -> Service {
    Service {
        id: ServiceId::new(),
        team_id: team,
        name: name.to_owned(),
        api_key: key.to_owned(),
        created_at: Utc::now(),
    }
}

pub fn token(t: &NewToken) -> ApiToken {
    ApiToken {
        id: TokenId::new(),
        name: t.name.clone(),
        role: t.role,
        user_id: t.user_id,
        team_id: t.team_id,
        created_at: Utc::now(),
        expires_at: t.expires_at,
        revoked_at: None,
        last_used_at: None,
    }
}

impl Bootstrap {
    /// The first start's admin token: organisation-wide, of no user or team, never expiring.
    pub(crate) fn admin_token(&self) -> NewToken {
        NewToken {
            name: self.admin_token_name.clone(),
            role: tocsin_core::TokenRole::OrgAdmin,
            user_id: None,
            team_id: None,
            hash: self.admin_token_hash,
            expires_at: None,
        }
    }
}

/// Why a write could not be queued: the queue is full (back off) or its writer stopped.
pub fn queue_error<T>(e: TrySendError<T>) -> StoreError {
    match e {
        TrySendError::Full(_) => StoreError::Overloaded,
        TrySendError::Closed(_) => StoreError::Unavailable("the writer has stopped".into()),
    }
}

/// The writer dropped a queued write without answering it.
pub fn abandoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("the write was abandoned".into())
}
