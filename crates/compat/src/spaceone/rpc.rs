//! The nine rpcs, once, for both transports: each takes the authenticated caller and the
//! request message and returns the response message. Each validates the wire fields, calls the
//! core, and renders; `domain_id` confines every call (a key of another domain is not found).

use keyward_core::auth::Caller;
use keyward_core::error::Entity;
use keyward_core::ids::{DomainId, KeyId, PrincipalId};
use keyward_core::model::{AllowedCidr, ApiKey, KeyState, Name, TokenSet};
use keyward_core::query::{Condition, Filter, KeyField, Op, Query, Window, MAX_OFFSET_PAGE_SIZE};
use keyward_core::service::{KeyPatch, NewKey};
use keyward_core::Keyward;
use prost_types::value::Kind;
use uuid::Uuid;

use super::error::SpaceoneError;
use super::proto::identity as wire;
use super::{query, render};

type Result<T> = std::result::Result<T, SpaceoneError>;

/// The domain a request names, or the caller's own when it names none.
pub fn domain(caller: &Caller, text: &str) -> Result<DomainId> {
    if text.is_empty() {
        return Ok(caller.home_domain());
    }
    DomainId::parse(text).map_err(|_| SpaceoneError::not_found(Entity::Domain))
}

fn key_id(text: &str) -> Result<KeyId> {
    if text.is_empty() {
        return Err(SpaceoneError::invalid("api_key_id", "is required"));
    }
    KeyId::parse(text).map_err(|_| SpaceoneError::not_found(Entity::Key))
}

/// The key, if it lives in the request's domain (another domain's key is "not found").
async fn key_in(core: &Keyward, caller: &Caller, domain_id: &str, id: &str) -> Result<ApiKey> {
    let domain = domain(caller, domain_id)?;
    Ok(core.get_key_in(caller, domain, key_id(id)?).await?)
}

/// `create`: the answer carries the secret in `api_key`, the only time it is shown. SpaceONE
/// keys have no name; keyward's need one unique per owner, so the key is `spaceone-<UUIDv7>`.
pub async fn create(
    core: &Keyward,
    caller: &Caller,
    request: wire::CreateApiKeyRequest,
) -> Result<wire::ApiKeyInfo> {
    let domain = domain(caller, &request.domain_id)?;
    let key_type = render::key_type(
        wire::create_api_key_request::ApiKeyType::try_from(request.api_key_type)
            .map_err(|_| SpaceoneError::invalid("api_key_type", "is not a known type"))?,
    )?;
    if request.user_id.is_empty() {
        return Err(SpaceoneError::invalid("user_id", "is required"));
    }
    let owner = PrincipalId::parse(&request.user_id)
        .map_err(|_| SpaceoneError::not_found(Entity::Principal))?;
    let principal = core.get_principal(caller, owner).await?;
    if principal.domain != domain {
        return Err(SpaceoneError::not_found(Entity::Principal));
    }
    let name = Name::parse("name", format!("spaceone-{}", Uuid::now_v7()))?;
    let input = NewKey {
        key_type,
        ..NewKey::named(owner, name)
    };
    let created = core.create_key(caller, input).await?;
    let mut info = render::api_key(&created.key);
    info.api_key = created.secret.expose().to_owned();
    Ok(info)
}

/// `enable` / `disable`.
pub async fn set_state(
    core: &Keyward,
    caller: &Caller,
    request: wire::ApiKeyRequest,
    state: KeyState,
) -> Result<wire::ApiKeyInfo> {
    let key = key_in(core, caller, &request.domain_id, &request.api_key_id).await?;
    let key = core.set_key_state(caller, key.id, state).await?;
    Ok(render::api_key(&key))
}

/// `update_role`: the roles are a `ListValue` of strings, replacing the key's roles.
pub async fn update_role(
    core: &Keyward,
    caller: &Caller,
    request: wire::UpdateApiKeyRoleRequest,
) -> Result<wire::ApiKeyInfo> {
    let key = key_in(core, caller, &request.domain_id, &request.api_key_id).await?;
    let values = request.roles.map(|list| list.values).unwrap_or_default();
    let roles = values
        .iter()
        .map(|v| match &v.kind {
            Some(Kind::StringValue(s)) => Ok(s.clone()),
            _ => Err(SpaceoneError::invalid("roles", "must be a list of strings")),
        })
        .collect::<Result<Vec<_>>>()?;
    let patch = KeyPatch {
        roles: Some(TokenSet::parse("roles", roles)?),
        ..KeyPatch::default()
    };
    Ok(render::api_key(
        &core.update_key(caller, key.id, patch).await?,
    ))
}

