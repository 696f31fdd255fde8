//! The soak run: two quickstart instances (axum and actix) sharing one Redis and one JWKS
//! source, 64 connections of mixed traffic, and faults injected in phases. `scripts/soak.sh`
//! builds this and both quickstarts in release and runs it; see that script for the command.
//!
//! ```text
//! soak --axum PATH --actix PATH --dir DIR [--duration SECONDS] [--connections N]
//! ```
//!
//! It starts everything itself, on loopback only: `redis-server` (append-only file, written
//! before Redis answers, so a restart after a SIGKILL keeps what was acknowledged; fsync once a
//! second, as the fault is a killed process and not a lost disk, and an fsync per write would
//! time the disk, which other work shares), a JWKS server in this process (a second trusted
//! issuer, `JWKS_URL`/`JWKS_ISSUER`), and the two quickstarts with one signing key made at start
//! (`SIGNING_KEY_FILE`). Every process it starts is killed when it ends, and its pid is written
//! to `DIR/pids` for the calling script's trap.
//!
//! The phases, each an eighth of the run:
//!
//! | phase | what happens |
//! |---|---|
//! | baseline | nothing |
//! | rotation | the JWKS issuer starts signing with its next key (published since the start) |
//! | redis-down | `redis-server` is killed (SIGKILL) |
//! | redis-back | it is started again on the same port and files |
//! | jwks-errors | the JWKS answers 500; unknown `kid`s are sent to the axum instance |
//! | jwks-stall | the JWKS answers nothing (30 s); unknown `kid`s are sent to the actix instance |
//! | unknown-kids | the JWKS is back; half of all requests carry an unknown `kid` |
//! | steady | nothing |
//!
//! (Unknown `kid`s go to one instance per JWKS phase because a refetch for an unknown `kid` is
//! followed by a 30 s cooldown without fetches: one instance per phase is how both faults reach a
//! fetch.)
//!
//! Every answer is judged against the documented behaviour: a valid token gets 200, or 503 (fail
//! closed) while Redis is down or coming back; an expired, forged, unknown-`kid` or revoked token
//! gets 401; a revoked token is accepted by no instance later than the propagation bound (1 s,
//! the revocation store's staleness bound) after the logout that revoked it was answered; no 5xx
//! but those 503s; no panic in the instances' logs; both instances alive at the end; resident
//! memory at the end within [`RSS_MARGIN`] of the value after the baseline phase. Exit status 1
//! when any of these breaks, 2 when the run could not be set up.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jwtguard::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard::{Algorithm, FixedClock};
use jwtguard_test::Rng;
use jwtguard_test::jwks_server::{JwksServer, Mode};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The quickstarts' own issuer and audience (examples/common/quickstart.rs).
const ISSUER: &str = "jwtguard-quickstart";
const AUDIENCE: &str = "jwtguard-quickstart-api";
/// How late a revocation made on one instance may still be missed by another: the Redis
/// revocation store's staleness bound (`max_stale`, 1 s by default).
const PROPAGATION_BOUND: Duration = Duration::from_secs(1);
/// One credential request (`/login` or `/token/refresh`) per worker this often: the quickstarts
/// allow each address a burst of 5, then one every 12 s, and every worker has its own address.
const CREDENTIAL_EVERY: Duration = Duration::from_secs(13);
/// A worker re-mints its valid token after this many uses (clients reuse tokens; the cache sees
/// both hits and new tokens).
const REUSES: u32 = 50;
/// How much the resident memory of an instance may grow from the end of the baseline phase to
/// the end of the run: the verified-token cache (8 MiB by default) filling up, plus allocator
/// slack. Growth beyond it counts as a leak.
const RSS_MARGIN: u64 = 32 * 1024 * 1024;
/// The side connections that send unknown `kid`s during the JWKS phases.
const SIDE_CONNECTIONS: usize = 8;
/// Unknown `kid`s, pre-minted: the burst repeats them.
const UNKNOWN_KIDS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Baseline,
    Rotation,
    RedisDown,
    RedisBack,
    JwksErrors,
    JwksStall,
    UnknownKids,
    Steady,
}

const PHASES: [Phase; 8] = [
    Phase::Baseline,
    Phase::Rotation,
    Phase::RedisDown,
    Phase::RedisBack,
    Phase::JwksErrors,
    Phase::JwksStall,
    Phase::UnknownKids,
    Phase::Steady,
];

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Baseline => "baseline",
            Phase::Rotation => "rotation",
            Phase::RedisDown => "redis-down",
            Phase::RedisBack => "redis-back",
            Phase::JwksErrors => "jwks-errors",
            Phase::JwksStall => "jwks-stall",
            Phase::UnknownKids => "unknown-kids",
            Phase::Steady => "steady",
        }
    }

    /// Whether 503 (fail closed) is the documented answer now: Redis is down, or has just come
    /// back and the instances are reconnecting and reloading their replicas.
    fn redis_fault(self) -> bool {
        matches!(self, Phase::RedisDown | Phase::RedisBack)
    }

    /// The share of the main connections' requests (in %) that carry an unknown `kid`.
    fn unknown_kid_percent(self) -> usize {
        if self == Phase::UnknownKids { 50 } else { 0 }
    }

    /// The instance (0 axum, 1 actix) that the side connections send unknown `kid`s to.
    fn jwks_target(self) -> Option<usize> {
        match self {
            Phase::JwksErrors => Some(0),
            Phase::JwksStall => Some(1),
            _ => None,
        }
    }
}

