//! The ingest path's noise step (issue 18): each service's rules and maintenance windows,
//! compiled once when loaded and kept for [`TTL`], like the key cache, so other nodes' changes
//! arrive within seconds and this node's at once (a save evicts the service). No alert
//! compiles a rule: the hot path clones an `Arc` and runs the compiled set.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use tocsin_core::model::{Scope, Service};
use tocsin_core::noise::screen::{screen, Noise, NoiseConfig, Target};
use tocsin_core::{AlertEvent, ServiceId};
use tocsin_store::{Store, StoreError};

pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

struct Entry<T> {
    value: T,
    until: Instant,
}

#[derive(Default)]
pub struct NoiseCache {
    configs: RwLock<HashMap<ServiceId, Entry<Arc<NoiseConfig>>>>,
    /// Route targets, found within their origin's team.
    services: RwLock<HashMap<ServiceId, Entry<Option<Service>>>>,
}

fn cached<T: Clone>(map: &RwLock<HashMap<ServiceId, Entry<T>>>, id: ServiceId) -> Option<T> {
    let map = map.read().ok()?;
    let e = map.get(&id)?;
    (Instant::now() < e.until).then(|| e.value.clone())
}

fn keep<T>(map: &RwLock<HashMap<ServiceId, Entry<T>>>, id: ServiceId, value: T) {
    if let Ok(mut map) = map.write() {
        if map.len() >= MAX_ENTRIES {
            let now = Instant::now();
            map.retain(|_, e| now < e.until);
        }
        map.insert(
            id,
            Entry {
                value,
                until: Instant::now() + TTL,
            },
        );
    }
}

impl NoiseCache {
    /// The service's compiled config. A stored list that no longer compiles (it was valid when
    /// saved; only a downgrade of the rule language could do this) is logged and left out, so
    /// alerts keep flowing with the windows alone.
    pub async fn config(
        &self, store: &dyn Store, service: ServiceId,
    ) -> Result<Arc<NoiseConfig>, StoreError> {
        if let Some(c) = cached(&self.configs, service) {
            return Ok(c);
        }
        let (rules, windows) = store.noise_config(service, Utc::now()).await?;
        let windows: Vec<_> = windows
            .into_iter()
            .filter_map(|w| w.window().ok().map(|win| (w.id, win)))
            .collect();
        let config = match NoiseConfig::compile(rules, windows.clone()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(service = %service, error = %e, "stored noise rules do not compile; ignoring them");
                NoiseConfig::compile(Vec::new(), windows).unwrap_or_default()
            }
        };
        let config = Arc::new(config);
        keep(&self.configs, service, config.clone());
        Ok(config)
    }

    async fn service(
        &self, store: &dyn Store, origin: &Service, id: ServiceId,
    ) -> Result<Option<Service>, StoreError> {
        if let Some(s) = cached(&self.services, id) {
            return Ok(s);
        }
        let found = match store
            .get_service(&Scope::Teams(vec![origin.team_id]), id)
            .await
        {
            Ok(s) => Some(s),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        keep(&self.services, id, found.clone());
        Ok(found)
    }

    /// Forget a service's config at once (its rules or windows changed on this node).
    pub fn evict(&self, service: ServiceId) {
        if let Ok(mut map) = self.configs.write() {
            map.remove(&service);
        }
    }

    /// The noise step for one alert of `service`: the service that handles it (the route's
    /// target, or `service`), the alert as the rules changed it, and what they decided. A
    /// route to a service that is gone or no longer in the team is not followed (logged).
    pub async fn screen(
        &self, store: &dyn Store, service: &Service, event: AlertEvent,
    ) -> Result<(Service, AlertEvent, Noise), StoreError> {
        let origin = self.config(store, service.id).await?;
        if origin.is_empty() {
            return Ok((service.clone(), event, Noise::default()));
        }
        let s = screen(&origin, event);
        let routed = match s.route().filter(|id| *id != service.id) {
            Some(id) => match self.service(store, service, id).await? {
                Some(t) => Some((self.config(store, t.id).await?, t)),
                None => {
                    tracing::warn!(service = %service.id, target = %id, "a noise rule routes to a service that is not in the team; not routed");
                    None
                }
            },
            None => None,
        };
        let target = routed.as_ref().map(|(cfg, t)| Target {
            id: t.id,
            name: &t.name,
            config: cfg,
        });
        let (event, noise) = s.finish(&origin, &service.name, target, Utc::now());
        let handler = routed.map_or_else(|| service.clone(), |(_, t)| t);
        Ok((handler, event, noise))
    }
}
