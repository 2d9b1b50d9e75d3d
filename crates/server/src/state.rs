use std::sync::Arc;

use tocsin_store::{AccountStore, Store};

use crate::keys::KeyCache;
use crate::limits::{Limits, LimitsConfig};
use crate::telemetry::Metrics;

/// What every handler can reach. Cloned per request (all `Arc`s).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Users, members, sessions, audit: usually the same database as `store`.
    pub accounts: Arc<dyn AccountStore>,
    /// The base of the webhook URLs we show, without a trailing slash.
    pub public_url: Arc<str>,
    pub keys: Arc<KeyCache>,
    /// Each service's compiled noise rules and windows (issue 18).
    pub noise: Arc<crate::noise_cache::NoiseCache>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    /// SHA-256 of the token `/metrics` requires (`None`: open).
    pub metrics_token: Option<[u8; 32]>,
    /// The outbound senders (webhooks, Slack, email), shared with the paging engine. `None`
    /// only in states built without them; "send test" then answers 503.
    pub notifier: Option<Arc<crate::notify::Sender>>,
    /// Pokes the paging engine after a commit that may have made a step due.
    pub wake: crate::engine::Wake,
    /// This node's name on its delivery claims (`--node-id`).
    pub node_id: Arc<str>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, accounts: Arc<dyn AccountStore>, public_url: &str) -> Self {
        Self {
            store,
            accounts,
            public_url: Arc::from(public_url.trim_end_matches('/')),
            keys: Arc::new(KeyCache::default()),
            noise: Arc::new(crate::noise_cache::NoiseCache::default()),
            metrics: Arc::new(Metrics::default()),
            limits: Arc::new(Limits::default()),
            metrics_token: None,
            notifier: None,
            wake: crate::engine::Wake::default(),
            node_id: Arc::from("tocsin"),
        }
    }

    pub fn with_limits(mut self, config: LimitsConfig) -> Self {
        self.limits = Arc::new(Limits::new(config));
        self
    }

    /// Require `Authorization: Bearer <token>` on `/metrics`.
    pub fn with_metrics_token(mut self, token: Option<&str>) -> Self {
        self.metrics_token = token.map(tocsin_core::secret::hash);
        self
    }

    /// The senders, and the paging engine that `serve` runs with them as `node_id`.
    pub fn with_notifier(mut self, sender: Arc<crate::notify::Sender>, node_id: &str) -> Self {
        self.notifier = Some(sender);
        self.node_id = Arc::from(node_id);
        self
    }

    /// Session cookies get `Secure` when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
