//! Where the token comes from: the `Authorization: Bearer` header (RFC 6750 §2.1), a cookie, a
//! custom header, or (opt-in) a query parameter, tried in the configured order.
//!
//! The parsing lives here so every framework treats requests alike; a framework only implements
//! [`RequestHead`] for its request type.

use crate::{ConfigError, Error, ErrorKind};

/// Read access to the parts of a request that may carry a token.
///
/// ```
/// struct Req(Vec<(&'static str, &'static [u8])>);
/// impl jwtguard_core::RequestHead for Req {
///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
///         v.into_iter()
///     }
///     fn query(&self) -> Option<&str> { None }
/// }
/// let req = Req(vec![("authorization", b"Bearer abc")]);
/// assert_eq!(jwtguard_core::TokenSources::default().extract(&req).ok(), Some("abc"));
/// ```
pub trait RequestHead {
    /// Every value of the header `name` (lowercase), in order.
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, Self>;
    /// The raw query string, without the `?`.
    fn query(&self) -> Option<&str>;

    /// Whether the server in front can answer gRPC (tonic behind the tower layer): only then is
    /// a request with a gRPC content type refused in gRPC's form (HTTP 200 and `grpc-status`).
    /// Defaults to `false`, so that a client-chosen content type can never turn a refusal into
    /// a 2xx where nothing speaks gRPC (an actix app, a forward-auth endpoint).
    fn serves_grpc(&self) -> bool {
        false
    }
}

/// A request head with no header and no query string: a request that carries nothing, for
/// tests and for decisions that need no request.
///
/// ```
/// use jwtguard_core::{ErrorKind, TokenSources};
/// use jwtguard_core::source::EmptyHead;
/// assert_eq!(TokenSources::default().extract(&EmptyHead).unwrap_err().kind(), ErrorKind::Missing);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyHead;

impl RequestHead for EmptyHead {
    fn header_values<'a>(&'a self, _name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        std::iter::empty()
    }

    fn query(&self) -> Option<&str> {
        None
    }
}

/// One place a token may be.
///
/// ```
/// use jwtguard_core::{TokenSource, TokenSources};
/// let sources = TokenSources::new([
///     TokenSource::Bearer,
///     TokenSource::Cookie("access_token".into()),
///     TokenSource::Header("X-Api-Token".into()),
///     TokenSource::Query("access_token".into()),
/// ])?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>`; the scheme is matched case-insensitively and exactly one
    /// credential is allowed.
    Bearer,
    /// A cookie with this name.
    Cookie(String),
    /// A custom header whose whole value is the token (`X-Auth-Token: <token>`). A `Bearer `
    /// prefix is accepted too.
    Header(String),
    /// A query parameter (RFC 6750 §2.3). Tokens in URLs end up in logs: opt in knowingly.
    Query(String),
}

/// The ordered list of token sources. Defaults to `Authorization: Bearer` only.
///
/// The first source that holds a token wins. A source that holds two tokens (two
/// `Authorization` headers, two cookies of the name) is an `invalid_request`.
///
/// ```
/// use jwtguard_core::{TokenSource, TokenSources};
/// let sources = TokenSources::new([TokenSource::Bearer, TokenSource::Cookie("session".into())])?;
/// assert_eq!(sources.as_slice().len(), 2);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSources {
    sources: Vec<TokenSource>,
}

impl Default for TokenSources {
    fn default() -> Self {
        TokenSources { sources: vec![TokenSource::Bearer] }
    }
}

