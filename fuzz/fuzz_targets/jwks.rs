//! JWKS and JWK parsing: `KeySet::from_jwks` and `Key::from_jwk` on fuzz text (what a remote
//! JWKS endpoint or a configuration file controls), then the verifiers built from whatever
//! loaded are run over fixture tokens.
//!
//! Invariants: a loaded set is not empty and every key verifies only algorithms of its kind;
//! the usable and skipped keys add up to the document's `keys`; a JWK that loads alone loads
//! the same inside a set; no `Debug` output holds a symmetric key's `k`.
#![no_main]

use jwtguard_core::{Key, KeySet};
use jwtguard_fuzz::{check_key, exercise_keys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc: Option<serde_json::Value> = serde_json::from_str(text).ok();

    if let Ok(set) = KeySet::from_jwks(text) {
        assert!(!set.is_empty(), "from_jwks returned an empty set");
        set.keys().iter().for_each(check_key);
        if let Some(keys) = doc.as_ref().and_then(|d| d.get("keys")).and_then(|k| k.as_array()) {
            assert_eq!(set.len() + set.skipped().len(), keys.len(), "keys lost between usable and skipped");
        }
        assert_no_secret(&format!("{set:?}"), doc.as_ref());
        exercise_keys(set);
    }

    if let Ok(key) = Key::from_jwk(text) {
        check_key(&key);
        assert_no_secret(&format!("{key:?}"), doc.as_ref());
        let set = KeySet::from_jwks(&format!(r#"{{"keys":[{text}]}}"#)).expect("a JWK that loads alone loads in a set");
        assert_eq!(set.len(), 1);
        let in_set = &set.keys()[0];
        assert_eq!((in_set.kid(), in_set.kind()), (key.kid(), key.kind()));
        assert!(in_set.algorithms().eq(key.algorithms()), "a JWK verifies other algorithms inside a set");
        exercise_keys(KeySet::from(key));
    }
});

/// Every `k` member in the document (at any depth) that could be a usable secret (43 or more
/// base64url characters: 32 bytes or more) and that no `kid` repeats must be absent from
/// `debug`. Shorter or other text could match a field name or an error message by chance.
fn assert_no_secret(debug: &str, doc: Option<&serde_json::Value>) {
    fn walk<'a>(v: &'a serde_json::Value, ks: &mut Vec<&'a str>, kids: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (name, value) in m {
                    match (name.as_str(), value.as_str()) {
                        ("k", Some(k)) => ks.push(k),
                        ("kid", Some(kid)) => kids.push(kid),
                        _ => walk(value, ks, kids),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, ks, kids)),
            _ => {}
        }
    }
    let Some(doc) = doc else { return };
    let (mut ks, mut kids) = (Vec::new(), Vec::new());
    walk(doc, &mut ks, &mut kids);
    let secret_like =
        |k: &&str| k.len() >= 43 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    for k in ks.into_iter().filter(secret_like) {
        if !kids.iter().any(|kid| kid.contains(k)) {
            assert!(!debug.contains(k), "Debug output holds a symmetric key");
        }
    }
}
