//! The registered claims (RFC 7519 §4.1), parsed strictly: a member of the wrong type is an
//! error, never "absent", and a member name may appear only once.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::json::{CowStr, Name, Seen, Skip};

/// The `aud` claim: one audience or several.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let (validator, token) = jwtguard_core::doc_support::example();
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// assert!(verified.registered().aud().is_some_and(|a| a.contains("api")));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "web"]`.
    Many(Vec<String>),
}

impl Audience {
    /// Every audience named.
    ///
    /// ```
    /// let aud = jwtguard_core::Audience::Many(vec!["a".into(), "b".into()]);
    /// assert_eq!(aud.iter().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Audience::One(a) => (Some(a.as_str()), &[][..]),
            Audience::Many(v) => (None, v.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    /// `true` when `aud` is among them.
    ///
    /// ```
    /// let aud = jwtguard_core::Audience::One("api".into());
    /// assert!(aud.contains("api"));
    /// assert!(!aud.contains("web"));
    /// ```
    pub fn contains(&self, aud: &str) -> bool {
        self.iter().any(|a| a == aud)
    }
}

impl fmt::Debug for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Audience([{} redacted])", self.iter().count())
    }
}

/// A registered claim, for [`ValidatorBuilder::require`](crate::ValidatorBuilder::require).
///
/// ```
/// let _ = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).require(jwtguard_core::Claim::Sub).require(jwtguard_core::Claim::Jti).build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// `iss`.
    Iss,
    /// `sub`.
    Sub,
    /// `aud`.
    Aud,
    /// `exp` (always required).
    Exp,
    /// `nbf`.
    Nbf,
    /// `iat`.
    Iat,
    /// `jti`.
    Jti,
}

/// The registered claims of a verified token, plus its scopes (`scope` as a space-separated
/// string, RFC 8693 §4.2, or `scp` as a string or an array, as Okta and Entra ID send it).
///
/// Times are whole seconds since the Unix epoch; a fractional `exp` and `iat` are rounded down
/// and a fractional `nbf` up, so rounding never extends a token's life (an earlier `iat` makes
/// a token older for a maximum age and covered by a subject revocation of its second). `Debug` shows which
/// claims are present, never their values.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let (validator, token) = jwtguard_core::doc_support::example();
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// let claims = verified.registered();
/// assert_eq!(claims.sub(), Some("alice"));
/// assert!(claims.has_scope("orders:write"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct RegisteredClaims {
    /// The claims set JSON as a validator read it (empty for claims read another way): its
    /// spans ([`Text::Span`]) point into it, so a typical claim string costs no copy. Set once,
    /// by the one that made the spans (`one_pass::parse`) or to the JSON of claims holding none
    /// (the validator's strict fallback); never replaced.
    pub(crate) json: String,
    pub(crate) iss: Option<Text>,
    pub(crate) sub: Option<Text>,
    pub(crate) aud: Option<Audience>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) jti: Option<Text>,
    pub(crate) scopes: Words,
    pub(crate) roles: Words,
}

/// A claim's string: a span of [`RegisteredClaims::json`] (a string without escapes, read by a
/// validator), or its own copy.
#[derive(Clone)]
pub(crate) enum Text {
    Span(usize, usize),
    Own(String),
}

impl Text {
    fn get<'a>(&'a self, json: &'a str) -> Option<&'a str> {
        match self {
            Text::Span(start, end) => {
                let text = json.get(*start..*end);
                debug_assert!(text.is_some(), "a span outside the claims JSON");
                text
            }
            Text::Own(s) => Some(s),
        }
    }
}

impl PartialEq for RegisteredClaims {
    /// The same claims, however they are held.
    fn eq(&self, other: &Self) -> bool {
        (self.iss(), self.sub(), self.aud(), self.exp, self.nbf, self.iat, self.jti())
            == (other.iss(), other.sub(), other.aud(), other.exp, other.nbf, other.iat, other.jti())
            && self.scopes().eq(other.scopes())
            && self.roles().eq(other.roles())
    }
}

impl Eq for RegisteredClaims {}

