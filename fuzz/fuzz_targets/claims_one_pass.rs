//! Fuzz bytes as a claims set, read in one pass (what `Validator::verify` does first) and the
//! strict way (the registered claims, then the caller's type): wherever the one pass answers,
//! the strict way must accept too and give the same registered claims and the same claims, for
//! an untyped and a typed claims type. The seeds are claims sets of the other targets' tokens.
#![no_main]

use std::collections::BTreeMap;

use jwtguard_core::fuzz_support::claims_both_ways;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;

/// A claims type that reads some registered claims in its own types, ignores the rest, keeps
/// nested values, and reads some members "or default".
#[derive(Debug, PartialEq, Deserialize)]
struct Typed {
    sub: Option<String>,
    exp: Option<f64>,
    aud: Option<Value>,
    scp: Option<Vec<String>>,
    roles: Option<(String,)>,
    extra: Option<BTreeMap<String, Value>>,
    kind: Option<Kind>,
    #[serde(default, deserialize_with = "ok_or_default")]
    iss: Option<Kind>,
    #[serde(default, deserialize_with = "ok_or_default")]
    counts: Option<BTreeMap<u32, u64>>,
}

/// Reads a field "or its default", swallowing an error inside: the one pass must still refuse.
fn ok_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(T::deserialize(d).unwrap_or_default())
}

#[derive(Debug, PartialEq, Deserialize)]
enum Kind {
    Unit,
    Newtype(Value),
    Struct { level: u8 },
}

fn check<T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(payload: &str) {
    let (one, strict) = claims_both_ways::<T>(payload);
    if let Some((registered, claims)) = one {
        let Some((want_registered, want_claims)) = strict else {
            panic!("the one pass accepted a claims set the strict way refuses");
        };
        assert!(registered == want_registered, "registered claims differ");
        assert_eq!(claims, want_claims, "claims differ");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else { return };
    check::<Value>(payload);
    check::<Typed>(payload);
    check::<BTreeMap<String, Value>>(payload);
});