impl TokenSources {
    /// Sources tried in this order.
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] for an empty list or an empty/invalid name.
    ///
    /// ```
    /// use jwtguard_core::{TokenSource, TokenSources};
    /// assert!(TokenSources::new([TokenSource::Header("bad name".into())]).is_err());
    /// assert!(TokenSources::new([]).is_err());
    /// ```
    pub fn new(sources: impl IntoIterator<Item = TokenSource>) -> Result<Self, ConfigError> {
        let mut sources: Vec<TokenSource> = sources.into_iter().collect();
        if sources.is_empty() {
            return Err(ConfigError::InvalidSetting("at least one token source is needed"));
        }
        for s in &mut sources {
            match s {
                TokenSource::Bearer => {}
                TokenSource::Header(name) => {
                    if name.is_empty() || !name.bytes().all(is_tchar) {
                        return Err(ConfigError::InvalidSetting("token header name"));
                    }
                    name.make_ascii_lowercase();
                }
                TokenSource::Cookie(name) | TokenSource::Query(name) => {
                    if name.is_empty() || name.bytes().any(|b| matches!(b, b'=' | b';' | b'&' | b' ')) {
                        return Err(ConfigError::InvalidSetting("token cookie or query name"));
                    }
                }
            }
        }
        Ok(TokenSources { sources })
    }

    /// The sources in order.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::TokenSources::default().as_slice(), [jwtguard_core::TokenSource::Bearer]);
    /// ```
    pub fn as_slice(&self) -> &[TokenSource] {
        &self.sources
    }

    /// The (lowercase) names of the headers that carry a credential for these sources, so an
    /// integration can mark them sensitive or strip them.
    ///
    /// ```
    /// use jwtguard_core::{TokenSource, TokenSources};
    /// let sources = TokenSources::new([TokenSource::Bearer, TokenSource::Header("X-Token".into()), TokenSource::Cookie("at".into())])?;
    /// assert_eq!(sources.header_names().collect::<Vec<_>>(), ["authorization", "x-token"]);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().filter_map(|s| match s {
            TokenSource::Bearer => Some("authorization"),
            TokenSource::Header(name) => Some(name.as_str()),
            TokenSource::Cookie(_) | TokenSource::Query(_) => None,
        })
    }

    /// Finds the token in `req`.
    ///
    /// # Errors
    /// [`ErrorKind::Missing`] when no source holds a token; [`ErrorKind::InvalidRequest`] when a
    /// source holds two, or a malformed one.
    ///
    /// ```
    /// struct Req(Vec<(&'static str, &'static [u8])>);
    /// impl jwtguard_core::RequestHead for Req {
    ///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
    ///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
    ///         v.into_iter()
    ///     }
    ///     fn query(&self) -> Option<&str> { None }
    /// }
    /// let two = Req(vec![("authorization", b"Bearer a"), ("authorization", b"Bearer b")]);
    /// let err = jwtguard_core::TokenSources::default().extract(&two).unwrap_err();
    /// assert_eq!(err.kind(), jwtguard_core::ErrorKind::InvalidRequest);
    /// ```
    pub fn extract<'a, R: RequestHead>(&self, req: &'a R) -> Result<&'a str, Error> {
        self.find(req, Charset::Check)
    }

    /// [`TokenSources::extract`], but a bearer credential's characters are not checked: the
    /// middleware verifies the token first, and only a token that fails is checked (with
    /// `extract`, for the exact answer). A token that verifies is made of base64url segments,
    /// so it is always a `b64token`; a cache hit then never scans it.
    pub(crate) fn extract_unchecked<'a, R: RequestHead>(&self, req: &'a R) -> Result<&'a str, Error> {
        self.find(req, Charset::Defer)
    }

    fn find<'a, R: RequestHead>(&self, req: &'a R, charset: Charset) -> Result<&'a str, Error> {
        for source in &self.sources {
            let found = match source {
                TokenSource::Bearer => from_authorization(req, charset)?,
                TokenSource::Header(name) => from_header(req, name)?,
                TokenSource::Cookie(name) => from_cookie(req, name)?,
                TokenSource::Query(name) => from_query(req, name)?,
            };
            if let Some(token) = found {
                return Ok(token);
            }
        }
        Err(Error::new(ErrorKind::Missing))
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The characters of a `b64token` before its trailing `=`, by byte value.
const B64TOKEN: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = (c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')) as u8;
        b += 1;
    }
    table
};

/// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// One table lookup a byte, eight bytes a step, without an early exit (a token is short, and
/// this is its hot path).
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=').as_bytes();
    let valid = |bytes: &[u8]| bytes.iter().fold(1u8, |ok, b| ok & B64TOKEN[usize::from(*b)]);
    let chunks = body.chunks_exact(8);
    let tail = valid(chunks.remainder());
    !body.is_empty() && chunks.fold(tail, |ok, chunk| ok & valid(chunk)) == 1
}

fn invalid(detail: &'static str) -> Error {
    Error::detailed(ErrorKind::InvalidRequest, detail)
}

/// Whether a bearer credential's characters are checked now, or left to the caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Check,
    Defer,
}

/// Splits `Bearer <token>`; `Ok(None)` for another scheme.
fn bearer_credential(value: &[u8], charset: Charset) -> Result<Option<&str>, Error> {
    let value = std::str::from_utf8(value).map_err(|_| invalid("non-ASCII authorization header"))?;
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(invalid("bearer scheme without a token"));
    }
    if charset == Charset::Check && !is_b64token(token) {
        return Err(invalid("bearer credential is not one b64token"));
    }
    Ok(Some(token))
}

fn from_authorization<R: RequestHead>(req: &R, charset: Charset) -> Result<Option<&str>, Error> {
    let mut found = None;
    let mut headers = 0;
    for value in req.header_values("authorization") {
        headers += 1;
        if headers > 1 {
            return Err(invalid("more than one authorization header"));
        }
        found = bearer_credential(value, charset)?;
    }
    Ok(found)
}

fn from_header<'a, R: RequestHead>(req: &'a R, name: &str) -> Result<Option<&'a str>, Error> {
    let mut found = None;
    for value in req.header_values(name) {
        if found.is_some() {
            return Err(invalid("more than one token header"));
        }
        let text = std::str::from_utf8(value).map_err(|_| invalid("non-ASCII token header"))?.trim();
        let token = match bearer_credential(value, Charset::Check)? {
            Some(t) => t,
            None if is_b64token(text) => text,
            None => return Err(invalid("token header is not one b64token")),
        };
        found = Some(token);
    }
    Ok(found)
}