/// Scope or role words, first of each kept. A typical `scope` claim (one space-separated string
/// of at most [`LAZY_WORDS`] words) is kept as it came, a span of the JSON, and its repeats are
/// skipped as it is read (at most 16 × 15 / 2 comparisons); any other shape is kept word by
/// word, de-duplicated once.
#[derive(Clone, Default)]
pub(crate) struct Words {
    /// The one string they all came in; `each` is then empty.
    joined: Option<Text>,
    each: Vec<String>,
}

/// The most words a joined string may hold and still be de-duplicated as it is read.
const LAZY_WORDS: usize = 16;

impl Words {
    /// Every word, first of each.
    pub(crate) fn iter<'a>(&'a self, json: &'a str) -> impl Iterator<Item = &'a str> {
        let joined = self.joined.as_ref().and_then(|t| t.get(json)).unwrap_or_default();
        let words = move || joined.split(' ').filter(|w| !w.is_empty());
        let joined = words().enumerate().filter(move |(i, w)| !words().take(*i).any(|x| x == *w)).map(|(_, w)| w);
        joined.chain(self.each.iter().map(String::as_str))
    }

    /// `true` when `word` is among them.
    pub(crate) fn contains(&self, word: &str, json: &str) -> bool {
        let joined = self.joined.as_ref().and_then(|t| t.get(json)).unwrap_or_default();
        joined.split(' ').any(|w| !w.is_empty() && w == word) || self.each.iter().any(|w| w == word)
    }

    /// Adds the words of a space-separated string.
    fn add_joined(&mut self, s: Text, json: &str) {
        if self.joined.is_none() && self.each.is_empty() {
            self.joined = Some(s);
        } else {
            self.split(json);
            let s = s.get(json).unwrap_or_default();
            self.each.extend(s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned));
        }
    }

    /// Adds an array's strings, each whole.
    fn add_each(&mut self, items: Vec<Cow<'_, str>>, json: &str) {
        self.split(json);
        self.each.extend(items.into_iter().map(Cow::into_owned));
    }

    /// From the joined form to word by word.
    fn split(&mut self, json: &str) {
        if let Some(joined) = self.joined.take() {
            let joined = joined.get(json).unwrap_or_default();
            self.each = joined.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
        }
    }

    /// Once every member is read: a joined string of more words than [`LAZY_WORDS`] (fewer
    /// spaces cannot separate more) is split, and word by word repeats are dropped.
    fn dedup(&mut self, json: &str) {
        let joined = self.joined.as_ref().and_then(|t| t.get(json)).unwrap_or_default();
        if joined.bytes().filter(|b| *b == b' ').count() >= LAZY_WORDS {
            self.split(json);
        }
        if self.each.len() > 1 {
            dedup(&mut self.each);
        }
    }
}

impl RegisteredClaims {
    /// `iss`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().iss(), Some("https://idp.example"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_ref()?.get(&self.json)
    }
    /// `sub`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().sub(), Some("alice"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_ref()?.get(&self.json)
    }
    /// `aud`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().aud().map(|a| a.iter().collect::<Vec<_>>()), Some(vec!["api"]));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn aud(&self) -> Option<&Audience> {
        self.aud.as_ref()
    }
    /// `exp`, seconds since the epoch.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().exp(), Some(4_102_444_800));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }
    /// `nbf`, seconds since the epoch.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().nbf(), Some(1_700_000_000));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }
    /// `iat`, seconds since the epoch.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().iat(), Some(1_700_000_000));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }
    /// `jti`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().jti(), Some("t-1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_ref()?.get(&self.json)
    }
    /// The scopes from `scope` and `scp`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().scopes().collect::<Vec<_>>(), ["orders:read", "orders:write"]);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter(&self.json)
    }
    /// `true` when the token grants `scope`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert!(verified.registered().has_scope("orders:read"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope, &self.json)
    }
    /// The roles from a top-level `roles` claim (an array of strings, as Entra ID sends it, or a
    /// space-separated string).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().roles().collect::<Vec<_>>(), ["admin"]);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.iter(&self.json)
    }
    /// `true` when the token carries `role`.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert!(verified.registered().has_role("admin"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role, &self.json)
    }
    pub(crate) fn has(&self, claim: Claim) -> bool {
        match claim {
            Claim::Iss => self.iss.is_some(),
            Claim::Sub => self.sub.is_some(),
            Claim::Aud => self.aud.is_some(),
            Claim::Exp => self.exp.is_some(),
            Claim::Nbf => self.nbf.is_some(),
            Claim::Iat => self.iat.is_some(),
            Claim::Jti => self.jti.is_some(),
        }
    }
}

