//! The store conformance suite: what every `Store` implementation must do, one public async fn
//! per behaviour. Each takes a fresh, migrated, empty store and panics on the first deviation.
//! `tests/store_conformance.rs` runs all of them on SQLite and, when configured, PostgreSQL; a
//! new backend passes them all before it ships.
//!
//! Groups: `objects` (round trips, uniqueness, delete rules), `keys` (versions, secrets, last
//! use, hash lookup, concurrency), `operations` (same-transaction log, newest-first pages),
//! `filters` (every operator on every field kind), `paging` (sorts, cursors, offsets, counts),
//! `products` (products, subscriptions and the accepted products a key carries), `stats`
//! (group-by with counts and time extremes), `usage` (limits, the owner's limits on every key read,
//! credits by compare-and-set), `metering` (metered counts that add up, go with their key and are
//! pruned by age), `usage_plans` (plans, where they attach, and the keys each attachment touches).

mod filters;
mod keys;
mod metering;
mod objects;
mod operations;
mod paging;
mod products;
mod stats;
mod usage;
mod usage_plans;

pub use filters::{
    filter_trees_combine_and_negate, id_and_enum_filters, largest_filters_run,
    lists_stay_in_their_domain, principal_filters, text_filters, time_filters, token_set_filters,
};
pub use keys::{
    concurrent_writes_settle, delete_key_removes_its_secrets,
    key_by_secret_hash_finds_every_secret, key_in_domain_sees_only_its_domain,
    last_used_moves_forward_only, update_key_checks_the_version, update_key_replaces_secrets,
};
pub use metering::{
    prune_usage_deletes_old_hours, usage_adds_up_per_key_and_hour, usage_goes_with_its_key,
};
pub use objects::{
    domain_delete_requires_no_principals, domains_round_trip, key_names_are_unique_per_owner,
    key_owner_must_live_in_the_key_domain, keys_round_trip, principal_delete_requires_no_keys,
    principals_round_trip,
};
pub use operations::{operations_are_written_with_their_changes, operations_page_newest_first};
pub use paging::{
    count_keys_ignores_the_window, key_sorts_walk_every_page_once, offset_windows,
    principal_sorts_walk_every_page_once,
};
pub use products::{
    access_keys_round_trip, keys_filter_by_their_subscription, products_round_trip,
    subscription_writes_check_the_status, subscriptions_fill_key_products,
};
pub use stats::aggregates_group_count_and_extremes;
pub use usage::{credits_change_by_compare_and_set, usage_limits_round_trip};
pub use usage_plans::{usage_plans_attach_and_detach, usage_plans_round_trip};

use std::sync::Arc;

use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId};
use keyward_core::model::{
    Actor, ApiKey, Description, Domain, KeyState, KeyType, Metadata, Name, Operation, Principal,
    PrincipalKind, SecretInfo, SecretSlot, TargetKind, TokenSet,
};
use keyward_core::query::{Filter, KeyField, PrincipalField, Query, Sort, Window};
use keyward_core::secret::{SecretHasher, SecretToken};
use keyward_core::store::Store;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A time with a microsecond part, so a store that drops precision is caught.
pub(crate) fn base_time() -> OffsetDateTime {
    datetime!(2026-01-02 03:04:05.123456 UTC)
}

/// `base_time()` moved by `micros` microseconds.
pub(crate) fn at(micros: i64) -> OffsetDateTime {
    base_time() + Duration::microseconds(micros)
}

pub(crate) fn name(text: &str) -> Name {
    Name::parse("name", text).expect("a valid name")
}

pub(crate) fn tokens(items: &[&str]) -> TokenSet {
    TokenSet::parse("roles", items.iter().copied()).expect("valid tokens")
}

pub(crate) fn new_domain(domain_name: &str) -> Domain {
    Domain {
        id: DomainId::new(),
        name: name(domain_name),
        description: Description::default(),
        is_root: false,
        created_at: base_time(),
        updated_at: base_time(),
    }
}

