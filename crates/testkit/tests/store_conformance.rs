//! Runs every store conformance check against SQLite, and against PostgreSQL when
//! `KEYWARD_TEST_DATABASE_URL` names a server (each check gets a fresh database). Without it the
//! PostgreSQL checks are skipped loudly — and fail when `CI=true`, so CI cannot skip them.

use std::future::Future;
use std::io::Write as _;
use std::sync::{Arc, Once};

use keyward_core::store::Store;
use keyward_store::StoreOptions;
use keyward_testkit::db::{TestDatabase, POSTGRES_URL_VAR};

async fn run_on(db: TestDatabase, check: impl FnOnce(Arc<dyn Store>) -> Fut) {
    let store = keyward_store::connect(db.url(), &StoreOptions::default())
        .await
        .expect("connect and migrate a fresh database");
    check(store).await;
    db.cleanup().await;
}

/// Lets `run_on` name the check's future type.
type Fut = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

async fn on_sqlite<F, R>(check: F)
where
    F: FnOnce(Arc<dyn Store>) -> R,
    R: Future<Output = ()> + Send + 'static,
{
    run_on(TestDatabase::sqlite().await, |s| Box::pin(check(s))).await;
}

async fn on_postgres<F, R>(check: F)
where
    F: FnOnce(Arc<dyn Store>) -> R,
    R: Future<Output = ()> + Send + 'static,
{
    match TestDatabase::postgres().await {
        Some(db) => run_on(db, |s| Box::pin(check(s))).await,
        None => announce_postgres_skipped(),
    }
}

fn announce_postgres_skipped() {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {POSTGRES_URL_VAR} is unset: the PostgreSQL conformance tests must run in CI"
    );
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Straight to stderr, past the harness's capture, so the skip is seen.
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! PostgreSQL conformance tests SKIPPED: {POSTGRES_URL_VAR} not set\n\
             !! (e.g. {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test)\n{bar}\n"
        );
    });
}

macro_rules! conformance {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    super::on_sqlite(keyward_testkit::conformance::$check).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $check() {
                    super::on_postgres(keyward_testkit::conformance::$check).await;
                }
            )+
        }
    };
}

conformance!(
    domains_round_trip,
    domain_delete_requires_no_principals,
    principals_round_trip,
    principal_delete_requires_no_keys,
    keys_round_trip,
    key_names_are_unique_per_owner,
    key_owner_must_live_in_the_key_domain,
    update_key_checks_the_version,
    key_in_domain_sees_only_its_domain,
    update_key_replaces_secrets,
    last_used_moves_forward_only,
    delete_key_removes_its_secrets,
    key_by_secret_hash_finds_every_secret,
    concurrent_writes_settle,
    operations_are_written_with_their_changes,
    operations_page_newest_first,
    text_filters,
    id_and_enum_filters,
    time_filters,
    token_set_filters,
    principal_filters,
    filter_trees_combine_and_negate,
    largest_filters_run,
    lists_stay_in_their_domain,
    key_sorts_walk_every_page_once,
    principal_sorts_walk_every_page_once,
    offset_windows,
    count_keys_ignores_the_window,
    aggregates_group_count_and_extremes,
    products_round_trip,
    subscription_writes_check_the_status,
    subscriptions_fill_key_products,
    keys_filter_by_their_subscription,
    usage_plans_round_trip,
    usage_plans_attach_and_detach,
    access_keys_round_trip,
    usage_limits_round_trip,
    credits_change_by_compare_and_set,
    usage_adds_up_per_key_and_hour,
    usage_goes_with_its_key,
    prune_usage_deletes_old_hours,
);

/// Migrations apply once and are a no-op after; the bare-path and `sqlite:` URL forms open the
/// same kind of store.
#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDatabase::sqlite().await;
    keyward_store::migrate(db.url())
        .await
        .expect("first migrate");
    keyward_store::migrate(db.url())
        .await
        .expect("second migrate");
    let bare_path = db.url().trim_start_matches("sqlite://").to_owned();
    let store = keyward_store::connect(&bare_path, &StoreOptions::default())
        .await
        .expect("a bare path opens SQLite");
    assert!(store.is_empty().await.expect("is_empty"));
    db.cleanup().await;

    if let Some(db) = TestDatabase::postgres().await {
        keyward_store::migrate(db.url())
            .await
            .expect("first migrate");
        keyward_store::migrate(db.url())
            .await
            .expect("second migrate");
        let store = keyward_store::connect(db.url(), &StoreOptions::default())
            .await
            .expect("connect");
        assert!(store.is_empty().await.expect("is_empty"));
        db.cleanup().await;
    } else {
        announce_postgres_skipped();
    }
}

/// A failed connection says where it tried, without the password.
#[tokio::test]
async fn connection_errors_hide_the_password() {
    // Nothing listens on port 1: connecting fails at once.
    let url = "postgres://keyward:hunter2@127.0.0.1:1/keyward";
    let options = StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..StoreOptions::default()
    };
    let error = keyward_store::connect(url, &options)
        .await
        .err()
        .expect("no server on port 1");
    let message = format!("{error:#}");
    assert!(message.contains("keyward:***@127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// A database that goes away under a running store makes it answer `Unavailable` (503), never
/// `Internal` (500): terminated connections and "database does not exist" alike.
#[tokio::test]
async fn a_lost_postgres_database_is_unavailable() {
    let Some(db) = TestDatabase::postgres().await else {
        announce_postgres_skipped();
        return;
    };
    let options = StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..StoreOptions::default()
    };
    let store = keyward_store::connect(db.url(), &options)
        .await
        .expect("connect");
    store.ping().await.expect("the database is up");
    db.cleanup().await;
    for _ in 0..3 {
        let ping = store.ping().await;
        assert!(
            matches!(ping, Err(keyward_core::error::StoreError::Unavailable(_))),
            "{ping:?}"
        );
    }
    let read = store.key(keyward_core::ids::KeyId::new()).await;
    assert!(
        matches!(read, Err(keyward_core::error::StoreError::Unavailable(_))),
        "{read:?}"
    );
}
