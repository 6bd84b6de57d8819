//! Domains (tenants). Only root manages them.

use serde_json::json;

use super::operations::{changed_fields, trim_to_page, Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity, ValidationError};
use crate::ids::DomainId;
use crate::model::{Description, Domain, Name, TargetKind};
use crate::query::Page;

#[derive(Debug, Clone)]
pub struct NewDomain {
    pub name: Name,
    pub description: Description,
}

#[derive(Debug, Clone, Default)]
pub struct DomainPatch {
    pub name: Option<Name>,
    pub description: Option<Description>,
}

impl Keyward {
    pub async fn create_domain(&self, caller: &Caller, input: NewDomain) -> CoreResult<Domain> {
        let cap = caller.root()?;
        let now = self.clock.now();
        let domain = Domain {
            id: DomainId::new(),
            name: input.name,
            description: input.description,
            is_root: false,
            created_at: now,
            updated_at: now,
        };
        let op = self.record(
            &cap,
            domain.id,
            now,
            Change {
                action: "domain.create",
                target_kind: TargetKind::Domain,
                target_id: domain.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Domain(&domain),
            },
        );
        self.store.insert_domain(&domain, &op).await?;
        Ok(domain)
    }

    /// A domain the caller administers (a domain admin sees its own).
    pub async fn get_domain(&self, caller: &Caller, id: DomainId) -> CoreResult<Domain> {
        caller.admin_of(id, Entity::Domain)?;
        self.store
            .domain(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Domain))
    }

    /// Domains ordered by id, one page. Root sees all; a domain admin sees only its own.
    pub async fn list_domains(
        &self,
        caller: &Caller,
        after: Option<DomainId>,
        limit: u32,
    ) -> CoreResult<Page<Domain>> {
        if limit == 0 || limit > crate::query::MAX_PAGE_SIZE {
            return Err(ValidationError::new("limit", "must be between 1 and 1000").into());
        }
        if !caller.is_root() {
            let own = self.get_domain(caller, caller.home_domain()).await?;
            let items = match after {
                Some(after) if after >= own.id => Vec::new(),
                _ => vec![own],
            };
            return Ok(Page {
                items,
                next_cursor: None,
            });
        }
        let mut items = self.store.list_domains(after, limit).await?;
        let next_cursor = trim_to_page(&mut items, limit, |d| d.id.to_string());
        Ok(Page { items, next_cursor })
    }

    pub async fn update_domain(
        &self,
        caller: &Caller,
        id: DomainId,
        patch: DomainPatch,
    ) -> CoreResult<Domain> {
        let cap = caller.root()?;
        if patch.name.is_none() && patch.description.is_none() {
            return Err(ValidationError::new("body", "names no field to change").into());
        }
        let mut domain = self
            .store
            .domain(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Domain))?;
        let metadata = changed_fields([
            ("name", patch.name.is_some()),
            ("description", patch.description.is_some()),
        ]);
        if let Some(name) = patch.name {
            domain.name = name;
        }
        if let Some(description) = patch.description {
            domain.description = description;
        }
        let now = self.clock.now();
        domain.updated_at = now;
        let op = self.record(
            &cap,
            domain.id,
            now,
            Change {
                action: "domain.update",
                target_kind: TargetKind::Domain,
                target_id: domain.id.as_uuid(),
                metadata,
                result: Subject::Domain(&domain),
            },
        );
        self.store.update_domain(&domain, &op).await?;
        Ok(domain)
    }

    /// Deletes an empty domain. The root domain cannot be deleted.
    pub async fn delete_domain(&self, caller: &Caller, id: DomainId) -> CoreResult<Domain> {
        let cap = caller.root()?;
        let domain = self
            .store
            .domain(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Domain))?;
        if domain.is_root {
            return Err(CoreError::Conflict {
                entity: Entity::Domain,
                detail: "the root domain cannot be deleted".into(),
            });
        }
        let op = self.record(
            &cap,
            domain.id,
            self.clock.now(),
            Change {
                action: "domain.delete",
                target_kind: TargetKind::Domain,
                target_id: domain.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Domain(&domain),
            },
        );
        self.store.delete_domain(domain.id, &op).await?;
        Ok(domain)
    }
}