/// What a request presented.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// A valid token of the quickstarts' issuer, minted here with the shared signing key.
    Valid,
    /// A valid token of the JWKS issuer.
    ValidJwks,
    /// The access token of a session from `/login` or `/token/refresh`.
    Session,
    /// Expired two hours ago (beyond the leeway), correctly signed.
    Expired,
    /// A valid token with one signature character changed.
    Forged,
    /// An access token revoked by `/logout`.
    Revoked,
    /// Signed by a key the JWKS does not have, with an unknown `kid`.
    UnknownKid,
    Login,
    Refresh,
    Logout,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::ValidJwks => "valid-jwks",
            Kind::Session => "session",
            Kind::Expired => "expired",
            Kind::Forged => "forged",
            Kind::Revoked => "revoked",
            Kind::UnknownKid => "unknown-kid",
            Kind::Login => "login",
            Kind::Refresh => "refresh",
            Kind::Logout => "logout",
        }
    }

    fn valid(self) -> bool {
        matches!(self, Kind::Valid | Kind::ValidJwks | Kind::Session)
    }

    fn credential(self) -> bool {
        matches!(self, Kind::Login | Kind::Refresh | Kind::Logout)
    }
}

/// The judgement of one answer.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Verdict {
    /// The documented answer (200/204 for a good request, 401 for a bad token).
    Expected,
    /// 503 while Redis is down or coming back: fail closed, as documented.
    Documented503,
    /// 429 from the credential routes' rate limit.
    RateLimited,
    /// A revoked token accepted within the propagation bound of its revocation.
    RevokedWithinBound,
    /// Anything else: an invariant is broken.
    Violation,
}

/// `status` is `None` when no answer came (connection error, timeout); `revoked_for` is how long
/// ago the presented token's revocation was acknowledged.
fn judge(kind: Kind, phase: Phase, status: Option<u16>, revoked_for: Option<Duration>) -> Verdict {
    let Some(status) = status else { return Verdict::Violation };
    if status == 503 && phase.redis_fault() {
        return Verdict::Documented503;
    }
    match (kind, status) {
        (Kind::Valid | Kind::ValidJwks | Kind::Session | Kind::Login | Kind::Refresh, 200) | (Kind::Logout, 204) => {
            Verdict::Expected
        }
        (Kind::Login | Kind::Refresh, 429) => Verdict::RateLimited,
        (Kind::Expired | Kind::Forged | Kind::UnknownKid | Kind::Revoked, 401) => Verdict::Expected,
        (Kind::Revoked, 200) if revoked_for.is_some_and(|d| d <= PROPAGATION_BOUND) => Verdict::RevokedWithinBound,
        _ => Verdict::Violation,
    }
}

/// What one worker saw, merged at the end.
#[derive(Default)]
struct Stats {
    /// (phase, kind, status or 0 for no answer) → requests.
    by_status: BTreeMap<(usize, Kind, u16), u64>,
    /// (phase, verdict) → requests.
    by_verdict: BTreeMap<(usize, Verdict), u64>,
    /// Latency in microseconds, per phase: of all requests, and of valid tokens only.
    latency: Vec<Vec<u32>>,
    valid_latency: Vec<Vec<u32>>,
    /// The slowest answer to an unknown `kid`, per phase (it may wait for a refetch).
    unknown_kid_max: Vec<Duration>,
    /// The first violations, described.
    violations: Vec<String>,
    /// Logout answered → first 401 on the other instance.
    propagation: Vec<Duration>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            latency: vec![Vec::new(); PHASES.len()],
            valid_latency: vec![Vec::new(); PHASES.len()],
            unknown_kid_max: vec![Duration::ZERO; PHASES.len()],
            ..Stats::default()
        }
    }

    fn record(
        &mut self,
        phase: usize,
        kind: Kind,
        status: Option<u16>,
        took: Duration,
        revoked_for: Option<Duration>,
    ) -> Verdict {
        let verdict = judge(kind, PHASES[phase], status, revoked_for);
        *self.by_status.entry((phase, kind, status.unwrap_or(0))).or_default() += 1;
        *self.by_verdict.entry((phase, verdict)).or_default() += 1;
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.latency[phase].push(micros);
        if kind.valid() {
            self.valid_latency[phase].push(micros);
        }
        if kind == Kind::UnknownKid {
            self.unknown_kid_max[phase] = self.unknown_kid_max[phase].max(took);
        }
        if verdict == Verdict::Violation && self.violations.len() < 20 {
            let answer = status.map_or("no answer".to_owned(), |s| s.to_string());
            let revoked = revoked_for.map_or(String::new(), |d| format!(", revoked {} ms before", d.as_millis()));
            self.violations.push(format!("{}: {} answered {answer}{revoked}", PHASES[phase].name(), kind.name()));
        }
        verdict
    }

    /// Adds what the answer said to the violation just recorded.
    fn detail(&mut self, verdict: Verdict, detail: Option<String>) {
        if let (Verdict::Violation, Some(detail), Some(last)) = (verdict, detail, self.violations.last_mut()) {
            let _ = write!(last, " ({detail})");
        }
    }

    fn merge(&mut self, other: Stats) {
        for (k, v) in other.by_status {
            *self.by_status.entry(k).or_default() += v;
        }
        for (k, v) in other.by_verdict {
            *self.by_verdict.entry(k).or_default() += v;
        }
        for (mine, theirs) in self.latency.iter_mut().zip(other.latency) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.valid_latency.iter_mut().zip(other.valid_latency) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.unknown_kid_max.iter_mut().zip(other.unknown_kid_max) {
            *mine = (*mine).max(theirs);
        }
        let room = 20usize.saturating_sub(self.violations.len());
        self.violations.extend(other.violations.into_iter().take(room));
        self.propagation.extend(other.propagation);
    }
}

