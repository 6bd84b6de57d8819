//! The key lifecycle: create, get, list, update, enable, disable, rotate, delete.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::operations::{changed_fields, Change, Subject};
use super::self_service::check_reach;
use super::Keyward;
use crate::auth::{is_unknown_reserved_role, AdminOf, Caller, ROOT_ROLE};
use crate::clock::to_micros_precision;
use crate::error::{CoreError, CoreResult, Entity, StoreError, ValidationError};
use crate::ids::{DomainId, KeyId, PrincipalId};
use crate::model::{
    cidr::check_cidr_count, AllowedCidr, ApiKey, Description, KeyState, KeyType, Metadata, Name,
    Operation, Principal, SecretInfo, SecretSlot, TargetKind, TokenSet,
};
use crate::query::{Cursor, Filter, KeyField, Page, Query, Value, Window};
use crate::secret::SecretToken;
use crate::usage::{Credits, Limits, Quota, RateLimit, UsageRules};

/// Longest grace period a rotation may keep the old secret alive.
pub const MAX_ROTATION_GRACE: Duration = Duration::days(365);

/// How many times a read-modify-write retries after losing a race with another writer.
const UPDATE_ATTEMPTS: usize = 3;

/// A key to create. Every field is already validated.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub owner: PrincipalId,
    pub name: Name,
    pub description: Description,
    pub key_type: KeyType,
    pub state: KeyState,
    pub roles: TokenSet,
    pub scopes: TokenSet,
    pub allowed_cidrs: Vec<AllowedCidr>,
    pub expires_at: Option<OffsetDateTime>,
    pub metadata: Metadata,
    pub limits: Limits,
    pub credits: Option<Credits>,
}

impl NewKey {
    /// A plain enabled user key with nothing else set.
    pub fn named(owner: PrincipalId, name: Name) -> Self {
        Self {
            owner,
            name,
            description: Description::default(),
            key_type: KeyType::User,
            state: KeyState::Enabled,
            roles: TokenSet::default(),
            scopes: TokenSet::default(),
            allowed_cidrs: Vec::new(),
            expires_at: None,
            metadata: Metadata::default(),
            limits: Limits::default(),
            credits: None,
        }
    }
}

/// A partial update: `None` leaves a field as it is. `expires_at: Some(None)` removes the expiry.
/// `state` lets a face that changes fields and the state in one request (NCP `PUT`, ZenML
/// update) do it as one change: one transaction, one operation.
#[derive(Debug, Clone, Default)]
pub struct KeyPatch {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub key_type: Option<KeyType>,
    pub roles: Option<TokenSet>,
    pub scopes: Option<TokenSet>,
    pub allowed_cidrs: Option<Vec<AllowedCidr>>,
    pub expires_at: Option<Option<OffsetDateTime>>,
    pub metadata: Option<Metadata>,
    pub state: Option<KeyState>,
    pub rate_limits: Option<Vec<RateLimit>>,
    pub quotas: Option<Vec<Quota>>,
    /// `Some(None)` removes the balance (unlimited); `Some(Some(_))` sets it, which starts a new
    /// credit epoch (credits leased by nodes under the old balance lapse).
    pub credits: Option<Option<Credits>>,
}

impl KeyPatch {
    /// True when the patch names nothing to change.
    pub fn is_empty(&self) -> bool {
        self.state.is_none() && self.changes_no_field()
    }

    /// True when the patch names no field other than the state.
    fn changes_no_field(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.key_type.is_none()
            && self.roles.is_none()
            && self.scopes.is_none()
            && self.allowed_cidrs.is_none()
            && self.expires_at.is_none()
            && self.metadata.is_none()
            && self.rate_limits.is_none()
            && self.quotas.is_none()
            && self.credits.is_none()
    }
}

/// Who may make a change through `Keyward::change_key`: a domain's administrators only, or also
/// a `keyward:self` caller on its own principal's keys (update, enable/disable, rotate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    Administrators,
    SelfService,
}

/// A key and its new plaintext secret, returned exactly once (create, rotate).
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: SecretToken,
}

