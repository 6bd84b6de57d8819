//! The handlers: `server` (info, login, current-user, health), `accounts` (service accounts),
//! `keys` (their API keys). Each parses ZenML's wire format, calls the core, renders ZenML's
//! models; the helpers below are what they share.

pub mod accounts;
pub mod keys;
pub mod server;
pub mod workspace;

use keyward_core::auth::Caller;
use keyward_core::error::CoreError;
use keyward_core::ids::PrincipalId;
use keyward_core::model::{Name, Principal, PrincipalKind};
use keyward_core::query::{Condition, Filter, Op, PrincipalField, Query, Sort, Value, Window};
use keyward_core::Keyward;
use uuid::Uuid;

use super::error::ZenmlError;
use super::query::parse_bool;

/// `?hydrate=` (pydantic's spellings of a boolean), or `default`.
pub(crate) fn hydrate(query: Option<&str>, default: bool) -> Result<bool, ZenmlError> {
    let value = query.and_then(|raw| {
        form_urlencoded::parse(raw.as_bytes())
            .filter(|(name, _)| name == "hydrate")
            .last()
            .map(|(_, value)| value.into_owned())
    });
    match value {
        None => Ok(default),
        Some(text) => parse_bool(&text).map_err(|_| {
            ZenmlError::invalid_request(
                "query",
                "hydrate",
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            )
        }),
    }
}

/// A path segment that FastAPI declares as a UUID.
pub(crate) fn uuid_path(field: &str, text: &str) -> Result<Uuid, ZenmlError> {
    Uuid::parse_str(text).map_err(|_| {
        ZenmlError::invalid_request(
            "path",
            field,
            "uuid_parsing",
            "Input should be a valid UUID",
        )
    })
}

fn account_not_found(name_or_id: &str) -> ZenmlError {
    let shown: String = name_or_id.chars().take(255).collect();
    ZenmlError::key_error(&format!(
        "Unable to get service account with name or ID '{shown}': No service account with this \
         name or ID found."
    ))
}

/// The service account with this id, visible to the caller.
pub(crate) async fn account_by_id(
    core: &Keyward,
    caller: &Caller,
    id: Uuid,
) -> Result<Principal, ZenmlError> {
    let not_found = || account_not_found(&id.to_string());
    match core.get_principal(caller, PrincipalId::from_uuid(id)).await {
        Ok(principal) if principal.kind == PrincipalKind::ServiceAccount => Ok(principal),
        Ok(_) | Err(CoreError::NotFound(_)) => Err(not_found()),
        Err(other) => Err(other.into()),
    }
}

/// The service account named or identified by `name_or_id`: an id anywhere the caller sees, a
/// name in the caller's own domain (names are unique per domain); for a `keyward:self` caller,
/// only its own account, by either.
pub(crate) async fn account(
    core: &Keyward,
    caller: &Caller,
    name_or_id: &str,
) -> Result<Principal, ZenmlError> {
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return account_by_id(core, caller, id).await;
    }
    // What cannot be a name cannot name an account.
    let name = Name::parse("name", name_or_id).map_err(|_| account_not_found(name_or_id))?;
    if caller.is_own_keys_only() {
        // A `keyward:self` caller lists no accounts; the one it may name is its own.
        return match account_by_id(core, caller, caller.principal().as_uuid()).await {
            Ok(own) if own.name == name => Ok(own),
            Ok(_) => Err(account_not_found(name_or_id)),
            Err(other) => Err(other),
        };
    }
    let condition = |field, value| {
        Condition::new(field, Op::Eq, value)
            .map(Filter::Cond)
            .map_err(|e| ZenmlError::from(CoreError::from(e)))
    };
    let query = Query {
        domain: caller.home_domain(),
        filter: Filter::All(vec![
            service_accounts_only()?,
            condition(PrincipalField::Name, Value::Text(name.as_str().to_owned()))?,
        ]),
        sort: Sort {
            field: PrincipalField::Id,
            descending: false,
        },
        window: Window::Offset(0),
        limit: 1,
    };
    let page = core.list_principals(caller, query).await?;
    page.items
        .into_iter()
        .next()
        .ok_or_else(|| account_not_found(name_or_id))
}

/// The restriction of a principal list to service accounts.
pub(crate) fn service_accounts_only() -> Result<Filter<PrincipalField>, ZenmlError> {
    Condition::new(
        PrincipalField::Kind,
        Op::Eq,
        Value::Text(PrincipalKind::ServiceAccount.as_str().to_owned()),
    )
    .map(Filter::Cond)
    .map_err(|e| ZenmlError::from(CoreError::from(e)))
}
