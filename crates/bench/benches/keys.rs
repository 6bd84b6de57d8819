//! Key management through the core on the 1,000,000-key SQLite fixture: creating keys one
//! caller at a time and with concurrent callers, and one filtered list page of 50.
//!
//! `cargo bench -p keyward-bench --bench keys`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::future::join_all;
use keyward_api::list_query::ListParams;
use keyward_bench::fixture::{self, Fixture};
use keyward_core::auth::Caller;
use keyward_core::ids::PrincipalId;
use keyward_core::model::Name;
use keyward_core::query::{KeyField, Sort};
use keyward_core::secret::PresentedSecret;
use keyward_core::service::NewKey;
use keyward_core::verify::Face;
use keyward_core::Keyward;

/// Callers creating keys at once in the concurrent case.
const CONCURRENT: usize = 64;
/// The filtered pages measured, as the REST query strings that ask for them.
/// The name prefixes differ in how many keys they match, newest first: `key-0512` about 1,000
/// (the name index finds them, a sort orders them), `key-05` about 100,000 (the same plan, so the
/// cost grows with the matches: no one index serves both a name range and creation order).
const LIST_QUERIES: [(&str, &str); 3] = [
    ("state_disabled", "state=disabled&limit=50"),
    (
        "name_prefix_1k_matches",
        "name=starts_with:key-0512&state=enabled&limit=50",
    ),
    (
        "name_prefix_100k_matches",
        "name=starts_with:key-05&state=enabled&limit=50",
    ),
];

struct Setup {
    core: Arc<Keyward>,
    caller: Arc<Caller>,
    owners: Vec<PrincipalId>,
    names: AtomicU64,
    run: u64,
}

impl Setup {
    fn new_key(&self) -> NewKey {
        let n = self.names.fetch_add(1, Ordering::Relaxed);
        let owner = self.owners[(n % self.owners.len() as u64) as usize];
        let name = Name::parse("name", format!("bench-{}-{n}", self.run)).expect("a valid name");
        NewKey::named(owner, name)
    }

    /// Creates one key through the core, as the admin.
    async fn create_one(&self) {
        self.core
            .create_key(&self.caller, self.new_key())
            .await
            .expect("created");
    }
}

fn keys(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let setup = Arc::new(rt.block_on(async {
        let fixture: Fixture = fixture::ensure(fixture::FIXTURE_KEYS)
            .await
            .expect("the bench fixture");
        let path = fixture::fixtures_root().join("work").join("keys.db");
        let core = fixture.open_copy(&path).await.expect("a core on a copy");
        let caller = core
            .authenticate(
                Face::NativeApi,
                PresentedSecret::new(&fixture.admin_secret),
                None,
            )
            .await
            .expect("the admin key");
        Setup {
            core,
            caller: Arc::new(caller),
            owners: fixture
                .owner_ids
                .iter()
                .map(|id| PrincipalId::from_uuid(*id))
                .collect(),
            names: AtomicU64::new(0),
            run: std::process::id().into(),
        }
    }));

    let mut group = c.benchmark_group("keys");
    group.throughput(Throughput::Elements(1));
    group.bench_function("create/one_caller", |b| {
        b.to_async(&rt).iter(|| {
            let setup = Arc::clone(&setup);
            async move { setup.create_one().await }
        })
    });
    // 64 callers creating keys without pause, as many busy clients do: each takes the next key
    // to make until the iteration's count is made. Keys per second is what criterion's
    // throughput shows.
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("create/{CONCURRENT}_callers"), |b| {
        b.to_async(&rt).iter_custom(|keys| {
            let setup = Arc::clone(&setup);
            async move {
                let left = Arc::new(AtomicU64::new(keys));
                let started = std::time::Instant::now();
                let callers = (0..CONCURRENT).map(|_| {
                    let setup = Arc::clone(&setup);
                    let left = Arc::clone(&left);
                    tokio::spawn(async move {
                        while left
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            })
                            .is_ok()
                        {
                            setup.create_one().await;
                        }
                    })
                });
                for done in join_all(callers).await {
                    done.expect("the caller ran");
                }
                started.elapsed()
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    let default_sort = Sort {
        field: KeyField::CreatedAt,
        descending: true,
    };
    for (label, raw) in LIST_QUERIES {
        group.bench_function(format!("list_page_50/{label}"), |b| {
            b.to_async(&rt).iter(|| {
                let setup = Arc::clone(&setup);
                async move {
                    let query = ListParams::<KeyField>::parse(Some(raw))
                        .expect("a valid query")
                        .into_query(&setup.caller, default_sort);
                    let page = setup
                        .core
                        .list_keys(&setup.caller, query)
                        .await
                        .expect("listed");
                    assert_eq!(page.items.len(), 50);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
