//! First start: the root domain, its root principal and the root key.

use serde_json::json;

use super::keys::{CreatedKey, NewKey};
use super::operations::{Change, Subject};
use super::Keyward;
use crate::auth::{AdminOf, ROOT_ROLE};
use crate::error::{CoreError, CoreResult};
use crate::ids::{DomainId, PrincipalId};
use crate::model::{
    Description, Domain, KeyType, Name, Principal, PrincipalKind, TargetKind, TokenSet,
};

/// What `bootstrap` did.
#[derive(Debug)]
pub enum Bootstrapped {
    /// The database already had a root domain: nothing was created.
    AlreadyDone,
    /// A fresh database: here is the root key, shown this once.
    Created(Box<CreatedKey>),
}

impl Keyward {
    /// On an empty database, creates the root domain, a `root` service account and a key with the
    /// root role. Safe to race: a second node loses on the unique domain name and reports
    /// `AlreadyDone`.
    pub async fn bootstrap(&self) -> CoreResult<Bootstrapped> {
        if !self.store.is_empty().await? {
            return Ok(Bootstrapped::AlreadyDone);
        }
        let name = |text: &str| Name::parse("name", text).map_err(CoreError::from);
        let now = self.clock.now();
        let domain = Domain {
            id: DomainId::new(),
            name: name("root")?,
            description: Description::parse("description", "created at first start")?,
            is_root: true,
            created_at: now,
            updated_at: now,
        };
        let cap = AdminOf::system(domain.id);
        let op = self.record(
            &cap,
            domain.id,
            now,
            Change {
                action: "domain.create",
                target_kind: TargetKind::Domain,
                target_id: domain.id.as_uuid(),
                metadata: json!({"bootstrap": true}),
                result: Subject::Domain(&domain),
            },
        );
        match self.store.insert_domain(&domain, &op).await {
            Ok(()) => {}
            Err(crate::error::StoreError::Conflict { .. }) => return Ok(Bootstrapped::AlreadyDone),
            Err(other) => return Err(other.into()),
        }
        let principal = Principal {
            id: PrincipalId::new(),
            domain: domain.id,
            kind: PrincipalKind::ServiceAccount,
            name: name("root")?,
            description: Description::parse("description", "keyward's first administrator")?,
            external: false,
            limits: crate::usage::Limits::default(),
            created_at: now,
            updated_at: now,
        };
        let op = self.record(
            &cap,
            domain.id,
            now,
            Change {
                action: "principal.create",
                target_kind: TargetKind::Principal,
                target_id: principal.id.as_uuid(),
                metadata: json!({"bootstrap": true}),
                result: Subject::Principal(&principal),
            },
        );
        self.store.insert_principal(&principal, &op).await?;
        let mut key = NewKey::named(principal.id, name("root")?);
        key.key_type = KeyType::System;
        key.roles = TokenSet::parse("roles", [ROOT_ROLE])?;
        let created = self.create_key_as_system(&cap, key).await?;
        Ok(Bootstrapped::Created(Box::new(created)))
    }
}
