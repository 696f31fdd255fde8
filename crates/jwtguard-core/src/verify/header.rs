//! The protected header of a token, parsed strictly before anything is trusted.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::json::{CowStr, Name, Seen, Skip};
use super::jwe::Encryption;
use crate::Algorithm;

/// The protected header of a verified token.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let (validator, token) = jwtguard_core::doc_support::example();
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// assert_eq!(verified.header().alg(), Some(Algorithm::HS256));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// `None` only for an unsigned encrypted token (the opt-in).
    pub(crate) alg: Option<Algorithm>,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) encryption: Option<Encryption>,
}

impl Header {
    /// The algorithm that verified the signature; `None` when there was no signature: an
    /// encrypted claims set, which a validator accepts only with
    /// [`insecure_allow_unsigned_encrypted`](crate::ValidatorBuilder::insecure_allow_unsigned_encrypted).
    /// Without that opt-in it is always `Some`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().alg(), Some(Algorithm::HS256));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }
    /// The key id, if the token named one.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().kid(), Some("k1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// The `typ` header, if present.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().typ(), Some("at+jwt"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }
    /// For an encrypted (nested) token, the algorithms of its JWE layer; `None` for a plain
    /// JWS. The other members of this header are the inner, signed token's (for an unsigned
    /// encrypted token, the JWE header's `kid` and `typ`).
    ///
    /// ```
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().encryption(), None);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn encryption(&self) -> Option<Encryption> {
        self.encryption
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .field("encryption", &self.encryption)
            .finish()
    }
}

/// The header as read from the token before anything is trusted.
pub(crate) struct RawHeader<'a> {
    pub(crate) alg: Cow<'a, str>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    pub(crate) crit: bool,
}

impl<'de> de::Deserialize<'de> for RawHeader<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawHeader<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JOSE header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = Seen::default();
                let (mut alg, mut kid, mut typ, mut crit) = (None, None, None, false);
                while let Some(Name(name)) = map.next_key()? {
                    seen.insert(name.clone())?;
                    match &*name {
                        "alg" => alg = Some(map.next_value_seed(CowStr)?),
                        "kid" => kid = Some(map.next_value_seed(CowStr)?),
                        "typ" => typ = Some(map.next_value_seed(CowStr)?),
                        "crit" => {
                            map.next_value_seed(Skip)?;
                            crit = true;
                        }
                        _ => map.next_value_seed(Skip)?,
                    }
                }
                let alg = alg.ok_or_else(|| de::Error::missing_field("alg"))?;
                Ok(RawHeader { alg, kid, typ, crit })
            }
        }
        d.deserialize_map(V)
    }
}

impl RawHeader<'_> {
    pub(crate) fn into_header(self, alg: Algorithm) -> Header {
        Header {
            alg: Some(alg),
            kid: self.kid.map(Cow::into_owned),
            typ: self.typ.map(Cow::into_owned),
            encryption: None,
        }
    }
}
