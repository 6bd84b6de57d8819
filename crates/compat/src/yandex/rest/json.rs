//! proto3 JSON for the REST transport: request bodies and query strings parsed into the same
//! request messages the gRPC transport receives, and response messages rendered the way the
//! vendor's grpc-gateway renders them: lowerCamelCase names (the original snake_case names are
//! accepted on input, as proto3 JSON parsers do), RFC 3339 timestamps in UTC, fields holding
//! their default value left out, `Any` as an object with `@type`.

use prost::Message;
use prost_types::{Any, FieldMask, Timestamp};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::yandex::error::YandexError;
use crate::yandex::proto::{iam, operation, type_url};
use crate::yandex::render;

/// The body of `POST /iam/v1/apiKeys`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateBody {
    #[serde(alias = "service_account_id")]
    service_account_id: Option<String>,
    description: Option<String>,
    scope: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(alias = "expires_at")]
    expires_at: Option<String>,
}

impl CreateBody {
    pub fn into_request(self) -> Result<iam::CreateApiKeyRequest, YandexError> {
        #[allow(deprecated)]
        Ok(iam::CreateApiKeyRequest {
            service_account_id: self.service_account_id.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            scope: self.scope.unwrap_or_default(),
            scopes: self.scopes.unwrap_or_default(),
            expires_at: timestamp("expiresAt", self.expires_at)?,
        })
    }
}

/// `updateMask`: proto3 JSON writes a `FieldMask` as one comma-separated string of
/// lowerCamelCase paths; the object form `{"paths": [...]}` is accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaskJson {
    Text(String),
    Paths { paths: Vec<String> },
}

/// The body of `PATCH /iam/v1/apiKeys/{api_key_id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateBody {
    #[serde(alias = "api_key_id")]
    api_key_id: Option<String>,
    #[serde(alias = "update_mask")]
    update_mask: Option<MaskJson>,
    description: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(alias = "expires_at")]
    expires_at: Option<String>,
}

impl UpdateBody {
    /// The request for the key in the path. An id in the body must be the same one.
    pub fn into_request(self, path_id: String) -> Result<iam::UpdateApiKeyRequest, YandexError> {
        if let Some(body_id) = self.api_key_id.filter(|id| !id.is_empty()) {
            if body_id != path_id {
                return Err(YandexError::invalid(
                    "apiKeyId",
                    "differs from the id in the path",
                ));
            }
        }
        let paths = match self.update_mask {
            None => Vec::new(),
            Some(MaskJson::Text(text)) => text
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(snake_case)
                .collect(),
            Some(MaskJson::Paths { paths }) => paths.iter().map(|p| snake_case(p)).collect(),
        };
        Ok(iam::UpdateApiKeyRequest {
            api_key_id: path_id,
            update_mask: Some(FieldMask { paths }),
            description: self.description.unwrap_or_default(),
            scopes: self.scopes.unwrap_or_default(),
            expires_at: timestamp("expiresAt", self.expires_at)?,
        })
    }
}

/// `expiresAt` → `expires_at`: field-mask paths travel in lowerCamelCase in JSON.
fn snake_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn timestamp(field: &str, text: Option<String>) -> Result<Option<Timestamp>, YandexError> {
    text.map(|text| {
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(render::timestamp)
            .map_err(|_| YandexError::invalid(field, "must be an RFC 3339 timestamp"))
    })
    .transpose()
}

fn rfc3339(at: &Timestamp) -> Value {
    let nanos = i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

/// A map that leaves out default values, as proto3 JSON does.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn text(mut self, name: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.0.insert(name.into(), Value::String(value.to_owned()));
        }
        self
    }

    fn time(mut self, name: &str, value: Option<&Timestamp>) -> Self {
        if let Some(at) = value {
            self.0.insert(name.into(), rfc3339(at));
        }
        self
    }

    fn list(mut self, name: &str, values: &[String]) -> Self {
        if !values.is_empty() {
            self.0.insert(name.into(), json!(values));
        }
        self
    }

    fn value(mut self, name: &str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.0.insert(name.into(), value);
        }
        self
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

