//! The one-pass parse against the strict two passes it replaces: wherever it answers, both
//! strict passes succeed and give the same registered claims and the same `T`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::verify::claims::RegisteredClaims;

/// The one pass over a copy of `payload`.
fn parse<T: DeserializeOwned>(payload: &str) -> Option<(RegisteredClaims, T)> {
    super::parse(payload.to_owned()).ok()
}

/// The strict way: the registered claims, then `T` with plain serde_json.
fn strict<T: DeserializeOwned>(payload: &str) -> Option<(RegisteredClaims, T)> {
    let registered = serde_json::from_str::<RegisteredClaims>(payload).ok()?;
    let claims = serde_json::from_str::<T>(payload).ok()?;
    Some((registered, claims))
}

/// Checks the one rule for `payload` and says whether the one pass answered.
fn agrees<T: DeserializeOwned + PartialEq + std::fmt::Debug>(payload: &str) -> bool {
    let Some((registered, claims)) = parse::<T>(payload) else { return false };
    let Some((want_registered, want_claims)) = strict::<T>(payload) else {
        panic!("the one pass accepted what the strict way refuses: {payload}");
    };
    assert!(registered == want_registered, "registered claims differ for {payload}");
    assert_eq!(claims, want_claims, "claims differ for {payload}");
    true
}

#[derive(Debug, PartialEq, Deserialize)]
struct Typical {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    scope: String,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Optional {
    sub: Option<String>,
    exp: Option<f64>,
    nbf: Option<u32>,
    aud: Option<Value>,
    scp: Option<Vec<String>>,
    roles: Option<Roles>,
    name: Option<String>,
    nested: Option<BTreeMap<String, Value>>,
    list: Option<Vec<Value>>,
    kind: Option<Kind>,
    iat: Option<Lenient>,
    jti: Option<Lenient>,
}

/// Asks for a string and takes anything it is given: only the deserializer's strictness about
/// what it hands a `deserialize_str` keeps a number out (serde_json refuses before visiting).
#[derive(Debug, PartialEq)]
struct Lenient(String);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'v> serde::de::Visitor<'v> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_str<E>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'v>>(self, _: A) -> Result<Lenient, A::Error> {
                Ok(Lenient("seq".into()))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Roles {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, PartialEq, Deserialize)]
enum Kind {
    Plain,
    Tagged { level: u8 },
    Wrapped(Value),
}

