//! The claims set read once into both the registered claims and the caller's type.
//!
//! The strict way reads the JSON twice: into [`RegisteredClaims`] (strict types, a repeated
//! member name at any depth is an error), then into `T` with plain `serde_json`. Here `T`'s own
//! `Deserialize` drives one `serde_json` pass through a proxy that
//! - takes every top-level member name, refuses a repeat, and hands the name on to `T`;
//! - reads a registered member's value once ([`Capture`]), gives it to the registered claims
//!   ([`Builder`], the same code as the strict way) and replays it to `T` exactly as
//!   `serde_json` would have presented it ([`Replay`]);
//! - wraps every other value, so that each object `T` walks into refuses a repeated name, and
//!   each value `T` ignores is skipped by the strict [`Skip`].
//!
//! Only a success is trusted: on any error, whatever its cause, the caller goes the strict way,
//! which then decides (and names the error). So the proxy may refuse what it does not replay
//! exactly (numeric map keys, enums in a registered claim, `serde_json`'s `RawValue`, bytes,
//! `f32` and 128-bit integers in a registered claim), and must never accept what either strict
//! pass refuses: where it is unsure, it refuses. A failure is remembered ([`Failed`]): a
//! claims type that swallows an error (a field read "or default") must not turn a refusal into
//! a success.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::claims::{Builder, Capture, Captured, Field, RegisteredClaims};
use super::json::{Name, Seen, Skip};

/// Both readings of `payload` (which the registered claims then hold, as their `json`), or the
/// payload back when the strict way must decide.
pub(crate) fn parse<T: DeserializeOwned>(payload: String) -> Result<(RegisteredClaims, T), String> {
    match read(&payload) {
        Some((mut registered, claims)) => {
            // The spans of the registered claims point into this very string.
            registered.json = payload;
            Ok((registered, claims))
        }
        None => Err(payload),
    }
}

fn read<T: DeserializeOwned>(payload: &str) -> Option<(RegisteredClaims, T)> {
    let mut de = serde_json::Deserializer::from_str(payload);
    let failed = Cell::new(false);
    let mut top = TopState { claims: Builder::reading(payload), finished: false };
    let claims = T::deserialize(Top { de: &mut de, state: &mut top, failed: Failed(&failed) }).ok()?;
    de.end().ok()?;
    // Every top-level member was seen (serde_json also refuses an object left half read), and
    // no error was met on the way, even one the claims type went on from.
    (top.finished && !failed.get()).then(|| (top.claims.finish(), claims))
}

/// What the top-level object's walk fills in.
struct TopState<'s> {
    claims: Builder<'s>,
    /// The top-level object was read to its end.
    finished: bool,
}

/// Set by any error the walk meets: the proxy's refusals, serde_json's errors, the claims
/// type's own. Shared by every layer of one parse.
#[derive(Clone, Copy)]
struct Failed<'a>(&'a Cell<bool>);

impl Failed<'_> {
    /// Passes `result` on, remembering an error.
    fn note<T, E>(self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() {
            self.0.set(true);
        }
        result
    }
    /// A refusal, remembered.
    fn refuse<E: de::Error>(self) -> E {
        self.0.set(true);
        refuse()
    }
}

fn refuse<E: de::Error>() -> E {
    E::custom("left to the strict parse")
}

/// `serde_json`'s private newtype names (`RawValue`, arbitrary-precision numbers) read the JSON
/// text around the proxy: refused.
fn private(name: &str) -> bool {
    name.starts_with("$serde_json::private::")
}

macro_rules! refused {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(self.failed.refuse())
        }
    )*};
}

/// What the claims set itself, a member name and a registered value all present alike: an
/// option is never `null` here (none of them can be, as serde_json decides for what it reads),
/// a newtype is its content (serde_json's private names refused), an enum is refused.
macro_rules! presented {
    () => {
        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            let failed = self.failed;
            failed.note(v.visit_some(self))
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            if private(name) {
                return Err(self.failed.refuse());
            }
            let failed = self.failed;
            failed.note(v.visit_newtype_struct(self))
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(self.failed.refuse())
        }
    };
}

/// The claims set itself: only an object is a claims set.
struct Top<'a, 'de> {
    de: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    state: &'a mut TopState<'de>,
    failed: Failed<'a>,
}

impl<'a, 'de> Top<'a, 'de> {
    fn visitor<V>(
        self,
        inner: V,
    ) -> (&'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>, TopVisitor<'a, 'de, V>) {
        (self.de, TopVisitor { inner, state: self.state, failed: self.failed })
    }
}

impl<'de> Deserializer<'de> for Top<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        let failed = self.failed;
        let (de, v) = self.visitor(v);
        failed.note(de.deserialize_any(v))
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        let failed = self.failed;
        let (de, v) = self.visitor(v);
        failed.note(de.deserialize_map(v))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        let failed = self.failed;
        let (de, v) = self.visitor(v);
        failed.note(de.deserialize_struct(name, fields, v))
    }
    presented!();
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, Self::Error> {
        Err(self.failed.refuse())
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Self::Error> {
        Err(self.failed.refuse())
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, Self::Error> {
        Err(self.failed.refuse())
    }
    refused! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_seq deserialize_identifier deserialize_ignored_any
    }
}

