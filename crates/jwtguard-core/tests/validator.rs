//! The validator against hostile and edge-case tokens. Every test asserts the exact kind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use jwtguard_core::{Algorithm, Claim, ConfigError, ErrorKind, Key, KeyKind, KeySet, Validator};
use jwtguard_test::{Fixture, Minter, NOW, b64, claims, clock, sign, validator};
use serde_json::{Value, json};

fn kind(v: &Validator, token: &str) -> ErrorKind {
    match v.verify::<Value>(token) {
        Ok(_) => panic!("token was accepted"),
        Err(e) => e.kind(),
    }
}

fn hs256() -> Validator {
    validator(Algorithm::HS256)
}

fn with_claims(c: Value) -> String {
    Minter::new(Algorithm::HS256).token(&c)
}

#[test]
fn every_algorithm_verifies_with_its_key() {
    for alg in Algorithm::ALL {
        let token = Minter::new(alg).kid("k").token(&claims());
        let v = validator(alg);
        let verified = v.verify::<Value>(&token).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.header().alg(), Some(alg));
        assert_eq!(verified.header().kid(), Some("k"));
        assert_eq!(verified.registered().sub(), Some("alice"));
        assert_eq!(verified.claims()["sub"], "alice");
    }
}

#[test]
fn every_algorithm_is_rejected_with_another_key_of_its_kind() {
    for alg in Algorithm::ALL {
        let signer = Fixture::for_alg(alg);
        let other = signer.other();
        if other.key().kind() != alg.key_kind() {
            continue; // P-384 and P-521 have one fixture each; covered by the next test.
        }
        let token = Minter::new(alg).token(&claims());
        let v = Validator::builder(other.key(), [alg]).clock(clock()).build().unwrap();
        assert_eq!(kind(&v, &token), ErrorKind::BadSignature, "{alg}");
    }
}

#[test]
fn a_key_of_another_family_can_never_verify() {
    for alg in Algorithm::ALL {
        for wrong in Fixture::ALL.into_iter().filter(|f| f.key().kind() != alg.key_kind()) {
            // At start-up: a key that cannot serve the only allowed algorithm is refused.
            let err = Validator::builder(wrong.key(), [alg]).build().unwrap_err();
            assert!(matches!(err, ConfigError::KeyAlgorithmMismatch { .. }), "{alg} with {wrong:?}");

            // Per request: a kid that names a key of the wrong family finds no key, even when
            // the token was signed by that very key's private half or secret.
            let wrong_alg = wrong.key().algorithms().next().unwrap();
            let keys =
                KeySet::new().with(wrong.key().with_kid("wrong")).with(Fixture::for_alg(alg).key().with_kid("right"));
            let v = Validator::builder(keys, [alg, wrong_alg]).clock(clock()).build().unwrap();
            let header = json!({"alg": alg.as_str(), "kid": "wrong"}).to_string();
            let payload = claims().to_string();
            let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
            let sig = sign(wrong_alg, wrong, input.as_bytes());
            let token = format!("{input}.{}", b64(&sig));
            assert_eq!(kind(&v, &token), ErrorKind::UnknownKey, "{alg} with {wrong:?}");
        }
    }
}