#[derive(Debug, PartialEq, Deserialize)]
struct Flattened {
    sub: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, Value>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Closed {
    iss: Option<String>,
    exp: Option<i64>,
    sub: Option<String>,
}

/// Reads one element of an array: serde_json refuses the rest left unread.
#[derive(Debug, PartialEq, Deserialize)]
struct FirstAudience {
    aud: Option<(String,)>,
    roles: Option<(Lenient,)>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Keyed {
    counts: Option<HashMap<u32, Value>>,
    flags: Option<HashMap<bool, Value>>,
}

/// Every claims type above on one payload; the one pass answering for `Value` is counted.
fn all_agree(payload: &str) -> bool {
    agrees::<Typical>(payload);
    agrees::<Optional>(payload);
    agrees::<Flattened>(payload);
    agrees::<Closed>(payload);
    agrees::<Keyed>(payload);
    agrees::<FirstAudience>(payload);
    agrees::<Forgiving>(payload);
    agrees::<Lax>(payload);
    agrees::<Option<Typical>>(payload);
    agrees::<BTreeMap<String, Value>>(payload);
    agrees::<Value>(payload)
}

#[test]
fn a_typical_claims_set_is_read_in_one_pass() {
    let payload =
        r#"{"sub":"u-1","iss":"https://idp","aud":"api","exp":1700000000,"iat":1699990000,"jti":"j","scope":"a b a"}"#;
    assert!(agrees::<Typical>(payload));
    assert!(agrees::<Value>(payload));
    let (registered, _) = parse::<Typical>(payload).unwrap();
    assert_eq!(registered.scopes().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn a_repeated_name_anywhere_is_left_to_the_strict_way() {
    for payload in [
        // in a member the claims type ignores
        r#"{"sub":"u","iss":"i","aud":"a","exp":1,"scope":"s","x":{"k":1,"k":2}}"#,
        // inside an array it ignores
        r#"{"sub":"u","iss":"i","aud":"a","exp":1,"scope":"s","x":[0,{"k":1,"k":2}]}"#,
        // at the top level, one of them escaped
        r#"{"sub":"u","iss":"i","aud":"a","exp":1,"scope":"s","\u0073ub":"v"}"#,
        // an unregistered name twice
        r#"{"sub":"u","iss":"i","aud":"a","exp":1,"scope":"s","n":1,"n":1}"#,
    ] {
        assert!(strict::<Value>(payload).is_none(), "{payload}");
        for_each_type_none(payload);
    }
    // in members the claims type reads: as a map, in an array, in an enum's content
    for payload in [
        r#"{"nested":{"a":{"k":1,"k":2}}}"#,
        r#"{"list":[{"k":1,"k":2}]}"#,
        r#"{"kind":{"Wrapped":{"k":1,"k":2}}}"#,
        r#"{"kind":{"Tagged":{"level":1,"level":2}}}"#,
        r#"{"nested":{"a":1,"a":2}}"#,
    ] {
        assert!(serde_json::from_str::<Optional>(payload).is_ok() || payload.contains("level"), "{payload}");
        assert!(parse::<Optional>(payload).is_none(), "{payload}");
        assert!(parse::<Value>(payload).is_none(), "{payload}");
    }
}

fn for_each_type_none(payload: &str) {
    assert!(parse::<Typical>(payload).is_none(), "{payload}");
    assert!(parse::<Optional>(payload).is_none(), "{payload}");
    assert!(parse::<Flattened>(payload).is_none(), "{payload}");
    assert!(parse::<Value>(payload).is_none(), "{payload}");
    assert!(parse::<serde::de::IgnoredAny>(payload).is_none(), "{payload}");
}

#[test]
fn a_registered_claim_of_the_wrong_type_is_left_to_the_strict_way() {
    // `T` would take each of these; the registered claims refuse them.
    for payload in [
        r#"{"exp":"1700000000"}"#,
        r#"{"exp":null}"#,
        r#"{"exp":-1}"#,
        r#"{"exp":1e300}"#,
        r#"{"iss":["a"]}"#,
        r#"{"aud":[1]}"#,
        r#"{"scope":null}"#,
        r#"{"roles":{"a":1}}"#,
    ] {
        assert!(strict::<Value>(payload).is_none(), "{payload}");
        assert!(serde_json::from_str::<Value>(payload).is_ok(), "{payload}");
        assert!(parse::<Value>(payload).is_none(), "{payload}");
    }
}

#[test]
fn raw_values_are_left_to_the_strict_way() {
    #[derive(Deserialize)]
    struct Raw {
        #[allow(dead_code)]
        x: Box<serde_json::value::RawValue>,
    }
    // The raw text is read around the proxy: its repeated name would go unseen.
    let payload = r#"{"x":{"k":1,"k":2}}"#;
    assert!(serde_json::from_str::<Raw>(payload).is_ok());
    assert!(parse::<Raw>(payload).is_none());
    assert!(parse::<Raw>(r#"{"x":{"k":1}}"#).is_none());
}

#[test]
fn what_is_not_an_object_is_not_a_claims_set() {
    for payload in ["[]", r#"["a"]"#, "1", r#""s""#, "null", "{}x", "{} {}", ""] {
        assert!(parse::<Value>(payload).is_none(), "{payload}");
        assert!(parse::<Option<Value>>(payload).is_none(), "{payload}");
    }
    // A struct may be read from an array by serde_json; a claims set may not.
    assert!(serde_json::from_str::<Closed>(r#"["i",1,"s"]"#).is_ok());
    assert!(parse::<Closed>(r#"["i",1,"s"]"#).is_none());
}

#[test]
fn registered_values_reach_the_claims_type_as_serde_json_gives_them() {
    for payload in [
        r#"{"sub":"a\"b","iss":"\u00e9","aud":"x","exp":1.0,"scope":"s"}"#,
        r#"{"sub":"a","iss":"i","aud":"x","exp":17,"scope":"  s  t  "}"#,
        r#"{"exp":1.5,"nbf":2.5,"aud":["a","b\n"],"scp":["x y","x y",""],"roles":"r r q"}"#,
        r#"{"exp":0,"nbf":4294967295,"roles":["r"],"sub":"\ud83d\ude00"}"#,
        r#"{"roles":[],"aud":[],"scope":"a","scp":"b a"}"#,
    ] {
        assert!(all_agree(payload), "{payload}");
    }
}

/// A small deterministic generator of claims-set-like JSON: registered and other names (some
/// escaped, some repeated), values of every type, nested objects and arrays.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn name(&mut self) -> String {
        let n = self.pick(&[
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "jti",
            "scope",
            "scp",
            "roles",
            "name",
            "nested",
            "list",
            "kind",
            "counts",
            "flags",
            "\\u0069ss",
            "ex\\u0070",
            "k",
            "level",
            "Plain",
            "Tagged",
            "Wrapped",
            "7",
            "true",
            "m",
            "n",
        ]);
        format!("\"{n}\"")
    }
    fn string(&mut self) -> String {
        let s = self.pick(&["", "a", "a b", "a  b a", " x ", "\\n", "\\u00e9", "\\ud83d\\ude00", "Plain", "1"]);
        format!("\"{s}\"")
    }
    fn value(&mut self, depth: u32) -> String {
        let kinds = if depth > 2 { 6 } else { 9 };
        match self.next() % kinds {
            0 => self.string(),
            1 => self
                .pick(&["0", "1", "-1", "1.5", "1e3", "17e300", "253402300799", "253402300800", "18446744073709551616"])
                .into(),
            2 => self.pick(&["null", "true", "false"]).into(),
            3 | 4 => self.string(),
            5 => self.pick(&["1700000000", "4294967296", "255", "-0", "0.0"]).into(),
            6 => {
                let n = self.next() % 4;
                let items: Vec<String> = (0..n)
                    .map(|_| if self.next().is_multiple_of(3) { self.value(depth + 1) } else { self.string() })
                    .collect();
                format!("[{}]", items.join(","))
            }
            _ => self.object(depth + 1),
        }
    }
    fn object(&mut self, depth: u32) -> String {
        let n = self.next() % 6;
        let members: Vec<String> = (0..n).map(|_| format!("{}:{}", self.name(), self.value(depth))).collect();
        format!("{{{}}}", members.join(","))
    }
}

#[test]
fn generated_claims_sets_get_the_strict_answer() {
    let mut generator = Gen(0x2545_f491_4f6c_dd1d);
    let (mut answered, total) = (0, 20_000);
    for _ in 0..total {
        let payload = generator.object(0);
        if all_agree(&payload) {
            answered += 1;
        }
    }
    // The check above is worth something only if the one pass does answer often.
    assert!(answered > total / 10, "the one pass answered {answered} of {total}");
}

/// Reads a field "or its default": an error inside is swallowed (a common serde helper).
fn ok_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(T::deserialize(d).unwrap_or_default())
}

#[derive(Debug, PartialEq, Deserialize)]
enum Tenant {
    #[serde(rename = "https://a.example")]
    A,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Forgiving {
    #[serde(default, deserialize_with = "ok_or_default")]
    iss: Option<Tenant>,
    #[serde(default, deserialize_with = "ok_or_default")]
    exp: Option<i128>,
    #[serde(default, deserialize_with = "ok_or_default")]
    n: Option<u64>,
    #[serde(default, deserialize_with = "ok_or_default")]
    m: Option<HashMap<u32, u8>>,
}

#[test]
fn a_refusal_the_claims_type_swallows_is_still_a_refusal() {
    // Found in review: each of these gave `Some` with a default where the strict way gives the
    // value (or refuses the claims set).
    for payload in [
        r#"{"iss":"https://a.example","exp":4102444800}"#,
        r#"{"exp":4102444800}"#,
        r#"{"exp":4102444800,"m":{"7":1}}"#,
        r#"{"exp":4102444800,"n":1e400}"#,
    ] {
        assert!(parse::<Forgiving>(payload).is_none(), "{payload}");
    }
    assert_eq!(strict::<Forgiving>(r#"{"iss":"https://a.example"}"#).unwrap().1.iss, Some(Tenant::A));
    assert!(strict::<Forgiving>(r#"{"exp":4102444800,"n":1e400}"#).is_none());
}

/// A claims set read member by member, going on past a member it cannot read.
#[derive(Debug, PartialEq)]
struct Lax(usize);

impl<'de> Deserialize<'de> for Lax {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Lax;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Lax, A::Error> {
                let mut read = 0;
                while map.next_key::<String>()?.is_some() {
                    read += usize::from(map.next_value::<serde::de::IgnoredAny>().is_ok());
                }
                Ok(Lax(read))
            }
        }
        d.deserialize_map(V)
    }
}

#[test]
fn a_registered_claim_of_the_wrong_type_is_refused_even_when_the_claims_type_goes_on() {
    let payload = r#"{"exp":4102444800,"nbf":"9999999999"}"#;
    assert!(strict::<Lax>(payload).is_none());
    assert!(parse::<Lax>(payload).is_none());
}

/// Reads `blob` as bytes, as `serde_bytes::ByteBuf` does.
#[derive(Debug, PartialEq)]
struct Blob(Vec<u8>);

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct WithBlob {
    blob: Blob,
}

#[test]
fn bytes_are_left_to_the_strict_way() {
    // serde_json reads bytes without the string checks: a lone surrogate passes there, and the
    // strict parse refuses it.
    let payload = r#"{"exp":4102444800,"blob":"\ud800"}"#;
    assert!(serde_json::from_str::<WithBlob>(payload).is_ok());
    assert!(strict::<WithBlob>(payload).is_none());
    assert!(parse::<WithBlob>(payload).is_none());
}

#[test]
fn an_f32_registered_claim_is_left_to_the_strict_way() {
    // With serde_json's `float_roundtrip` (which another crate may turn on), serde_json parses
    // straight to `f32`; rounding the captured `f64` can differ.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Single {
        exp: f32,
    }
    let payload = r#"{"exp":1.000000059604644776390625}"#;
    assert!(parse::<Single>(payload).is_none());
    assert!(agrees::<Value>(payload));
}
