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
//! exactly (numeric map keys, enums in a registered claim, `serde_json`'s `RawValue`), and
//! must never accept what either strict pass refuses: where it is unsure, it refuses.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::claims::{Builder, Capture, Captured, Field, RegisteredClaims};
use super::json::{Name, Seen, Skip};

/// Both readings of `payload`, or `None` when the strict way must decide.
pub(crate) fn parse<T: DeserializeOwned>(payload: &str) -> Option<(RegisteredClaims, T)> {
    let mut de = serde_json::Deserializer::from_str(payload);
    let mut top = TopState { claims: Builder::default(), finished: false };
    let claims = T::deserialize(Top { de: &mut de, state: &mut top }).ok()?;
    de.end().ok()?;
    // Every top-level member was seen (serde_json also refuses an object left half read).
    top.finished.then(|| (top.claims.finish(), claims))
}

/// What the top-level object's walk fills in.
struct TopState {
    claims: Builder,
    /// The top-level object was read to its end.
    finished: bool,
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
            Err(refuse())
        }
    )*};
}

/// The claims set itself: only an object is a claims set.
struct Top<'a, 'de> {
    de: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    state: &'a mut TopState,
}

impl<'de> Deserializer<'de> for Top<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_any(TopVisitor { inner: v, state: self.state })
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(TopVisitor { inner: v, state: self.state })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_struct(name, fields, TopVisitor { inner: v, state: self.state })
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        // An object is never `null`: serde_json does the same.
        v.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, Self::Error> {
        if private(name) { Err(refuse()) } else { v.visit_newtype_struct(self) }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, Self::Error> {
        Err(refuse())
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Self::Error> {
        Err(refuse())
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, Self::Error> {
        Err(refuse())
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        Err(refuse())
    }
    refused! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_seq deserialize_identifier deserialize_ignored_any
    }
}

/// Accepts the top-level object only, and walks it with the registered claims watching.
struct TopVisitor<'a, V> {
    inner: V,
    state: &'a mut TopState,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopVisitor<'_, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Members { map, seen: Seen::default(), top: Some(self.state), pending: None })
    }
}

