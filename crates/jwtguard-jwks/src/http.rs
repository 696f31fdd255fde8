//! The one bounded HTTP GET that the JWKS and discovery fetches share.

use std::time::Duration;

use jwtguard_core::ConfigError;
use url::Url;

/// A fetched body and its `Cache-Control: max-age`, if any.
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    pub(crate) max_age: Option<Duration>,
}

/// Why a fetch failed. Never carries the body.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    #[error("answered with HTTP {0}")]
    Status(u16),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
}

/// GET `url` and read at most `max_body` bytes of a successful answer.
pub(crate) async fn get_bounded(
    client: &reqwest::Client,
    url: &Url,
    accept: &str,
    max_body: usize,
) -> Result<Fetched, FetchError> {
    let mut res = client.get(url.clone()).header("accept", accept).send().await.map_err(FetchError::Request)?;
    if !res.status().is_success() {
        return Err(FetchError::Status(res.status().as_u16()));
    }
    if res.content_length().is_some_and(|n| n > max_body as u64) {
        return Err(FetchError::TooLarge(max_body));
    }
    let max_age = res.headers().get("cache-control").and_then(|v| v.to_str().ok()).and_then(parse_max_age);
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(FetchError::Request)? {
        if body.len() + chunk.len() > max_body {
            return Err(FetchError::TooLarge(max_body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, max_age })
}

/// A client with connect and total timeouts that follows at most three redirects, all on the
/// origin of `url`.
pub(crate) fn default_client(url: &Url, connect: Duration, total: Duration) -> Result<reqwest::Client, ConfigError> {
    let origin = url.origin();
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|_| ConfigError::InvalidSetting("cannot build the HTTP client"))
}

/// Parses an http(s) URL and requires https unless the host is loopback or `allow_http`.
pub(crate) fn parse_url(text: &str, allow_http: bool, what: &'static str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|_| ConfigError::InvalidSetting(what))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http || is_loopback(&url) => Ok(url),
        _ => Err(ConfigError::InvalidSetting(what)),
    }
}

/// `max-age=N` from a `Cache-Control` value.
pub(crate) fn parse_max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok().map(Duration::from_secs))?
    })
}

/// `true` for `localhost` and loopback addresses.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(parse_max_age("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(parse_max_age("MAX-AGE=\"60\", must-revalidate"), Some(Duration::from_secs(60)));
        assert_eq!(parse_max_age("no-cache"), None);
        assert_eq!(parse_max_age("max-age=soon"), None);
    }

    #[test]
    fn loopback_hosts() {
        for u in ["http://localhost:1/x", "http://127.0.0.1/x", "http://127.8.9.1/x", "http://[::1]:8/x"] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in ["http://example.com/x", "http://10.0.0.1/x", "http://localhost.example.com/x"] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }

    #[test]
    fn https_unless_loopback_or_opt_in() {
        assert!(parse_url("https://idp.example/x", false, "u").is_ok());
        assert!(parse_url("http://127.0.0.1:9/x", false, "u").is_ok());
        assert!(parse_url("http://idp.example/x", false, "u").is_err());
        assert!(parse_url("http://idp.example/x", true, "u").is_ok());
        assert!(parse_url("ftp://idp.example/x", true, "u").is_err());
    }
}
