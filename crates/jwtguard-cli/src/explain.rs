//! `explain`: the validator's verdict in plain words. The verdict is [`Validator::verify`](jwtguard_core::Validator::verify)'s
//! (the same checks, in the same order, as in a service); this module only reads the
//! unverified header and claims to put numbers and names on the [`ErrorKind`] it returned.

use jwtguard_core::{Error, ErrorKind, dangerous};
use serde_json::{Value, json};

use crate::VerifyArgs;
use crate::output::{date, human, unix_claim};

/// What the user asked the validator to accept, for the sentences.
pub(crate) struct Policy<'a> {
    pub(crate) args: &'a VerifyArgs,
    /// The issuer checked by OIDC discovery, if any.
    pub(crate) oidc_issuer: Option<&'a str>,
    pub(crate) now: i64,
    /// The `kid`s of the key set at the time of the verdict (`None` for a key without one).
    pub(crate) kids: Vec<Option<String>>,
    pub(crate) algorithms: Vec<String>,
}

/// Why, and what to change.
pub(crate) struct Explanation {
    pub(crate) why: String,
    pub(crate) fix: String,
}

fn quoted(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => format!("'{s}'"),
        Some(other) => other.to_string(),
        None => "(none)".to_owned(),
    }
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

fn aud_values(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

impl Policy<'_> {
    fn leeway(&self) -> u64 {
        self.args.leeway
    }

    fn issuers(&self) -> Vec<String> {
        let mut v = self.args.iss.clone();
        if let Some(i) = self.oidc_issuer {
            v.push(i.to_owned());
        }
        v
    }

    /// Phrases the validator's `err` for this token.
    pub(crate) fn explain(&self, token: &str, err: &Error) -> Explanation {
        let decoded = dangerous::decode_unverified(token).ok();
        let header = decoded.as_ref().map_or(Value::Null, |d| d.header.clone());
        let claims = decoded.as_ref().map_or(Value::Null, |d| d.claims.clone());
        let e = |why: String, fix: &str| Explanation { why, fix: fix.to_owned() };
        let leeway = self.leeway();
        match err.kind() {
            ErrorKind::Expired => match unix_claim(&claims, "exp") {
                Some(exp) => e(
                    format!(
                        "expired {} ago (exp {}, leeway {leeway} s)",
                        human(self.now.saturating_sub(exp).unsigned_abs()),
                        date(exp)
                    ),
                    "get a new token (a refresh, or log in again); if this machine's clock is wrong, fix the clock (NTP) rather than the leeway",
                ),
                None => e("expired".into(), "get a new token"),
            },
            ErrorKind::NotYetValid => match unix_claim(&claims, "nbf") {
                Some(nbf) => e(
                    format!(
                        "not valid for another {} (nbf {}, leeway {leeway} s)",
                        human(nbf.saturating_sub(self.now).unsigned_abs()),
                        date(nbf)
                    ),
                    "wait until nbf, or check the clocks: the issuer's or this machine's is off (NTP)",
                ),
                None => e("not yet valid".into(), "check the clocks"),
            },
            ErrorKind::IssuedInFuture => match unix_claim(&claims, "iat") {
                Some(iat) => e(
                    format!(
                        "issued {} in the future (iat {}, leeway {leeway} s)",
                        human(iat.saturating_sub(self.now).unsigned_abs()),
                        date(iat)
                    ),
                    "the issuer's clock or this machine's is off: synchronise them (NTP)",
                ),
                None => e("issued in the future".into(), "check the clocks"),
            },
            ErrorKind::TooOld => e("older than the maximum token age".into(), "get a new token"),
            ErrorKind::WrongIssuer => {
                let accepted = self.issuers();
                e(
                    format!("iss {} is not {}", quoted(claims.get("iss")), list(&accepted)),
                    "ask for a token from the accepted issuer, or accept this one with --iss",
                )
            }
            ErrorKind::WrongAudience => {
                let auds = aud_values(&claims);
                if self.args.aud.is_empty() {
                    e(
                        format!("the token has aud {} but no audience is configured, so it is refused", list(&auds)),
                        "pass --aud with the audience this service is (a token meant for another service must not be accepted here)",
                    )
                } else {
                    e(
                        format!("aud {} is not {}", list(&auds), list(&self.args.aud)),
                        "ask the issuer for a token for this audience, or add it with --aud if this service is that audience",
                    )
                }
            }
            ErrorKind::MissingClaim => {
                let claim = err.detail().unwrap_or("a required claim");
                e(format!("the token has no `{claim}` claim, which is required"), "ask the issuer to include it")
            }
            ErrorKind::UnknownKey => {
                let have: Vec<String> =
                    self.kids.iter().map(|k| k.clone().unwrap_or_else(|| "(no kid)".into())).collect();
                let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
                match header.get("kid") {
                    Some(kid) => e(
                        format!("kid {} not in the key set; the set has {}", quoted(Some(kid)), list(&have)),
                        "use the key set of the issuer that signed the token (it may have rotated: refetch its JWKS)",
                    ),
                    None => e(
                        format!(
                            "the token has no kid and no key in the set can verify {alg}; the set has {}",
                            list(&have)
                        ),
                        "give a key of the kind the token's alg needs",
                    ),
                }
            }
            ErrorKind::BadSignature => {
                let kid = header
                    .get("kid")
                    .map_or_else(|| "the matching key".to_owned(), |k| format!("key {}", quoted(Some(k))));
                let alg = quoted(header.get("alg"));
                e(
                    format!("the signature does not verify with {kid} (alg {alg})"),
                    "the token was changed after it was signed, or signed by another key under the same kid: check the key (or secret) you verify with",
                )
            }
            ErrorKind::AlgorithmNotAllowed => e(
                format!("alg {} is not in the allow-list ({})", quoted(header.get("alg")), self.algorithms.join(", ")),
                "if that algorithm is expected, add it to --alg; `none` is never accepted",
            ),
            ErrorKind::WrongType => e(
                format!("typ {} is not '{}'", quoted(header.get("typ")), self.args.typ.as_deref().unwrap_or("")),
                "check that this is the kind of token the service expects, or change --typ",
            ),
            ErrorKind::UnsupportedCritical => e(
                format!(
                    "the header's crit {} names extensions jwtguard does not understand",
                    quoted(header.get("crit"))
                ),
                "a token with unknown critical extensions must be refused (RFC 7515 §4.1.11)",
            ),
            ErrorKind::TooLarge => e(
                format!("the token is {} bytes, more than allowed", token.len()),
                "tokens are bounded before any decoding; keep claims small",
            ),
            ErrorKind::Malformed => e(
                format!("the token is malformed: {}", err.detail().unwrap_or("not a compact JWS")),
                "check that the whole token was copied (three base64url parts separated by dots)",
            ),
            kind => e(kind.to_string(), "see the error kind"),
        }
    }

    /// What a passing token looks like, in one line.
    pub(crate) fn valid(&self, header: &Value, claims: &Value) -> String {
        let kid = header.get("kid").map_or_else(String::new, |k| format!(" by kid {}", quoted(Some(k))));
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
        let expiry = match unix_claim(claims, "exp") {
            Some(exp) if exp >= self.now => {
                format!("expires in {} (exp {})", human((exp - self.now).unsigned_abs()), date(exp))
            }
            Some(exp) => {
                format!("expired {} ago, within the leeway (exp {})", human((self.now - exp).unsigned_abs()), date(exp))
            }
            None => "no exp".into(),
        };
        format!("signed{kid} ({alg}); {expiry}")
    }
}

/// The JSON form of an explanation.
pub(crate) fn json(valid: bool, kind: Option<ErrorKind>, why: &str, fix: Option<&str>) -> Value {
    json!({"valid": valid, "kind": kind.map(ErrorKind::as_str), "why": why, "fix": fix})
}