/// What every worker reads.
struct Shared {
    phase: AtomicUsize,
    stop: AtomicBool,
    instances: [SocketAddr; 2],
    own: TokenIssuer,
    expired: TokenIssuer,
    jwks: TokenIssuer,
    /// Bumped at the rotation: workers re-mint their JWKS tokens.
    jwks_generation: AtomicUsize,
    unknown_kids: Vec<String>,
}

impl Shared {
    fn phase(&self) -> usize {
        self.phase.load(Ordering::Relaxed)
    }
}

fn mint(issuer: &TokenIssuer, sub: &str) -> Result<String, BoxError> {
    Ok(issuer.issue(&Issue::subject(sub).scope("orders:read"))?.token)
}

/// A valid token with one character of its signature changed (not the last, whose low bits
/// may be padding).
fn forge(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    if let Some(i) = bytes.len().checked_sub(10) {
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(bytes).unwrap_or_default()
}

async fn get_me(client: &reqwest::Client, addr: SocketAddr, token: &str) -> (Option<u16>, Duration) {
    let start = Instant::now();
    let status =
        client.get(format!("http://{addr}/me")).bearer_auth(token).send().await.ok().map(|r| r.status().as_u16());
    (status, start.elapsed())
}

/// A credential route's answer: status, time, the two tokens of a 200, and what an error said
/// (the JSON `error`, or for an empty body the `www-authenticate` and `retry-after` headers).
struct Posted {
    status: Option<u16>,
    took: Duration,
    pair: Option<(String, String)>,
    detail: Option<String>,
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    body: serde_json::Value,
) -> Posted {
    let start = Instant::now();
    let mut request = client.post(format!("http://{addr}{path}")).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => return Posted { status: None, took: start.elapsed(), pair: None, detail: Some(e.to_string()) },
    };
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let headers =
        format!("www-authenticate: {:?}, retry-after: {:?}", header("www-authenticate"), header("retry-after"));
    let body: Option<serde_json::Value> = response.json().await.ok();
    let took = start.elapsed();
    let detail = match body.as_ref().and_then(|b| b["error"].as_str()) {
        Some(error) => format!("error: {error}, after {} ms", took.as_millis()),
        None => format!("{headers}, after {} ms", took.as_millis()),
    };
    let pair =
        body.and_then(|b| Some((b["access_token"].as_str()?.to_owned(), b["refresh_token"].as_str()?.to_owned())));
    Posted { status: Some(status), took, pair, detail: Some(detail) }
}

struct Worker {
    id: usize,
    shared: Arc<Shared>,
    client: reqwest::Client,
    rng: Rng,
    stats: Stats,
    valid: (String, u32),
    valid_jwks: (String, u32, usize),
    session: Option<(String, String)>,
    /// Revoked access tokens and when their revocation was acknowledged.
    revoked: Vec<(String, Instant)>,
    cycle: usize,
}

