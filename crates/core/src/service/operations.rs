//! Writing and reading the change log.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Keyward;
use crate::auth::{AdminOf, Caller};
use crate::error::{CoreError, CoreResult, Entity, ValidationError};
use crate::ids::{DomainId, KeyId, OperationId};
use crate::model::{
    AccessKey, ApiKey, Domain, Operation, Principal, Product, StageAssociation, Subscription,
    TargetKind, UsagePlan,
};
use crate::query::{OperationQuery, Page, MAX_PAGE_SIZE};

/// What a use case changed, before it becomes an `Operation`.
#[derive(Debug)]
pub struct Change<'a> {
    pub action: &'static str,
    pub target_kind: TargetKind,
    pub target_id: Uuid,
    pub metadata: serde_json::Value,
    /// The target after the change (before it, for a delete); rendered by the faces' renderer.
    pub result: Subject<'a>,
}

/// The object an operation's `result` shows, as the core holds it. The core decides what
/// changed; how it is written down is the faces' business ([`SubjectRenderer`]), so the audit log
/// shows an object exactly as the API that reads it back shows that object everywhere else.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Domain(&'a Domain),
    Principal(&'a Principal),
    Key(&'a ApiKey),
    AccessKey(&'a AccessKey),
    Product(&'a Product),
    Subscription(&'a Subscription),
    UsagePlan(&'a UsagePlan),
    StageAssociation(&'a StageAssociation),
}

impl Subject<'_> {
    /// The subject's id, as text (what [`IdOnly`] writes).
    fn id(&self) -> String {
        match self {
            Subject::Domain(d) => d.id.to_string(),
            Subject::Principal(p) => p.id.to_string(),
            Subject::Key(k) => k.id.to_string(),
            Subject::AccessKey(a) => a.id.clone(),
            Subject::Product(p) => p.id.to_string(),
            Subject::Subscription(s) => s.key_id.to_string(),
            Subject::UsagePlan(p) => p.id.to_string(),
            Subject::StageAssociation(a) => a.usage_plan_id.to_string(),
        }
    }
}

/// Renders a [`Subject`] as the JSON an operation keeps as its `result`: a port, like the store,
/// that the serving application fills with the native API's views (`Keyward::with_renderer`).
/// A renderer never writes a secret (the core's objects hold only hashes and hints, and sealed
/// access-key secrets it must leave out).
pub trait SubjectRenderer: Send + Sync {
    fn render(&self, subject: Subject<'_>) -> serde_json::Value;
}

/// The renderer of a core with no face installed (tools, benchmarks): the subject's id only.
#[derive(Debug)]
pub struct IdOnly;

impl SubjectRenderer for IdOnly {
    fn render(&self, subject: Subject<'_>) -> serde_json::Value {
        serde_json::json!({ "id": subject.id() })
    }
}

impl Keyward {
    /// The operation that records `change`, made by the caller `cap` in `domain` at `at`.
    pub(crate) fn record(
        &self,
        cap: &AdminOf,
        domain: DomainId,
        at: OffsetDateTime,
        change: Change<'_>,
    ) -> Operation {
        Operation {
            id: OperationId::new(),
            domain,
            actor: cap.actor().clone(),
            action: change.action.to_owned(),
            target_kind: change.target_kind,
            target_id: change.target_id,
            at,
            metadata: change.metadata,
            result: self.renderer.render(change.result),
        }
    }
}

/// Lists the fields a patch touched, for an operation's metadata.
pub(crate) fn changed_fields<const N: usize>(
    fields: [(&'static str, bool); N],
) -> serde_json::Value {
    #[derive(Serialize)]
    struct Changed {
        changed: Vec<&'static str>,
    }
    let changed = fields
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    serde_json::to_value(Changed { changed }).unwrap_or_default()
}

impl Keyward {
    /// One operation by id, if the caller may see its domain.
    pub async fn get_operation(&self, caller: &Caller, id: OperationId) -> CoreResult<Operation> {
        let op = self
            .store
            .operation(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Operation))?;
        caller.admin_of(op.domain, Entity::Operation)?;
        Ok(op)
    }

    /// A page of the change log, newest first. `domain: None` means the caller's home domain,
    /// except that root with `all_domains` sees everything.
    pub async fn list_operations(
        &self,
        caller: &Caller,
        mut query: OperationQuery,
        all_domains: bool,
    ) -> CoreResult<Page<Operation>> {
        if all_domains && query.domain.is_none() {
            caller.root()?;
        } else {
            let domain = query.domain.unwrap_or(caller.home_domain());
            caller.admin_of(domain, Entity::Domain)?;
            query.domain = Some(domain);
        }
        self.operation_page(query).await
    }

    /// The history of one key, newest first, also after the key was deleted. A domain admin sees
    /// the operations of its own domain; root sees them wherever they are.
    pub async fn list_key_operations(
        &self,
        caller: &Caller,
        key: KeyId,
        before: Option<Uuid>,
        limit: u32,
    ) -> CoreResult<Page<Operation>> {
        let exists = self.visible_key(caller, key).await?;
        let domain = match &exists {
            Some(found) => Some(caller.admin_of(found.domain, Entity::Key)?.domain()),
            None if caller.is_root() => None,
            None => Some(caller.home_domain()),
        };
        let page = self
            .operation_page(OperationQuery {
                domain,
                target_id: Some(key.as_uuid()),
                action: None,
                before,
                limit,
            })
            .await?;
        // An id that never named a visible key has no history: say so rather than list nothing.
        if exists.is_none() && before.is_none() && page.items.is_empty() {
            return Err(CoreError::NotFound(Entity::Key));
        }
        Ok(page)
    }

    async fn operation_page(&self, query: OperationQuery) -> CoreResult<Page<Operation>> {
        if query.limit == 0 || query.limit > MAX_PAGE_SIZE {
            return Err(ValidationError::new("limit", "must be between 1 and 1000").into());
        }
        let mut items = self.store.list_operations(&query).await?;
        let next_cursor = trim_to_page(&mut items, query.limit, |op| op.id.to_string());
        Ok(Page { items, next_cursor })
    }
}

/// Trims the extra row a store returns beyond `limit` and, when it was there, makes the next
/// cursor from the last row kept.
pub(crate) fn trim_to_page<T>(
    items: &mut Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> String,
) -> Option<String> {
    if items.len() <= limit as usize {
        return None;
    }
    items.truncate(limit as usize);
    items.last().map(cursor_of)
}
