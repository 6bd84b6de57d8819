//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! views' `ToSchema` derives, and served at `/v1/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    access_keys, domains, gateway, health, keys, operations, principals, products, verify,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward",
        description = "Self-hosted API-key management: issue, rotate, revoke and verify API keys.",
    ),
    paths(
        health::healthz, health::readyz, health::openapi_json,
        domains::create, domains::list, domains::get, domains::update, domains::delete,
        principals::create, principals::list, principals::get, principals::update,
        principals::delete,
        keys::create, keys::list, keys::get, keys::update, keys::delete, keys::enable,
        keys::disable, keys::rotate,
        operations::list, operations::get, operations::list_for_key,
        verify::verify, gateway::check,
        products::create, products::list, products::get, products::delete,
        products::list_subscriptions, products::put_subscription, products::delete_subscription,
        access_keys::create, access_keys::delete,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "domains", description = "Tenants"),
        (name = "principals", description = "Users and service accounts that own keys"),
        (name = "keys", description = "The key lifecycle"),
        (name = "operations", description = "The change log"),
        (name = "products", description = "API products and keys' subscriptions to them"),
        (name = "verification", description = "Checking keys: JSON and gateway forms"),
        (name = "health", description = "Probes and this document"),
    ),
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A keyward key holding `keyward:admin` or `keyward:root`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The document served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_route() {
        let doc = serde_json::to_value(openapi()).expect("serializes");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
        let paths = doc["paths"].as_object().expect("paths");
        for path in [
            "/healthz",
            "/readyz",
            "/v1/openapi.json",
            "/v1/domains",
            "/v1/domains/{id}",
            "/v1/principals",
            "/v1/principals/{id}",
            "/v1/keys",
            "/v1/keys/{id}",
            "/v1/keys/{id}/enable",
            "/v1/keys/{id}/disable",
            "/v1/keys/{id}/rotate",
            "/v1/keys/{id}/operations",
            "/v1/keys/verify",
            "/v1/operations",
            "/v1/operations/{id}",
            "/v1/auth",
            "/v1/products",
            "/v1/products/{id}",
            "/v1/keys/{id}/subscriptions",
            "/v1/keys/{id}/subscriptions/{product_id}",
            "/v1/keys/{id}/access-keys",
            "/v1/access-keys/{id}",
        ] {
            assert!(paths.contains_key(path), "missing {path}");
        }
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for name in [
            "KeyView",
            "CreatedKeyView",
            "OperationView",
            "ErrorBody",
            "VerifyView",
        ] {
            assert!(schemas.contains_key(name), "missing schema {name}");
        }
        let mut ids: Vec<&str> = paths
            .values()
            .flat_map(|item| item.as_object().expect("path item").values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids must be unique");
        let key = &schemas["KeyView"]["properties"];
        assert!(key.get("type").is_some() && key.get("hash").is_none());
    }
}
