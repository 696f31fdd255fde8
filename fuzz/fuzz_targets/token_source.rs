//! Token extraction: `TokenSources::extract` over a request made of fuzz bytes (`Authorization`
//! headers, cookies, a custom header, the query string), then the whole `Guard::authenticate`
//! pipeline and its RFC 6750 answer.
//!
//! Input: lines `name: value` (one header each) and `?query`; see `FuzzRequest`.
//!
//! Invariants: a found token is one non-empty RFC 6750 b64token taken from the request; the
//! only failures are `Missing` (401 with a bare challenge) and `InvalidRequest` (400); with the
//! default sources, no `Authorization` header is `Missing`, two are `InvalidRequest`, and one
//! `Bearer <b64token>` yields exactly that token; the guard answers 400 or 401, never anything
//! else, and an optional guard lets only a missing token through.
#![no_main]

use std::sync::LazyLock;

use jwtguard_core::{Algorithm, Challenge, ErrorKind, Guard, Key, TokenSource, TokenSources, Validator};
use jwtguard_fuzz::{FuzzRequest, HMAC_SECRET};
use libfuzzer_sys::fuzz_target;

struct Setup {
    default: TokenSources,
    all: TokenSources,
    guard: Guard,
    optional: Guard,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let all = TokenSources::new([
        TokenSource::Cookie("access_token".into()),
        TokenSource::Header("X-Token".into()),
        TokenSource::Query("access_token".into()),
        TokenSource::Bearer,
    ])
    .expect("sources are valid");
    let validator = Validator::builder(Key::hmac(HMAC_SECRET).expect("fixture secret"), [Algorithm::HS256])
        .clock(jwtguard_core::FixedClock(jwtguard_fuzz::NOW))
        .build()
        .expect("validator builds");
    Setup {
        default: TokenSources::default(),
        guard: Guard::new(validator.clone()).sources(all.clone()),
        optional: Guard::new(validator).sources(all.clone()).optional(true),
        all,
    }
});

fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// `token` is a slice of one of the request's header values or of its query string.
fn borrowed_from(token: &str, req: &FuzzRequest) -> bool {
    let range = token.as_bytes().as_ptr_range();
    let inside = |bytes: &[u8]| {
        let r = bytes.as_ptr_range();
        r.start <= range.start && range.end <= r.end
    };
    req.headers.iter().any(|(_, v)| inside(v)) || req.query.as_deref().is_some_and(|q| inside(q.as_bytes()))
}

fn check_extracted(result: Result<&str, jwtguard_core::Error>, req: &FuzzRequest) {
    match result {
        Ok(token) => {
            assert!(is_b64token(token), "extracted token is not one b64token");
            assert!(borrowed_from(token, req), "extracted token is not from the request");
        }
        Err(e) => {
            let answer = Challenge::default().respond(&e);
            match e.kind() {
                ErrorKind::Missing => {
                    assert_eq!(answer.status(), 401);
                    assert_eq!(answer.www_authenticate(), Some(r#"Bearer realm="api""#));
                }
                ErrorKind::InvalidRequest => assert_eq!(answer.status(), 400),
                other => panic!("extraction failed with {other:?}"),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let s = &*SETUP;
    let req = FuzzRequest::parse(data);

    let found = s.default.extract(&req);
    check_extracted(found.clone(), &req);
    let auth: Vec<&[u8]> = req.headers.iter().filter(|(n, _)| n == "authorization").map(|(_, v)| &v[..]).collect();
    match auth.as_slice() {
        [] => assert_eq!(found.map_err(|e| e.kind()), Err(ErrorKind::Missing)),
        [one] => {
            // One well-formed `Bearer <b64token>` yields exactly that token.
            if let Some(t) = std::str::from_utf8(one).ok().and_then(|v| v.strip_prefix("Bearer "))
                && is_b64token(t)
            {
                assert_eq!(found.ok(), Some(t), "a well-formed bearer header was not read");
            }
        }
        _ => assert_eq!(found.map_err(|e| e.kind()), Err(ErrorKind::InvalidRequest)),
    }

    check_extracted(s.all.extract(&req), &req);

    match s.guard.authenticate::<serde_json::Value, _>(&req) {
        Ok(verified) => assert!(verified.is_some(), "a required guard let a request through without a token"),
        Err(e) => {
            let status = s.guard.reject(&e).status();
            assert!(status == 400 || status == 401, "guard answered {status}");
        }
    }
    match s.optional.authenticate::<serde_json::Value, _>(&req) {
        Ok(None) => assert_eq!(s.all.extract(&req).map_err(|e| e.kind()), Err(ErrorKind::Missing)),
        Ok(Some(_)) => {}
        Err(e) => {
            assert_ne!(e.kind(), ErrorKind::Missing);
            let status = s.optional.reject(&e).status();
            assert!(status == 400 || status == 401, "optional guard answered {status}");
        }
    }
});
