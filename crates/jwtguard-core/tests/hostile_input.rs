//! Hostile input, generated: every mutation of a valid token fails, adversarial JSON behind a
//! valid signature never panics or overflows the stack, garbage keys are errors. Every rejection
//! of a client's token maps to a 4xx, never a 5xx. Deterministic (a fixed-seed generator), so a
//! failure repeats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jwtguard_core::{Algorithm, Challenge, Error, Key, KeySet, Validator};
use jwtguard_test::{Fixture, Minter, NOW, Rng, b64, claims, clock};
use serde_json::Value;

/// A client's token is never the server's fault: 400, 401 or 403, whatever the error.
fn assert_client_error(err: &Error, input: &str) {
    let status = Challenge::default().respond(err).status();
    assert!((400..500).contains(&status), "{status} for {err:?} on {input:?}");
}

fn validator(alg: Algorithm) -> Validator {
    Validator::builder(Fixture::for_alg(alg).key(), [alg]).clock(clock()).build().unwrap()
}

const ALGS: [Algorithm; 6] =
    [Algorithm::HS256, Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::ES512, Algorithm::EdDSA];

#[test]
fn no_mutation_of_a_valid_token_verifies() {
    let mut rng = Rng(0x5eed_0001);
    let replacements = ['A', 'z', '0', '-', '_', '.', '=', '+', '/', ' ', '\0', 'é', '\u{202e}'];
    for alg in ALGS {
        let v = validator(alg);
        let token = Minter::new(alg).token(&claims());
        assert!(v.verify::<Value>(&token).is_ok(), "{alg:?}");
        let chars: Vec<char> = token.chars().collect();
        let mut tried = 0;
        // Each position replaced, plus truncations, insertions and segment shuffles.
        for i in 0..chars.len() {
            let mut m = chars.clone();
            m[i] = *rng.pick(&replacements);
            let mutated: String = m.into_iter().collect();
            if mutated != token {
                tried += 1;
                let err = v.verify::<Value>(&mutated).expect_err(&mutated);
                assert_client_error(&err, &mutated);
            }
        }
        for cut in (0..token.len()).step_by(7) {
            let err = v.verify::<Value>(&token[..cut]).expect_err(&token[..cut]);
            assert_client_error(&err, &token[..cut]);
        }
        let parts: Vec<&str> = token.split('.').collect();
        for shuffled in [
            format!("{}.{}.{}", parts[1], parts[0], parts[2]),
            format!("{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[2]),
            format!("{}.{}", parts[0], parts[1]),
            format!("{}.{}.", parts[0], parts[1]),
            format!("{}..{}", parts[0], parts[2]),
            format!(".{}.{}", parts[1], parts[2]),
            format!("{token}="),
            format!(" {token}"),
        ] {
            let err = v.verify::<Value>(&shuffled).expect_err(&shuffled);
            assert_client_error(&err, &shuffled);
        }
        assert!(tried > 100, "{alg:?}: {tried}");
    }
}

/// Fragments an attacker with a valid key (or a signing oracle) could put in a claims set.
const VALUES: &[&str] = &[
    "null",
    "true",
    "0",
    "-0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "1e-400",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "253402300800",
    "\"1700000000\"",
    "\"\"",
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\u0000\"",
    "\"a\\\"b\"",
    "[]",
    "{}",
    "[null]",
    "[\"api\", 1]",
    "{\"a\":1,\"a\":2}",
    "[[[[[[[[[[]]]]]]]]]]",
    "\"orders:read  orders:write \"",
];
const NAMES: &[&str] =
    &["exp", "nbf", "iat", "iss", "sub", "aud", "jti", "scope", "scp", "roles", "x", "", "ex\\u0070"];

fn random_claims(rng: &mut Rng) -> String {
    let mut members = vec![format!("\"exp\":{}", NOW + 600)];
    for _ in 0..rng.below(6) {
        members.push(format!("\"{}\":{}", rng.pick(NAMES), rng.pick(VALUES)));
    }
    let body = members.join(",");
    match rng.below(8) {
        0 => format!("\u{feff}{{{body}}}"),
        1 => format!("{{{body}}} x"),
        2 => format!("[{body}]"),
        3 => format!("{{{body},}}"),
        _ => format!(" {{ {body} }} "),
    }
}

#[test]
fn adversarial_claims_behind_a_valid_signature_never_panic() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Typed {
        sub: String,
        exp: i64,
    }
    let mut rng = Rng(0x5eed_0002);
    let v = validator(Algorithm::HS256);
    let minter = Minter::new(Algorithm::HS256);
    let header = minter.header().to_string();
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..3000 {
        let payload = random_claims(&mut rng);
        let token = minter.raw(&header, &payload);
        match v.verify::<Value>(&token) {
            Ok(_) => accepted += 1,
            Err(e) => {
                rejected += 1;
                assert_client_error(&e, &payload);
            }
        }
        if let Err(e) = v.verify::<Typed>(&token) {
            assert_client_error(&e, &payload);
        }
    }
    // Both paths were exercised.
    assert!(accepted > 50 && rejected > 50, "{accepted} accepted, {rejected} rejected");
}

