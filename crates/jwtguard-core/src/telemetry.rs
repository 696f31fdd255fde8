//! Metrics, through the [`metrics`](https://docs.rs/metrics) facade when the `metrics` feature is
//! on (any recorder: the quickstarts install the Prometheus exporter); every function here is an
//! empty inline function without it. Every jwtguard crate reports through this one module, so the
//! names below are the whole list. Label values are fixed words (outcomes, error kinds,
//! algorithm names), never a subject, a token or any value a client chooses.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `jwtguard_requests_total` | counter | `outcome` (`allowed`, `anonymous`, `denied`), `error` (the [`ErrorKind`] when denied) |
//! | `jwtguard_verification_seconds` | histogram | `alg` |
//! | `jwtguard_cache_hits_total`, `jwtguard_cache_misses_total`, `jwtguard_cache_evictions_total` | counter | |
//! | `jwtguard_jwks_fetches_total` | counter | `result` (`ok`, `error`) |
//! | `jwtguard_jwks_last_success_timestamp_seconds` | gauge | (the age of the keys is `time()` minus this) |
//! | `jwtguard_revocation_replica_in_sync` | gauge | 1 or 0 |
//! | `jwtguard_refresh_rotations_total`, `jwtguard_refresh_reuses_total` | counter | |
//!
//! ```
//! jwtguard_core::telemetry::refresh_rotated(); // a no-op unless the feature and a recorder are on
//! ```

#![allow(unused_variables)]

use crate::{Algorithm, ErrorKind};

/// A request the middleware decided: allowed with a token, anonymous (optional mode), or denied.
///
/// ```
/// jwtguard_core::telemetry::request(None, true);
/// ```
#[inline]
pub fn request(denied: Option<ErrorKind>, authenticated: bool) {
    #[cfg(feature = "metrics")]
    match denied {
        Some(kind) => {
            metrics::counter!("jwtguard_requests_total", "outcome" => "denied", "error" => kind.as_str()).increment(1)
        }
        None if authenticated => metrics::counter!("jwtguard_requests_total", "outcome" => "allowed").increment(1),
        None => metrics::counter!("jwtguard_requests_total", "outcome" => "anonymous").increment(1),
    }
}

/// A successful verification of `alg` took `seconds` (a cache hit or a full verification).
///
/// ```
/// jwtguard_core::telemetry::verified(jwtguard_core::Algorithm::ES256, 0.000_05);
/// ```
#[inline]
pub fn verified(alg: Algorithm, seconds: f64) {
    #[cfg(feature = "metrics")]
    metrics::histogram!("jwtguard_verification_seconds", "alg" => alg.as_str()).record(seconds);
}

/// `true` when timing verifications is worth its two clock reads: only with the feature on.
pub(crate) const TIMED: bool = cfg!(feature = "metrics");

/// The verified-token cache answered (`hit`) or not.
#[inline]
pub(crate) fn cache_lookup(hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        metrics::counter!("jwtguard_cache_hits_total").increment(1);
    } else {
        metrics::counter!("jwtguard_cache_misses_total").increment(1);
    }
}

/// The verified-token cache dropped an entry to stay within its bound.
#[inline]
pub(crate) fn cache_evicted() {
    #[cfg(feature = "metrics")]
    metrics::counter!("jwtguard_cache_evictions_total").increment(1);
}

/// A remote key set was fetched (`ok`) or the fetch failed; `now` is the Unix time.
///
/// ```
/// jwtguard_core::telemetry::keys_fetched(true, 1_700_000_000);
/// ```
#[inline]
pub fn keys_fetched(ok: bool, now: i64) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("jwtguard_jwks_fetches_total", "result" => if ok { "ok" } else { "error" }).increment(1);
        if ok {
            metrics::gauge!("jwtguard_jwks_last_success_timestamp_seconds").set(now as f64);
        }
    }
}

/// Whether a revocation replica follows its shared store.
///
/// ```
/// jwtguard_core::telemetry::replica_in_sync(true);
/// ```
#[inline]
pub fn replica_in_sync(in_sync: bool) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("jwtguard_revocation_replica_in_sync").set(if in_sync { 1.0 } else { 0.0 });
}

/// A refresh token was rotated.
///
/// ```
/// jwtguard_core::telemetry::refresh_rotated();
/// ```
#[inline]
pub fn refresh_rotated() {
    #[cfg(feature = "metrics")]
    metrics::counter!("jwtguard_refresh_rotations_total").increment(1);
}

/// A used refresh token came back: its family was revoked.
///
/// ```
/// jwtguard_core::telemetry::refresh_reused();
/// ```
#[inline]
pub fn refresh_reused() {
    #[cfg(feature = "metrics")]
    metrics::counter!("jwtguard_refresh_reuses_total").increment(1);
}
