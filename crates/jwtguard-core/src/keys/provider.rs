//! Keys that change at run time: the [`KeyProvider`] trait a remote JWKS implements, and
//! [`KeySource`], what a [`Validator`](crate::Validator) verifies with.
//!
//! The core does no I/O: a provider answers [`KeyProvider::keys`] from memory, and when a token
//! names a key it lacks, [`KeyProvider::refetch_unknown`] may hand back a future that refetches
//! (shared by every request that needs it) or nothing, to fail fast during a cooldown.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Error, Key, KeySet};

/// A refetch in flight; resolves to the keys after it.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::provider::RefetchFuture;
/// use jwtguard_core::{Key, KeySet};
///
/// let keys = Arc::new(KeySet::from(Key::hmac([7u8; 32])?));
/// let refetch: RefetchFuture<'_> = Box::pin(async move { Ok(keys) });
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub type RefetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Arc<KeySet>, Error>> + Send + 'a>>;

/// A source of keys that can change while the service runs, such as a remote JWKS.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::provider::{KeyProvider, KeySource, RefetchFuture};
/// use jwtguard_core::{Algorithm, Error, Key, KeySet, Validator};
///
/// /// Keys that never change, served through the provider interface.
/// #[derive(Debug)]
/// struct Fixed(Arc<KeySet>);
///
/// impl KeyProvider for Fixed {
///     fn keys(&self) -> Result<Arc<KeySet>, Error> { Ok(self.0.clone()) }
///     fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> { None }
/// }
///
/// let keys = Arc::new(KeySet::from(Key::hmac([7u8; 32])?));
/// let validator = Validator::builder(KeySource::provider(Fixed(keys)), [Algorithm::HS256]).build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait KeyProvider: Send + Sync + fmt::Debug + 'static {
    /// The current keys, from memory. [`ErrorKind::KeysUnavailable`](crate::ErrorKind) when
    /// none were ever loaded.
    ///
    /// # Errors
    /// As above.
    fn keys(&self) -> Result<Arc<KeySet>, Error>;

    /// A token named a key the current keys lack. Return a refetch to wait for (one shared by
    /// every caller that needs it), or `None` to fail fast, during a cooldown.
    fn refetch_unknown(&self) -> Option<RefetchFuture<'_>>;

    /// Whether HMAC keys from this provider may verify tokens. Defaults to `false`: a key set
    /// that comes from elsewhere (a remote JWKS, a shared document) may be readable by others,
    /// and whoever can read a symmetric key can forge tokens with it, so a validator refuses HS
    /// algorithms with such a provider ([`ErrorKind::AlgorithmNotAllowed`](crate::ErrorKind)).
    /// Return `true` only for secrets that this process holds privately, as
    /// [`TokenIssuer`](crate::issuer::TokenIssuer) does for its own HMAC signing keys.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use jwtguard_core::provider::{KeyProvider, RefetchFuture};
    /// # use jwtguard_core::{Error, KeySet};
    /// /// Secrets read from this process's own vault.
    /// #[derive(Debug)]
    /// struct Vault(Arc<KeySet>);
    /// impl KeyProvider for Vault {
    ///     fn keys(&self) -> Result<Arc<KeySet>, Error> { Ok(self.0.clone()) }
    ///     fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> { None }
    ///     fn allows_symmetric_keys(&self) -> bool { true }
    /// }
    /// ```
    fn allows_symmetric_keys(&self) -> bool {
        false
    }
}

/// What a validator verifies with: a fixed [`KeySet`] or a [`KeyProvider`].
///
/// ```
/// use jwtguard_core::provider::KeySource;
/// use jwtguard_core::{Key, KeySet};
/// let fixed: KeySource = KeySet::from(Key::hmac([7u8; 32])?).into();
/// assert!(!fixed.is_dynamic());
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Keys fixed at start-up.
    Static(Arc<KeySet>),
    /// Keys that change at run time.
    Provider(Arc<dyn KeyProvider>),
}

impl KeySource {
    /// Keys from a provider.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jwtguard_core::provider::{KeyProvider, KeySource, RefetchFuture};
    /// use jwtguard_core::{Error, Key, KeySet};
    ///
    /// #[derive(Debug)]
    /// struct Fixed(Arc<KeySet>);
    /// impl KeyProvider for Fixed {
    ///     fn keys(&self) -> Result<Arc<KeySet>, Error> { Ok(self.0.clone()) }
    ///     fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> { None }
    /// }
    /// let source = KeySource::provider(Fixed(Arc::new(KeySet::from(Key::hmac([7u8; 32])?))));
    /// assert!(source.is_dynamic());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn provider(provider: impl KeyProvider) -> Self {
        KeySource::Provider(Arc::new(provider))
    }

    /// `true` for a provider.
    ///
    /// ```
    /// use jwtguard_core::provider::KeySource;
    /// let fixed = KeySource::from(jwtguard_core::Key::hmac([7u8; 32])?);
    /// assert!(!fixed.is_dynamic());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn is_dynamic(&self) -> bool {
        matches!(self, KeySource::Provider(_))
    }
}

impl From<KeySet> for KeySource {
    fn from(keys: KeySet) -> Self {
        KeySource::Static(Arc::new(keys))
    }
}

impl From<Key> for KeySource {
    fn from(key: Key) -> Self {
        KeySource::Static(Arc::new(KeySet::from(key)))
    }
}

impl From<Arc<dyn KeyProvider>> for KeySource {
    fn from(provider: Arc<dyn KeyProvider>) -> Self {
        KeySource::Provider(provider)
    }
}
