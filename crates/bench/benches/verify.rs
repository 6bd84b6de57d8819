//! In-process verification on the 1,000,000-key SQLite fixture: a cache hit (one hot key, and
//! spread over the 10,000 kept keys), a cache miss answered by the store, an unknown key (its
//! negative entry, and first sight, which asks the store), and a bad checksum.
//!
//! `cargo bench -p keyward-bench --bench verify`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use futures_util::FutureExt as _;
use keyward_bench::fixture::{self, Fixture};
use keyward_core::secret::PresentedSecret;
use keyward_core::secret::SecretToken;
use keyward_core::verify::{Face, Reason, VerifyRequest};
use keyward_core::Keyward;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A verification that must not wait: answered from the cache or before it.
fn verify_now(core: &Keyward, secret: &str) -> Reason {
    core.verify(
        PresentedSecret::new(secret),
        VerifyRequest::for_face(Face::NativeVerify),
    )
    .now_or_never()
    .expect("a cached or refused verification completes without waiting")
    .expect("no store error")
    .reason
}

fn verify(c: &mut Criterion) {
    let rt = runtime();
    let (fixture, core) = rt.block_on(async {
        let fixture: Fixture = fixture::ensure(fixture::FIXTURE_KEYS)
            .await
            .expect("the bench fixture");
        let path = fixture::fixtures_root().join("work").join("verify.db");
        let core = fixture.open_copy(&path).await.expect("a core on a copy");
        (fixture, core)
    });
    let secrets: Arc<Vec<String>> = Arc::new(fixture.secrets.clone());
    rt.block_on(async {
        for secret in secrets.iter() {
            let decision = core
                .verify(
                    PresentedSecret::new(secret),
                    VerifyRequest::for_face(Face::NativeVerify),
                )
                .await
                .expect("verifies");
            assert_eq!(decision.reason, Reason::Valid);
        }
    });

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    let hot = secrets[0].clone();
    group.bench_function("cache_hit/one_key", |b| {
        b.iter(|| assert_eq!(verify_now(&core, &hot), Reason::Valid))
    });
    let mut next = 0usize;
    group.bench_function("cache_hit/10k_keys", |b| {
        b.iter(|| {
            next = (next + 1) % secrets.len();
            assert_eq!(verify_now(&core, &secrets[next]), Reason::Valid)
        })
    });
    let unknown = SecretToken::generate();
    assert_eq!(
        rt.block_on(core.verify(
            PresentedSecret::new(unknown.expose()),
            VerifyRequest::for_face(Face::NativeVerify)
        ))
        .expect("verifies")
        .reason,
        Reason::NotFound
    );
    group.bench_function("unknown/negative_entry", |b| {
        b.iter(|| assert_eq!(verify_now(&core, unknown.expose()), Reason::NotFound))
    });
    let mut bad = fixture.secrets[0].clone().into_bytes();
    bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bad).expect("ascii");
    group.bench_function("bad_checksum", |b| {
        b.iter(|| assert_eq!(verify_now(&core, &bad), Reason::Malformed))
    });

    let hasher = fixture.hasher().expect("hasher");
    let mut next = 0usize;
    group.bench_function("cache_miss/store_hit", |b| {
        b.to_async(&rt).iter_batched(
            || {
                next = (next + 1) % secrets.len();
                let secret = secrets[next].clone();
                core.verifier().forget_hash(&hasher.hash(&secret));
                secret
            },
            |secret| {
                let core = Arc::clone(&core);
                async move {
                    let decision = core
                        .verify(
                            PresentedSecret::new(&secret),
                            VerifyRequest::for_face(Face::NativeVerify),
                        )
                        .await;
                    assert_eq!(decision.expect("verifies").reason, Reason::Valid);
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("unknown/first_sight", |b| {
        b.to_async(&rt).iter_batched(
            SecretToken::generate,
            |secret| {
                let core = Arc::clone(&core);
                async move {
                    let decision = core
                        .verify(
                            PresentedSecret::new(secret.expose()),
                            VerifyRequest::for_face(Face::NativeVerify),
                        )
                        .await;
                    assert_eq!(decision.expect("verifies").reason, Reason::NotFound);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
