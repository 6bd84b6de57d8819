//! Entry points for the fuzz targets in `fuzz/`, compiled only under `--cfg fuzzing` (which
//! cargo-fuzz sets). Each runs one face's own translation of untrusted input into the core's
//! model — the functions a request reaches, not copies of them — and must return, never panic.

use keyward_core::ids::{DomainId, PrincipalId};
use prost::Message as _;

use crate::{ncp, spaceone, yandex, zenml};

/// The domain and owner every fuzzed request is translated for.
fn subject() -> (DomainId, PrincipalId) {
    (
        DomainId::from_uuid(uuid::Uuid::nil()),
        PrincipalId::from_uuid(uuid::Uuid::nil()),
    )
}

/// SpaceONE `APIKey.list`: the protobuf `APIKeyQuery` (its fields and its `Query`: filter,
/// filter_or, keyword, sort, page, only) decoded and turned into the core's query.
pub fn spaceone_list(bytes: &[u8]) {
    if let Ok(request) = spaceone::proto::identity::ApiKeyQuery::decode(bytes) {
        let _ = spaceone::rpc::list_query(subject().0, &request);
    }
}

/// Yandex `ApiKeyService`: a `Create` or `Update` request (the first byte chooses) decoded and
/// validated into the core's new key or patch.
pub fn yandex_requests(bytes: &[u8]) {
    use yandex::proto::iam;
    let Some((&which, body)) = bytes.split_first() else {
        return;
    };
    if which % 2 == 0 {
        if let Ok(request) = iam::CreateApiKeyRequest::decode(body) {
            let _ = yandex::rpc::new_key(subject().1, request);
        }
    } else if let Ok(request) = iam::UpdateApiKeyRequest::decode(body) {
        let _ = yandex::rpc::key_patch(&request);
    }
}

/// NCP `POST /api-keys/search`: the JSON body, its status set and its name filter.
pub fn ncp_search(bytes: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<ncp::wire::SearchApiKeys>(bytes) {
        let _ = ncp::parse_statuses(&body.status_set);
        let _ = ncp::page_window(body.offset, body.limit);
        let _ = ncp::keys::name_query(
            subject().0,
            body.api_key_name.as_deref(),
            body.offset,
            body.limit,
        );
    }
}

/// ZenML list query strings, for API keys and for service accounts.
pub fn zenml_lists(query: &str) {
    use zenml::query::{ListRequest, API_KEYS, SERVICE_ACCOUNTS};
    if let Ok(request) = ListRequest::parse(&API_KEYS, Some(query), false) {
        let _ = request.query(subject().0, keyward_core::query::Filter::default());
        let _ = request.page_count(u64::MAX);
    }
    let _ = ListRequest::parse(&SERVICE_ACCOUNTS, Some(query), true);
}
