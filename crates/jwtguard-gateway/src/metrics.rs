//! `/metrics` in the Prometheus text format: requests by mode, outcome and status, denials by
//! error kind, time spent deciding and proxying, and readiness.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::Mode;

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    denials: BTreeMap<String, u64>,
    seconds_sum: f64,
    count: u64,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::ForwardAuth => "forward_auth",
        Mode::Proxy => "proxy",
        Mode::RedirectHttps => "redirect_https",
    }
}

impl Metrics {
    pub(crate) fn record(
        &self,
        mode: Mode,
        outcome: &'static str,
        status: u16,
        error_kind: Option<&str>,
        took: Duration,
    ) {
        // A poisoned lock only means a panic elsewhere while counting: keep counting.
        let mut c = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *c.requests.entry((mode_name(mode), outcome, status)).or_default() += 1;
        if let Some(kind) = error_kind {
            *c.denials.entry(kind.to_owned()).or_default() += 1;
        }
        c.seconds_sum += took.as_secs_f64();
        c.count += 1;
    }

    /// `revocations_in_sync`: with `[revocation]`, whether its replica is in sync.
    pub(crate) fn render(&self, ready: bool, revocations_in_sync: Option<bool>) -> String {
        let c = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::with_capacity(1024);
        out.push_str(
            "# HELP jwtguard_gateway_requests_total Requests decided, by listener mode, outcome and status.\n",
        );
        out.push_str("# TYPE jwtguard_gateway_requests_total counter\n");
        for ((mode, outcome, status), n) in &c.requests {
            let _ = writeln!(
                out,
                "jwtguard_gateway_requests_total{{mode=\"{mode}\",outcome=\"{outcome}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP jwtguard_gateway_denials_total Refused requests, by error kind.\n");
        out.push_str("# TYPE jwtguard_gateway_denials_total counter\n");
        for (kind, n) in &c.denials {
            let _ = writeln!(out, "jwtguard_gateway_denials_total{{error_kind=\"{kind}\"}} {n}");
        }
        out.push_str("# HELP jwtguard_gateway_request_duration_seconds Time from request to response head.\n");
        out.push_str("# TYPE jwtguard_gateway_request_duration_seconds summary\n");
        let _ = writeln!(out, "jwtguard_gateway_request_duration_seconds_sum {}", c.seconds_sum);
        let _ = writeln!(out, "jwtguard_gateway_request_duration_seconds_count {}", c.count);
        out.push_str(
            "# HELP jwtguard_gateway_ready 1 once every issuer's keys are loaded and revocations are in sync.\n",
        );
        out.push_str("# TYPE jwtguard_gateway_ready gauge\n");
        let _ = writeln!(out, "jwtguard_gateway_ready {}", u8::from(ready));
        if let Some(in_sync) = revocations_in_sync {
            out.push_str(
                "# HELP jwtguard_revocation_replica_in_sync 1 while the revocation replica is in sync with Redis.\n",
            );
            out.push_str("# TYPE jwtguard_revocation_replica_in_sync gauge\n");
            let _ = writeln!(out, "jwtguard_revocation_replica_in_sync {}", u8::from(in_sync));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_text() {
        let m = Metrics::default();
        m.record(Mode::ForwardAuth, "allow", 200, None, Duration::from_millis(2));
        m.record(Mode::ForwardAuth, "deny", 401, Some("Expired"), Duration::from_millis(1));
        m.record(Mode::ForwardAuth, "deny", 401, Some("Expired"), Duration::from_millis(1));
        let text = m.render(true, None);
        assert!(
            text.contains(
                "jwtguard_gateway_requests_total{mode=\"forward_auth\",outcome=\"allow\",status=\"200\"} 1\n"
            )
        );
        assert!(
            text.contains("jwtguard_gateway_requests_total{mode=\"forward_auth\",outcome=\"deny\",status=\"401\"} 2\n")
        );
        assert!(text.contains("jwtguard_gateway_denials_total{error_kind=\"Expired\"} 2\n"));
        assert!(text.contains("jwtguard_gateway_request_duration_seconds_count 3\n"));
        assert!(text.contains("jwtguard_gateway_ready 1\n"));
        assert!(!text.contains("jwtguard_revocation_replica_in_sync"), "no gauge without [revocation]");
        assert!(m.render(false, Some(false)).contains("jwtguard_revocation_replica_in_sync 0\n"));
    }
}