/// Checks an expiry is in the future and returns it at the precision the stores keep, so the
/// answer to a write is exactly what a later read returns.
fn check_expiry(
    expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> CoreResult<Option<OffsetDateTime>> {
    let Some(at) = expires_at else {
        return Ok(None);
    };
    let at = to_micros_precision(at.to_offset(time::UtcOffset::UTC));
    if at <= now {
        return Err(ValidationError::new("expires_at", "must be in the future").into());
    }
    Ok(Some(at))
}

/// Management roles cannot be handed out more widely than the caller holds them, and the reserved
/// `keyward:` namespace holds only the roles that exist.
pub(super) fn check_roles(cap: &AdminOf, roles: &TokenSet, in_root_domain: bool) -> CoreResult<()> {
    if roles.iter().any(is_unknown_reserved_role) {
        return Err(ValidationError::new(
            "roles",
            "the keyward: namespace is reserved: only keyward:admin, keyward:root and keyward:self exist",
        )
        .into());
    }
    if roles.contains(ROOT_ROLE) && !(cap.is_root() && in_root_domain) {
        return Err(CoreError::Forbidden(
            "keyward:root may only be granted by root, to keys of the root domain".into(),
        ));
    }
    Ok(())
}

pub(super) fn refuse_external(owner: &Principal) -> CoreResult<()> {
    if owner.external {
        return Err(CoreError::Forbidden(
            "keys of an external principal are managed by its external authority".into(),
        ));
    }
    Ok(())
}

pub(super) fn new_secret(
    slot: SecretSlot,
    now: OffsetDateTime,
    hasher: &crate::secret::SecretHasher,
) -> (SecretToken, SecretInfo) {
    let token = SecretToken::generate();
    let info = SecretInfo {
        slot,
        hash: hasher.hash(token.expose()),
        hint: token.hint(),
        created_at: now,
        expires_at: None,
    };
    (token, info)
}

impl Keyward {
    /// Creates a key for `input.owner` and returns its secret, the one time it is ever shown.
    /// A `keyward:self` caller creates for its own principal only, within its own key's bounds
    /// (`service/self_service.rs`).
    pub async fn create_key(&self, caller: &Caller, mut input: NewKey) -> CoreResult<CreatedKey> {
        let owner = self.visible_principal(caller, input.owner).await?;
        let cap = caller.keys_of(owner.domain, owner.id, Entity::Principal)?;
        refuse_external(&owner)?;
        self.bound_new_key(caller, &mut input).await?;
        let in_root = self.is_root_domain(owner.domain).await?;
        check_roles(&cap, &input.roles, in_root)?;
        check_cidr_count(&input.allowed_cidrs)?;
        self.insert_new_key(&cap, input, json!({})).await
    }

    /// Makes a key and its secret on keyward's own behalf (bootstrap only).
    pub(crate) async fn create_key_as_system(
        &self,
        cap: &AdminOf,
        input: NewKey,
    ) -> CoreResult<CreatedKey> {
        self.insert_new_key(cap, input, json!({"bootstrap": true}))
            .await
    }

    /// Builds the key with a fresh primary secret, stores it with its operation, and drops any
    /// negative cache entry its hash might have.
    async fn insert_new_key(
        &self,
        cap: &AdminOf,
        input: NewKey,
        metadata: serde_json::Value,
    ) -> CoreResult<CreatedKey> {
        self.insert_key_with_slots(cap, input, metadata, false)
            .await
            .map(|(created, _)| created)
    }

    /// `insert_new_key`, with a second live secret in the secondary slot when `secondary` is
    /// set (NCP-style keys); that secret is returned beside the key.
    pub(super) async fn insert_key_with_slots(
        &self,
        cap: &AdminOf,
        input: NewKey,
        metadata: serde_json::Value,
        secondary: bool,
    ) -> CoreResult<(CreatedKey, Option<SecretToken>)> {
        let now = self.clock.now();
        let expires_at = check_expiry(input.expires_at, now)?;
        input.limits.validate("limits")?;
        let credits = input.credits.map(|c| Credits {
            refilled_at: now,
            ..c
        });
        let (secret, info) = new_secret(SecretSlot::Primary, now, self.verifier.hasher());
        let mut secrets = vec![info];
        let second = secondary.then(|| {
            let (token, info) = new_secret(SecretSlot::Secondary, now, self.verifier.hasher());
            secrets.push(info);
            token
        });
        let key = ApiKey {
            id: KeyId::new(),
            domain: cap.domain(),
            owner: input.owner,
            name: input.name,
            description: input.description,
            key_type: input.key_type,
            state: input.state,
            roles: input.roles,
            scopes: input.scopes,
            allowed_cidrs: input.allowed_cidrs,
            expires_at,
            metadata: input.metadata,
            limits: input.limits,
            credits,
            credits_epoch: 0,
            usage: UsageRules::default(),
            created_at: now,
            updated_at: now,
            last_used_at: None,
            last_rotated_at: None,
            secrets,
            products: Vec::new(),
            version: 1,
        };
        let op = self.record(
            cap,
            key.domain,
            now,
            Change {
                action: "key.create",
                target_kind: TargetKind::Key,
                target_id: key.id.as_uuid(),
                metadata,
                result: Subject::Key(&key),
            },
        );
        self.store.insert_key(&key, &op).await?;
        self.verifier.forget_key(&key);
        Ok((CreatedKey { key, secret }, second))
    }

    /// One key, if it exists and the caller manages its owner's keys.
    pub async fn get_key(&self, caller: &Caller, id: KeyId) -> CoreResult<ApiKey> {
        let key = self
            .visible_key(caller, id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Key))?;
        caller.keys_of(key.domain, key.owner, Entity::Key)?;
        Ok(self.present(key))
    }

    /// `get_key`, confined to `domain`: a key of another domain is "not found", as for faces
    /// whose requests name the domain they act in (SpaceONE's `domain_id`).
    pub async fn get_key_in(
        &self,
        caller: &Caller,
        domain: DomainId,
        id: KeyId,
    ) -> CoreResult<ApiKey> {
        let key = self
            .visible_key(caller, id)
            .await?
            .filter(|key| key.domain == domain)
            .ok_or(CoreError::NotFound(Entity::Key))?;
        caller.keys_of(key.domain, key.owner, Entity::Key)?;
        Ok(key)
    }

    /// The key `id` if `caller` may see it, looked up within the caller's domain: another
    /// tenant's key and an unknown id are the same miss, answered after the same work.
    pub(super) async fn visible_key(
        &self,
        caller: &Caller,
        id: KeyId,
    ) -> CoreResult<Option<ApiKey>> {
        Ok(match caller.visible_domain() {
            None => self.store.key(id).await?,
            Some(domain) => self.store.key_in_domain(id, domain).await?,
        })
    }

    /// One page of keys. The query's domain must be administered by the caller; a
    /// `keyward:self` caller's query is confined to its own principal's keys.
    pub async fn list_keys(
        &self,
        caller: &Caller,
        query: Query<KeyField>,
    ) -> CoreResult<Page<ApiKey>> {
        query.validate()?;
        let query = confine_keys(caller, query)?;
        let mut items = self.store.list_keys(&query).await?;
        let next_cursor = next_cursor(&query, &mut items, key_sort_value);
        let items = items.into_iter().map(|key| self.present(key)).collect();
        Ok(Page { items, next_cursor })
    }

    /// Counts keys matching the query's filter (for vendor APIs that report totals).
    pub async fn count_keys(&self, caller: &Caller, query: &Query<KeyField>) -> CoreResult<u64> {
        query.filter.check_bounds()?;
        let query = confine_keys(caller, query.clone())?;
        Ok(self.store.count_keys(&query).await?)
    }

    /// Applies a partial update. An empty patch is refused rather than recorded as a change.
    /// A patch that names only the state is an enable or disable (`set_key_state`: recorded as
    /// `key.enable`/`key.disable`, nothing recorded when the key already has that state); any
    /// other patch is one `key.update`, the state included.
    pub async fn update_key(
        &self,
        caller: &Caller,
        id: KeyId,
        patch: KeyPatch,
    ) -> CoreResult<ApiKey> {
        if let (Some(state), true) = (patch.state, patch.changes_no_field()) {
            return self.set_key_state(caller, id, state).await;
        }
        self.update_key_recorded(caller, id, patch)
            .await
            .map(|(key, _)| key)
    }

    /// `update_key`, also returning the operation that recorded the change, for faces whose
    /// answer is the change record itself (Yandex's `Operation`).
    pub async fn update_key_recorded(
        &self,
        caller: &Caller,
        id: KeyId,
        patch: KeyPatch,
    ) -> CoreResult<(ApiKey, Operation)> {
        if patch.is_empty() {
            return Err(ValidationError::new("body", "names no field to change").into());
        }
        if let Some(cidrs) = &patch.allowed_cidrs {
            check_cidr_count(cidrs)?;
        }
        self.bound_patch(caller, &patch).await?;
        let metadata = changed_fields([
            ("name", patch.name.is_some()),
            ("description", patch.description.is_some()),
            ("type", patch.key_type.is_some()),
            ("roles", patch.roles.is_some()),
            ("scopes", patch.scopes.is_some()),
            ("allowed_cidrs", patch.allowed_cidrs.is_some()),
            ("expires_at", patch.expires_at.is_some()),
            ("metadata", patch.metadata.is_some()),
            ("state", patch.state.is_some()),
            ("rate_limits", patch.rate_limits.is_some()),
            ("quotas", patch.quotas.is_some()),
            ("credits", patch.credits.is_some()),
        ]);
        let mut limits_check = Limits::default();
        if let Some(v) = &patch.rate_limits {
            limits_check.rate_limits = v.clone();
        }
        if let Some(v) = &patch.quotas {
            limits_check.quotas = v.clone();
        }
        limits_check.validate("limits")?;
        self.change_key(
            caller,
            id,
            Reach::SelfService,
            "key.update",
            metadata,
            |key, cap, now, in_root| {
                if let Some(roles) = &patch.roles {
                    check_roles(cap, roles, in_root)?;
                }
                let mut patch = patch.clone();
                if let Some(expires_at) = patch.expires_at {
                    patch.expires_at = Some(check_expiry(expires_at, now)?);
                }
                if let Some(v) = patch.name {
                    key.name = v;
                }
                if let Some(v) = patch.description {
                    key.description = v;
                }
                if let Some(v) = patch.key_type {
                    key.key_type = v;
                }
                if let Some(v) = patch.roles {
                    key.roles = v;
                }
                if let Some(v) = patch.scopes {
                    key.scopes = v;
                }
                if let Some(v) = patch.allowed_cidrs {
                    key.allowed_cidrs = v;
                }
                if let Some(v) = patch.expires_at {
                    key.expires_at = v;
                }
                if let Some(v) = patch.metadata {
                    key.metadata = v;
                }
                if let Some(v) = patch.state {
                    key.state = v;
                }
                if let Some(v) = patch.rate_limits {
                    key.limits.rate_limits = v;
                }
                if let Some(v) = patch.quotas {
                    key.limits.quotas = v;
                }
                if let Some(v) = patch.credits {
                    key.credits = v.map(|c| Credits {
                        refilled_at: now,
                        ..c
                    });
                    key.credits_epoch += 1;
                }
                Ok(None)
            },
        )
        .await
        .map(|(key, _, op)| (key, op))
    }

    /// Enables or disables a key. Setting the state it already has is not an error and records nothing.
    pub async fn set_key_state(
        &self,
        caller: &Caller,
        id: KeyId,
        state: KeyState,
    ) -> CoreResult<ApiKey> {
        let current = self.get_key(caller, id).await?;
        if current.state == state {
            let owner = self.store.principal(current.owner).await?;
            if let Some(owner) = owner {
                refuse_external(&owner)?;
            }
            return Ok(current);
        }
        let action = match state {
            KeyState::Enabled => "key.enable",
            KeyState::Disabled => "key.disable",
        };
        self.change_key(
            caller,
            id,
            Reach::SelfService,
            action,
            json!({}),
            |key, _, _, _| {
                key.state = state;
                Ok(None)
            },
        )
        .await
        .map(|(key, _, _)| key)
    }

    /// Issues a new primary secret. The old primary stays valid for `grace` (capped by the key's
    /// own expiry) in the secondary slot, replacing any earlier secondary; `grace = 0` ends it now.
    pub async fn rotate_key(
        &self,
        caller: &Caller,
        id: KeyId,
        grace: Duration,
    ) -> CoreResult<CreatedKey> {
        if grace.is_negative() || grace > MAX_ROTATION_GRACE {
            return Err(ValidationError::new(
                "grace_seconds",
                "must be between 0 and 31536000 (365 days)",
            )
            .into());
        }
        let metadata = json!({ "grace_seconds": grace.whole_seconds() });
        let hasher = self.verifier.hasher().clone();
        let (key, secret, _) = self
            .change_key(
                caller,
                id,
                Reach::SelfService,
                "key.rotate",
                metadata,
                move |key, _, now, _| {
                    let (secret, info) = new_secret(SecretSlot::Primary, now, &hasher);
                    let old = key
                        .secrets
                        .iter()
                        .find(|s| s.slot == SecretSlot::Primary)
                        .cloned();
                    key.secrets.clear();
                    if let Some(mut old) = old {
                        let until = now + grace;
                        let until = match key.expires_at {
                            Some(key_end) => until.min(key_end),
                            None => until,
                        };
                        let until = old.expires_at.map_or(until, |e| e.min(until));
                        if grace > Duration::ZERO && until > now {
                            old.slot = SecretSlot::Secondary;
                            old.expires_at = Some(until);
                            key.secrets.push(old);
                        }
                    }
                    key.secrets.insert(0, info);
                    key.last_rotated_at = Some(now);
                    Ok(Some(secret))
                },
            )
            .await?;
        let secret = secret.ok_or(CoreError::Internal)?;
        Ok(CreatedKey { key, secret })
    }

    /// Deletes a key; its secrets stop verifying at once on this node.
    pub async fn delete_key(&self, caller: &Caller, id: KeyId) -> CoreResult<ApiKey> {
        self.delete_key_recorded(caller, id)
            .await
            .map(|(key, _)| key)
    }

    /// `delete_key`, also returning the operation that recorded the deletion.
    pub async fn delete_key_recorded(
        &self,
        caller: &Caller,
        id: KeyId,
    ) -> CoreResult<(ApiKey, Operation)> {
        let key = self.get_key(caller, id).await?;
        let cap = caller.keys_of(key.domain, key.owner, Entity::Key)?;
        if let Some(own) = self.own_key_bounds(caller).await? {
            check_reach(&own, &key)?;
        }
        if let Some(owner) = self.store.principal(key.owner).await? {
            refuse_external(&owner)?;
        }
        let op = self.record(
            &cap,
            key.domain,
            self.clock.now(),
            Change {
                action: "key.delete",
                target_kind: TargetKind::Key,
                target_id: key.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Key(&key),
            },
        );
        let deleted = self.store.delete_key(key.id, &op).await;
        self.verifier.forget_key(&key);
        match deleted {
            Err(StoreError::Stale) => Err(CoreError::NotFound(Entity::Key)),
            other => other.map(|()| (key, op)).map_err(CoreError::from),
        }
    }

    /// The read-modify-write every key change shares: load, authorize (a `keyward:self` caller
    /// only a key that holds no more than its own), refuse external owners,
    /// apply `edit`, bump the version, write with the operation, drop cache entries. Retries when
    /// another writer got there first. Returns the key, what `edit` made, and the operation.
    pub(super) async fn change_key<F>(
        &self,
        caller: &Caller,
        id: KeyId,
        reach: Reach,
        action: &'static str,
        metadata: serde_json::Value,
        mut edit: F,
    ) -> CoreResult<(ApiKey, Option<SecretToken>, Operation)>
    where
        F: FnMut(&mut ApiKey, &AdminOf, OffsetDateTime, bool) -> CoreResult<Option<SecretToken>>
            + Send,
    {
        let own = match reach {
            Reach::Administrators => None,
            Reach::SelfService => self.own_key_bounds(caller).await?,
        };
        for _ in 0..UPDATE_ATTEMPTS {
            let before = self.get_key(caller, id).await?;
            let cap = match reach {
                Reach::Administrators => caller.admin_of(before.domain, Entity::Key)?,
                Reach::SelfService => caller.keys_of(before.domain, before.owner, Entity::Key)?,
            };
            if let Some(own) = &own {
                check_reach(own, &before)?;
            }
            let owner = self
                .store
                .principal(before.owner)
                .await?
                .ok_or(CoreError::NotFound(Entity::Key))?;
            refuse_external(&owner)?;
            let in_root = self.is_root_domain(before.domain).await?;
            let now = self.clock.now();
            let mut key = before.clone();
            let secret = edit(&mut key, &cap, now, in_root)?;
            key.updated_at = now;
            key.version = before.version + 1;
            let op = self.record(
                &cap,
                key.domain,
                now,
                Change {
                    action,
                    target_kind: TargetKind::Key,
                    target_id: key.id.as_uuid(),
                    metadata: metadata.clone(),
                    result: Subject::Key(&key),
                },
            );
            match self.store.update_key(&key, before.version, &op).await {
                Ok(()) => {
                    self.verifier.forget_key(&before);
                    self.verifier.forget_key(&key);
                    return Ok((key, secret, op));
                }
                Err(StoreError::Stale) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(StoreError::Stale.into())
    }
}

/// `query` as `caller` may run it: in a domain it administers, or, for a `keyward:self` caller,
/// narrowed to its own principal's keys (another principal's simply match nothing).
fn confine_keys(caller: &Caller, mut query: Query<KeyField>) -> CoreResult<Query<KeyField>> {
    if caller.is_own_keys_only() {
        caller.keys_of(query.domain, caller.principal(), Entity::Domain)?;
        query.filter = Filter::All(vec![Filter::owned_by(caller.principal()), query.filter]);
    } else {
        caller.admin_of(query.domain, Entity::Domain)?;
    }
    Ok(query)
}

/// The sort value of a key for a cursor.
fn key_sort_value(key: &ApiKey, field: KeyField) -> Value {
    let time = |t: Option<OffsetDateTime>| t.map_or(Value::Null, Value::Time);
    match field {
        KeyField::Id => Value::Text(key.id.to_string()),
        KeyField::Name => Value::Text(key.name.as_str().to_owned()),
        KeyField::Owner => Value::Text(key.owner.to_string()),
        KeyField::Type => Value::Text(key.key_type.as_str().to_owned()),
        KeyField::State => Value::Text(key.state.as_str().to_owned()),
        KeyField::CreatedAt => Value::Time(key.created_at),
        KeyField::UpdatedAt => Value::Time(key.updated_at),
        KeyField::ExpiresAt => time(key.expires_at),
        KeyField::LastUsedAt => time(key.last_used_at),
        KeyField::LastRotatedAt => time(key.last_rotated_at),
        KeyField::Description | KeyField::Role | KeyField::Scope | KeyField::Subscription(_) => {
            Value::Null
        }
    }
}

/// Trims the extra row the store fetched and, when it existed, returns the cursor after the last
/// row kept. Offset windows get no cursor.
pub(crate) fn next_cursor<T, F: crate::query::QueryField>(
    query: &Query<F>,
    items: &mut Vec<T>,
    sort_value: impl Fn(&T, F) -> Value,
) -> Option<String>
where
    T: HasUuid,
{
    if items.len() <= query.limit as usize {
        return None;
    }
    items.truncate(query.limit as usize);
    if matches!(query.window, Window::Offset(_)) {
        return None;
    }
    let last = items.last()?;
    Some(
        Cursor {
            sort: Cursor::sort_tag(&query.sort),
            value: sort_value(last, query.sort.field),
            id: last.uuid(),
        }
        .encode(),
    )
}

/// Rows that carry a UUID tie-breaker for cursors.
pub(crate) trait HasUuid {
    fn uuid(&self) -> uuid::Uuid;
}

impl HasUuid for ApiKey {
    fn uuid(&self) -> uuid::Uuid {
        self.id.as_uuid()
    }
}

impl HasUuid for Principal {
    fn uuid(&self) -> uuid::Uuid {
        self.id.as_uuid()
    }
}
