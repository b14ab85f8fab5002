//! Rate limits of the relay: a token bucket per key and per client address. A bucket holds up
//! to `per_minute` requests and refills at that rate; an empty one says how long until the
//! next request would be let through (the `Retry-After` of a 429).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones (idle clients) are dropped: bounds memory under a flood of
/// addresses.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by `K`.
#[derive(Debug)]
pub struct Limiter<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash + Clone> Limiter<K> {
    /// `per_minute` requests a minute, all of them at once at most; 0 means no limit.
    pub fn new(per_minute: u32) -> Limiter<K> {
        Limiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long to wait for one.
    pub fn take(&self, key: &K) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * per_sec < capacity
            });
        }
        let b = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_sec).min(capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_cut_at_capacity_and_refills_at_the_rate() {
        let l: Limiter<&str> = Limiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take_at(&"a", t0).is_ok());
        }
        let wait = l.take_at(&"a", t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert!(l.take_at(&"b", t0).is_ok());
        // One request comes back every 20 s.
        assert!(l.take_at(&"a", t0 + Duration::from_secs(20)).is_ok());
        assert!(l.take_at(&"a", t0 + Duration::from_secs(21)).is_err());
        assert!(Limiter::<&str>::new(0).take_at(&"a", t0).is_ok());
    }
}
