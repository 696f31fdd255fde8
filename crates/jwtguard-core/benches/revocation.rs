//! What one revocation check costs with many live entries, from one and from two threads at once
//! (`InMemoryRevocations`, which the Redis replica also uses).
//! `cargo bench -p jwtguard-core --bench revocation`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use jwtguard_core::RegisteredClaims;
use jwtguard_core::revocation::{InMemoryRevocations, RevocationStore};

const NOW: i64 = 1_700_000_000;

/// Far enough ahead that no sweep during the run drops an entry, however far the clock moves.
const UNTIL: i64 = NOW + 100 * 365 * 86_400;

/// A store holding `n` live entries, half revoked `jti`s and half revoked subjects.
fn store(n: usize) -> InMemoryRevocations {
    let store = InMemoryRevocations::new();
    for i in 0..n / 2 {
        store.record_jti(&format!("revoked-{i}"), UNTIL).unwrap();
        store.record_subject(&format!("user-{i}"), NOW - 60, UNTIL).unwrap();
    }
    assert_eq!(store.len(), n / 2 * 2);
    store
}

/// The common case: a live token whose `jti` and `sub` are both looked up and neither is revoked.
fn live_token() -> RegisteredClaims {
    serde_json::from_value(serde_json::json!({"jti": "live-token", "sub": "alice", "iat": NOW, "exp": NOW + 600}))
        .unwrap()
}

fn checks(c: &mut Criterion) {
    let claims = live_token();
    let mut group = c.benchmark_group("is_revoked");
    for n in [100usize, 10_000, 100_000] {
        let store = store(n);
        group.bench_with_input(BenchmarkId::new("1 thread", n), &store, |b, s| {
            // The clock moves a second per 1,000 checks, so the once-a-minute sweep is exercised.
            let mut i = 0i64;
            b.iter(|| {
                i += 1;
                black_box(s.is_revoked(black_box(&claims), NOW + i / 1000).unwrap())
            });
        });
        group.bench_with_input(BenchmarkId::new("2 threads", n), &store, |b, s| {
            // Both threads check at once; the figure is the time per check on each thread.
            b.iter_custom(|iters| {
                let barrier = Barrier::new(2);
                let run = || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters as i64 {
                        black_box(s.is_revoked(black_box(&claims), NOW + i / 1000).unwrap());
                    }
                    start.elapsed()
                };
                std::thread::scope(|scope| {
                    let other = scope.spawn(run);
                    let mine = run();
                    mine.max(other.join().unwrap())
                })
            });
        });
        assert_eq!(store.len(), n, "no entry was swept during the run");
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = checks
}
criterion_main!(benches);