impl Worker {
    fn new(id: usize, shared: Arc<Shared>) -> Result<Worker, BoxError> {
        // Every worker its own loopback address, so each has its own credential-route budget.
        let octet = u8::try_from(id % 250 + 1)?;
        let client = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 1, octet)))
            .timeout(Duration::from_secs(15))
            .build()?;
        let valid = (mint(&shared.own, &format!("soak-{id}"))?, 0);
        let valid_jwks = (mint(&shared.jwks, &format!("soak-{id}"))?, 0, 0);
        Ok(Worker {
            id,
            client,
            rng: Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1)),
            stats: Stats::new(),
            valid,
            valid_jwks,
            session: None,
            revoked: Vec::new(),
            cycle: 0,
            shared,
        })
    }

    async fn run(mut self, deadline: Instant) -> Result<Stats, BoxError> {
        // Spread the credential requests evenly over time.
        let spread = u64::try_from(CREDENTIAL_EVERY.as_millis())?;
        let mut next_credential = Instant::now() + Duration::from_millis(self.rng.next() % spread);
        while !self.shared.stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            if Instant::now() >= next_credential {
                self.credential_step().await?;
                next_credential += CREDENTIAL_EVERY;
                self.cycle += 1;
                continue;
            }
            self.one_request().await?;
        }
        Ok(self.stats)
    }

    async fn one_request(&mut self) -> Result<(), BoxError> {
        let phase = self.shared.phase();
        let instance = self.rng.below(2);
        let addr = self.shared.instances[instance];
        let roll = self.rng.below(100);
        let unknown = PHASES[phase].unknown_kid_percent();
        let (kind, token, revoked_at) = if roll < unknown {
            (Kind::UnknownKid, self.rng.pick(&self.shared.unknown_kids).clone(), None)
        } else {
            match self.rng.below(100) {
                0..40 => (Kind::Valid, self.valid_token()?, None),
                40..60 => (Kind::ValidJwks, self.valid_jwks_token()?, None),
                60..70 => match &self.session {
                    Some((access, _)) => (Kind::Session, access.clone(), None),
                    None => (Kind::Valid, self.valid_token()?, None),
                },
                70..80 => (Kind::Expired, mint(&self.shared.expired, "soak")?, None),
                80..90 => (Kind::Forged, forge(&self.valid_token()?), None),
                _ => match self.revoked.get(self.rng.below(self.revoked.len().max(1))) {
                    Some((token, at)) => (Kind::Revoked, token.clone(), Some(*at)),
                    None => (Kind::Forged, forge(&self.valid_jwks_token()?), None),
                },
            }
        };
        let (status, took) = get_me(&self.client, addr, &token).await;
        let revoked_for = revoked_at.map(|at| at.elapsed().saturating_sub(took));
        self.stats.record(phase, kind, status, took, revoked_for);
        Ok(())
    }

    fn valid_token(&mut self) -> Result<String, BoxError> {
        if self.valid.1 >= REUSES {
            self.valid = (mint(&self.shared.own, &format!("soak-{}", self.id))?, 0);
        }
        self.valid.1 += 1;
        Ok(self.valid.0.clone())
    }

    fn valid_jwks_token(&mut self) -> Result<String, BoxError> {
        let generation = self.shared.jwks_generation.load(Ordering::Relaxed);
        if self.valid_jwks.1 >= REUSES || self.valid_jwks.2 != generation {
            self.valid_jwks = (mint(&self.shared.jwks, &format!("soak-{}", self.id))?, 0, generation);
        }
        self.valid_jwks.1 += 1;
        Ok(self.valid_jwks.0.clone())
    }

    /// One credential request: log in (no session), refresh (odd cycles) or log out (even
    /// ones), alternating the instances. A logout's token is then presented to the other
    /// instance until it is refused, which measures the propagation.
    async fn credential_step(&mut self) -> Result<(), BoxError> {
        let phase = self.shared.phase();
        let here = self.cycle % 2;
        let (addr, other) = (self.shared.instances[here], self.shared.instances[1 - here]);
        match self.session.take() {
            None => {
                let body = serde_json::json!({"username": "demo", "password": "demo"});
                let Posted { status, took, pair, detail } = post(&self.client, addr, "/login", None, body).await;
                let verdict = self.stats.record(phase, Kind::Login, status, took, None);
                self.stats.detail(verdict, detail);
                self.session = pair.filter(|_| status == Some(200));
            }
            Some((access, refresh)) if self.cycle % 2 == 1 => {
                let body = serde_json::json!({"refresh_token": refresh});
                let Posted { status, took, pair, detail } =
                    post(&self.client, other, "/token/refresh", None, body).await;
                let verdict = self.stats.record(phase, Kind::Refresh, status, took, None);
                self.stats.detail(verdict, detail);
                // A 503 may or may not have rotated the token: start over with a login.
                self.session = match (status, pair) {
                    (Some(200), Some(pair)) => Some(pair),
                    (Some(429), _) => Some((access, refresh)),
                    _ => None,
                };
            }
            Some((access, refresh)) => {
                let body = serde_json::json!({"refresh_token": refresh});
                let Posted { status, took, detail, .. } =
                    post(&self.client, addr, "/logout", Some(&access), body).await;
                let verdict = self.stats.record(phase, Kind::Logout, status, took, None);
                self.stats.detail(verdict, detail);
                // After a 503 the token may or may not be revoked: it is presented no more.
                if status == Some(204) {
                    let at = Instant::now();
                    self.probe_propagation(other, &access, at).await;
                    self.revoked.push((access, at));
                    if self.revoked.len() > 4 {
                        self.revoked.remove(0);
                    }
                }
            }
        }
        Ok(())
    }

    /// Presents a just-revoked token to the other instance until it is refused (at most 3 s).
    async fn probe_propagation(&mut self, other: SocketAddr, token: &str, revoked_at: Instant) {
        let give_up = revoked_at + Duration::from_secs(3);
        while Instant::now() < give_up {
            let phase = self.shared.phase();
            let (status, took) = get_me(&self.client, other, token).await;
            let revoked_for = revoked_at.elapsed().saturating_sub(took);
            self.stats.record(phase, Kind::Revoked, status, took, Some(revoked_for));
            match status {
                Some(401) => {
                    self.stats.propagation.push(revoked_at.elapsed());
                    return;
                }
                Some(200 | 503) => tokio::time::sleep(Duration::from_millis(2)).await,
                _ => return,
            }
        }
    }
}