#[test]
fn alg_none_is_rejected_in_every_capitalisation() {
    let keys: KeySet = Fixture::ALL.into_iter().filter(|f| *f != Fixture::Hmac2).map(Fixture::key).collect();
    let v = Validator::builder(keys, Algorithm::ALL).clock(clock()).build().unwrap();
    let payload = b64(claims().to_string().as_bytes());
    for mask in 0..16u8 {
        let none: String = "none"
            .chars()
            .enumerate()
            .map(|(i, c)| if mask & (1 << i) != 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        let header = b64(json!({ "alg": none }).to_string().as_bytes());
        for sig in ["", "AAAA", "e30"] {
            assert_eq!(kind(&v, &format!("{header}.{payload}.{sig}")), ErrorKind::AlgorithmNotAllowed, "{none} {sig}");
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_pem_is_rejected() {
    // The classic key-confusion attack: sign HS256 with the server's RSA public key as secret.
    let pem = Fixture::Rsa.public_pem().unwrap();
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(claims().to_string().as_bytes());
    let input = format!("{header}.{payload}");
    let tag = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &pem), input.as_bytes());
    let token = format!("{input}.{}", b64(tag.as_ref()));

    // Only RS256 allowed: HS256 is not on the list.
    let v = validator(Algorithm::RS256);
    assert_eq!(kind(&v, &token), ErrorKind::AlgorithmNotAllowed);

    // Even with HS256 allowed, the RSA key is never an HMAC secret: only the real secret is
    // tried, and the forged tag fails.
    let keys = KeySet::new().with(Fixture::Rsa.key()).with(Fixture::Hmac.key());
    let v = Validator::builder(keys, [Algorithm::RS256, Algorithm::HS256]).clock(clock()).build().unwrap();
    assert_eq!(kind(&v, &token), ErrorKind::BadSignature);

    // And the PEM text itself is refused as an HMAC-shaped key for RS256.
    let only_rsa = KeySet::from(Fixture::Rsa.key().with_kid("rsa"));
    assert!(Validator::builder(only_rsa, [Algorithm::HS256]).build().is_err());
}

#[test]
fn embedded_jwk_jku_and_x5u_are_ignored_for_key_selection() {
    let attacker = Fixture::P256b;
    let attacker_jwk: Value = json!({"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let v = validator(Algorithm::ES256);
    for extra in [
        json!({ "jwk": attacker_jwk }),
        json!({ "jku": "https://attacker.example/jwks.json" }),
        json!({ "x5u": "https://attacker.example/cert.pem" }),
        json!({ "x5c": ["MIIB"] }),
    ] {
        let mut header = json!({ "alg": "ES256" });
        header.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let token = Minter::new(Algorithm::ES256).fixture(attacker).raw(&header.to_string(), &claims().to_string());
        assert_eq!(kind(&v, &token), ErrorKind::BadSignature, "{header}");
    }
}

fn es_signature_case(alg: Algorithm, sig: &[u8]) -> String {
    let header = b64(json!({ "alg": alg.as_str() }).to_string().as_bytes());
    let payload = b64(claims().to_string().as_bytes());
    format!("{header}.{payload}.{}", b64(sig))
}

#[test]
fn ecdsa_zero_signature_is_rejected() {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    for (alg, len) in [(Algorithm::ES256, 64), (Algorithm::ES384, 96), (Algorithm::ES512, 132)] {
        assert_eq!(kind(&validator(alg), &es_signature_case(alg, &vec![0; len])), ErrorKind::BadSignature, "{alg}");
    }
}

fn der_int(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut v = trimmed;
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    let mut out = vec![0x02, v.len() as u8];
    out.extend(v);
    out
}

#[test]
fn der_encoded_ecdsa_signature_is_rejected() {
    let token = Minter::new(Algorithm::ES256).token(&claims());
    let (input, sig64) = token.rsplit_once('.').unwrap();
    let sig = base64_decode(sig64);
    let (r, s) = sig.split_at(32);
    let mut body = der_int(r);
    body.extend(der_int(s));
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    let v = validator(Algorithm::ES256);
    assert!(v.verify::<Value>(&token).is_ok());
    assert_eq!(kind(&v, &format!("{input}.{}", b64(&der))), ErrorKind::BadSignature);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

#[test]
fn wrong_length_signatures_are_rejected() {
    for alg in Algorithm::ALL {
        let token = Minter::new(alg).token(&claims());
        let v = validator(alg);
        let (input, sig64) = token.rsplit_once('.').unwrap();
        let sig = base64_decode(sig64);
        let mut longer = sig.clone();
        longer.push(0);
        for bad in [Vec::new(), sig[..sig.len() - 1].to_vec(), longer, vec![0; 2048]] {
            assert_eq!(kind(&v, &format!("{input}.{}", b64(&bad))), ErrorKind::BadSignature, "{alg} len {}", bad.len());
        }
    }
}

#[test]
fn non_base64url_characters_and_padding_are_malformed() {
    let token = with_claims(claims());
    let parts: Vec<&str> = token.split('.').collect();
    let v = hs256();
    for seg in 0..3 {
        for bad in ["+", "/", "*", " ", "=", "==", "\u{e9}"] {
            let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p[seg].push_str(bad);
            assert_eq!(kind(&v, &p.join(".")), ErrorKind::Malformed, "segment {seg} + {bad:?}");
        }
    }
    // Standard base64 padding on a header whose length needs it.
    let header = format!("{}=", b64(br#"{"alg":"HS256"}"#));
    assert_eq!(kind(&v, &format!("{header}.{}.{}", parts[1], parts[2])), ErrorKind::Malformed);
}

#[test]
fn extra_or_missing_segments_are_malformed() {
    let token = with_claims(claims());
    let v = hs256();
    let (a, rest) = token.split_once('.').unwrap();
    for bad in [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        a.to_owned(),
        format!("{a}.{rest}.x"),
        format!("{token}.."),
        format!("{token}.a.b"),
        format!(".{token}"),
    ] {
        assert_eq!(kind(&v, &bad), ErrorKind::Malformed, "{bad}");
    }
}

#[test]
fn a_dot_inside_the_payload_is_four_segments_whatever_else_is_wrong() {
    // Found in review: only the check for a dot between the first and the last one tells four
    // segments from three; here the header would fail on its own (`alg: none`), and the answer
    // must still be the segment count's, as it was with `split('.')`.
    let v = hs256();
    let header = b64(br#"{"alg":"none"}"#);
    let payload = b64(claims().to_string().as_bytes());
    assert_eq!(kind(&v, &format!("{header}.{payload}.x")), ErrorKind::AlgorithmNotAllowed);
    assert_eq!(kind(&v, &format!("{header}.{payload}.{payload}.x")), ErrorKind::Malformed);
    assert_eq!(kind(&v, &format!("{header}.a.b.c.x")), ErrorKind::Malformed);
}

#[test]
fn duplicate_member_names_are_rejected() {
    let m = Minter::new(Algorithm::HS256);
    let v = hs256();
    let good_claims = claims().to_string();
    let c = format!(r#"{{"sub":"a","exp":{},"iat":{NOW}"#, NOW + 600);
    for (header, payload) in [
        (r#"{"alg":"HS256","alg":"HS256"}"#.to_owned(), good_claims.clone()),
        (r#"{"alg":"HS256","\u0061lg":"none"}"#.to_owned(), good_claims.clone()),
        (r#"{"alg":"HS256","x":1,"x":2}"#.to_owned(), good_claims.clone()),
        (r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{c},"sub":"b"}}"#)),
        (r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{c},"exp":1}}"#)),
        (r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{c},"role":"a","r\u006fle":"b"}}"#)),
        (r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{c},"x":{{"a":1,"a":2}}}}"#)),
        (r#"{"alg":"HS256"}"#.to_owned(), format!(r#"{c},"x":[{{"a":1,"a":2}}]}}"#)),
    ] {
        assert_eq!(kind(&v, &m.raw(&header, &payload)), ErrorKind::Malformed, "{header} {payload}");
    }
    // The same documents without the repeat verify.
    assert!(v.verify::<Value>(&m.raw(r#"{"alg":"HS256","x":1}"#, &format!(r#"{c},"x":{{"a":1,"b":2}}}}"#))).is_ok());
}

#[test]
fn numeric_dates_are_strict() {
    let v = hs256();
    let m = Minter::new(Algorithm::HS256);
    let exp = NOW + 600;
    for bad in [
        format!(r#"{{"exp":"{exp}"}}"#),
        r#"{"exp":null}"#.to_owned(),
        r#"{"exp":true}"#.to_owned(),
        r#"{"exp":[1]}"#.to_owned(),
        r#"{"exp":-1}"#.to_owned(),
        r#"{"exp":-1.5}"#.to_owned(),
        r#"{"exp":1e30}"#.to_owned(),
        r#"{"exp":9223372036854775808}"#.to_owned(),
        r#"{"exp":99999999999999999999999}"#.to_owned(),
        format!(r#"{{"exp":{exp},"nbf":"{NOW}"}}"#),
        format!(r#"{{"exp":{exp},"nbf":-5}}"#),
        format!(r#"{{"exp":{exp},"iat":"{NOW}"}}"#),
        format!(r#"{{"exp":{exp},"iat":1e300}}"#),
    ] {
        assert_eq!(kind(&v, &m.raw(r#"{"alg":"HS256"}"#, &bad)), ErrorKind::Malformed, "{bad}");
    }
    // Fractional dates are legal NumericDates; rounding never lengthens a token's life: `exp`
    // down, `iat` down too (older for a maximum age, inside a subject revocation of its second).
    let ok = v.verify::<Value>(&m.raw(r#"{"alg":"HS256"}"#, &format!(r#"{{"exp":{exp}.9,"iat":{NOW}.1}}"#))).unwrap();
    assert_eq!(ok.registered().exp(), Some(exp));
    assert_eq!(ok.registered().iat(), Some(NOW));
}

#[test]
fn exp_is_required_and_checked_with_leeway() {
    let v = hs256();
    assert_eq!(kind(&v, &with_claims(json!({"sub": "a"}))), ErrorKind::MissingClaim);
    // Default leeway 60 s: expired 59 s ago still passes, 60 s ago does not.
    assert!(v.verify::<Value>(&with_claims(json!({"exp": NOW - 59}))).is_ok());
    assert_eq!(kind(&v, &with_claims(json!({"exp": NOW - 60}))), ErrorKind::Expired);
    let strict = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .leeway(Duration::ZERO)
        .clock(clock())
        .build()
        .unwrap();
    assert_eq!(kind(&strict, &with_claims(json!({"exp": NOW}))), ErrorKind::Expired);
    assert!(strict.verify::<Value>(&with_claims(json!({"exp": NOW + 1}))).is_ok());
}

#[test]
fn nbf_iat_and_max_age() {
    let v = hs256();
    let exp = NOW + 600;
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "nbf": NOW + 61}))), ErrorKind::NotYetValid);
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "nbf": NOW + 60}))).is_ok());
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "iat": NOW + 61}))), ErrorKind::IssuedInFuture);
    let aged = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .max_age(Duration::from_secs(300))
        .clock(clock())
        .build()
        .unwrap();
    assert!(aged.verify::<Value>(&with_claims(json!({"exp": exp, "iat": NOW - 300}))).is_ok());
    assert_eq!(kind(&aged, &with_claims(json!({"exp": exp, "iat": NOW - 361}))), ErrorKind::TooOld);
    assert_eq!(kind(&aged, &with_claims(json!({"exp": exp}))), ErrorKind::MissingClaim);
}

#[test]
fn issuer_one_or_several() {
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .issuer("https://a.example")
        .issuer("https://b.example")
        .clock(clock())
        .build()
        .unwrap();
    let exp = NOW + 600;
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "iss": "https://a.example"}))).is_ok());
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "iss": "https://b.example"}))).is_ok());
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "iss": "https://c.example"}))), ErrorKind::WrongIssuer);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "iss": "https://A.example"}))), ErrorKind::WrongIssuer);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp}))), ErrorKind::MissingClaim);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "iss": 7}))), ErrorKind::Malformed);
}

