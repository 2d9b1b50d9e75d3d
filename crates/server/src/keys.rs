//! Finding the service behind a webhook key, fast and in constant time.
//!
//! The ingest path runs for every alert, so services found by key are cached for a short time.
//! The cache is keyed by the key's hash and entries are compared with [`secret::eq`], so no
//! comparison of secrets depends on how many of their bytes matched. Entries expire quickly
//! so a key rotated on another node stops working within [`TTL`]; a rotation on this node
//! evicts all of the service's keys at once. A previous key in its grace period is cached no longer than
//! its grace.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::Utc;
use tocsin_core::model::Service;
use tocsin_core::{secret, ServiceId};
use tocsin_store::{AccountStore, StoreError};

pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    service: Service,
    stored_hash: [u8; 32],
    until: Instant,
}

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<[u8; 32], Entry>>,
}

impl KeyCache {
    pub async fn lookup(
        &self, store: &dyn AccountStore, key: &str,
    ) -> Result<Option<Service>, StoreError> {
        let hash = secret::hash(key);
        if let Ok(map) = self.entries.read() {
            if let Some(e) = map.get(&hash) {
                if Instant::now() < e.until && secret::eq(&e.stored_hash, &hash) {
                    return Ok(Some(e.service.clone()));
                }
            }
        }
        let found = store
            .service_by_any_key_hash(hash)
            .await?
            .filter(|m| secret::eq(&m.stored_hash, &hash));
        let Some(m) = found else {
            return Ok(None);
        };
        let mut until = Instant::now() + TTL;
        if let Some(end) = m.valid_until {
            let left = (end - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            until = until.min(Instant::now() + left);
        }
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= MAX_ENTRIES {
                let now = Instant::now();
                map.retain(|_, e| now < e.until);
            }
            map.insert(
                hash,
                Entry {
                    service: m.service.clone(),
                    stored_hash: m.stored_hash,
                    until,
                },
            );
        }
        Ok(Some(m.service))
    }

    /// Forget every key of `service` at once (after a rotation on this node): its current key
    /// and any previous key still cached from a grace period. Evicting only the key being
    /// replaced left a graced key from an earlier rotation working for up to [`TTL`] after a
    /// rotation with no grace. Keys still valid are found again in the store.
    pub fn evict_service(&self, service: ServiceId) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|_, e| e.service.id != service);
        }
    }
}
