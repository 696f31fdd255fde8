//! Strict JSON walking: member names are compared after unescaping, and a name seen twice in
//! one object is an error at every depth (RFC 7515 §5.2 and RFC 7519 §7.2 allow a parser to
//! reject duplicates; accepting them lets two parsers read two different tokens).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A member name, borrowed from the input when it holds no escapes.
pub(crate) struct Name<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowStr).map(Name)
    }
}

/// Deserializes a string, borrowed when possible.
pub(crate) struct CowStr;

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> DeserializeSeed<'de> for CowStr {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(CowStr)
    }
}

/// Remembers the member names of one object and fails on a repeat. The first few names (those
/// without escapes) live inline, so a typical claims set costs no allocation here, and a 64-bit filter of their
/// lengths and end bytes spares most comparisons; past those a hash set keeps the check linear,
/// since a header is parsed before its signature is checked (BENCHMARKS.md, "forged tokens",
/// has the cost of a header of many names).
#[derive(Default)]
pub(crate) struct Seen<'de> {
    /// The first names without escapes, as slices of the JSON.
    inline: [&'de str; INLINE],
    len: usize,
    /// A bit per name seen, by [`filter_bit`]: a name whose bit is clear is new.
    filter: u64,
    /// The names past those, and every name with an escape. Made when first needed: a typical
    /// object never pays for the hasher.
    spill: Option<HashSet<Cow<'de, str>>>,
}

const INLINE: usize = 16;

/// One of 64 bits, from a name's length and its first and last bytes.
fn filter_bit(name: &[u8]) -> u64 {
    let (first, last) = (name.first().copied().unwrap_or(0), name.last().copied().unwrap_or(0));
    let mix = (name.len() as u64 ^ u64::from(first) << 16 ^ u64::from(last) << 24).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    1 << (mix >> 58)
}

impl<'de> Seen<'de> {
    pub(crate) fn insert<E: de::Error>(&mut self, name: Cow<'de, str>) -> Result<(), E> {
        let duplicate = || E::custom("duplicate member name");
        let bit = filter_bit(name.as_bytes());
        // A clear bit: no name like it was seen, so no comparison at all.
        let maybe_seen = self.filter & bit != 0;
        self.filter |= bit;
        if maybe_seen && self.inline.get(..self.len).unwrap_or_default().contains(&&*name) {
            return Err(duplicate());
        }
        match (name, self.inline.get_mut(self.len)) {
            (Cow::Borrowed(name), Some(slot)) => {
                // The hash set holds only escaped names while the inline slots last.
                if maybe_seen && self.spill.as_ref().is_some_and(|spill| spill.contains(name)) {
                    return Err(duplicate());
                }
                *slot = name;
                self.len += 1;
            }
            // One hash per name past the inline ones: the insert says whether it was there.
            (name, _) => {
                if !self.spill.get_or_insert_with(HashSet::new).insert(name) {
                    return Err(duplicate());
                }
            }
        }
        Ok(())
    }
}

/// Skips any JSON value while still rejecting duplicate names in nested objects.
pub(crate) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Seen::default();
        while let Some(Name(name)) = map.next_key()? {
            seen.insert(name)?;
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// Checks a whole JSON text for duplicate member names (used where no typed walk happens).
pub(crate) fn check_strict(json: &[u8]) -> bool {
    let mut d = serde_json::Deserializer::from_slice(json);
    Skip.deserialize(&mut d).is_ok() && d.end().is_ok()
}

#[cfg(test)]
mod tests {
    use super::check_strict;

    #[test]
    fn an_escaped_name_repeats_a_plain_one_in_either_order_at_any_position() {
        // Found in review: escaped names are kept apart from the inline ones, and only the
        // plain-first order was tested.
        for before in [0, 5, 15, 16, 17, 30] {
            let others: String = (0..before).map(|i| format!(r#""n{i}":0,"#)).collect();
            for (a, b) in
                [(r#""sub""#, r#""\u0073ub""#), (r#""\u0073ub""#, r#""sub""#), (r#""\u0073ub""#, r#""su\u0062""#)]
            {
                for json in [format!("{{{others}{a}:1,{b}:2}}"), format!(r#"{{"x":{{{others}{a}:1,{b}:2}}}}"#)] {
                    assert!(!check_strict(json.as_bytes()), "{json}");
                }
            }
            let distinct = format!(r#"{{{others}"sub":1,"\u0073uc":2}}"#);
            assert!(check_strict(distinct.as_bytes()), "{distinct}");
        }
    }
}
