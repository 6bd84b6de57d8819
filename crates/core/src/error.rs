//! The core's errors. Faces map these to their wire format in exactly one place each.

use std::borrow::Cow;

/// A value that failed validation at the edge. `field` names the input, `reason` says what is wrong
/// in words a client can act on. Never carries the offending value when it could be a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: Cow<'static, str>,
    pub reason: Cow<'static, str>,
}

impl ValidationError {
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// What kind of object was not found or conflicted, for messages and codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Domain,
    Principal,
    Key,
    Operation,
    Product,
    Subscription,
    AccessKey,
    UsagePlan,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Domain => "domain",
            Entity::Principal => "principal",
            Entity::Key => "key",
            Entity::Operation => "operation",
            Entity::Product => "product",
            Entity::Subscription => "subscription",
            Entity::AccessKey => "access key",
            Entity::UsagePlan => "usage plan",
        }
    }
}

/// Errors a store adapter reports. Adapters keep their driver errors to themselves (logged as the
/// `Unavailable`/`Internal` cause) so no sqlx type reaches the core.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (for example a key name already used by the same owner).
    #[error("{entity} already exists: {detail}", entity = .entity.as_str())]
    Conflict { entity: Entity, detail: String },
    /// The row changed between read and write (optimistic concurrency); the caller may retry.
    #[error("concurrent modification")]
    Stale,
    /// The database cannot be reached right now.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or a corrupt row. The source goes to the log, never to a client.
    #[error("storage failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Errors of the core's use cases.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Not found, or not visible to this caller: the two are deliberately indistinguishable.
    #[error("{} not found", .0.as_str())]
    NotFound(Entity),
    #[error("{entity} conflict: {detail}", entity = .entity.as_str())]
    Conflict { entity: Entity, detail: String },
    /// The caller is authenticated and may see the object but may not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(Cow<'static, str>),
    /// The caller presented no valid credential.
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { entity, detail } => CoreError::Conflict { entity, detail },
            StoreError::Stale => CoreError::Conflict {
                entity: Entity::Key,
                detail: "the object changed or disappeared while this request ran; retry".into(),
            },
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "store unavailable");
                CoreError::Unavailable
            }
            StoreError::Internal(cause) => {
                tracing::error!(error = ?cause, "store failure");
                CoreError::Internal
            }
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