impl fmt::Debug for RegisteredClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present: Vec<&str> = [
            (self.iss.is_some(), "iss"),
            (self.sub.is_some(), "sub"),
            (self.aud.is_some(), "aud"),
            (self.exp.is_some(), "exp"),
            (self.nbf.is_some(), "nbf"),
            (self.iat.is_some(), "iat"),
            (self.jti.is_some(), "jti"),
        ]
        .into_iter()
        .filter_map(|(p, n)| p.then_some(n))
        .collect();
        f.debug_struct("RegisteredClaims")
            .field("present", &present)
            .field("scopes", &self.scopes().count())
            .field("roles", &self.roles().count())
            .finish()
    }
}

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z. Anything larger is malformed.
const MAX_DATE: i64 = 253_402_300_799;

/// A NumericDate: a non-negative JSON number, rounded down (`up == false`) or up.
struct Date {
    up: bool,
}

impl<'de> DeserializeSeed<'de> for Date {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Date {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NumericDate")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).ok().filter(|v| *v <= MAX_DATE).ok_or_else(|| E::custom("date out of range"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        if (0..=MAX_DATE).contains(&v) { Ok(v) } else { Err(E::custom("date out of range")) }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if !(v.is_finite() && (0.0..=MAX_DATE as f64).contains(&v)) {
            return Err(E::custom("date out of range"));
        }
        let r = if self.up { v.ceil() } else { v.floor() };
        // In range by the check above, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        Ok(r as i64)
    }
}

/// The value of a member the registered claims read, as read once from the JSON: a string, a
/// number, or an array of strings. Anything else is the wrong type for every registered claim.
/// The one-pass parse (`one_pass.rs`) hands the same value on to the caller's type.
pub(crate) enum Captured<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Strs(Vec<Cow<'de, str>>),
}

/// Reads a [`Captured`] value.
pub(crate) struct Capture;

impl<'de> DeserializeSeed<'de> for Capture {
    type Value = Captured<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Capture {
    type Value = Captured<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or an array of strings")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Captured::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Captured::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Captured::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Captured::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Captured::I64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Captured::F64(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(CowStr)? {
            out.push(s);
        }
        Ok(Captured::Strs(out))
    }
}

/// A member name the registered claims read.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    Iss,
    Sub,
    Jti,
    Aud,
    Exp,
    Nbf,
    Iat,
    Scope,
    Roles,
}

impl Field {
    /// The registered claim `name` names, if any.
    pub(crate) fn of(name: &str) -> Option<Field> {
        Some(match name {
            "iss" => Field::Iss,
            "sub" => Field::Sub,
            "jti" => Field::Jti,
            "aud" => Field::Aud,
            "exp" => Field::Exp,
            "nbf" => Field::Nbf,
            "iat" => Field::Iat,
            "scope" | "scp" => Field::Scope,
            "roles" => Field::Roles,
            _ => return None,
        })
    }
}

/// The registered claims, filled member by member: the one place that decides what each
/// registered member may hold, for the strict parse below and the one-pass parse alike.
#[derive(Default)]
pub(crate) struct Builder<'s> {
    claims: RegisteredClaims,
    /// The JSON being read, when the claims will hold it ([`Builder::reading`]); `""` else.
    source: &'s str,
}

impl<'s> Builder<'s> {
    /// A builder whose strings may be spans of `source`: the claims it makes must be given
    /// `source` itself as their [`RegisteredClaims::json`].
    pub(crate) fn reading(source: &'s str) -> Self {
        Builder { claims: RegisteredClaims::default(), source }
    }

    /// A span of the source when `s` is borrowed from it, else a copy.
    fn text(&self, s: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(part) = &s
            && let Some((start, end)) = span_of(self.source, part)
        {
            return Text::Span(start, end);
        }
        Text::Own(s.into_owned())
    }

