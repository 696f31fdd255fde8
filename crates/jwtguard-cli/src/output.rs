//! How results reach the user: colour only on a terminal (and never with `NO_COLOR`), the same
//! plain words when piped, JSON with `--json`; human durations and RFC 3339 times.

use std::io::IsTerminal;

use serde_json::Value;

/// Where and how to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    pub(crate) json: bool,
    colour: bool,
}

impl Out {
    pub(crate) fn new(json: bool) -> Self {
        let colour = !json
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        Out { json, colour }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }
    pub(crate) fn good(self, text: &str) -> String {
        self.paint("1;32", text)
    }
    pub(crate) fn bad(self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Prints an error on stderr: `error: ...`, or `{"error": ...}` with `--json`.
    pub(crate) fn error(self, message: &str) {
        if self.json {
            eprintln!("{}", serde_json::json!({ "error": message }));
        } else {
            eprintln!("error: {message}");
        }
    }
}

/// `3 h 12 min`, `14 min 5 s`, `45 s`, `2 d 3 h`.
pub(crate) fn human(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let pair = |a: u64, ua: &str, b: u64, ub: &str| {
        if b == 0 { format!("{a} {ua}") } else { format!("{a} {ua} {b} {ub}") }
    };
    if d > 0 {
        pair(d, "d", h, "h")
    } else if h > 0 {
        pair(h, "h", m, "min")
    } else if m > 0 {
        pair(m, "min", s, "s")
    } else {
        format!("{s} s")
    }
}

/// A Unix time as RFC 3339, or the number when it is out of range.
pub(crate) fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// A numeric claim (`exp`, `nbf`, `iat`) as whole seconds.
pub(crate) fn unix_claim(claims: &Value, name: &str) -> Option<i64> {
    let n = claims.get(name)?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15)?;
    #[allow(clippy::cast_possible_truncation)]
    Some(f.floor() as i64)
}

pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn durations_read_like_a_person_says_them() {
        assert_eq!(human(0), "0 s");
        assert_eq!(human(45), "45 s");
        assert_eq!(human(60), "1 min");
        assert_eq!(human(845), "14 min 5 s");
        assert_eq!(human(3 * 3600 + 12 * 60 + 7), "3 h 12 min");
        assert_eq!(human(2 * 86_400 + 3 * 3600), "2 d 3 h");
    }
}