/// An object's members: names checked for repeats; at the top level, registered members read
/// by the registered claims too.
struct Members<'a, 'de, A> {
    map: A,
    seen: Seen<'de>,
    /// The top level's state; `None` in nested objects.
    top: Option<&'a mut TopState>,
    /// The registered claim whose value comes next.
    pending: Option<Field>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(Name(name)) = self.map.next_key()? else {
            if let Some(top) = self.top.as_deref_mut() {
                top.finished = true;
            }
            return Ok(None);
        };
        self.seen.insert(name.clone())?;
        self.pending = if self.top.is_some() { Field::of(&name) } else { None };
        seed.deserialize(Key { name, error: PhantomData }).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match (self.pending.take(), self.top.as_deref_mut()) {
            (Some(field), Some(top)) => {
                let captured = self.map.next_value_seed(Capture)?;
                let value = seed.deserialize(Replay { value: &captured, error: PhantomData })?;
                top.claims.set(field, captured)?;
                Ok(value)
            }
            _ => self.map.next_value_seed(Proxied(seed)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A member name, presented as serde_json's map keys present it; number and `bool` keys (which
/// serde_json parses out of the string) are refused.
struct Key<'de, E> {
    name: Cow<'de, str>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for Key<'de, E> {
    type Error = E;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.name {
            Cow::Borrowed(s) => v.visit_borrowed_str(s),
            Cow::Owned(s) => v.visit_str(&s),
        }
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.name {
            Cow::Borrowed(s) => v.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => v.visit_bytes(s.as_bytes()),
        }
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        v.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, E> {
        if private(name) { Err(refuse()) } else { v.visit_newtype_struct(self) }
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, E> {
        Err(refuse())
    }
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
struct Replay<'a, 'de, E> {
    value: &'a Captured<'de>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Replay<'_, 'de, E> {
    fn string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Str(_) => self.deserialize_any(v),
            _ => Err(refuse()),
        }
    }
    fn number<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::U64(_) | Captured::I64(_) | Captured::F64(_) => self.deserialize_any(v),
            _ => Err(refuse()),
        }
    }
    fn array<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Strs(_) => self.deserialize_any(v),
            _ => Err(refuse()),
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

impl<'de, E: de::Error> Deserializer<'de> for Replay<'_, 'de, E> {
    type Error = E;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Str(Cow::Borrowed(s)) => v.visit_borrowed_str(s),
            Captured::Str(Cow::Owned(s)) => v.visit_str(s),
            Captured::U64(n) => v.visit_u64(*n),
            Captured::I64(n) => v.visit_i64(*n),
            Captured::F64(n) => v.visit_f64(*n),
            Captured::Strs(items) => {
                let mut seq = ReplaySeq { items: items.iter(), error: PhantomData };
                let value = v.visit_seq(&mut seq)?;
                // serde_json refuses an array left half read.
                if seq.items.len() == 0 { Ok(value) } else { Err(refuse()) }
            }
        }
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.value {
            Captured::Str(Cow::Borrowed(s)) => v.visit_borrowed_bytes(s.as_bytes()),
            Captured::Str(Cow::Owned(s)) => v.visit_bytes(s.as_bytes()),
            Captured::Strs(_) => self.deserialize_any(v),
            _ => Err(refuse()),
        }
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        // A registered member is never `null` (its strict type refuses it).
        v.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, E> {
        if private(name) { Err(refuse()) } else { v.visit_newtype_struct(self) }
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, E> {
        Err(refuse())
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
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, E> {
        Err(refuse())
    }
    replayed! { string: deserialize_char deserialize_str deserialize_string deserialize_identifier }
    replayed! { number: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
    deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64 }
    replayed! { array: deserialize_seq }
    refused! { deserialize_bool deserialize_i128 deserialize_u128 deserialize_unit deserialize_map }
}

/// The strings of a registered member's array, replayed.
struct ReplaySeq<'a, 'de, E> {
    items: std::slice::Iter<'a, Cow<'de, str>>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for ReplaySeq<'_, 'de, E> {
    type Error = E;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, E> {
        let Some(item) = self.items.next() else { return Ok(None) };
        // Each element as the captured string it is.
        let value = match item {
            Cow::Borrowed(s) => Captured::Str(Cow::Borrowed(s)),
            Cow::Owned(s) => Captured::Str(Cow::Owned(s.clone())),
        };
        seed.deserialize(Replay { value: &value, error: PhantomData }).map(Some)
    }
}

/// Gives the seed a [`Checked`] deserializer.
struct Proxied<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Proxied<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Checked(d))
    }
}

/// A nested value: every call goes to serde_json, with the visitor wrapped so that the objects,
/// arrays, options, newtypes and enums inside stay checked; an ignored value is skipped
/// strictly.
struct Checked<D>(D);

macro_rules! checked {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap(v))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<D> {
    type Error = D::Error;
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        Skip.deserialize(self.0)?;
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        if private(name) { Err(refuse()) } else { self.0.deserialize_newtype_struct(name, Wrap(v)) }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(v))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(v))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(v))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Wrap(v))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(v))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
    checked! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
        deserialize_map deserialize_identifier
    }
}

/// A visitor passed on unchanged, except that what it is handed to walk further is checked.
struct Wrap<V>(V);

macro_rules! passed {
    ($($method:ident: $t:ty)*) => {$(
        fn $method<E: de::Error>(self, x: $t) -> Result<V::Value, E> {
            self.0.$method(x)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
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
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Checked(d))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Checked(d))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Elements(seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Members { map, seen: Seen::default(), top: None, pending: None })
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Enum(data))
    }
}

/// An array's elements, each checked.
struct Elements<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<A> {
    type Error = A::Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(Proxied(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An enum: its variant name may only be a string, its content is checked.
struct Enum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(VariantName(seed))?;
        Ok((value, Variant(variant)))
    }
}

/// Lets a variant name be read as a string only (serde_json reads it from the raw text).
struct VariantName<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for VariantName<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(StrOnly(d))
    }
}

/// Strings pass, everything else is refused.
struct StrOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for StrOnly<D> {
    type Error = D::Error;
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_identifier(v)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_str(v)
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_string(v)
    }
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, D::Error> {
        Err(refuse())
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
    }
}

/// An enum's content, checked.
struct Variant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(Proxied(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(v))
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap(v))
    }
}

#[cfg(test)]
mod tests;
