//! Limits that keep one noisy sender, a slow client or a flood of connections from taking the
//! server down for everyone else.
//!
//! [`RateLimiter`] is a keyed token bucket, generic over the key so the same code limits
//! alerts per service key and sign-in attempts per username and per client address. It is
//! hand-written rather than taken from `governor`: we need the exact wait for `Retry-After`,
//! a bound on memory for keys that stop sending, and nothing else, which is a few lines here.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tocsin_core::ServiceId;

/// Every limit the server enforces, set from flags. The defaults are generous: Kapacitor does
/// not retry a refused POST, so a limit should only ever stop something abnormal.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Alerts per second each service key may send, sustained; 0 turns the limit off.
    pub per_key_per_second: u32,
    /// Alerts a service key may send at once above the sustained rate.
    pub per_key_burst: u32,
    /// The longest a request may take, body reading included, before a 408.
    pub request_timeout: Duration,
    /// The longest a client may take to send a request's headers (slowloris), and the longest
    /// an idle keep-alive connection is kept.
    pub header_read_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_key_per_second: 1000,
            per_key_burst: 2000,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// The limits' live state, shared by every request.
pub struct Limits {
    pub config: LimitsConfig,
    pub per_key: Option<RateLimiter<ServiceId>>,
    /// Sign-in attempts per username and per client address (see [`SignIn`]).
    pub sign_in: SignIn,
    /// Unix seconds of the last "rate limited" warning, so a flood logs once a second.
    last_warning: AtomicU64,
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        let per_key = (config.per_key_per_second > 0)
            .then(|| RateLimiter::new(config.per_key_per_second, config.per_key_burst));
        Self {
            config,
            per_key,
            sign_in: SignIn::default(),
            last_warning: AtomicU64::new(0),
        }
    }

    /// Whether a warning about refusals should be logged now (at most one a second).
    pub fn should_warn(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.last_warning.swap(now, Ordering::Relaxed) != now
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(LimitsConfig::default())
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per key: `burst` tokens, refilled at `per_second`; each request takes one.
pub struct RateLimiter<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// Keys tracked before idle ones are forgotten (a full bucket is the same as no bucket).
const MAX_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self::per_minute(per_second.max(1).saturating_mul(60), burst)
    }

    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token for `key`, or say how long until one is available.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; limiting is not worth refusing alerts.
            return Ok(());
        };
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + rate * now.duration_since(b.at).as_secs_f64() < burst);
        }
        let b = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_second))
        }
    }
}

/// Password guessing is slowed per username (so one account cannot be tried from many
/// addresses) and per client address (so one client cannot try many accounts). Every attempt
/// takes a token, right or wrong: a person signs in a few times an hour, and refusing before
/// the password is checked keeps a flood from burning argon2 time. The address is the TCP
/// peer; behind a reverse proxy that is the proxy, which is why its limit is the looser one.
/// A refusal names neither limit, so it says nothing about whether the account exists.
pub struct SignIn {
    per_user: RateLimiter<String>,
    per_addr: RateLimiter<IpAddr>,
}

/// Attempts per username: 10 at once, then one every 6 s.
pub const SIGN_IN_PER_USER: (u32, u32) = (10, 10);
/// Attempts per client address: 30 at once, then one every 2 s.
pub const SIGN_IN_PER_ADDR: (u32, u32) = (30, 30);

impl Default for SignIn {
    fn default() -> Self {
        Self {
            per_user: RateLimiter::per_minute(SIGN_IN_PER_USER.0, SIGN_IN_PER_USER.1),
            per_addr: RateLimiter::per_minute(SIGN_IN_PER_ADDR.0, SIGN_IN_PER_ADDR.1),
        }
    }
}

impl SignIn {
    /// Take an attempt for `username` from `addr` (unknown when the server is driven without
    /// a socket, as in-process tests do), or say how long to wait.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let by_addr = addr.map_or(Ok(()), |a| self.per_addr.check(&a));
        let by_user = self.per_user.check(&username.to_lowercase());
        match (by_addr, by_user) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(w), _) | (_, Err(w)) => Err(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill_per_key() {
        let rl = RateLimiter::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.check_at(&"a", t0), Ok(()));
        }
        let wait = rl.check_at(&"a", t0).expect_err("over the burst");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert_eq!(rl.check_at(&"b", t0), Ok(()));
        // 100 ms at 10/s gives one token back.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(rl.check_at(&"a", t1), Ok(()));
        assert!(rl.check_at(&"a", t1).is_err());
        // Refill stops at the burst.
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(rl.check_at(&"a", t2), Ok(()));
        }
        assert!(rl.check_at(&"a", t2).is_err());
    }

    #[test]
    fn warnings_are_throttled() {
        let l = Limits::default();
        assert!(l.should_warn());
        // Within the same second, no second warning (the test runs well within one).
        let again = l.should_warn();
        let third = l.should_warn();
        assert!(!(again && third));
    }
}