#[test]
fn audience_string_or_array() {
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).audience("api").clock(clock()).build().unwrap();
    let exp = NOW + 600;
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "aud": "api"}))).is_ok());
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "aud": ["web", "api"]}))).is_ok());
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "aud": "web"}))), ErrorKind::WrongAudience);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "aud": ["web"]}))), ErrorKind::WrongAudience);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "aud": []}))), ErrorKind::WrongAudience);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp}))), ErrorKind::MissingClaim);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "aud": [1]}))), ErrorKind::Malformed);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "aud": {"a": 1}}))), ErrorKind::Malformed);
}

#[test]
fn token_with_aud_is_rejected_when_no_audience_configured() {
    let v = hs256();
    assert_eq!(kind(&v, &with_claims(json!({"exp": NOW + 600, "aud": "api"}))), ErrorKind::WrongAudience);
    assert_eq!(kind(&v, &with_claims(json!({"exp": NOW + 600, "aud": ["api"]}))), ErrorKind::WrongAudience);
}

#[test]
fn required_claims() {
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .require(Claim::Sub)
        .require(Claim::Jti)
        .clock(clock())
        .build()
        .unwrap();
    let exp = NOW + 600;
    assert!(v.verify::<Value>(&with_claims(json!({"exp": exp, "sub": "a", "jti": "1"}))).is_ok());
    let err = v.verify::<Value>(&with_claims(json!({"exp": exp, "sub": "a"}))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingClaim);
    assert_eq!(err.detail(), Some("jti"));
}

#[test]
fn oversize_tokens_are_rejected_before_decoding() {
    let v = hs256();
    let big = with_claims(json!({"exp": NOW + 600, "pad": "x".repeat(9000)}));
    assert_eq!(kind(&v, &big), ErrorKind::TooLarge);
    assert_eq!(kind(&v, &"!".repeat(8193)), ErrorKind::TooLarge);
    let roomy = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .max_token_size(64 * 1024)
        .clock(clock())
        .build()
        .unwrap();
    assert!(roomy.verify::<Value>(&big).is_ok());
    let tiny =
        Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).max_token_size(16).clock(clock()).build().unwrap();
    assert_eq!(kind(&tiny, &with_claims(claims())), ErrorKind::TooLarge);
}

#[test]
fn unknown_crit_is_rejected() {
    let v = hs256();
    let m = Minter::new(Algorithm::HS256);
    let c = claims().to_string();
    for h in [
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
    ] {
        assert_eq!(kind(&v, &m.raw(h, &c)), ErrorKind::UnsupportedCritical, "{h}");
    }
}

