//! Limits that keep one noisy sender, a slow client or a flood of connections from taking the
//! server down for everyone else.
//!
//! [`RateLimiter`] is a keyed token bucket, generic over the key so the same code limits
//! alerts per service key, sign-in attempts ([`SignIn`]) and failed bearer tokens per client
//! address ([`BAD_BEARERS_PER_ADDR`]). It is
//! hand-written rather than taken from `governor`: we need the exact wait for `Retry-After`,
//! a bound on memory for keys that stop sending, and nothing else, which is a few lines here.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tocsin_core::ServiceId;

/// The client a per-address limit counts: an IPv4 address (also when seen as IPv4-mapped
/// IPv6), or an IPv6 address's /64, since one host usually holds a whole /64 and could take a
/// fresh address for every attempt.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

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
    /// Connections one client address may hold at once; further ones are closed at accept, so
    /// one client cannot take every slot of [`LimitsConfig::max_connections`].
    pub max_connections_per_client: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_key_per_second: 1000,
            per_key_burst: 2000,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_client: 256,
        }
    }
}

/// The limits' live state, shared by every request.
pub struct Limits {
    pub config: LimitsConfig,
    pub per_key: Option<RateLimiter<ServiceId>>,
    /// Sign-in attempts per username and per client address (see [`SignIn`]).
    pub sign_in: SignIn,
    /// Failed bearer authentications per client address ([`BAD_BEARERS_PER_ADDR`]).
    pub bad_bearers: RateLimiter<IpAddr>,
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
            bad_bearers: RateLimiter::per_minute(BAD_BEARERS_PER_ADDR.0, BAD_BEARERS_PER_ADDR.1),
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

    /// Whether `key` has a token left, without taking it: for limits that only count failures
    /// ([`RateLimiter::check`] them when one happens), asked before the work that may fail.
    pub fn peek(&self, key: &K) -> Result<(), Duration> {
        self.peek_at(key, Instant::now())
    }

    pub fn peek_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let Some(b) = buckets.get(key) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }
}

/// Password guessing is slowed three ways, before the password is checked:
///
/// - per (username, client address): one client guessing at one account;
/// - per client address: one client trying many accounts;
/// - per username, whatever the address: many clients (a botnet) guessing at one account. This
///   backstop is slower and larger, and is only spent once the two narrower limits let an
///   attempt through, so one throttled client cannot drain it. An address that has signed in
///   to the account since the server started is *familiar* and skips it (as identity
///   providers' "smart lockout" does): a guessing crowd cannot lock the owner out of their
///   usual machine.
///
/// Every attempt counts, right or wrong: a person signs in a few times an hour, and refusing
/// before the password is checked keeps a flood from burning argon2 time. The address is the
/// TCP peer; behind a reverse proxy that is the proxy, which is why its own limit is the
/// looser one. A refusal names no limit, so it says nothing about whether the account exists.
pub struct SignIn {
    per_user_addr: RateLimiter<(String, Option<IpAddr>)>,
    per_addr: RateLimiter<IpAddr>,
    per_user: RateLimiter<String>,
    familiar: Mutex<HashSet<(String, IpAddr)>>,
}

/// Attempts per (username, client address), as (per minute, at once): 10 at once, then one
/// every 6 s.
pub const SIGN_IN_PER_USER_ADDR: (u32, u32) = (10, 10);
/// Attempts per client address: 30 at once, then one every 2 s.
pub const SIGN_IN_PER_ADDR: (u32, u32) = (30, 30);
/// Attempts per username from unfamiliar addresses: 100 at once, then one a minute.
pub const SIGN_IN_PER_USER: (u32, u32) = (1, 100);

impl Default for SignIn {
    fn default() -> Self {
        Self {
            per_user_addr: RateLimiter::per_minute(
                SIGN_IN_PER_USER_ADDR.0,
                SIGN_IN_PER_USER_ADDR.1,
            ),
            per_addr: RateLimiter::per_minute(SIGN_IN_PER_ADDR.0, SIGN_IN_PER_ADDR.1),
            per_user: RateLimiter::per_minute(SIGN_IN_PER_USER.0, SIGN_IN_PER_USER.1),
            familiar: Mutex::new(HashSet::new()),
        }
    }
}

