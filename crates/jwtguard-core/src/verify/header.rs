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

impl<'a> RawHeader<'a> {
    /// The header in `json`, strictly: `None` for anything serde_json's strict walk refuses. A
    /// compact header of plain string members (the usual `{"alg":"ES256","typ":"JWT","kid":"…"}`)
    /// is read by [`compact`]; anything else by serde_json, which then decides.
    pub(crate) fn parse(json: &'a str) -> Option<RawHeader<'a>> {
        compact(json).or_else(|| serde_json::from_str(json).ok())
    }

    pub(crate) fn into_header(self, alg: Algorithm) -> Header {
        Header {
            alg: Some(alg),
            kid: self.kid.map(Cow::into_owned),
            typ: self.typ.map(Cow::into_owned),
            encryption: None,
        }
    }
}

/// Reads a header written compactly: `{`, then up to eight members `"name":"value"` separated by
/// `,` with no whitespace, `}`, nothing after; every name and value a string with no escape and
/// no control character; no name twice; an `alg`; no `crit`. This runs on every token before the
/// signature is checked, so it is kept to what it can read exactly as the strict walk would:
/// `None` (and serde_json decides) for anything else, including what is merely unusual.
pub(crate) fn compact(json: &str) -> Option<RawHeader<'_>> {
    let mut rest = json.strip_prefix('{')?.strip_suffix('}')?;
    let mut names = [""; 8];
    let (mut alg, mut kid, mut typ) = (None, None, None);
    for n in 0..names.len() {
        let (name, after) = plain_string(rest)?;
        let (value, after) = plain_string(after.strip_prefix(':')?)?;
        if names.iter().take(n).any(|seen| *seen == name) {
            return None;
        }
        *names.get_mut(n)? = name;
        match name {
            "alg" => alg = Some(value),
            "kid" => kid = Some(value),
            "typ" => typ = Some(value),
            "crit" => return None,
            _ => {}
        }
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.is_empty() => {
                return Some(RawHeader {
                    alg: Cow::Borrowed(alg?),
                    kid: kid.map(Cow::Borrowed),
                    typ: typ.map(Cow::Borrowed),
                    crit: false,
                });
            }
            None => return None,
        }
    }
    None
}