pub(crate) fn new_principal(domain: DomainId, principal_name: &str) -> Principal {
    Principal {
        id: PrincipalId::new(),
        domain,
        kind: PrincipalKind::User,
        name: name(principal_name),
        description: Description::default(),
        external: false,
        limits: Default::default(),
        created_at: base_time(),
        updated_at: base_time(),
    }
}

/// A secret with a hash no other test secret has.
pub(crate) fn new_secret(slot: SecretSlot) -> SecretInfo {
    let token = SecretToken::generate();
    SecretInfo {
        slot,
        hash: SecretHasher::new(None).hash(token.expose()),
        hint: token.hint(),
        created_at: base_time(),
        expires_at: None,
    }
}

/// A plain enabled key with one primary secret.
pub(crate) fn new_key(owner: &Principal, key_name: &str) -> ApiKey {
    ApiKey {
        id: KeyId::new(),
        domain: owner.domain,
        owner: owner.id,
        name: name(key_name),
        description: Description::default(),
        key_type: KeyType::User,
        state: KeyState::Enabled,
        roles: TokenSet::default(),
        scopes: TokenSet::default(),
        allowed_cidrs: Vec::new(),
        expires_at: None,
        metadata: Metadata::default(),
        limits: Default::default(),
        credits: None,
        credits_epoch: 0,
        usage: Default::default(),
        created_at: base_time(),
        updated_at: base_time(),
        last_used_at: None,
        last_rotated_at: None,
        secrets: vec![new_secret(SecretSlot::Primary)],
        products: Vec::new(),
        version: 1,
    }
}

/// The record of a change, as the core would write it.
pub(crate) fn op(domain: DomainId, action: &str, kind: TargetKind, target: Uuid) -> Operation {
    Operation {
        id: OperationId::new(),
        domain,
        actor: Actor::System,
        action: action.to_owned(),
        target_kind: kind,
        target_id: target,
        at: base_time(),
        metadata: json!({}),
        result: json!({"id": target.to_string()}),
    }
}

/// A domain with one principal, both stored: where most checks start.
pub(crate) struct Tenant {
    pub domain: Domain,
    pub owner: Principal,
}

pub(crate) async fn tenant(store: &Arc<dyn Store>, domain_name: &str) -> Tenant {
    let domain = new_domain(domain_name);
    insert_domain(store, &domain).await;
    let owner = new_principal(domain.id, "owner");
    insert_principal(store, &owner).await;
    Tenant { domain, owner }
}

pub(crate) async fn insert_domain(store: &Arc<dyn Store>, domain: &Domain) {
    let record = op(
        domain.id,
        "domain.create",
        TargetKind::Domain,
        domain.id.as_uuid(),
    );
    store
        .insert_domain(domain, &record)
        .await
        .expect("insert_domain");
}

pub(crate) async fn insert_principal(store: &Arc<dyn Store>, principal: &Principal) {
    let record = op(
        principal.domain,
        "principal.create",
        TargetKind::Principal,
        principal.id.as_uuid(),
    );
    store
        .insert_principal(principal, &record)
        .await
        .expect("insert_principal");
}

pub(crate) async fn insert_key(store: &Arc<dyn Store>, key: &ApiKey) {
    let record = key_op(key, "key.create");
    store.insert_key(key, &record).await.expect("insert_key");
}

pub(crate) fn key_op(key: &ApiKey, action: &str) -> Operation {
    op(key.domain, action, TargetKind::Key, key.id.as_uuid())
}

/// A first-page key query over `domain` with `filter`, default sort.
pub(crate) fn key_query(domain: DomainId, filter: Filter<KeyField>) -> Query<KeyField> {
    Query {
        domain,
        filter,
        sort: Sort {
            field: KeyField::CreatedAt,
            descending: true,
        },
        window: Window::After(None),
        limit: 1000,
    }
}

pub(crate) fn principal_query(
    domain: DomainId,
    filter: Filter<PrincipalField>,
) -> Query<PrincipalField> {
    Query {
        domain,
        filter,
        sort: Sort {
            field: PrincipalField::CreatedAt,
            descending: false,
        },
        window: Window::After(None),
        limit: 1000,
    }
}
