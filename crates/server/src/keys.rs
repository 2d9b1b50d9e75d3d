//! Finding the service behind a webhook key, fast and in constant time.
//!
//! The ingest path runs for every alert, so services found by key are cached for a short time.
//! The cache is keyed by the key's hash and entries are compared with [`secret::eq`], so no
//! comparison of secrets depends on how many of their bytes matched. Entries expire quickly
//! so a key rotated on another node stops working within [`TTL`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use tocsin_core::model::Service;
use tocsin_core::secret;
use tocsin_store::{Store, StoreError};

pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<[u8; 32], (Service, Instant)>>,
}

impl KeyCache {
    pub async fn lookup(
        &self,
        store: &dyn Store,
        key: &str,
    ) -> Result<Option<Service>, StoreError> {
        let hash = secret::hash(key);
        if let Ok(map) = self.entries.read() {
            if let Some((svc, at)) = map.get(&hash) {
                if at.elapsed() < TTL && secret::eq(&secret::hash(&svc.api_key), &hash) {
                    return Ok(Some(svc.clone()));
                }
            }
        }
        let found = store.service_by_key_hash(hash).await?;
        let found = found.filter(|svc| secret::eq(&secret::hash(&svc.api_key), &hash));
        if let (Some(svc), Ok(mut map)) = (&found, self.entries.write()) {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < TTL);
            }
            map.insert(hash, (svc.clone(), Instant::now()));
        }
        Ok(found)
    }

    /// Forget a key at once (after a rotation on this node).
    pub fn evict(&self, key: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.remove(&secret::hash(key));
        }
    }
}