/// `update_allowed_hosts`: `Acls{name, cidr}` replace the key's allowed networks, which
/// verification enforces.
pub async fn update_allowed_hosts(
    core: &Keyward,
    caller: &Caller,
    request: wire::UpdateApiKeyHostsRequest,
) -> Result<wire::ApiKeyInfo> {
    let key = key_in(core, caller, &request.domain_id, &request.api_key_id).await?;
    let cidrs = request
        .allowed_hosts
        .into_iter()
        .map(|acl| AllowedCidr::parse(Some(acl.name), &acl.cidr))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let patch = KeyPatch {
        allowed_cidrs: Some(cidrs),
        ..KeyPatch::default()
    };
    Ok(render::api_key(
        &core.update_key(caller, key.id, patch).await?,
    ))
}

/// `delete`.
pub async fn delete(core: &Keyward, caller: &Caller, request: wire::ApiKeyRequest) -> Result<()> {
    let key = key_in(core, caller, &request.domain_id, &request.api_key_id).await?;
    core.delete_key(caller, key.id).await?;
    Ok(())
}

/// `get`, with the `only` projection.
pub async fn get(
    core: &Keyward,
    caller: &Caller,
    request: wire::GetApiKeyRequest,
) -> Result<wire::ApiKeyInfo> {
    render::check_only(&request.only)?;
    let key = key_in(core, caller, &request.domain_id, &request.api_key_id).await?;
    Ok(render::project(render::api_key(&key), &request.only, false))
}

/// The request's own fields (`api_key_id`, `state`, `api_key_type`, `user_id`) as conditions.
fn request_filter(request: &wire::ApiKeyQuery) -> Result<Vec<Filter<KeyField>>> {
    let mut parts = Vec::new();
    let mut eq = |field: KeyField, text: String| -> Result<()> {
        let value = query::scalar(field, Some(&Kind::StringValue(text)))?;
        parts.push(Filter::Cond(Condition::new(field, Op::Eq, value)?));
        Ok(())
    };
    if !request.api_key_id.is_empty() {
        eq(KeyField::Id, request.api_key_id.clone())?;
    }
    if !request.user_id.is_empty() {
        eq(KeyField::Owner, request.user_id.clone())?;
    }
    if let Ok(state) = wire::api_key_query::State::try_from(request.state) {
        if state != wire::api_key_query::State::NoneState {
            eq(KeyField::State, state.as_str_name().to_owned())?;
        }
    }
    if let Ok(kind) = wire::api_key_query::ApiKeyType::try_from(request.api_key_type) {
        if kind != wire::api_key_query::ApiKeyType::NoneType {
            eq(KeyField::Type, kind.as_str_name().to_owned())?;
        }
    }
    Ok(parts)
}

/// `list`: the request's fields and its `Query`, run in the store. `total_count` counts every
/// match before paging; `page.start` is 1-based (below 1 means 1); no `page.limit` returns up to
/// 10,000 keys.
pub async fn list(
    core: &Keyward,
    caller: &Caller,
    request: wire::ApiKeyQuery,
) -> Result<wire::ApiKeysInfo> {
    let domain = domain(caller, &request.domain_id)?;
    let q = request.query.clone().unwrap_or_default();
    let query = list_query(domain, &request)?;
    let total = core.count_keys(caller, &query).await?;
    let results = if q.count_only {
        Vec::new()
    } else {
        core.list_keys(caller, query)
            .await?
            .items
            .iter()
            .map(|key| render::project(render::api_key(key), &q.only, q.minimal))
            .collect()
    };
    Ok(wire::ApiKeysInfo {
        results,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// A `list` request (its own fields and its `Query`) as the core's query in `domain`.
pub(crate) fn list_query(domain: DomainId, request: &wire::ApiKeyQuery) -> Result<Query<KeyField>> {
    let q = request.query.clone().unwrap_or_default();
    render::check_only(&q.only)?;
    let mut parts = request_filter(request)?;
    parts.push(query::filters(&q.filter, &q.filter_or)?);
    parts.push(query::keyword(&q.keyword)?);
    let (start, limit) = match q.page {
        Some(page) => (page.start.max(1), page.limit),
        None => (1, 0),
    };
    let limit = if limit == 0 {
        MAX_OFFSET_PAGE_SIZE
    } else {
        limit.min(MAX_OFFSET_PAGE_SIZE)
    };
    Ok(Query {
        domain,
        filter: Filter::All(parts),
        sort: query::sort(q.sort.as_ref())?,
        window: Window::Offset(u64::from(start) - 1),
        limit,
    })
}
