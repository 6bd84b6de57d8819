//! The rpcs, once, for both transports: each takes the authenticated caller and the request
//! message and returns the response message. gRPC (`grpc.rs`) and REST (`rest/`) only move
//! messages on and off the wire. Each rpc validates the wire fields, calls one core use case,
//! and renders the answer; no rule about keys is decided here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keyward_core::auth::Caller;
use keyward_core::error::Entity;
use keyward_core::ids::{KeyId, OperationId, PrincipalId};
use keyward_core::model::{KeyState, KeyType, Name};
use keyward_core::query::{Cursor, Filter, KeyField, Query, Sort, Window};
use keyward_core::service::{KeyPatch, NewKey};
use keyward_core::Keyward;
use tonic::Code;
use uuid::Uuid;

use super::error::YandexError;
use super::proto::{iam, operation};
use super::{render, validate};

type Result<T> = std::result::Result<T, YandexError>;

/// The principal a request names, or the caller's own when it names none (as the vendor
/// documents: "defaults to the subject that made the request").
fn owner_of(caller: &Caller, service_account_id: &str) -> Result<PrincipalId> {
    let named = validate::optional_id("service_account_id", service_account_id, Entity::Principal)?;
    Ok(named.unwrap_or_else(|| caller.principal()))
}

/// `List`: one page of a service account's keys, oldest first. The page token is the core's
/// cursor, passed through unchanged.
pub async fn list(
    core: &Keyward,
    caller: &Caller,
    request: iam::ListApiKeysRequest,
) -> Result<iam::ListApiKeysResponse> {
    let owner = owner_of(caller, &request.service_account_id)?;
    let limit = validate::page_size(request.page_size)?;
    let after = validate::page_token(&request.page_token)?
        .map(|token| Cursor::decode(token).map_err(|_| validate::bad_page_token()))
        .transpose()?;
    // The owner's domain decides whose keys these are; the core refuses a foreign one.
    let principal = core.get_principal(caller, owner).await?;
    let query = Query {
        domain: principal.domain,
        filter: Filter::owned_by(owner),
        sort: Sort {
            field: KeyField::CreatedAt,
            descending: false,
        },
        window: Window::After(after),
        limit,
    };
    let page = core.list_keys(caller, query).await?;
    Ok(iam::ListApiKeysResponse {
        api_keys: page.items.iter().map(render::api_key).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

/// `Get`.
pub async fn get(
    core: &Keyward,
    caller: &Caller,
    request: iam::GetApiKeyRequest,
) -> Result<iam::ApiKey> {
    let id: KeyId = validate::required_id("api_key_id", &request.api_key_id, Entity::Key)?;
    Ok(render::api_key(&core.get_key(caller, id).await?))
}

/// `Create`: the answer carries the secret, the only time it is shown.
pub async fn create(
    core: &Keyward,
    caller: &Caller,
    request: iam::CreateApiKeyRequest,
) -> Result<iam::CreateApiKeyResponse> {
    let owner = owner_of(caller, &request.service_account_id)?;
    let created = core.create_key(caller, new_key(owner, request)?).await?;
    Ok(iam::CreateApiKeyResponse {
        api_key: Some(render::api_key(&created.key)),
        secret: created.secret.expose().to_owned(),
    })
}

/// A `Create` request's fields as the core's new key for `owner`. Yandex keys have no name;
/// keyward's keys need one unique per owner, so the key is named `yandex-<UUIDv7>`.
pub(crate) fn new_key(owner: PrincipalId, request: iam::CreateApiKeyRequest) -> Result<NewKey> {
    let description = validate::description(&request.description)?;
    #[allow(deprecated)] // the vendor's draft `scope` still counts as one more scope
    let mut wanted = request.scopes;
    #[allow(deprecated)]
    let draft = request.scope;
    if !draft.is_empty() && !wanted.contains(&draft) {
        wanted.push(draft);
    }
    let scopes = validate::scopes(&wanted, 0)?;
    let expires_at = validate::expiry(request.expires_at.as_ref())?;
    let name = Name::parse("name", format!("yandex-{}", Uuid::now_v7()))?;
    Ok(NewKey {
        description,
        key_type: KeyType::User,
        state: KeyState::Enabled,
        scopes,
        expires_at,
        ..NewKey::named(owner, name)
    })
}

/// `Update`: only the fields `update_mask` names change. Answers the done operation the core
/// recorded, with `UpdateApiKeyMetadata` and the updated key.
pub async fn update(
    core: &Keyward,
    caller: &Caller,
    request: iam::UpdateApiKeyRequest,
) -> Result<operation::Operation> {
    let (id, patch) = key_patch(&request)?;
    let (key, op) = core.update_key_recorded(caller, id, patch).await?;
    let key = render::api_key(&key);
    let metadata = render::update_metadata(&key.id);
    Ok(render::done_operation(
        &op,
        Some(metadata),
        render::packed_key(&key),
    ))
}

/// An `Update` request as the key it names and the core's patch: only the fields
/// `update_mask` names change.
pub(crate) fn key_patch(request: &iam::UpdateApiKeyRequest) -> Result<(KeyId, KeyPatch)> {
    let id: KeyId = validate::required_id("api_key_id", &request.api_key_id, Entity::Key)?;
    let changed = validate::update_mask(
        request.update_mask.as_ref(),
        !request.description.is_empty(),
        !request.scopes.is_empty(),
        request.expires_at.is_some(),
    )?;
    let mut patch = KeyPatch::default();
    if changed.description {
        patch.description = Some(validate::description(&request.description)?);
    }
    if changed.scopes {
        patch.scopes = Some(validate::scopes(&request.scopes, 1)?);
    }
    if changed.expires_at {
        // Named in the mask but unset: the key no longer expires.
        patch.expires_at = Some(validate::expiry(request.expires_at.as_ref())?);
    }
    if !(changed.description || changed.scopes || changed.expires_at) {
        return Err(YandexError::invalid(
            "update_mask",
            "names no field to change",
        ));
    }
    Ok((id, patch))
}

/// `Delete`: answers the done operation, with `DeleteApiKeyMetadata` and `Empty`.
pub async fn delete(
    core: &Keyward,
    caller: &Caller,
    request: iam::DeleteApiKeyRequest,
) -> Result<operation::Operation> {
    let id: KeyId = validate::required_id("api_key_id", &request.api_key_id, Entity::Key)?;
    let (key, op) = core.delete_key_recorded(caller, id).await?;
    let metadata = render::delete_metadata(&key.id.to_string());
    Ok(render::done_operation(&op, Some(metadata), render::empty()))
}

/// `ListOperations`: the key's change log, newest first, also after the key was deleted. The
/// page token is the id of the last operation of the previous page.
pub async fn list_operations(
    core: &Keyward,
    caller: &Caller,
    request: iam::ListApiKeyOperationsRequest,
) -> Result<iam::ListApiKeyOperationsResponse> {
    let id: KeyId = validate::required_id("api_key_id", &request.api_key_id, Entity::Key)?;
    let limit = validate::page_size(request.page_size)?;
    let before = validate::page_token(&request.page_token)?
        .map(|token| Uuid::parse_str(token).map_err(|_| validate::bad_page_token()))
        .transpose()?;
    let page = core.list_key_operations(caller, id, before, limit).await?;
    Ok(iam::ListApiKeyOperationsResponse {
        operations: page.items.iter().map(render::operation).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

/// `ListScopes`: the scopes the keys of the caller's domain hold, sorted. The page token is the
/// last scope of the previous page (base64url), so a page starts after it.
pub async fn list_scopes(
    core: &Keyward,
    caller: &Caller,
    request: iam::ListApiKeyScopesRequest,
) -> Result<iam::ListApiKeyScopesResponse> {
    let limit = validate::page_size(request.page_size)? as usize;
    let after = validate::page_token(&request.page_token)?
        .map(|token| {
            URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(validate::bad_page_token)
        })
        .transpose()?;
    let all = core.scopes_in_use(caller, caller.home_domain()).await?;
    let start = after.map_or(0, |last| all.partition_point(|s| *s <= last));
    let scopes: Vec<String> = all.iter().skip(start).take(limit).cloned().collect();
    let next_page_token = match scopes.last() {
        Some(last) if start + scopes.len() < all.len() => URL_SAFE_NO_PAD.encode(last),
        _ => String::new(),
    };
    Ok(iam::ListApiKeyScopesResponse {
        scopes,
        next_page_token,
    })
}

/// `OperationService/Get`: any change-log entry the caller may see, as a done operation.
pub async fn get_operation(
    core: &Keyward,
    caller: &Caller,
    request: operation::GetOperationRequest,
) -> Result<operation::Operation> {
    let id: OperationId =
        validate::required_id("operation_id", &request.operation_id, Entity::Operation)?;
    Ok(render::operation(&core.get_operation(caller, id).await?))
}

/// `OperationService/Cancel`: keyward's operations are done before they are returned, so there
/// is never anything to cancel. An operation the caller may see answers `FAILED_PRECONDITION`.
pub async fn cancel_operation(
    core: &Keyward,
    caller: &Caller,
    request: operation::CancelOperationRequest,
) -> Result<operation::Operation> {
    let id: OperationId =
        validate::required_id("operation_id", &request.operation_id, Entity::Operation)?;
    core.get_operation(caller, id).await?;
    Err(YandexError::new(
        Code::FailedPrecondition,
        "the operation is already done and cannot be cancelled",
    ))
}