#[test]
fn adversarial_headers_behind_a_valid_signature_never_panic() {
    let mut rng = Rng(0x5eed_0003);
    let v = validator(Algorithm::HS256);
    let minter = Minter::new(Algorithm::HS256);
    let payload = claims().to_string();
    let header_names = ["alg", "kid", "typ", "crit", "jwk", "jku", "x5u", "x5c", "cty", "b64", "zip", "enc"];
    for _ in 0..2000 {
        let mut members = vec!["\"alg\":\"HS256\"".to_owned()];
        for _ in 0..rng.below(5) {
            members.push(format!("\"{}\":{}", rng.pick(&header_names), rng.pick(VALUES)));
        }
        let header = format!("{{{}}}", members.join(","));
        let token = minter.raw(&header, &payload);
        if let Err(e) = v.verify::<Value>(&token) {
            assert_client_error(&e, &header);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // A size bound far above the default, so the parser itself must hold the line.
    let v = Validator::builder(Fixture::Hmac.key(), [Algorithm::HS256])
        .clock(clock())
        .max_token_size(4 << 20)
        .build()
        .unwrap();
    let minter = Minter::new(Algorithm::HS256);
    let header = minter.header().to_string();
    for depth in [200, 10_000, 500_000] {
        let arrays = format!("{{\"exp\":{},\"x\":{}{}}}", NOW + 600, "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{{\"exp\":{},\"x\":{}1{}}}", NOW + 600, "{\"a\":".repeat(depth), "}".repeat(depth));
        for payload in [arrays, objects] {
            let token = minter.raw(&header, &payload);
            let err = v.verify::<Value>(&token).expect_err("nesting past the parser's limit");
            assert_client_error(&err, &payload[..40]);
        }
        let deep_header = format!("{{\"alg\":\"HS256\",\"x\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        let token = minter.raw(&deep_header, &claims().to_string());
        if let Err(e) = v.verify::<Value>(&token) {
            assert_client_error(&e, "deep header");
        }
    }
}

#[test]
fn garbage_keys_are_errors() {
    let mut rng = Rng(0x5eed_0004);
    let good: Vec<String> = [Fixture::Rsa, Fixture::P256, Fixture::P521, Fixture::Ed25519]
        .into_iter()
        .map(|f| f.jwk("k").to_string())
        .collect();
    for _ in 0..3000 {
        let mut bytes: Vec<char> = rng.pick(&good).chars().collect();
        for _ in 0..=rng.below(4) {
            let i = rng.below(bytes.len());
            bytes[i] = *rng.pick(&['A', '"', '{', ']', ',', '0', '-', 'x', '\\']);
        }
        let jwk: String = bytes.into_iter().collect();
        let _ = Key::from_jwk(&jwk);
        let _ = KeySet::from_jwks(&format!("{{\"keys\":[{jwk}]}}"));
        let _ = Key::from_pem(jwk.as_bytes());
    }
    for garbage in [
        "",
        "{}",
        "[]",
        "{\"keys\":{}}",
        "{\"keys\":[1,null,\"x\"]}",
        "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
    ] {
        assert!(Key::from_jwk(garbage).is_err(), "{garbage}");
        assert!(Key::from_pem(garbage).is_err(), "{garbage}");
    }
    // A PEM whose base64 is fine but whose DER is not.
    let der_garbage =
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", b64(&[0x30, 0x82, 0xff, 0xff, 1, 2, 3]));
    assert!(Key::from_pem(der_garbage).is_err());
}

#[test]
fn duplicates_past_the_inline_names_are_still_found() {
    let v = validator(Algorithm::HS256);
    let minter = Minter::new(Algorithm::HS256);
    let many = |extra: &str| {
        let names: Vec<String> = (0..40).map(|i| format!("\"m{i}\":0")).collect();
        format!("{},{extra}", names.join(","))
    };
    let exp = format!("\"exp\":{}", NOW + 600);
    let header = minter.header().to_string();
    let cases = [
        // In the payload (the 30th name again), in a nested object, and in the header.
        (header.clone(), format!("{{{exp},{}}}", many("\"m29\":1"))),
        (header.clone(), format!("{{{exp},\"x\":{{{}}}}}", many("\"m3\":1"))),
        (format!("{{\"alg\":\"HS256\",{}}}", many("\"m39\":1")), format!("{{{exp}}}")),
    ];
    for (h, p) in cases {
        let err = v.verify::<Value>(&minter.raw(&h, &p)).unwrap_err();
        assert_eq!(err.kind(), jwtguard_core::ErrorKind::Malformed, "{h} {p}");
    }
    // Without the repeat, the same shapes verify.
    let ok = format!("{{{exp},\"x\":{{{}}}}}", many("\"last\":1"));
    assert!(v.verify::<Value>(&minter.raw(&header, &ok)).is_ok());
}

#[test]
fn a_multi_issuer_validator_reads_only_iss_before_the_signature_and_strictly() {
    let one = |iss: &str, fixture: Fixture| {
        Validator::builder(fixture.key(), [Algorithm::HS256]).issuer(iss).clock(clock()).build().unwrap()
    };
    let v = Validator::multi_issuer([one("https://a", Fixture::Hmac), one("https://b", Fixture::Hmac2)]).unwrap();
    let minter = Minter::new(Algorithm::HS256);
    let header = minter.header().to_string();
    let exp = NOW + 600;
    let cases = [
        (format!("{{\"iss\":\"https://a\",\"iss\":\"https://b\",\"exp\":{exp}}}"), jwtguard_core::ErrorKind::Malformed),
        (format!("{{\"iss\":[\"https://a\"],\"exp\":{exp}}}"), jwtguard_core::ErrorKind::Malformed),
        (format!("{{\"exp\":{exp}}}"), jwtguard_core::ErrorKind::MissingClaim),
        (format!("{{\"iss\":\"https://c\",\"exp\":{exp}}}"), jwtguard_core::ErrorKind::WrongIssuer),
        // Signed for a, routed to b by its iss: b's key does not verify it.
        (format!("{{\"iss\":\"https://b\",\"exp\":{exp}}}"), jwtguard_core::ErrorKind::BadSignature),
    ];
    for (payload, kind) in cases {
        assert_eq!(v.verify::<Value>(&minter.raw(&header, &payload)).unwrap_err().kind(), kind, "{payload}");
    }
    let words: Vec<String> = (0..1000).map(|i| format!("s{i}")).collect();
    let wide = format!("{{\"iss\":\"https://a\",\"exp\":{exp},\"scope\":\"{}\"}}", words.join(" "));
    let verified = v.verify::<Value>(&minter.raw(&header, &wide)).unwrap();
    assert_eq!(verified.registered().scopes().count(), 1000);
    let repeated = format!("{{\"iss\":\"https://a\",\"exp\":{exp},\"scope\":\"a b a c b\",\"scp\":[\"c\",\"d\"]}}");
    let verified = v.verify::<Value>(&minter.raw(&header, &repeated)).unwrap();
    assert_eq!(verified.registered().scopes().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
}
