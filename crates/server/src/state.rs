use std::sync::Arc;

use tocsin_store::Store;

use crate::keys::KeyCache;
use crate::limits::{Limits, LimitsConfig};
use crate::telemetry::Metrics;

/// What every handler can reach. Cloned per request (all `Arc`s).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The base of the webhook URLs we show, without a trailing slash.
    pub public_url: Arc<str>,
    pub keys: Arc<KeyCache>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, public_url: &str) -> Self {
        Self {
            store,
            public_url: Arc::from(public_url.trim_end_matches('/')),
            keys: Arc::new(KeyCache::default()),
            metrics: Arc::new(Metrics::default()),
            limits: Arc::new(Limits::default()),
        }
    }

    pub fn with_limits(mut self, config: LimitsConfig) -> Self {
        self.limits = Arc::new(Limits::new(config));
        self
    }
}