    /// Takes one member's value; an error when it has the wrong type for its claim.
    pub(crate) fn set<E: de::Error>(&mut self, field: Field, value: Captured<'_>) -> Result<(), E> {
        let wrong = || E::custom("registered claim of the wrong type");
        match (field, value) {
            (Field::Iss, Captured::Str(s)) => self.claims.iss = Some(self.text(s)),
            (Field::Sub, Captured::Str(s)) => self.claims.sub = Some(self.text(s)),
            (Field::Jti, Captured::Str(s)) => self.claims.jti = Some(self.text(s)),
            (Field::Aud, Captured::Str(s)) => self.claims.aud = Some(Audience::One(s.into_owned())),
            (Field::Aud, Captured::Strs(v)) => {
                self.claims.aud = Some(Audience::Many(v.into_iter().map(Cow::into_owned).collect()));
            }
            (Field::Exp | Field::Nbf | Field::Iat, v) => {
                let date = Date { up: matches!(field, Field::Nbf) };
                let t = match v {
                    Captured::U64(n) => date.visit_u64(n)?,
                    Captured::I64(n) => date.visit_i64(n)?,
                    Captured::F64(n) => date.visit_f64(n)?,
                    Captured::Str(_) | Captured::Strs(_) => return Err(wrong()),
                };
                let c = &mut self.claims;
                *match field {
                    Field::Exp => &mut c.exp,
                    Field::Nbf => &mut c.nbf,
                    _ => &mut c.iat,
                } = Some(t);
            }
            (Field::Scope | Field::Roles, v) => {
                let text = match v {
                    Captured::Str(s) => Ok(self.text(s)),
                    Captured::Strs(v) => Err(v),
                    _ => return Err(wrong()),
                };
                let c = &mut self.claims;
                let to = if matches!(field, Field::Scope) { &mut c.scopes } else { &mut c.roles };
                match text {
                    Ok(text) => to.add_joined(text, self.source),
                    Err(items) => to.add_each(items, self.source),
                }
            }
            _ => return Err(wrong()),
        }
        Ok(())
    }

    /// The claims, once every member is read; their `json` is still to be set to the source.
    pub(crate) fn finish(mut self) -> RegisteredClaims {
        self.claims.scopes.dedup(self.source);
        self.claims.roles.dedup(self.source);
        self.claims
    }
}

/// Where `part` lies in `source`, when it is a slice of it (compared by address, not content).
fn span_of(source: &str, part: &str) -> Option<(usize, usize)> {
    let start = (part.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    std::ptr::eq(source.get(start..end)?, part).then_some((start, end))
}

/// Drops repeated words, keeping the first of each, in linear time: a multi-issuer validator
/// reads `scope` before the signature is checked, so its size is the client's to choose (1,500
/// words cost 5.3 ms with a pairwise check).
fn dedup(words: &mut Vec<String>) {
    if words.len() <= 16 {
        let mut i = 1;
        while i < words.len() {
            if words.get(..i).unwrap_or_default().contains(&words[i]) {
                words.remove(i);
            } else {
                i += 1;
            }
        }
        return;
    }
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(words.len());
        words.iter().map(|w| seen.insert(w.as_str())).collect()
    };
    let mut keep = keep.into_iter();
    words.retain(|_| keep.next().unwrap_or(false));
}

/// Only the `iss` of a claims set, borrowed when it can be: what a multi-issuer validator reads
/// to pick the validator before any signature is checked. The other members are skipped, still
/// strictly (a repeated name fails), and nothing of theirs is kept.
pub(crate) struct IssOnly<'de>(pub(crate) Option<Cow<'de, str>>);