impl SignIn {
    /// Take an attempt for `username` from `addr` (unknown when the server is driven without
    /// a socket, as in-process tests do), or say how long to wait.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        self.check_at(username, addr, Instant::now())
    }

    pub fn check_at(
        &self, username: &str, addr: Option<IpAddr>, now: Instant,
    ) -> Result<(), Duration> {
        let user = username.to_lowercase();
        let addr = addr.map(client_key);
        if let Some(a) = addr {
            self.per_addr.check_at(&a, now)?;
        }
        self.per_user_addr.check_at(&(user.clone(), addr), now)?;
        let familiar = addr.is_some_and(|a| {
            self.familiar
                .lock()
                .is_ok_and(|f| f.contains(&(user.clone(), a)))
        });
        if familiar {
            Ok(())
        } else {
            self.per_user.check_at(&user, now)
        }
    }

    /// Remember that `addr` signed in to `username`, so the per-username backstop no longer
    /// applies to it.
    pub fn signed_in(&self, username: &str, addr: Option<IpAddr>) {
        let Some(a) = addr.map(client_key) else {
            return;
        };
        if let Ok(mut f) = self.familiar.lock() {
            if f.len() >= MAX_KEYS {
                f.clear();
            }
            f.insert((username.to_lowercase(), a));
        }
    }
}

/// Failed bearer authentications per client address, as (per minute, at once): 30 at once,
/// then one every 2 s. Only failures spend it, so a busy script with a good token is never
/// slowed; once it is spent, even a good token from that address waits (429) and the token is
/// not looked up.
pub const BAD_BEARERS_PER_ADDR: (u32, u32) = (30, 30);

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
    fn peek_does_not_take_a_token() {
        let rl = RateLimiter::per_minute(60, 2);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(rl.peek_at(&"a", t0), Ok(()));
        }
        assert_eq!(rl.check_at(&"a", t0), Ok(()));
        assert_eq!(rl.check_at(&"a", t0), Ok(()));
        let wait = rl.peek_at(&"a", t0).expect_err("spent");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(rl.peek_at(&"a", t0 + Duration::from_secs(1)), Ok(()));
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn a_guesser_elsewhere_does_not_lock_the_owner_out() {
        let l = SignIn::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(l.check_at("alice", ip("10.0.0.9"), t0), Ok(()));
        }
        // The guesser's next try waits, in any letter case...
        assert!(l.check_at("ALICE", ip("10.0.0.9"), t0).is_err());
        // ...and however long it keeps trying, the owner's address is not refused.
        for i in 0..1000 {
            let t = t0 + Duration::from_millis(i * 10);
            let _ = l.check_at("alice", ip("10.0.0.9"), t);
        }
        assert_eq!(l.check_at("alice", ip("192.0.2.1"), t0), Ok(()));
    }

    #[test]
    fn many_addresses_meet_the_per_username_backstop_but_not_a_familiar_one() {
        let l = SignIn::default();
        let t0 = Instant::now();
        l.signed_in("Alice", ip("192.0.2.1"));
        // Ten addresses, ten guesses each: the backstop's 100.
        for a in 0..10 {
            for _ in 0..10 {
                assert_eq!(l.check_at("alice", ip(&format!("10.0.1.{a}")), t0), Ok(()));
            }
        }
        let wait = l
            .check_at("alice", ip("10.0.2.1"), t0)
            .expect_err("the backstop");
        assert!(wait > Duration::from_secs(30), "{wait:?}");
        // The owner's familiar address still gets in; another account is untouched.
        assert_eq!(l.check_at("alice", ip("192.0.2.1"), t0), Ok(()));
        assert_eq!(l.check_at("bob", ip("10.0.2.1"), t0), Ok(()));
        // One a minute comes back.
        assert_eq!(
            l.check_at("alice", ip("10.0.2.1"), t0 + Duration::from_secs(61)),
            Ok(())
        );
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        let a = ip("2001:db8:1:2:aaaa::1").expect("ip");
        let b = ip("2001:db8:1:2:bbbb::9").expect("ip");
        let other = ip("2001:db8:1:3::1").expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let v4 = ip("192.0.2.7").expect("ip");
        assert_eq!(client_key(ip("::ffff:192.0.2.7").expect("ip")), v4);
        assert_eq!(client_key(v4), v4);
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
