//! Authorization as a value. A `Caller` exists only when a management key verified and holds a
//! management role; `Caller::admin_of` is the single place that decides whether it may act in a
//! domain, and every service method that touches a domain goes through it.

use crate::error::{CoreError, CoreResult, Entity};
use crate::ids::{DomainId, KeyId, PrincipalId};
use crate::model::Actor;

/// Role that makes a key an administrator of its own domain.
pub const ADMIN_ROLE: &str = "keyward:admin";
/// Role that makes a key of the root domain an administrator of every domain.
pub const ROOT_ROLE: &str = "keyward:root";
/// The namespace keyward's own roles live in. Only [`ADMIN_ROLE`] and [`ROOT_ROLE`] exist in it;
/// any other role there (`keyward:ROOT`, `Keyward:admin`, `keyward:superuser`) grants nothing but
/// reads as if it did, so it is refused, whatever its case.
pub const RESERVED_ROLE_PREFIX: &str = "keyward:";

/// Whether `role` is in the reserved namespace (case-insensitively) without being a role that
/// exists there.
pub fn is_unknown_reserved_role(role: &str) -> bool {
    let in_namespace = role
        .get(..RESERVED_ROLE_PREFIX.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(RESERVED_ROLE_PREFIX));
    in_namespace && role != ADMIN_ROLE && role != ROOT_ROLE
}

/// What an authenticated caller may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Every domain, and domains themselves.
    Root,
    /// One domain.
    DomainAdmin(DomainId),
}

/// An authenticated management caller. Built only by `Keyward::authenticate`.
#[derive(Debug, Clone)]
pub struct Caller {
    key_id: KeyId,
    principal: PrincipalId,
    domain: DomainId,
    authority: Authority,
}

impl Caller {
    pub(crate) fn new(
        key_id: KeyId,
        principal: PrincipalId,
        domain: DomainId,
        authority: Authority,
    ) -> Self {
        Self {
            key_id,
            principal,
            domain,
            authority,
        }
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    pub fn principal(&self) -> PrincipalId {
        self.principal
    }

    /// The domain of the caller's own key: the default target of its calls.
    pub fn home_domain(&self) -> DomainId {
        self.domain
    }

    pub fn authority(&self) -> Authority {
        self.authority
    }

    pub fn is_root(&self) -> bool {
        self.authority == Authority::Root
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor::Key {
            key_id: self.key_id,
            principal_id: self.principal,
        }
    }

    /// The one domain whose objects this caller may see, or `None` for root, who sees them all.
    /// Lookups by id are made within it, so another tenant's id misses exactly like an unknown
    /// one (`Store::key_in_domain`).
    pub fn visible_domain(&self) -> Option<DomainId> {
        match self.authority {
            Authority::Root => None,
            Authority::DomainAdmin(own) => Some(own),
        }
    }

    /// The capability to administer `domain`. A caller without it is told the object does not
    /// exist (404), so another tenant's objects do not even leak their existence.
    pub fn admin_of(&self, domain: DomainId, entity: Entity) -> CoreResult<AdminOf> {
        let allowed = match self.authority {
            Authority::Root => true,
            Authority::DomainAdmin(own) => own == domain,
        };
        if allowed {
            Ok(AdminOf {
                domain,
                actor: self.actor(),
                root: self.is_root(),
            })
        } else {
            Err(CoreError::NotFound(entity))
        }
    }

    /// The capability for root-only actions (managing domains).
    pub fn root(&self) -> CoreResult<AdminOf> {
        if self.is_root() {
            Ok(AdminOf {
                domain: self.domain,
                actor: self.actor(),
                root: true,
            })
        } else {
            Err(CoreError::Forbidden(
                "only a root key may manage domains".into(),
            ))
        }
    }
}

/// Proof that the holder may administer `domain`. Private fields: only `Caller` makes one.
#[derive(Debug, Clone)]
pub struct AdminOf {
    domain: DomainId,
    actor: Actor,
    root: bool,
}

impl AdminOf {
    pub fn domain(&self) -> DomainId {
        self.domain
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn is_root(&self) -> bool {
        self.root
    }

    /// keyward acting on its own behalf (bootstrap).
    pub(crate) fn system(domain: DomainId) -> Self {
        Self {
            domain,
            actor: Actor::System,
            root: true,
        }
    }
}