impl<'de> de::Deserialize<'de> for IssOnly<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IssOnly<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JWT claims set object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = Seen::default();
                let mut iss = None;
                while let Some(Name(name)) = map.next_key()? {
                    seen.insert(name.clone())?;
                    if name == "iss" {
                        iss = Some(map.next_value_seed(CowStr)?);
                    } else {
                        map.next_value_seed(Skip)?;
                    }
                }
                Ok(IssOnly(iss))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> de::Deserialize<'de> for RegisteredClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RegisteredClaims;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JWT claims set object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = Seen::default();
                let mut claims = Builder::default();
                while let Some(Name(name)) = map.next_key()? {
                    seen.insert(name.clone())?;
                    match Field::of(&name) {
                        Some(field) => claims.set(field, map.next_value_seed(Capture)?)?,
                        None => map.next_value_seed(Skip)?,
                    }
                }
                Ok(claims.finish())
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::RegisteredClaims;

    /// Scope words as they were read before they were kept joined: every word of a string, each
    /// string of an array, in document order, first of each kept.
    fn reference(values: &[serde_json::Value]) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for v in values {
            let more: Vec<String> = match v {
                serde_json::Value::String(s) => s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect(),
                serde_json::Value::Array(a) => a.iter().filter_map(|s| s.as_str()).map(str::to_owned).collect(),
                _ => Vec::new(),
            };
            for w in more {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        words
    }

    #[test]
    fn a_long_joined_scope_is_split_once_not_scanned_on_every_read() {
        // Past 16 words, reading the words lazily would compare each with all before it on
        // every `scopes()`: such a string is split (and de-duplicated) once, when it is read.
        let words = |n: usize| (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        for (n, joined) in [(16, true), (17, false), (1000, false)] {
            let json = serde_json::json!({ "scope": words(n) }).to_string();
            let (claims, _) = crate::verify::one_pass::parse::<serde_json::Value>(json).unwrap();
            assert_eq!(claims.scopes.joined.is_some(), joined, "{n} words");
            assert_eq!(claims.scopes().count(), n);
        }
    }

    #[test]
    fn scope_words_read_as_before_whatever_their_shape() {
        let strings = ["", " ", "a", "a b", "b a b", "  a  a ", "x y z", "é ü é", "a\tb a"];
        let many: String = (0..40).map(|i| format!("w{} ", i % 23)).collect();
        let mut cases: Vec<Vec<serde_json::Value>> = Vec::new();
        for s in strings.iter().copied().chain([many.as_str()]) {
            cases.push(vec![s.into()]);
            cases.push(vec![s.into(), "b c".into()]);
            cases.push(vec![serde_json::json!(["a", "a b", ""]), s.into()]);
        }
        for values in cases {
            let (scope, scp) = (&values[0], values.get(1));
            let json = match scp {
                Some(scp) => serde_json::json!({ "scope": scope, "scp": scp }),
                None => serde_json::json!({ "scope": scope }),
            }
            .to_string();
            let want = reference(&values);
            // Roles as `roles` alone: its first value.
            let roles = serde_json::json!({ "roles": scope }).to_string();
            let want_roles = reference(&values[..1]);
            for (how, claims, roles) in [
                (
                    "strict",
                    serde_json::from_str::<RegisteredClaims>(&json).ok(),
                    serde_json::from_str::<RegisteredClaims>(&roles).ok(),
                ),
                (
                    "one pass",
                    crate::verify::one_pass::parse::<serde_json::Value>(json.clone()).ok().map(|(r, _)| r),
                    crate::verify::one_pass::parse::<serde_json::Value>(roles.clone()).ok().map(|(r, _)| r),
                ),
            ] {
                let claims = claims.unwrap_or_else(|| panic!("{how} refused {json}"));
                assert_eq!(claims.scopes().collect::<Vec<_>>(), want, "{how}: {json}");
                for w in &want {
                    assert!(claims.has_scope(w), "{how}: {json} has {w}");
                }
                for w in ["", "a b", "zz"] {
                    assert_eq!(claims.has_scope(w), want.iter().any(|x| x == w), "{how}: {json} has {w:?}");
                }
                let roles = roles.unwrap_or_else(|| panic!("{how} refused {json}"));
                assert_eq!(roles.roles().collect::<Vec<_>>(), want_roles, "{how}: {json}");
                assert!(want_roles.iter().all(|r| roles.has_role(r)), "{how}: {json}");
                assert_eq!(roles.clone(), roles, "{how}: {json}");
            }
        }
    }
}