pub fn api_key(key: &iam::ApiKey) -> Value {
    #[allow(deprecated)]
    let scope = key.scope.as_str();
    Fields::default()
        .text("id", &key.id)
        .text("serviceAccountId", &key.service_account_id)
        .time("createdAt", key.created_at.as_ref())
        .text("description", &key.description)
        .time("lastUsedAt", key.last_used_at.as_ref())
        .text("scope", scope)
        .list("scopes", &key.scopes)
        .time("expiresAt", key.expires_at.as_ref())
        .text("maskedSecret", &key.masked_secret)
        .done()
}

/// An `Any` as proto3 JSON: the packed message's fields beside `@type`.
fn any(packed: &Any) -> Value {
    let mut object = match packed.type_url.as_str() {
        type_url::API_KEY => iam::ApiKey::decode(packed.value.as_slice())
            .map(|key| api_key(&key))
            .unwrap_or_else(|_| json!({})),
        type_url::UPDATE_API_KEY_METADATA => {
            iam::UpdateApiKeyMetadata::decode(packed.value.as_slice())
                .map(|m| Fields::default().text("apiKeyId", &m.api_key_id).done())
                .unwrap_or_else(|_| json!({}))
        }
        type_url::DELETE_API_KEY_METADATA => {
            iam::DeleteApiKeyMetadata::decode(packed.value.as_slice())
                .map(|m| Fields::default().text("apiKeyId", &m.api_key_id).done())
                .unwrap_or_else(|_| json!({}))
        }
        _ => json!({}),
    };
    if let Value::Object(map) = &mut object {
        map.insert("@type".into(), Value::String(packed.type_url.clone()));
    }
    object
}

pub fn operation(op: &operation::Operation) -> Value {
    use operation::operation::Result as Outcome;
    let (error, response) = match &op.result {
        Some(Outcome::Error(status)) => (
            Some(json!({"code": status.code, "message": status.message, "details": []})),
            None,
        ),
        Some(Outcome::Response(packed)) => (None, Some(any(packed))),
        None => (None, None),
    };
    let mut fields = Fields::default()
        .text("id", &op.id)
        .text("description", &op.description)
        .time("createdAt", op.created_at.as_ref())
        .text("createdBy", &op.created_by)
        .time("modifiedAt", op.modified_at.as_ref());
    if op.done {
        fields = fields.value("done", Some(Value::Bool(true)));
    }
    fields
        .value("metadata", op.metadata.as_ref().map(any))
        .value("error", error)
        .value("response", response)
        .done()
}

pub fn list_keys(page: &iam::ListApiKeysResponse) -> Value {
    let keys: Vec<Value> = page.api_keys.iter().map(api_key).collect();
    Fields::default()
        .value("apiKeys", (!keys.is_empty()).then(|| json!(keys)))
        .text("nextPageToken", &page.next_page_token)
        .done()
}

pub fn created(answer: &iam::CreateApiKeyResponse) -> Value {
    Fields::default()
        .value("apiKey", answer.api_key.as_ref().map(api_key))
        .text("secret", &answer.secret)
        .done()
}

pub fn list_operations(page: &iam::ListApiKeyOperationsResponse) -> Value {
    let operations: Vec<Value> = page.operations.iter().map(operation).collect();
    Fields::default()
        .value(
            "operations",
            (!operations.is_empty()).then(|| json!(operations)),
        )
        .text("nextPageToken", &page.next_page_token)
        .done()
}

pub fn list_scopes(page: &iam::ListApiKeyScopesResponse) -> Value {
    Fields::default()
        .list("scopes", &page.scopes)
        .text("nextPageToken", &page.next_page_token)
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_paths_arrive_in_camel_case() {
        assert_eq!(snake_case("expiresAt"), "expires_at");
        assert_eq!(snake_case("description"), "description");
        let body: UpdateBody =
            serde_json::from_value(json!({"updateMask": "description, expiresAt"})).unwrap();
        let request = body.into_request("k".into()).unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            vec!["description", "expires_at"]
        );
    }

    #[test]
    fn defaults_are_left_out() {
        let key = iam::ApiKey {
            id: "k".into(),
            ..iam::ApiKey::default()
        };
        assert_eq!(api_key(&key), json!({"id": "k"}));
    }

    #[test]
    fn any_carries_its_type() {
        let packed = render::update_metadata("k");
        assert_eq!(
            any(&packed),
            json!({"@type": type_url::UPDATE_API_KEY_METADATA, "apiKeyId": "k"})
        );
        assert_eq!(any(&render::empty()), json!({"@type": type_url::EMPTY}));
    }
}