/// A JSON string at the start of `s` that has no escape and no control character: its contents
/// and what follows it. (`s` is valid UTF-8, so any other character stands for itself.)
fn plain_string(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let end = s.bytes().position(|b| b == b'"' || b == b'\\' || b < 0x20)?;
    if s.as_bytes().get(end) != Some(&b'"') {
        return None;
    }
    Some((s.get(..end)?, s.get(end + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::{RawHeader, compact};

    /// The fields of a header, to compare.
    fn fields<'a>(h: &'a RawHeader<'_>) -> (&'a str, Option<&'a str>, Option<&'a str>, bool) {
        (&h.alg, h.kid.as_deref(), h.typ.as_deref(), h.crit)
    }

    /// Checks the one rule for `json`; says whether the compact reader answered.
    fn agrees(json: &str) -> bool {
        let Some(fast) = compact(json) else { return false };
        let strict: RawHeader<'_> = serde_json::from_str(json)
            .unwrap_or_else(|_| panic!("compact accepted what the strict walk refuses: {json}"));
        assert_eq!(fields(&fast), fields(&strict), "{json}");
        true
    }

    #[test]
    fn the_usual_headers_are_read_compactly() {
        for json in [
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":"é-ü","x5t":"abc"}"#,
            r#"{"kid":"a}b","alg":"EdDSA"}"#,
        ] {
            assert!(agrees(json), "{json}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_strict_walk() {
        for json in [
            "",
            "{}",
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"HS256","alg":"none"}"#,
            r#"{"alg":"HS256","crit":"b64"}"#,
            r#"{"alg":"HS256","crit":["b64"]}"#,
            r#"{"alg":"HS\u0032\u0035\u0036"}"#,
            r#"{"\u0061lg":"HS256"}"#,
            r#"{"alg":"HS256","kid":"a\"b"}"#,
            r#"{ "alg":"HS256"}"#,
            r#"{"alg" :"HS256"}"#,
            r#"{"alg":"HS256",}"#,
            r#"{"alg":"HS256"}}"#,
            r#"{"alg":"HS256"} "#,
            r#"{"alg":"HS256","n":1}"#,
            r#"{"alg":"HS256","jwk":{}}"#,
            "{\"alg\":\"HS\t256\"}",
            r#"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","alg":"HS256"}"#,
        ] {
            assert!(!agrees(json), "{json:?}");
        }
        // Seven others and `alg`: eight members are still compact.
        assert!(agrees(r#"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","alg":"HS256","g":"7"}"#));
        // (Some of the above are valid JSON the strict walk accepts: that they are left to it
        // is this reader's design, not the contract. The contract is `agrees`.)
    }

    #[test]
    fn a_name_repeated_anywhere_among_eight_is_refused() {
        // Found in review: a check that looked back only a few members passed every test.
        let names = ["alg", "b", "c", "d", "e", "f", "g", "h"];
        for first in 0..names.len() {
            for second in first + 1..names.len() {
                let mut members: Vec<String> = names.iter().map(|n| format!(r#""{n}":"v""#)).collect();
                members[second] = format!(r#""{}":"w""#, names[first]);
                let json = format!("{{{}}}", members.join(","));
                assert!(compact(&json).is_none(), "{json}");
                assert!(serde_json::from_str::<RawHeader<'_>>(&json).is_err(), "{json}");
            }
        }
    }

    #[test]
    fn characters_json_treats_specially_get_the_strict_answer() {
        // Found in review: a reader that trimmed Unicode whitespace after the last member would
        // have passed the other tests. Whichever way the reader answers, the strict walk agrees.
        for json in [
            "{\"alg\":\"x\"}\u{a0}",
            "{\"alg\":\"x\"\u{a0}}",
            "{\"alg\":\"x\"\u{2028}}",
            "{\"alg\":\"x\"}\n",
            "\u{feff}{\"alg\":\"x\"}",
            "{\"alg\":\"x\u{7f}\"}",
            "{\"alg\":\"x\u{2028}\"}",
            "{\"alg\":\"x\0\"}",
            "{\"\":\"\",\"alg\":\"x\"}",
            "{\"alg\":\"\"}",
            "{\"kid\":\"}\",\"alg\":\"x\"}",
            "{\"alg\":\"x\"\"}",
            "{\"alg\"\"x\"}",
            "{\"alg\":\"}",
        ] {
            agrees(json);
            assert_eq!(
                RawHeader::parse(json).map(|h| fields(&h).0.to_owned()),
                serde_json::from_str::<RawHeader<'_>>(json).ok().map(|h| fields(&h).0.to_owned()),
                "{json:?}"
            );
        }
        assert!(compact("{\"alg\":\"x\"\u{a0}}").is_none());
        assert!(compact("{\"alg\":\"x\"}\u{a0}").is_none());
    }

    #[test]
    fn generated_headers_get_the_strict_answer() {
        let pieces = [
            r#""alg""#,
            r#""kid""#,
            r#""typ""#,
            r#""crit""#,
            r#""x""#,
            r#""\u0061lg""#,
            r#""HS256""#,
            r#""k\"1""#,
            r#""""#,
            ":",
            ",",
            "{",
            "}",
            " ",
            "1",
            "[]",
            "{}",
            "\t",
            "\u{1}",
            "é",
            r#"""#,
            "\\",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut answered = 0;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Mostly well-formed: members of plain names and values, with a piece of noise.
            let members = (state % 10) as usize;
            let mut json = String::from("{");
            for m in 0..members {
                let name =
                    [r#""alg""#, r#""kid""#, r#""typ""#, r#""x""#, r#""crit""#][((state >> (m * 3)) % 5) as usize];
                let value = [r#""HS256""#, r#""k1""#, r#""JWT""#, r#""""#][((state >> (m * 5 + 1)) % 4) as usize];
                if m > 0 {
                    json.push(',');
                }
                json.push_str(name);
                json.push(':');
                json.push_str(value);
            }
            json.push('}');
            if state.is_multiple_of(3) {
                let at = ((state >> 20) as usize) % (json.len() + 1);
                let piece = pieces[((state >> 40) % pieces.len() as u64) as usize];
                if json.is_char_boundary(at) {
                    json.insert_str(at, piece);
                }
            }
            if agrees(&json) {
                answered += 1;
            }
        }
        assert!(answered > 5_000, "compact answered {answered}");
    }
}