/// Accepts the top-level object only, and walks it with the registered claims watching.
struct TopVisitor<'a, 's, V> {
    inner: V,
    state: &'a mut TopState<'s>,
    failed: Failed<'a>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopVisitor<'_, 'de, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let failed = self.failed;
        failed.note(self.inner.visit_map(Members {
            map,
            seen: Seen::default(),
            top: Some(self.state),
            pending: None,
            failed,
        }))
    }
}

/// An object's members: names checked for repeats; at the top level, registered members read
/// by the registered claims too.
struct Members<'a, 'de, A> {
    map: A,
    seen: Seen<'de>,
    /// The top level's state; `None` in nested objects.
    top: Option<&'a mut TopState<'de>>,
    /// The registered claim whose value comes next.
    pending: Option<Field>,
    failed: Failed<'a>,
}

impl<'de, A: MapAccess<'de>> Members<'_, 'de, A> {
    fn key<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(Name(name)) = self.map.next_key()? else {
            if let Some(top) = self.top.as_deref_mut() {
                top.finished = true;
            }
            return Ok(None);
        };
        self.seen.insert(name.clone())?;
        self.pending = if self.top.is_some() { Field::of(&name) } else { None };
        seed.deserialize(Key { name, failed: self.failed, error: PhantomData }).map(Some)
    }

    fn value<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match (self.pending.take(), self.top.as_deref_mut()) {
            (Some(field), Some(top)) => {
                let captured = self.map.next_value_seed(Capture)?;
                let value = seed.deserialize(Replay { value: &captured, failed: self.failed, error: PhantomData })?;
                top.claims.set(field, captured)?;
                Ok(value)
            }
            _ => self.map.next_value_seed(Proxied(seed, self.failed)),
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let key = self.key(seed);
        self.failed.note(key)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let value = self.value(seed);
        self.failed.note(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A member name, presented as serde_json's map keys present it; number and `bool` keys (which
/// serde_json parses out of the string) are refused.
struct Key<'a, 'de, E> {
    name: Cow<'de, str>,
    failed: Failed<'a>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for Key<'_, 'de, E> {
    type Error = E;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        let failed = self.failed;
        failed.note(match self.name {
            Cow::Borrowed(s) => v.visit_borrowed_str(s),
            Cow::Owned(s) => v.visit_str(&s),
        })
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        let failed = self.failed;
        failed.note(match self.name {
            Cow::Borrowed(s) => v.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => v.visit_bytes(s.as_bytes()),
        })
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        self.deserialize_bytes(v)
    }
    presented!();
    refused! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32
        deserialize_f64
    }
    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A registered member's value, presented to `T` as serde_json presents it: the same visitor
/// calls for the same JSON, and an error wherever serde_json's typed calls fail.
struct Replay<'a, 'b, 'de, E> {
    value: &'b Captured<'de>,
    failed: Failed<'a>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Replay<'_, '_, 'de, E> {
    fn string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Str(_) => self.deserialize_any(v),
            _ => Err(self.failed.refuse()),
        }
    }
    fn number<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::U64(_) | Captured::I64(_) | Captured::F64(_) => self.deserialize_any(v),
            _ => Err(self.failed.refuse()),
        }
    }
    fn array<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Strs(_) => self.deserialize_any(v),
            _ => Err(self.failed.refuse()),
        }
    }
    fn any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Str(Cow::Borrowed(s)) => v.visit_borrowed_str(s),
            Captured::Str(Cow::Owned(s)) => v.visit_str(s),
            Captured::U64(n) => v.visit_u64(*n),
            Captured::I64(n) => v.visit_i64(*n),
            Captured::F64(n) => v.visit_f64(*n),
            Captured::Strs(items) => {
                let mut seq = ReplaySeq { items: items.iter(), failed: self.failed, error: PhantomData };
                let value = v.visit_seq(&mut seq)?;
                // serde_json refuses an array left half read.
                if seq.items.len() == 0 { Ok(value) } else { Err(self.failed.refuse()) }
            }
        }
    }
}

macro_rules! replayed {
    ($how:ident: $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
            self.$how(v)
        }
    )*};
}

