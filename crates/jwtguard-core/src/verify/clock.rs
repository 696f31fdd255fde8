//! The time source a validator (and an issuer) reads.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// The time source. Tests and the CLI's `--at` pin it; the default reads the system clock.
///
/// ```
/// #[derive(Debug)]
/// struct Frozen;
/// impl jwtguard_core::Clock for Frozen {
///     fn now(&self) -> i64 { 1_700_000_000 }
/// }
/// let builder = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).clock(Frozen);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock. The default.
///
/// ```
/// use jwtguard_core::Clock;
/// assert!(jwtguard_core::SystemClock.now() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        // A clock before 1970 reads as 0; i64 seconds last far beyond any token.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock stopped at one instant.
///
/// ```
/// use jwtguard_core::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now(), 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}
