//! Authorization as a value. A `Caller` exists only when a management key verified and holds a
//! management role; `Caller::admin_of` is the single place that decides whether it may act in a
//! domain, and every service method that touches a domain goes through it. `Caller::keys_of`
//! is its one widening: the keys of one principal, which a `keyward:self` key may manage when
//! they are its own principal's (`service/self_service.rs` bounds what it may give them).

use crate::error::{CoreError, CoreResult, Entity};
use crate::ids::{DomainId, KeyId, PrincipalId};
use crate::model::Actor;

/// Role that makes a key an administrator of its own domain.
pub const ADMIN_ROLE: &str = "keyward:admin";
/// Role that makes a key of the root domain an administrator of every domain.
pub const ROOT_ROLE: &str = "keyward:root";
/// Role that lets a key manage the keys of its own principal, and nothing else: read, create
/// (never holding more than itself), rotate, enable, disable and delete them.
pub const SELF_ROLE: &str = "keyward:self";
/// The namespace keyward's own roles live in. Only [`ADMIN_ROLE`], [`ROOT_ROLE`] and
/// [`SELF_ROLE`] exist in it;
/// any other role there (`keyward:ROOT`, `Keyward:admin`, `keyward:superuser`) grants nothing but
/// reads as if it did, so it is refused, whatever its case.
pub const RESERVED_ROLE_PREFIX: &str = "keyward:";

/// Whether `role` is in the reserved namespace (case-insensitively) without being a role that
/// exists there.
pub fn is_unknown_reserved_role(role: &str) -> bool {
    let in_namespace = role
        .get(..RESERVED_ROLE_PREFIX.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(RESERVED_ROLE_PREFIX));
    in_namespace && role != ADMIN_ROLE && role != ROOT_ROLE && role != SELF_ROLE
}

/// What an authenticated caller may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Every domain, and domains themselves.
    Root,
    /// One domain.
    DomainAdmin(DomainId),
    /// The keys of the caller's own principal in this domain (`keyward:self`).
    OwnKeys(DomainId),
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

    /// Whether this caller manages only its own principal's keys (`keyward:self`).
    pub fn is_own_keys_only(&self) -> bool {
        matches!(self.authority, Authority::OwnKeys(_))
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
            Authority::DomainAdmin(own) | Authority::OwnKeys(own) => Some(own),
        }
    }

    /// The capability to administer `domain`. A caller without it is told the object does not
    /// exist (404), so another tenant's objects do not even leak their existence.
    ///
    /// A `keyward:self` caller administers no domain: in its own it is `Forbidden`, elsewhere it
    /// is told the object does not exist like any other tenant.
    pub fn admin_of(&self, domain: DomainId, entity: Entity) -> CoreResult<AdminOf> {
        let allowed = match self.authority {
            Authority::Root => true,
            Authority::DomainAdmin(own) => own == domain,
            Authority::OwnKeys(own) if own == domain => {
                return Err(CoreError::Forbidden(
                    "a keyward:self key manages only its own principal's keys".into(),
                ))
            }
            Authority::OwnKeys(_) => false,
        };
        if allowed {
            Ok(self.capability(domain, false))
        } else {
            Err(CoreError::NotFound(entity))
        }
    }

    /// The capability to manage the keys of `owner` in `domain`: `admin_of` for an
    /// administrator; for a `keyward:self` caller, its own principal only (anyone else's is "not
    /// found"), as a capability marked [`AdminOf::own_keys_only`] so the service bounds it.
    pub fn keys_of(
        &self,
        domain: DomainId,
        owner: PrincipalId,
        entity: Entity,
    ) -> CoreResult<AdminOf> {
        match self.authority {
            Authority::OwnKeys(own) if own == domain && owner == self.principal => {
                Ok(self.capability(domain, true))
            }
            Authority::OwnKeys(_) => Err(CoreError::NotFound(entity)),
            Authority::Root | Authority::DomainAdmin(_) => self.admin_of(domain, entity),
        }
    }

    fn capability(&self, domain: DomainId, own_keys_only: bool) -> AdminOf {
        AdminOf {
            domain,
            actor: self.actor(),
            root: self.is_root(),
            own_keys_only,
        }
    }

    /// The capability for root-only actions (managing domains).
    pub fn root(&self) -> CoreResult<AdminOf> {
        if self.is_root() {
            Ok(self.capability(self.domain, false))
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
    own_keys_only: bool,
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

    /// Made by [`Caller::keys_of`] for a `keyward:self` caller: what it may give a key is
    /// bounded by its own key (`service/self_service.rs`).
    pub fn own_keys_only(&self) -> bool {
        self.own_keys_only
    }

    /// keyward acting on its own behalf (bootstrap).
    pub(crate) fn system(domain: DomainId) -> Self {
        Self {
            domain,
            actor: Actor::System,
            root: true,
            own_keys_only: false,
        }
    }
}