impl<'de, E: de::Error> Deserializer<'de> for Replay<'_, '_, 'de, E> {
    type Error = E;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        let failed = self.failed;
        failed.note(self.any(v))
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        let failed = self.failed;
        failed.note(match self.value {
            // A captured string was read (and checked) as a string.
            Captured::Str(Cow::Borrowed(s)) => v.visit_borrowed_bytes(s.as_bytes()),
            Captured::Str(Cow::Owned(s)) => v.visit_bytes(s.as_bytes()),
            Captured::Strs(_) => self.any(v),
            _ => Err(failed.refuse()),
        })
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        self.deserialize_bytes(v)
    }
    // A registered member is never `null` (its strict type refuses it).
    presented!();
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        self.failed.note(v.visit_unit())
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, E> {
        Err(self.failed.refuse())
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, E> {
        self.array(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, v: V) -> Result<V::Value, E> {
        self.array(v)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, E> {
        self.array(v)
    }
    replayed! { string: deserialize_char deserialize_str deserialize_string deserialize_identifier }
    replayed! { number: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
    deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f64 }
    replayed! { array: deserialize_seq }
    // `f32`: serde_json with `float_roundtrip` parses straight to `f32`, which rounding the
    // captured `f64` may not match.
    refused! { deserialize_bool deserialize_i128 deserialize_u128 deserialize_f32 deserialize_unit deserialize_map }
}

/// The strings of a registered member's array, replayed.
struct ReplaySeq<'a, 'b, 'de, E> {
    items: std::slice::Iter<'b, Cow<'de, str>>,
    failed: Failed<'a>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for ReplaySeq<'_, '_, 'de, E> {
    type Error = E;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, E> {
        let Some(item) = self.items.next() else { return Ok(None) };
        // Each element as the captured string it is.
        let value = match item {
            Cow::Borrowed(s) => Captured::Str(Cow::Borrowed(s)),
            Cow::Owned(s) => Captured::Str(Cow::Owned(s.clone())),
        };
        seed.deserialize(Replay { value: &value, failed: self.failed, error: PhantomData }).map(Some)
    }
}

/// Gives the seed a [`Checked`] deserializer.
struct Proxied<'a, S>(S, Failed<'a>);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Proxied<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Checked(d, self.1))
    }
}

/// A nested value: every call goes to serde_json, with the visitor wrapped so that the objects,
/// arrays, options, newtypes and enums inside stay checked; an ignored value is skipped
/// strictly; bytes (read by serde_json without the string checks) are refused.
struct Checked<'a, D>(D, Failed<'a>);

macro_rules! checked {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.1.note(self.0.$method(Wrap(v, self.1)))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<'_, D> {
    type Error = D::Error;
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.1.note(Skip.deserialize(self.0))?;
        self.1.note(v.visit_unit())
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        if private(name) {
            return Err(self.1.refuse());
        }
        self.1.note(self.0.deserialize_newtype_struct(name, Wrap(v, self.1)))
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(self.1.refuse())
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(self.1.refuse())
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_unit_struct(name, Wrap(v, self.1)))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_tuple(len, Wrap(v, self.1)))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_tuple_struct(name, len, Wrap(v, self.1)))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_struct(name, fields, Wrap(v, self.1)))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_enum(name, variants, Wrap(v, self.1)))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
    checked! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_option deserialize_unit deserialize_seq deserialize_map deserialize_identifier
    }
}

/// A visitor passed on unchanged, except that what it is handed to walk further is checked.
struct Wrap<'a, V>(V, Failed<'a>);

macro_rules! passed {
    ($($method:ident: $t:ty)*) => {$(
        fn $method<E: de::Error>(self, x: $t) -> Result<V::Value, E> {
            self.1.note(self.0.$method(x))
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    passed! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64 visit_i128: i128
        visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64 visit_u128: u128 visit_f32: f32
        visit_f64: f64 visit_char: char visit_str: &str visit_borrowed_str: &'de str visit_string: String
        visit_bytes: &[u8] visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.1.note(self.0.visit_none())
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.1.note(self.0.visit_unit())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.1.note(self.0.visit_some(Checked(d, self.1)))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.1.note(self.0.visit_newtype_struct(Checked(d, self.1)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.1.note(self.0.visit_seq(Elements(seq, self.1)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let failed = self.1;
        failed.note(self.0.visit_map(Members { map, seen: Seen::default(), top: None, pending: None, failed }))
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.1.note(self.0.visit_enum(Enum(data, self.1)))
    }
}

/// An array's elements, each checked.
struct Elements<'a, A>(A, Failed<'a>);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<'_, A> {
    type Error = A::Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let element = self.0.next_element_seed(Proxied(seed, self.1));
        self.1.note(element)
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An enum: its variant name may only be a string, its content is checked.
struct Enum<'a, A>(A, Failed<'a>);

impl<'a, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'a, A> {
    type Error = A::Error;
    type Variant = Variant<'a, A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let failed = self.1;
        let (value, variant) = failed.note(self.0.variant_seed(VariantName(seed, failed)))?;
        Ok((value, Variant(variant, failed)))
    }
}

/// Lets a variant name be read as a string only (serde_json reads it from the raw text).
struct VariantName<'a, S>(S, Failed<'a>);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for VariantName<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(StrOnly(d, self.1))
    }
}

/// Strings pass, everything else is refused.
struct StrOnly<'a, D>(D, Failed<'a>);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for StrOnly<'_, D> {
    type Error = D::Error;
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_identifier(v))
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_str(v))
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.1.note(self.0.deserialize_string(v))
    }
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(self.1.refuse())
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
    }
}

/// An enum's content, checked.
struct Variant<'a, A>(A, Failed<'a>);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.1.note(self.0.unit_variant())
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.1.note(self.0.newtype_variant_seed(Proxied(seed, self.1)))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.1.note(self.0.tuple_variant(len, Wrap(v, self.1)))
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        self.1.note(self.0.struct_variant(fields, Wrap(v, self.1)))
    }
}

#[cfg(test)]
mod tests;