fn from_cookie<'a, R: RequestHead>(req: &'a R, name: &str) -> Result<Option<&'a str>, Error> {
    let mut found = None;
    for value in req.header_values("cookie") {
        let Ok(text) = std::str::from_utf8(value) else { continue };
        for pair in text.split(';') {
            let Some((k, v)) = pair.trim().split_once('=') else { continue };
            if k.trim() != name {
                continue;
            }
            if found.is_some() {
                return Err(invalid("more than one token cookie"));
            }
            let v = v.trim().trim_matches('"');
            if !is_b64token(v) {
                return Err(invalid("token cookie is not one b64token"));
            }
            found = Some(v);
        }
    }
    Ok(found)
}

fn from_query<'a, R: RequestHead>(req: &'a R, name: &str) -> Result<Option<&'a str>, Error> {
    let Some(query) = req.query() else { return Ok(None) };
    let mut found = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k != name {
            continue;
        }
        if found.is_some() {
            return Err(invalid("more than one token query parameter"));
        }
        if !is_b64token(v) {
            return Err(invalid("token query parameter is not one b64token"));
        }
        found = Some(v);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req {
        headers: Vec<(&'static str, &'static [u8])>,
        query: Option<&'static str>,
    }

    impl RequestHead for Req {
        fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
            let values: Vec<&'a [u8]> = self.headers.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
            values.into_iter()
        }
        fn query(&self) -> Option<&str> {
            self.query
        }
    }

    fn req(headers: &[(&'static str, &'static [u8])]) -> Req {
        Req { headers: headers.to_vec(), query: None }
    }

    fn kind(r: Result<&str, Error>) -> ErrorKind {
        r.err().map(|e| e.kind()).unwrap_or(ErrorKind::RuleFailed)
    }

    #[test]
    fn lowercase_bearer_scheme_is_accepted() {
        let s = TokenSources::default();
        assert_eq!(s.extract(&req(&[("authorization", b"bearer abc.def.ghi")])).ok(), Some("abc.def.ghi"));
        assert_eq!(s.extract(&req(&[("authorization", b"BEARER  abc")])).ok(), Some("abc"));
    }

    #[test]
    fn no_header_or_other_scheme_is_missing() {
        let s = TokenSources::default();
        assert_eq!(kind(s.extract(&req(&[]))), ErrorKind::Missing);
        assert_eq!(kind(s.extract(&req(&[("authorization", b"Basic dXNlcjpwYXNz")]))), ErrorKind::Missing);
    }

    #[test]
    fn two_authorization_headers_are_invalid_request() {
        let s = TokenSources::default();
        let r = req(&[("authorization", b"Bearer a"), ("authorization", b"Bearer b")]);
        assert_eq!(kind(s.extract(&r)), ErrorKind::InvalidRequest);
    }

    #[test]
    fn two_credentials_or_none_are_invalid_request() {
        let s = TokenSources::default();
        assert_eq!(kind(s.extract(&req(&[("authorization", b"Bearer a b")]))), ErrorKind::InvalidRequest);
        assert_eq!(kind(s.extract(&req(&[("authorization", b"Bearer")]))), ErrorKind::InvalidRequest);
        assert_eq!(kind(s.extract(&req(&[("authorization", b"Bearer a,b")]))), ErrorKind::InvalidRequest);
        assert_eq!(kind(s.extract(&req(&[("authorization", b"Bearer \xff")]))), ErrorKind::InvalidRequest);
    }

    #[test]
    fn cookie_header_and_query_sources_in_order() {
        let s = TokenSources::new([
            TokenSource::Cookie("at".into()),
            TokenSource::Header("X-Token".into()),
            TokenSource::Query("access_token".into()),
        ])
        .unwrap();
        let r = req(&[("cookie", b"theme=dark; at=c.c.c"), ("x-token", b"h.h.h")]);
        assert_eq!(s.extract(&r).ok(), Some("c.c.c"));
        let r = req(&[("cookie", b"theme=dark"), ("x-token", b"h.h.h")]);
        assert_eq!(s.extract(&r).ok(), Some("h.h.h"));
        let r = Req { headers: vec![], query: Some("a=1&access_token=q.q.q") };
        assert_eq!(s.extract(&r).ok(), Some("q.q.q"));
        let r = req(&[("cookie", b"at=a.a.a; at=b.b.b")]);
        assert_eq!(kind(s.extract(&r)), ErrorKind::InvalidRequest);
    }

    #[test]
    fn query_source_is_off_by_default() {
        let r = Req { headers: vec![], query: Some("access_token=q.q.q") };
        assert_eq!(kind(TokenSources::default().extract(&r)), ErrorKind::Missing);
    }

    #[test]
    fn bad_source_names_are_config_errors() {
        assert!(TokenSources::new([]).is_err());
        assert!(TokenSources::new([TokenSource::Header("bad header".into())]).is_err());
        assert!(TokenSources::new([TokenSource::Cookie("a=b".into())]).is_err());
    }
}