/// A side connection: in the JWKS phases, presents unknown `kid`s to that phase's target
/// instance, one at a time with 100 ms between them, so that a refetch meets the fault. Apart from
/// the main connections: a request waiting for a stalled refetch holds its connection, and the
/// main connections keep measuring everything else meanwhile.
async fn unknown_kid_sender(id: usize, shared: Arc<Shared>, deadline: Instant) -> Result<Stats, BoxError> {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 2, u8::try_from(id % 250 + 1)?)))
        .timeout(Duration::from_secs(15))
        .build()?;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (id as u64 + 1));
    let mut stats = Stats::new();
    while !shared.stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let phase = shared.phase();
        if let Some(target) = PHASES[phase].jwks_target() {
            let token = rng.pick(&shared.unknown_kids).clone();
            let (status, took) = get_me(&client, shared.instances[target], &token).await;
            stats.record(phase, Kind::UnknownKid, status, took, None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(stats)
}

/// The processes this run started; killed on drop, whatever happened.
struct Processes {
    children: Vec<(&'static str, Child)>,
    pid_file: PathBuf,
}

impl Processes {
    fn add(&mut self, name: &'static str, child: Child) -> Result<u32, BoxError> {
        let pid = child.id();
        let mut f = fs::OpenOptions::new().create(true).append(true).open(&self.pid_file)?;
        writeln!(f, "{pid}")?;
        self.children.push((name, child));
        Ok(pid)
    }

    fn kill(&mut self, name: &str) {
        self.children.retain_mut(|(n, child)| {
            if *n != name {
                return true;
            }
            let _ = child.kill();
            let _ = child.wait();
            false
        });
    }

    fn alive(&mut self, name: &str) -> bool {
        self.children.iter_mut().any(|(n, child)| *n == name && matches!(child.try_wait(), Ok(None)))
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_redis(port: u16, dir: &Path) -> Result<Child, BoxError> {
    let data = dir.join("redis");
    fs::create_dir_all(&data)?;
    let log = fs::OpenOptions::new().create(true).append(true).open(dir.join("redis.log"))?;
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", "everysec", "--dir"])
        .arg(&data)
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(child)
}

/// Waits (at most 10 s) for `+PONG` from Redis.
fn wait_redis(port: u16) -> Result<(), BoxError> {
    let give_up = Instant::now() + Duration::from_secs(10);
    while Instant::now() < give_up {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(1)))?;
            let mut buf = [0u8; 7];
            if s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("redis-server did not answer PING within 10 s".into())
}

/// Starts a quickstart with `PORT=0` and reads the address it printed (at most 30 s).
fn start_instance(bin: &Path, log: &Path, env: &[(&str, String)]) -> Result<(Child, SocketAddr), BoxError> {
    let out = fs::File::create(log)?;
    let child = Command::new(bin)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PORT", "0")
        .stdout(out.try_clone()?)
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()?;
    let give_up = Instant::now() + Duration::from_secs(30);
    while Instant::now() < give_up {
        let text = fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| l.split("listening on http://").nth(1)) {
            return Ok((child, addr.trim().parse()?));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{} printed no address within 30 s (see {})", bin.display(), log.display()).into())
}

fn rss_bytes(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()));
    kib.unwrap_or(0) * 1024
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Polls `/me` with `token` on `addr` until `want` (every 10 ms, at most `bound`); the time it took.
async fn time_until(
    client: &reqwest::Client,
    addr: SocketAddr,
    token: &str,
    want: u16,
    bound: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < bound {
        if get_me(client, addr, token).await.0 == Some(want) {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

struct Args {
    axum: PathBuf,
    actix: PathBuf,
    dir: PathBuf,
    duration: Duration,
    connections: usize,
}

fn args() -> Result<Args, BoxError> {
    let mut it = std::env::args().skip(1);
    let (mut axum, mut actix, mut dir, mut duration, mut connections) = (None, None, None, 120u64, 64usize);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--axum" => axum = Some(PathBuf::from(value)),
            "--actix" => actix = Some(PathBuf::from(value)),
            "--dir" => dir = Some(PathBuf::from(value)),
            "--duration" => duration = value.parse()?,
            "--connections" => connections = value.parse()?,
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    if duration < 60 || connections == 0 || connections > 250 {
        return Err("--duration must be at least 60 (seconds), --connections 1 to 250".into());
    }
    Ok(Args {
        axum: axum.ok_or("--axum PATH is required")?,
        actix: actix.ok_or("--actix PATH is required")?,
        dir: dir.ok_or("--dir DIR is required")?,
        duration: Duration::from_secs(duration),
        connections,
    })
}

#[tokio::main]
async fn main() {
    match run().await {
        Ok(true) => std::process::exit(0),
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: could not run: {e}");
            std::process::exit(2);
        }
    }
}

/// `Ok(false)`: the run finished and an invariant broke.
async fn run() -> Result<bool, BoxError> {
    let args = args()?;
    fs::create_dir_all(&args.dir)?;
    let mut procs = Processes { children: Vec::new(), pid_file: args.dir.join("pids") };

    // The signing key both instances share, made now (PKCS#8 Ed25519) and never kept.
    let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
        .map_err(|_| "could not generate an Ed25519 key")?;
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref()));
    let key_file = args.dir.join("signing-key.pem");
    fs::write(&key_file, &pem)?;
    let own = TokenIssuer::builder(SigningKey::from_pkcs8_pem(pem.as_bytes(), Algorithm::EdDSA, "quickstart")?)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()?;
    let expired = TokenIssuer::builder(SigningKey::from_pkcs8_pem(pem.as_bytes(), Algorithm::EdDSA, "quickstart")?)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .ttl(Duration::from_secs(900))
        .clock(FixedClock(unix_now() - 7200))
        .build()?;

    // Redis.
    let redis_port = free_port()?;
    procs.add("redis", start_redis(redis_port, &args.dir)?)?;
    wait_redis(redis_port)?;

    // The JWKS issuer: it signs with k1 and publishes its next key k2 from the start, as a
    // rotation should (verifiers learn k2 before it signs anything).
    let server = JwksServer::start(&[]).await;
    let jwks = TokenIssuer::builder(SigningKey::generate_ed25519("soak-k1")?)
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .build()?;
    jwks.prepare_next(SigningKey::generate_ed25519("soak-k2")?)?;
    server.set_doc(jwks.jwks());
    let mut unknown_kids = Vec::with_capacity(UNKNOWN_KIDS);
    for i in 0..UNKNOWN_KIDS {
        let stranger = TokenIssuer::builder(SigningKey::generate_ed25519(format!("unknown-{i}"))?)
            .issuer(server.issuer())
            .audience(AUDIENCE)
            .build()?;
        unknown_kids.push(mint(&stranger, "soak")?);
    }

    // The two instances.
    let env = [
        ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
        ("SIGNING_KEY_FILE", key_file.display().to_string()),
        ("JWKS_URL", server.url("/jwks")),
        ("JWKS_ISSUER", server.issuer()),
    ];
    let (child, axum_addr) = start_instance(&args.axum, &args.dir.join("axum.log"), &env)?;
    let axum_pid = procs.add("axum", child)?;
    let (child, actix_addr) = start_instance(&args.actix, &args.dir.join("actix.log"), &env)?;
    let actix_pid = procs.add("actix", child)?;
    let pids = [axum_pid, actix_pid];
    // The key file is read; it is needed no longer.
    fs::remove_file(&key_file)?;

    // Ready: a valid token of each issuer gets 200 from both (503 while the replicas load).
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let (probe_own, probe_jwks) = (mint(&own, "probe")?, mint(&jwks, "probe")?);
    for addr in [axum_addr, actix_addr] {
        for token in [&probe_own, &probe_jwks] {
            time_until(&probe, addr, token, 200, Duration::from_secs(20))
                .await
                .ok_or_else(|| format!("{addr} did not accept a valid token within 20 s"))?;
        }
    }
    let rss_start = pids.map(rss_bytes);

    let shared = Arc::new(Shared {
        phase: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        instances: [axum_addr, actix_addr],
        own,
        expired,
        jwks,
        jwks_generation: AtomicUsize::new(0),
        unknown_kids,
    });
    let started = Instant::now();
    let deadline = started + args.duration;
    let mut workers = Vec::new();
    for id in 0..args.connections {
        let worker = Worker::new(id, shared.clone())?;
        workers.push(tokio::spawn(worker.run(deadline)));
    }
    for id in 0..SIDE_CONNECTIONS {
        workers.push(tokio::spawn(unknown_kid_sender(id, shared.clone(), deadline)));
    }

    // The phases.
    let phase_len = args.duration / u32::try_from(PHASES.len())?;
    let mut jwks_hits = Vec::new();
    let mut rss_warm = rss_start;
    let mut rss_by_phase = Vec::new();
    let mut notes = Vec::new();
    for (i, phase) in PHASES.iter().enumerate() {
        let phase_end = started + phase_len * (u32::try_from(i)? + 1);
        shared.phase.store(i, Ordering::Relaxed);
        let hits_before = server.hits();
        match phase {
            Phase::Baseline | Phase::Steady => {}
            Phase::Rotation => {
                shared.jwks.rotate()?;
                server.set_doc(shared.jwks.jwks());
                shared.jwks_generation.fetch_add(1, Ordering::Relaxed);
            }
            Phase::RedisDown => {
                procs.kill("redis");
                // How soon each instance fails closed.
                let bound = phase_end.saturating_duration_since(Instant::now());
                let (a, b) = tokio::join!(
                    time_until(&probe, axum_addr, &probe_own, 503, bound),
                    time_until(&probe, actix_addr, &probe_own, 503, bound)
                );
                for (name, took) in [("axum", a), ("actix", b)] {
                    notes.push(match took {
                        Some(d) => format!(
                            "redis killed: {name} answers 503 (fail closed) {} ms after the kill",
                            d.as_millis()
                        ),
                        None => format!("redis killed: {name} did not answer 503 within the phase"),
                    });
                }
            }
            Phase::RedisBack => {
                let restarted = Instant::now();
                procs.add("redis", start_redis(redis_port, &args.dir)?)?;
                wait_redis(redis_port)?;
                let up = restarted.elapsed();
                let bound = phase_end.saturating_duration_since(Instant::now());
                let (a, b) = tokio::join!(
                    time_until(&probe, axum_addr, &probe_own, 200, bound),
                    time_until(&probe, actix_addr, &probe_own, 200, bound)
                );
                for (name, took) in [("axum", a), ("actix", b)] {
                    notes.push(match took {
                        Some(d) => format!(
                            "redis restarted (answering PING after {} ms): {name} answers 200 again {} ms after the restart",
                            up.as_millis(),
                            (up + d).as_millis()
                        ),
                        None => format!("redis restarted: {name} did not answer 200 again within the phase"),
                    });
                }
            }
            Phase::JwksErrors => server.mode(Mode::Fail),
            Phase::JwksStall => server.mode(Mode::Stall),
            Phase::UnknownKids => server.mode(Mode::Ok),
        }
        tokio::time::sleep(phase_end.saturating_duration_since(Instant::now())).await;
        jwks_hits.push(server.hits() - hits_before);
        rss_by_phase.push(pids.map(rss_bytes));
        if i == 0 {
            rss_warm = pids.map(rss_bytes);
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    let mut stats = Stats::new();
    for w in workers {
        stats.merge(w.await??);
    }
    let rss_end = pids.map(rss_bytes);
    let alive = [procs.alive("axum"), procs.alive("actix")];
    drop(procs);
    let panics: Vec<String> = ["axum.log", "actix.log"]
        .iter()
        .flat_map(|log| {
            let text = fs::read_to_string(args.dir.join(log)).unwrap_or_default();
            text.lines().filter(|l| l.contains("panicked")).map(|l| format!("{log}: {l}")).collect::<Vec<_>>()
        })
        .collect();

    let report = Report {
        args: &args,
        phase_len,
        stats: &stats,
        jwks_hits: &jwks_hits,
        rss_by_phase: &rss_by_phase,
        rss: [rss_start, rss_warm, rss_end],
        alive,
        panics: &panics,
        notes: &notes,
    };
    let (text, ok) = report.render();
    print!("{text}");
    fs::write(args.dir.join("report.md"), &text)?;
    Ok(ok)
}

struct Report<'a> {
    args: &'a Args,
    phase_len: Duration,
    stats: &'a Stats,
    jwks_hits: &'a [usize],
    /// Per phase, at its end: the resident memory of each instance.
    rss_by_phase: &'a [[u64; 2]],
    /// Per instance: at start, after the baseline phase, at the end.
    rss: [[u64; 2]; 3],
    alive: [bool; 2],
    panics: &'a [String],
    notes: &'a [String],
}

fn percentile(sorted: &[u32], p: f64) -> String {
    if sorted.is_empty() {
        return "-".to_owned();
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    format!("{:.2}", f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0)
}

impl Report<'_> {
    fn render(&self) -> (String, bool) {
        let s = self.stats;
        let mut out = String::new();
        let mut ok = true;
        let count = |phase: usize, f: &dyn Fn(Kind, u16) -> bool| -> u64 {
            s.by_status.iter().filter(|((p, k, st), _)| *p == phase && f(*k, *st)).map(|(_, n)| n).sum()
        };
        let verdicts = |phase: usize, v: Verdict| s.by_verdict.get(&(phase, v)).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "\nsoak: {} connections (+{SIDE_CONNECTIONS} sending unknown kids in the JWKS phases), {} s ({} s per phase), two instances (axum, actix), one Redis, one JWKS\n",
            self.args.connections,
            self.args.duration.as_secs(),
            self.phase_len.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "| phase | requests | valid 200 | valid 503 | bad 401 | revoked 401 | revoked 200 ≤1 s | login/refresh/logout ok | credential 503 | 429 | violations | p50 / p99 ms | valid p50 / p99 ms | JWKS GETs | RSS MiB axum / actix |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut totals = [0u64; 11];
        for (i, phase) in PHASES.iter().enumerate() {
            let mut lat = s.latency[i].clone();
            lat.sort_unstable();
            let mut valid_lat = s.valid_latency[i].clone();
            valid_lat.sort_unstable();
            let rss = self.rss_by_phase.get(i).map_or("-".to_owned(), |[a, b]| format!("{} / {}", mib(*a), mib(*b)));
            let row = [
                count(i, &|_, _| true),
                count(i, &|k, st| k.valid() && st == 200),
                count(i, &|k, st| k.valid() && st == 503),
                count(i, &|k, st| matches!(k, Kind::Expired | Kind::Forged | Kind::UnknownKid) && st == 401),
                count(i, &|k, st| k == Kind::Revoked && st == 401),
                verdicts(i, Verdict::RevokedWithinBound),
                count(i, &|k, st| k.credential() && (st == 200 || st == 204)),
                count(i, &|k, st| k.credential() && st == 503),
                verdicts(i, Verdict::RateLimited),
                verdicts(i, Verdict::Violation),
                self.jwks_hits.get(i).copied().unwrap_or(0) as u64,
            ];
            for (t, v) in totals.iter_mut().zip(row) {
                *t += v;
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
                phase.name(),
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                percentile(&lat, 0.50),
                percentile(&lat, 0.99),
                percentile(&valid_lat, 0.50),
                percentile(&valid_lat, 0.99),
                row[10],
                rss
            );
        }
        let mut all: Vec<u32> = s.latency.iter().flatten().copied().collect();
        all.sort_unstable();
        let mut all_valid: Vec<u32> = s.valid_latency.iter().flatten().copied().collect();
        all_valid.sort_unstable();
        let t = totals;
        let _ = writeln!(
            out,
            "| **all** | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} | |",
            t[0],
            t[1],
            t[2],
            t[3],
            t[4],
            t[5],
            t[6],
            t[7],
            t[8],
            t[9],
            percentile(&all, 0.50),
            percentile(&all, 0.99),
            percentile(&all_valid, 0.50),
            percentile(&all_valid, 0.99),
            t[10]
        );

        // Outcomes by kind and status, all phases.
        let mut by_kind: BTreeMap<(Kind, u16), u64> = BTreeMap::new();
        for ((_, k, st), n) in &s.by_status {
            *by_kind.entry((*k, *st)).or_default() += n;
        }
        let line: Vec<String> = by_kind
            .iter()
            .map(|((k, st), n)| {
                format!("{} {}: {n}", k.name(), if *st == 0 { "no answer".to_owned() } else { st.to_string() })
            })
            .collect();
        let _ = writeln!(out, "\nby kind and status: {}", line.join(", "));

        let mut prop = s.propagation.clone();
        prop.sort_unstable();
        let ms = |d: Option<&Duration>| d.map_or("-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0));
        let _ = writeln!(
            out,
            "revocation propagation (logout answered on one instance → first 401 on the other): {} revocations, median {} ms, max {} ms (bound {} ms)",
            prop.len(),
            ms(prop.get(prop.len() / 2)),
            ms(prop.last()),
            PROPAGATION_BOUND.as_millis()
        );
        let slowest: Vec<String> = PHASES
            .iter()
            .zip(&s.unknown_kid_max)
            .filter(|(_, d)| !d.is_zero())
            .map(|(p, d)| format!("{} {} ms", p.name(), d.as_millis()))
            .collect();
        let _ = writeln!(out, "slowest answer to an unknown kid (a refetch may be awaited): {}", slowest.join(", "));
        for note in self.notes {
            let _ = writeln!(out, "{note}");
        }

        let [start, warm, end] = self.rss;
        for (i, name) in ["axum", "actix"].iter().enumerate() {
            let flat = end[i] <= warm[i] + RSS_MARGIN;
            ok &= flat;
            let _ = writeln!(
                out,
                "RSS {name}: {} MiB at start, {} MiB after baseline, {} MiB at end (margin +{} MiB): {}",
                mib(start[i]),
                mib(warm[i]),
                mib(end[i]),
                mib(RSS_MARGIN),
                if flat { "flat" } else { "GREW" }
            );
        }

        let violations = t[9];
        let mut checks = vec![
            (violations == 0, format!("answers as documented: {violations} violations")),
            (self.alive == [true, true], format!("both instances alive at the end: {:?}", self.alive)),
            (self.panics.is_empty(), format!("panics in the logs: {}", self.panics.len())),
            (!prop.is_empty(), format!("revocations measured: {}", prop.len())),
        ];
        let revoked_late = prop.iter().filter(|d| **d > PROPAGATION_BOUND).count();
        checks.push((revoked_late == 0, format!("revocations propagated later than the bound: {revoked_late}")));
        for (pass, what) in &checks {
            ok &= *pass;
            let _ = writeln!(out, "{} {what}", if *pass { "ok  " } else { "FAIL" });
        }
        for v in &s.violations {
            let _ = writeln!(out, "  violation: {v}");
        }
        for p in self.panics.iter().take(5) {
            let _ = writeln!(out, "  {p}");
        }
        let _ = writeln!(out, "\nsoak: {}", if ok { "all invariants held" } else { "AN INVARIANT BROKE" });
        (out, ok)
    }
}