#[test]
fn header_member_types_are_strict() {
    let v = hs256();
    let m = Minter::new(Algorithm::HS256);
    let c = claims().to_string();
    for h in [
        r#"{"alg":["HS256"]}"#,
        r#"{"alg":"HS256","kid":1}"#,
        r#"{"alg":"HS256","typ":null}"#,
        r#"{}"#,
        r#"[]"#,
        r#""HS256""#,
        "{\"alg\":\"HS256\"} x",
    ] {
        assert_eq!(kind(&v, &m.raw(h, &c)), ErrorKind::Malformed, "{h}");
    }
    assert_eq!(kind(&v, &m.raw(r#"{"alg":"HS257"}"#, &c)), ErrorKind::AlgorithmNotAllowed);
    assert_eq!(kind(&v, &m.raw(r#"{"alg":"hs256"}"#, &c)), ErrorKind::AlgorithmNotAllowed);
}

#[test]
fn payload_that_is_not_a_json_object_is_malformed() {
    let v = hs256();
    let m = Minter::new(Algorithm::HS256);
    for p in ["", "null", "[]", "\"x\"", "{", "{\"exp\":1} {}"] {
        assert_eq!(kind(&v, &m.raw(r#"{"alg":"HS256"}"#, p)), ErrorKind::Malformed, "{p}");
    }
}

#[test]
fn typ_check_for_rfc9068_access_tokens() {
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).typ("at+jwt").clock(clock()).build().unwrap();
    let m = Minter::new(Algorithm::HS256);
    let c = claims().to_string();
    assert!(v.verify::<Value>(&m.raw(r#"{"alg":"HS256","typ":"at+jwt"}"#, &c)).is_ok());
    assert!(v.verify::<Value>(&m.raw(r#"{"alg":"HS256","typ":"application/AT+JWT"}"#, &c)).is_ok());
    assert_eq!(kind(&v, &m.raw(r#"{"alg":"HS256","typ":"JWT"}"#, &c)), ErrorKind::WrongType);
    assert_eq!(kind(&v, &m.raw(r#"{"alg":"HS256"}"#, &c)), ErrorKind::WrongType);
}

#[test]
fn custom_rule_and_typed_claims() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Mine {
        sub: String,
        tenant: u32,
    }
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .rule(|ctx| ctx.registered().sub() != Some("mallory"))
        .clock(clock())
        .build()
        .unwrap();
    let exp = NOW + 600;
    let ok = v.verify::<Mine>(&with_claims(json!({"exp": exp, "sub": "alice", "tenant": 7}))).unwrap();
    assert_eq!(ok.claims().tenant, 7);
    assert_eq!(kind(&v, &with_claims(json!({"exp": exp, "sub": "mallory"}))), ErrorKind::RuleFailed);
    let wrong_type =
        v.verify::<Mine>(&with_claims(json!({"exp": exp, "sub": "alice", "tenant": "seven"}))).unwrap_err();
    assert_eq!(wrong_type.kind(), ErrorKind::Malformed);
}

#[test]
fn scopes_from_scope_string_and_scp_array() {
    let v = hs256();
    let t = v.verify::<Value>(&with_claims(json!({"exp": NOW + 600, "scope": "a b  c", "scp": ["c", "d"]}))).unwrap();
    assert_eq!(t.registered().scopes().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    assert!(t.registered().has_scope("d"));
    assert_eq!(kind(&v, &with_claims(json!({"exp": NOW + 600, "scope": 1}))), ErrorKind::Malformed);
}

#[test]
fn kid_selects_the_key_and_unknown_kid_fails() {
    let keys = KeySet::new().with(Fixture::Rsa.key().with_kid("one")).with(Fixture::Rsa2.key().with_kid("two"));
    let v = Validator::builder(keys, [Algorithm::RS256]).clock(clock()).build().unwrap();
    let t2 = Minter::new(Algorithm::RS256).fixture(Fixture::Rsa2).kid("two").token(&claims());
    assert!(v.verify::<Value>(&t2).is_ok());
    let t2_as_one = Minter::new(Algorithm::RS256).fixture(Fixture::Rsa2).kid("one").token(&claims());
    assert_eq!(kind(&v, &t2_as_one), ErrorKind::BadSignature);
    let unknown = Minter::new(Algorithm::RS256).kid("three").token(&claims());
    assert_eq!(kind(&v, &unknown), ErrorKind::UnknownKey);
    // Without a kid, every key of the right kind is tried.
    let no_kid = Minter::new(Algorithm::RS256).fixture(Fixture::Rsa2).token(&claims());
    assert!(v.verify::<Value>(&no_kid).is_ok());
}

#[test]
fn jwks_document_with_several_keys() {
    let jwks = format!(
        r#"{{"keys":[
          {{"kty":"EC","crv":"P-256","kid":"ec","alg":"ES256","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
          {{"kty":"oct","kid":"hs","k":"{}","key_ops":["sign","verify"]}},
          {{"kty":"oct","kid":"enc","use":"enc","k":"{}"}},
          {{"kty":"oct","kid":"ops","key_ops":["encrypt"],"k":"{}"}},
          {{"kty":"oct","kid":"short","k":"c2hvcnQ"}},
          {{"kty":"RSA","kid":"bad-alg","alg":"ES256","n":"AQAB","e":"AQAB"}},
          {{"kty":"EC","crv":"secp256k1","kid":"k1","x":"AA","y":"AA"}},
          {{"kty":"OKP","crv":"X25519","kid":"x","x":"AA"}},
          {{"kty":"WAT","kid":"wat"}},
          {{"kid":7}}
        ]}}"#,
        b64(jwtguard_test::HMAC_SECRET),
        b64(jwtguard_test::HMAC_SECRET),
        b64(jwtguard_test::HMAC_SECRET),
    );
    let keys = KeySet::from_jwks(&jwks).unwrap();
    assert_eq!(keys.len(), 2);
    let skipped: Vec<_> = keys.skipped().iter().map(|s| s.kid.clone().unwrap_or_default()).collect();
    assert_eq!(skipped, ["enc", "ops", "short", "bad-alg", "k1", "x", "wat", ""]);
    let v = Validator::builder(keys, [Algorithm::HS256]).clock(clock()).build().unwrap();
    assert!(v.verify::<Value>(&Minter::new(Algorithm::HS256).kid("hs").token(&claims())).is_ok());
    assert_eq!(kind(&v, &Minter::new(Algorithm::HS256).kid("enc").token(&claims())), ErrorKind::UnknownKey);

    assert!(matches!(KeySet::from_jwks(r#"{"keys":[{"kty":"WAT"}]}"#), Err(ConfigError::NoUsableKey)));
    assert!(matches!(KeySet::from_jwks(r#"{"keyz":[]}"#), Err(ConfigError::InvalidJwks(_))));
    assert!(matches!(KeySet::from_jwks("not json"), Err(ConfigError::InvalidJwks(_))));
}

#[test]
fn jwk_alg_restricts_the_key() {
    let rsa_jwk = r#"{"kty":"RSA","alg":"RS256","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
    let key = Key::from_jwk(rsa_jwk).unwrap();
    assert_eq!(key.algorithms().collect::<Vec<_>>(), [Algorithm::RS256]);
    assert!(matches!(
        Validator::builder(Key::from_jwk(rsa_jwk).unwrap(), [Algorithm::PS256]).build(),
        Err(ConfigError::KeyAlgorithmMismatch { .. })
    ));
    // Real IdPs often omit `alg`: then every algorithm of the key's kind is allowed.
    let no_alg = rsa_jwk.replace(r#""alg":"RS256","#, "");
    assert_eq!(Key::from_jwk(&no_alg).unwrap().algorithms().count(), 6);
}

#[test]
fn pem_formats() {
    use jwtguard_test::read_key;
    assert_eq!(Key::from_pem(read_key("rsa.pub.pem")).unwrap().kind(), KeyKind::Rsa);
    assert_eq!(Key::from_pem(read_key("rsa.pkcs1.pub.pem")).unwrap().kind(), KeyKind::Rsa);
    assert_eq!(Key::from_pem(read_key("rsa.cert.pem")).unwrap().kind(), KeyKind::Rsa);
    assert_eq!(Key::from_pem(read_key("p256.cert.pem")).unwrap().kind(), KeyKind::EcP256);
    assert_eq!(Key::from_pem(read_key("p384.pub.pem")).unwrap().kind(), KeyKind::EcP384);
    assert_eq!(Key::from_pem(read_key("p521.pub.pem")).unwrap().kind(), KeyKind::EcP521);
    assert_eq!(Key::from_pem(read_key("ed25519.pub.pem")).unwrap().kind(), KeyKind::Ed25519);
    // Tokens verify through each form.
    for (file, alg) in [
        ("rsa.pkcs1.pub.pem", Algorithm::PS512),
        ("rsa.cert.pem", Algorithm::RS384),
        ("p256.cert.pem", Algorithm::ES256),
    ] {
        let v = Validator::builder(Key::from_pem(read_key(file)).unwrap(), [alg]).clock(clock()).build().unwrap();
        assert!(v.verify::<Value>(&Minter::new(alg).token(&claims())).is_ok(), "{file}");
    }
    assert!(matches!(Key::from_pem(read_key("rsa.key.pem")), Err(ConfigError::InvalidKey(_))));
    assert!(Key::from_pem("not pem").is_err());
    assert!(Key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err());
    assert!(matches!(Key::from_pem_file("/nonexistent.pem"), Err(ConfigError::Io { .. })));
}

#[test]
fn weak_hmac_secrets_are_refused() {
    assert!(matches!(Key::hmac(b"short"), Err(ConfigError::WeakSecret(5))));
    assert!(Key::hmac([0u8; 32]).is_ok());
}

#[test]
fn builder_refuses_an_empty_allow_list() {
    assert!(matches!(Validator::builder(Fixture::Hmac.key(), []).build(), Err(ConfigError::NoAlgorithms)));
    assert!(matches!(Validator::builder(KeySet::new(), [Algorithm::HS256]).build(), Err(ConfigError::NoUsableKey)));
}

#[test]
fn secrets_and_claims_never_show_in_debug_or_errors() {
    let secret = b"this-secret-must-never-be-printed-anywhere";
    let key = Key::hmac(secret).unwrap();
    let v = Validator::builder(key, [Algorithm::HS256]).clock(clock()).build().unwrap();
    let dbg = format!("{v:?}");
    assert!(!dbg.contains("this-secret"), "{dbg}");
    let token =
        Minter::new(Algorithm::HS256).token(&json!({"exp": NOW + 600, "sub": "alice-secret-subject", "aud": "x"}));
    let err = hs256().verify::<Value>(&token).unwrap_err();
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains("alice-secret-subject") && !text.contains(&token), "{text}");
    }
    let ok = hs256()
        .verify::<Value>(
            &Minter::new(Algorithm::HS256).token(&json!({"exp": NOW + 600, "sub": "alice-secret-subject"})),
        )
        .unwrap();
    assert!(!format!("{ok:?}").contains("alice-secret-subject"));
}

#[test]
fn mutated_tokens_never_verify_and_never_panic() {
    let alphabet = b"ABCxyz019-_.=+/ \x00\xc3\xa9{}\"";
    let mut rng = jwtguard_test::Rng(0x9e37_79b9_7f4a_7c15);
    for alg in Algorithm::ALL {
        let v = validator(alg);
        let token = Minter::new(alg).kid("k").token(&claims());
        for _ in 0..400 {
            let mut bytes = token.as_bytes().to_vec();
            for _ in 0..1 + rng.below(3) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                    _ => bytes.truncate(at),
                }
            }
            let Ok(mutated) = String::from_utf8(bytes) else { continue };
            if mutated == token {
                continue;
            }
            assert!(v.verify::<Value>(&mutated).is_err(), "{alg}: mutated token verified: {mutated}");
        }
    }
}

#[test]
fn multi_issuer_routes_by_the_unverified_iss() {
    let a = Validator::builder(Fixture::Rsa.key(), [Algorithm::RS256])
        .issuer("https://a.example")
        .clock(clock())
        .build()
        .unwrap();
    let b = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
        .issuer("https://b.example")
        .audience("b-api")
        .clock(clock())
        .build()
        .unwrap();
    let v = Validator::multi_issuer([a, b]).unwrap();
    let exp = NOW + 600;
    let from_a = Minter::new(Algorithm::RS256).token(&json!({"iss": "https://a.example", "exp": exp}));
    let from_b = Minter::new(Algorithm::ES256).token(&json!({"iss": "https://b.example", "aud": "b-api", "exp": exp}));
    assert!(v.verify::<Value>(&from_a).is_ok());
    assert!(v.verify::<Value>(&from_b).is_ok());
    // Each issuer keeps its own policy: b requires its audience.
    let b_without_aud = Minter::new(Algorithm::ES256).token(&json!({"iss": "https://b.example", "exp": exp}));
    assert_eq!(kind(&v, &b_without_aud), ErrorKind::MissingClaim);
    // Claiming b's issuer with a's key fails: b's keys and algorithms apply.
    let forged = Minter::new(Algorithm::RS256).token(&json!({"iss": "https://b.example", "aud": "b-api", "exp": exp}));
    assert_eq!(kind(&v, &forged), ErrorKind::AlgorithmNotAllowed);
    let forged = Minter::new(Algorithm::ES256)
        .fixture(Fixture::P256b)
        .token(&json!({"iss": "https://b.example", "aud": "b-api", "exp": exp}));
    assert_eq!(kind(&v, &forged), ErrorKind::BadSignature);
    assert_eq!(
        kind(&v, &Minter::new(Algorithm::RS256).token(&json!({"iss": "https://c.example", "exp": exp}))),
        ErrorKind::WrongIssuer
    );
    assert_eq!(kind(&v, &Minter::new(Algorithm::RS256).token(&json!({"exp": exp}))), ErrorKind::MissingClaim);
    assert_eq!(kind(&v, "x.y.z"), ErrorKind::Malformed);
    assert_eq!(v.algorithms().collect::<Vec<_>>(), [Algorithm::RS256, Algorithm::ES256]);

    let no_iss = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).build().unwrap();
    assert!(Validator::multi_issuer([no_iss]).is_err());
    assert!(Validator::multi_issuer([]).is_err());
    let twice =
        || Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).issuer("https://a.example").build().unwrap();
    assert!(Validator::multi_issuer([twice(), twice()]).is_err());
}

mod revocation {
    use std::sync::Arc;

    use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};
    use jwtguard_core::{Error, RegisteredClaims};

    use super::*;

    fn guarded(store: Arc<dyn RevocationStore>) -> Validator {
        Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256]).revocation(store).clock(clock()).build().unwrap()
    }

    #[test]
    fn a_revoked_jti_is_rejected_until_its_exp() {
        let store = Arc::new(InMemoryRevocations::new());
        let v = guarded(store.clone());
        let t1 = with_claims(json!({"jti": "t-1", "sub": "alice", "iat": NOW, "exp": NOW + 600}));
        let t2 = with_claims(json!({"jti": "t-2", "sub": "alice", "iat": NOW, "exp": NOW + 600}));
        assert!(v.verify::<Value>(&t1).is_ok());
        store.record_jti("t-1", NOW + 600).unwrap();
        assert_eq!(kind(&v, &t1), ErrorKind::Revoked);
        assert!(v.verify::<Value>(&t2).is_ok());
        // Entries go away with the tokens they cover.
        store.sweep(NOW + 601);
        assert!(store.is_empty());
    }

    #[test]
    fn a_revocation_covers_the_leeway_after_exp() {
        // Within the 60 s leeway a token past its exp still verifies, so its revocation must
        // still hold there, and a sweep at that time must not drop it.
        let store = Arc::new(InMemoryRevocations::new());
        let at = |now: i64| {
            Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
                .revocation(store.clone())
                .clock(jwtguard_core::FixedClock(now))
                .build()
                .unwrap()
        };
        let t = with_claims(json!({"jti": "t-1", "sub": "alice", "iat": NOW, "exp": NOW + 600}));
        let other = with_claims(json!({"jti": "t-2", "sub": "alice", "iat": NOW, "exp": NOW + 600}));
        assert!(at(NOW + 630).verify::<Value>(&other).is_ok(), "inside the leeway");
        store.record_jti("t-1", NOW + 600).unwrap();
        store.record_subject("bob", NOW + 1, NOW + 600).unwrap();
        let bob = with_claims(json!({"sub": "bob", "iat": NOW, "exp": NOW + 600}));
        for now in [NOW + 600, NOW + 630, NOW + 659] {
            assert_eq!(
                at(now).verify::<Value>(&t).unwrap_err().kind(),
                ErrorKind::Revoked,
                "at exp + {}",
                now - NOW - 600
            );
            assert_eq!(at(now).verify::<Value>(&bob).unwrap_err().kind(), ErrorKind::Revoked);
        }
        // Past the leeway the token is expired anyway.
        assert_eq!(at(NOW + 660).verify::<Value>(&t).unwrap_err().kind(), ErrorKind::Expired);

        // Validators with other leeways may share the store: one with none, checking a fresh
        // token late (which sweeps), must not drop what one with 5 minutes still needs.
        let with_leeway = |now: i64, secs: u64| {
            Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
                .revocation(store.clone())
                .leeway(std::time::Duration::from_secs(secs))
                .clock(jwtguard_core::FixedClock(now))
                .build()
                .unwrap()
        };
        let fresh = with_claims(json!({"jti": "t-3", "sub": "carol", "iat": NOW, "exp": NOW + 5000}));
        assert!(with_leeway(NOW + 800, 0).verify::<Value>(&fresh).is_ok());
        assert_eq!(with_leeway(NOW + 850, 300).verify::<Value>(&t).unwrap_err().kind(), ErrorKind::Revoked);
    }

    #[test]
    fn a_subject_revoked_before_a_time_loses_older_tokens_only() {
        let store = Arc::new(InMemoryRevocations::new());
        let v = guarded(store.clone());
        let old = with_claims(json!({"sub": "alice", "iat": NOW - 100, "exp": NOW + 600}));
        let new = with_claims(json!({"sub": "alice", "iat": NOW, "exp": NOW + 600}));
        let bob = with_claims(json!({"sub": "bob", "iat": NOW - 100, "exp": NOW + 600}));
        store.record_subject("alice", NOW - 50, NOW + 3600).unwrap();
        assert_eq!(kind(&v, &old), ErrorKind::Revoked);
        assert!(v.verify::<Value>(&new).is_ok());
        assert!(v.verify::<Value>(&bob).is_ok());
        // A token without iat cannot prove it is newer: revoked.
        let no_iat = with_claims(json!({"sub": "alice", "exp": NOW + 600}));
        assert_eq!(kind(&v, &no_iat), ErrorKind::Revoked);
        let answer = jwtguard_core::Challenge::default().respond(&Error::new(ErrorKind::Revoked));
        assert_eq!(answer.status(), 401);
    }

    #[derive(Debug)]
    struct Down;

    impl RevocationStore for Down {
        fn is_revoked(&self, _: &RegisteredClaims, _: i64) -> Result<bool, Error> {
            Err(Error::detailed(ErrorKind::KeysUnavailable, "replica stale"))
        }
        fn revoke_jti<'a>(&'a self, _: &'a str, _: i64) -> jwtguard_core::revocation::StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Err(Error::new(ErrorKind::KeysUnavailable))))
        }
        fn revoke_subject<'a>(&'a self, _: &'a str, _: i64, _: i64) -> jwtguard_core::revocation::StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Err(Error::new(ErrorKind::KeysUnavailable))))
        }
    }

    #[test]
    fn a_store_that_cannot_answer_fails_closed_unless_opted_out() {
        let t = with_claims(json!({"jti": "t-1", "exp": NOW + 600}));
        assert_eq!(kind(&guarded(Arc::new(Down)), &t), ErrorKind::KeysUnavailable);
        let open = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
            .revocation(Arc::new(Down))
            .revocation_fail_open()
            .clock(clock())
            .build()
            .unwrap();
        assert!(open.verify::<Value>(&t).is_ok());
        // Fail-open covers the revocation check only: a bad token is still bad.
        assert_eq!(kind(&open, &with_claims(json!({"exp": NOW - 3600}))), ErrorKind::Expired);
    }
}

/// A revocation is forgotten `KEEP_AFTER_END` after the token's end; a validator sharing the
/// store with a longer leeway would accept the revoked token again in between (found in review).
#[test]
fn a_leeway_longer_than_revocations_are_kept_is_refused_with_a_store() {
    use std::sync::Arc;

    use jwtguard_core::revocation::{InMemoryRevocations, KEEP_AFTER_END};
    let store = Arc::new(InMemoryRevocations::new());
    let keep = Duration::from_secs(KEEP_AFTER_END as u64);
    let build = |leeway: Duration| {
        Validator::builder(Key::hmac([7u8; 32]).unwrap(), [Algorithm::HS256])
            .leeway(leeway)
            .revocation(store.clone())
            .build()
    };
    assert!(build(keep).is_ok());
    assert!(matches!(build(keep + Duration::from_secs(1)), Err(ConfigError::InvalidSetting(_))));
    // Without a store, a long leeway stays allowed.
    let no_store = Validator::builder(Key::hmac([7u8; 32]).unwrap(), [Algorithm::HS256]).leeway(keep * 2).build();
    assert!(no_store.is_ok());
}

/// `multi_issuer` with encrypted tokens: the JWE `kid` picks the validator that decrypts, and
/// the inner token's `iss` must be that validator's, checked before any key lookup.
mod multi_issuer_jwe {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jwtguard_core::issuer::EncryptionKey;
    use jwtguard_core::provider::{KeyProvider, KeySource, RefetchFuture};
    use jwtguard_core::{ContentEncryption, DecryptionKey, KeyManagement, ValidatorBuilder};

    use super::*;

    const A: &str = "https://a.example";
    const B: &str = "https://b.example";
    const C: &str = "https://c.example";
    const KEY_A: [u8; 32] = [0xa1; 32];
    const KEY_B: [u8; 32] = [0xb2; 32];

    fn decrypting(iss: &str, kid: &str, key: [u8; 32]) -> ValidatorBuilder {
        Validator::builder(Fixture::P256.key(), [Algorithm::ES256]).issuer(iss).clock(clock()).decrypt_with(
            DecryptionKey::shared(key).unwrap().with_kid(kid),
            [KeyManagement::A256Kw],
            [ContentEncryption::A256Gcm],
        )
    }

    /// a and b decrypt (b requires encryption), c takes plain tokens only.
    fn multi() -> Validator {
        let a = decrypting(A, "enc-a", KEY_A).build().unwrap();
        let b = decrypting(B, "enc-b", KEY_B).require_encryption().build().unwrap();
        let c = Validator::builder(Fixture::Rsa.key(), [Algorithm::RS256]).issuer(C).clock(clock()).build().unwrap();
        Validator::multi_issuer([a, b, c]).unwrap()
    }

    fn jws(iss: &str) -> String {
        Minter::new(Algorithm::ES256).token(&json!({"iss": iss, "sub": "alice", "exp": NOW + 600}))
    }

    fn encrypted(kid: &str, key: [u8; 32], inner: &str) -> String {
        EncryptionKey::shared(key)
            .unwrap()
            .with_kid(kid)
            .encrypt(KeyManagement::A256Kw, ContentEncryption::A256Gcm, inner)
            .unwrap()
    }

    #[test]
    fn encrypted_token_is_routed_by_its_jwe_kid_to_its_issuer() {
        let v = multi();
        for (iss, kid, key) in [(A, "enc-a", KEY_A), (B, "enc-b", KEY_B)] {
            let verified =
                v.verify::<Value>(&encrypted(kid, key, &jws(iss))).unwrap_or_else(|e| panic!("{iss}: {e:?}"));
            assert_eq!(verified.registered().iss(), Some(iss));
            assert!(verified.header().encryption().is_some());
        }
        // Plain tokens still route by iss.
        assert!(v.verify::<Value>(&jws(A)).is_ok());
        let rs = Minter::new(Algorithm::RS256).token(&json!({"iss": C, "exp": NOW + 600}));
        assert!(v.verify::<Value>(&rs).is_ok());
    }

    #[test]
    fn another_issuer_inside_is_wrong_issuer_confused_deputy() {
        let v = multi();
        // Encrypted to a's key, claiming b (whose policy wants its own encryption key) or c.
        for iss in [B, C, "https://unknown.example"] {
            let token = encrypted("enc-a", KEY_A, &jws(iss));
            assert_eq!(kind(&v, &token), ErrorKind::WrongIssuer, "{iss}");
        }
        let no_iss = Minter::new(Algorithm::ES256).token(&json!({"sub": "alice", "exp": NOW + 600}));
        assert_eq!(kind(&v, &encrypted("enc-a", KEY_A, &no_iss)), ErrorKind::MissingClaim);
    }

    #[test]
    fn unknown_or_missing_jwe_kid_is_unknown_key() {
        let v = multi();
        assert_eq!(kind(&v, &encrypted("enc-z", KEY_A, &jws(A))), ErrorKind::UnknownKey);
        let no_kid = EncryptionKey::shared(KEY_A)
            .unwrap()
            .encrypt(KeyManagement::A256Kw, ContentEncryption::A256Gcm, &jws(A))
            .unwrap();
        assert_eq!(kind(&v, &no_kid), ErrorKind::UnknownKey);
        // The right kid with the wrong key: the routed issuer's fixed decryption failure.
        assert_eq!(kind(&v, &encrypted("enc-a", KEY_B, &jws(A))), ErrorKind::DecryptionFailed);
    }

    #[test]
    fn issuer_that_requires_encryption_refuses_a_plain_jws() {
        let v = multi();
        assert_eq!(kind(&v, &jws(B)), ErrorKind::AlgorithmNotAllowed);
        // a accepts both.
        assert!(v.verify::<Value>(&jws(A)).is_ok());
    }

    #[test]
    fn routing_that_cannot_be_sound_is_refused_at_build() {
        let plain = || Validator::builder(Fixture::Rsa.key(), [Algorithm::RS256]).issuer(C).build().unwrap();
        // A decryption key without a kid could not be routed to.
        let no_kid = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
            .issuer(A)
            .decrypt_with(DecryptionKey::shared(KEY_A).unwrap(), [KeyManagement::A256Kw], [ContentEncryption::A256Gcm])
            .build()
            .unwrap();
        let err = Validator::multi_issuer([plain(), no_kid]).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidSetting(s) if s.contains("needs a kid")), "{err:?}");
        // One kid in two validators would leave the choice to the token.
        let a = decrypting(A, "enc", KEY_A).build().unwrap();
        let b = decrypting(B, "enc", KEY_B).build().unwrap();
        let err = Validator::multi_issuer([a, b]).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidSetting(s) if s.contains("same kid")), "{err:?}");
        // Two keys of one validator sharing a kid still name one validator (found in review).
        let both = jwtguard_core::DecryptionKeys::new()
            .with(DecryptionKey::shared(KEY_A).unwrap().with_kid("enc"))
            .with(DecryptionKey::shared([9u8; 16]).unwrap().with_kid("enc"));
        let one = Validator::builder(Fixture::P256.key(), [Algorithm::ES256])
            .issuer(A)
            .decrypt_with(both, [KeyManagement::A256Kw, KeyManagement::A128Kw], [ContentEncryption::A256Gcm])
            .build()
            .unwrap();
        assert!(Validator::multi_issuer([plain(), one]).is_ok());
    }

    #[derive(Debug, Default)]
    struct Counts {
        keys: AtomicUsize,
        refetches: AtomicUsize,
    }

    /// A provider that counts every look at its keys and every refetch.
    #[derive(Debug)]
    struct Counting(Arc<Counts>);

    impl KeyProvider for Counting {
        fn keys(&self) -> Result<Arc<KeySet>, jwtguard_core::Error> {
            self.0.keys.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::new(KeySet::from(Fixture::P256.key())))
        }
        fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> {
            self.0.refetches.fetch_add(1, Ordering::SeqCst);
            None
        }
        fn allows_symmetric_keys(&self) -> bool {
            false
        }
    }

    #[test]
    fn unknown_issuer_inside_an_encrypted_token_causes_no_key_fetch() {
        let provider = Arc::new(Counts::default());
        let a = Validator::builder(KeySource::provider(Counting(provider.clone())), [Algorithm::ES256])
            .issuer(A)
            .clock(clock())
            .decrypt_with(
                DecryptionKey::shared(KEY_A).unwrap().with_kid("enc-a"),
                [KeyManagement::A256Kw],
                [ContentEncryption::A256Gcm],
            )
            .build()
            .unwrap();
        let c = Validator::builder(Fixture::Rsa.key(), [Algorithm::RS256]).issuer(C).clock(clock()).build().unwrap();
        let v = Validator::multi_issuer([a, c]).unwrap();
        // An unknown issuer with a kid nobody has: the kind of token that would trigger a refetch.
        let inner = Minter::new(Algorithm::ES256)
            .kid("never-seen")
            .token(&json!({"iss": "https://unknown.example", "exp": NOW + 600}));
        let token = encrypted("enc-a", KEY_A, &inner);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let err = rt.block_on(v.verify_async::<Value>(&token)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongIssuer);
        assert!(!v.needs_refetch(&err));
        assert_eq!(provider.keys.load(Ordering::SeqCst), 0, "keys looked at for an unknown issuer");
        assert_eq!(provider.refetches.load(Ordering::SeqCst), 0, "refetch for an unknown issuer");
        // a's own token still verifies through the provider.
        assert!(v.verify::<Value>(&encrypted("enc-a", KEY_A, &jws(A))).is_ok());
    }
}
