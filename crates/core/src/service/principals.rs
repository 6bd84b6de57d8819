//! Principals: the users and service accounts that own keys.

use serde_json::json;

use super::keys::{next_cursor, HasUuid as _};
use super::operations::{changed_fields, Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity, ValidationError};
use crate::ids::{DomainId, PrincipalId};
use crate::model::{Description, Name, Principal, PrincipalKind, TargetKind};
use crate::query::{Condition, Filter, Op, Page, PrincipalField, Query, Value};
use crate::usage::{Limits, Quota, RateLimit};

/// A principal to create. `domain: None` means the caller's home domain.
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub domain: Option<DomainId>,
    pub kind: PrincipalKind,
    pub name: Name,
    pub description: Description,
    pub external: bool,
    pub limits: Limits,
}

/// A partial update of a principal.
#[derive(Debug, Clone, Default)]
pub struct PrincipalPatch {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub rate_limits: Option<Vec<RateLimit>>,
    pub quotas: Option<Vec<Quota>>,
}

impl Keyward {
    pub async fn create_principal(
        &self,
        caller: &Caller,
        input: NewPrincipal,
    ) -> CoreResult<Principal> {
        let domain = input.domain.unwrap_or(caller.home_domain());
        let cap = caller.admin_of(domain, Entity::Domain)?;
        if self.store.domain(domain).await?.is_none() {
            return Err(CoreError::NotFound(Entity::Domain));
        }
        input.limits.validate("limits")?;
        let now = self.clock.now();
        let principal = Principal {
            id: PrincipalId::new(),
            domain,
            kind: input.kind,
            name: input.name,
            description: input.description,
            external: input.external,
            limits: input.limits,
            created_at: now,
            updated_at: now,
        };
        let op = self.record(
            &cap,
            domain,
            now,
            Change {
                action: "principal.create",
                target_kind: TargetKind::Principal,
                target_id: principal.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Principal(&principal),
            },
        );
        self.store.insert_principal(&principal, &op).await?;
        Ok(principal)
    }

    /// A principal the caller administers (or, for a `keyward:self` caller, its own), or
    /// `NotFound`.
    pub(crate) async fn visible_principal(
        &self,
        caller: &Caller,
        id: PrincipalId,
    ) -> CoreResult<Principal> {
        let principal = self
            .store
            .principal(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Principal))?;
        caller.keys_of(principal.domain, principal.id, Entity::Principal)?;
        Ok(principal)
    }

    pub async fn get_principal(&self, caller: &Caller, id: PrincipalId) -> CoreResult<Principal> {
        self.visible_principal(caller, id).await
    }

    pub async fn list_principals(
        &self,
        caller: &Caller,
        query: Query<PrincipalField>,
    ) -> CoreResult<Page<Principal>> {
        query.validate()?;
        let query = confine_principals(caller, query)?;
        let mut items = self.store.list_principals(&query).await?;
        let next_cursor = next_cursor(&query, &mut items, principal_sort_value);
        Ok(Page { items, next_cursor })
    }

    /// Counts the principals matching the query's filter (for vendor APIs that report totals).
    /// The `Store` has no COUNT for principals yet, so this walks the matching rows in pages of
    /// 10,000; a domain holds few principals. A store-side COUNT can replace it unseen.
    pub async fn count_principals(
        &self,
        caller: &Caller,
        query: &Query<PrincipalField>,
    ) -> CoreResult<u64> {
        query.filter.check_bounds()?;
        let query = confine_principals(caller, query.clone())?;
        Ok(self.store.count_principals(&query).await?)
    }

    pub async fn update_principal(
        &self,
        caller: &Caller,
        id: PrincipalId,
        patch: PrincipalPatch,
    ) -> CoreResult<Principal> {
        if patch.name.is_none()
            && patch.description.is_none()
            && patch.rate_limits.is_none()
            && patch.quotas.is_none()
        {
            return Err(ValidationError::new("body", "names no field to change").into());
        }
        let mut principal = self.visible_principal(caller, id).await?;
        let cap = caller.admin_of(principal.domain, Entity::Principal)?;
        let metadata = changed_fields([
            ("name", patch.name.is_some()),
            ("description", patch.description.is_some()),
            ("rate_limits", patch.rate_limits.is_some()),
            ("quotas", patch.quotas.is_some()),
        ]);
        if let Some(name) = patch.name {
            principal.name = name;
        }
        if let Some(description) = patch.description {
            principal.description = description;
        }
        let limits_changed = patch.rate_limits.is_some() || patch.quotas.is_some();
        if let Some(rate_limits) = patch.rate_limits {
            principal.limits.rate_limits = rate_limits;
        }
        if let Some(quotas) = patch.quotas {
            principal.limits.quotas = quotas;
        }
        principal.limits.validate("limits")?;
        let now = self.clock.now();
        principal.updated_at = now;
        let op = self.record(
            &cap,
            principal.domain,
            now,
            Change {
                action: "principal.update",
                target_kind: TargetKind::Principal,
                target_id: principal.id.as_uuid(),
                metadata,
                result: Subject::Principal(&principal),
            },
        );
        self.store.update_principal(&principal, &op).await?;
        if limits_changed {
            // Every cached snapshot of the owner's keys carries its limits (other nodes hear of
            // it through the store's change feed).
            self.verifier.forget_all();
        }
        Ok(principal)
    }

    /// Deletes a principal that owns no keys (409 otherwise: delete its keys first, nothing is
    /// removed implicitly).
    pub async fn delete_principal(
        &self,
        caller: &Caller,
        id: PrincipalId,
    ) -> CoreResult<Principal> {
        let principal = self.visible_principal(caller, id).await?;
        let cap = caller.admin_of(principal.domain, Entity::Principal)?;
        if principal.id == caller.principal() {
            return Err(CoreError::Conflict {
                entity: Entity::Principal,
                detail: "a caller cannot delete the principal that owns its own key".into(),
            });
        }
        let op = self.record(
            &cap,
            principal.domain,
            self.clock.now(),
            Change {
                action: "principal.delete",
                target_kind: TargetKind::Principal,
                target_id: principal.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Principal(&principal),
            },
        );
        self.store.delete_principal(principal.id, &op).await?;
        Ok(principal)
    }
}

fn principal_sort_value(principal: &Principal, field: PrincipalField) -> Value {
    match field {
        PrincipalField::Id => Value::Text(principal.uuid().to_string()),
        PrincipalField::Name => Value::Text(principal.name.as_str().to_owned()),
        PrincipalField::CreatedAt => Value::Time(principal.created_at),
        PrincipalField::UpdatedAt => Value::Time(principal.updated_at),
        PrincipalField::Kind => Value::Text(principal.kind.as_str().to_owned()),
        PrincipalField::External => Value::Bool(principal.external),
        PrincipalField::Description => Value::Null,
    }
}

/// `query` as `caller` may run it: in a domain it administers, or, for a `keyward:self` caller,
/// narrowed to its own principal (the one it may read; a client that finds an account by
/// listing with its name, as ZenML's does, finds its own).
fn confine_principals(
    caller: &Caller,
    mut query: Query<PrincipalField>,
) -> CoreResult<Query<PrincipalField>> {
    if caller.is_own_keys_only() {
        caller.keys_of(query.domain, caller.principal(), Entity::Domain)?;
        let own = Condition::new(
            PrincipalField::Id,
            Op::Eq,
            Value::Text(caller.principal().to_string()),
        )?;
        query.filter = Filter::All(vec![Filter::Cond(own), query.filter]);
    } else {
        caller.admin_of(query.domain, Entity::Domain)?;
    }
    Ok(query)
}
