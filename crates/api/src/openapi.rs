//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! views' `ToSchema` derives, and served at `/v1/openapi.json`.

use keyward_core::query::{KeyField, PrincipalField};
use keyward_core::service::Granularity;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};

use crate::field_schemas::sort_schema;
use utoipa::{Modify, OpenApi};

use crate::routes::{
    access_keys, domains, gateway, health, key_credits, key_usage, keys, operations, principals,
    products, usage_plans, verify,
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
        keys::disable, keys::rotate, key_credits::top_up, key_usage::get,
        operations::list, operations::get, operations::list_for_key,
        verify::verify, gateway::check,
        products::create, products::list, products::get, products::delete,
        products::list_subscriptions, products::put_subscription, products::delete_subscription,
        access_keys::create, access_keys::delete,
        usage_plans::create, usage_plans::list, usage_plans::get, usage_plans::update,
        usage_plans::delete, usage_plans::set_product_plan, usage_plans::set_subscription_plan,
    ),
    modifiers(&SecuritySchemes, &GatewayMethods, &PatchBodies, &SortParameters, &UsageGranularity),
    tags(
        (name = "domains", description = "Tenants"),
        (name = "principals", description = "Users and service accounts that own keys"),
        (name = "keys", description = "The key lifecycle"),
        (name = "operations", description = "The change log"),
        (name = "products", description = "API products and keys' subscriptions to them"),
        (name = "usage plans", description = "Named rate limits and quotas, applied through products and subscriptions"),
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
                        "A keyward key holding `keyward:admin` or `keyward:root`, or \
                         `keyward:self` for the keys of its own principal",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        // The key a gateway check verifies, in each of the default key sources.
        components.add_security_scheme(
            "gateway_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The key being checked, as `Authorization: Bearer <key>`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "gateway_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "The key being checked, as `Authorization: Api-Key <key>` (Yandex Cloud clients)",
            ))),
        );
        components.add_security_scheme(
            "ncp_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-ncp-apigw-api-key",
                "The key being checked, as NCP API Gateway callers send it",
            ))),
        );
    }
}

/// `/v1/auth` answers every method (proxies forward the client's); `#[utoipa::path]` declares one,
/// so the others are copied from it here, each with its own operation id.
struct GatewayMethods;

impl Modify for GatewayMethods {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(item) = openapi.paths.paths.get_mut("/v1/auth") else {
            return;
        };
        let Some(get) = item.get.clone() else {
            return;
        };
        let copy = |method: &str| {
            let mut op = get.clone();
            op.operation_id = Some(format!("gateway_auth_{method}"));
            Some(op)
        };
        item.head = copy("head");
        item.post = copy("post");
        item.put = copy("put");
        item.patch = copy("patch");
        item.delete = copy("delete");
        item.options = copy("options");
        item.trace = copy("trace");
    }
}

/// A PATCH body must change something: `{}` is refused (422), so its schema has
/// `minProperties: 1`. (utoipa's own `min_properties` attribute writes `maxProperties`.)
struct PatchBodies;

impl Modify for PatchBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in [
            "UpdateDomainRequest",
            "UpdatePrincipalRequest",
            "UpdateKeyRequest",
            "UpdateUsagePlanRequest",
        ] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object.min_properties = Some(1);
            }
        }
    }
}

/// Each list's `sort` is one of its sortable fields (or `-field`): an enum built from the core's
/// field sets, which `#[utoipa::path]` parameters cannot take.
struct SortParameters;

impl Modify for SortParameters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let lists = [
            ("/v1/keys", sort_schema::<KeyField>()),
            ("/v1/principals", sort_schema::<PrincipalField>()),
        ];
        for (path, schema) in lists {
            let Some(op) = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|i| i.get.as_mut())
            else {
                continue;
            };
            let params = op.parameters.iter_mut().flatten();
            for param in params.filter(|p| p.name == "sort") {
                param.schema = Some(RefOr::T(Schema::Object(schema.clone())));
            }
        }
    }
}

/// A usage report's `granularity` is one of the core's words (`hour`, `day`): an enum built from
/// `Granularity::ALL`, which `#[utoipa::path]` parameters cannot take.
struct UsageGranularity;

impl Modify for UsageGranularity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(op) = openapi
            .paths
            .paths
            .get_mut("/v1/keys/{id}/usage")
            .and_then(|i| i.get.as_mut())
        else {
            return;
        };
        let words = Granularity::ALL.iter().map(|g| g.as_str());
        let schema = crate::views::enum_schema(words);
        let params = op.parameters.iter_mut().flatten();
        for param in params.filter(|p| p.name == "granularity") {
            param.schema = Some(RefOr::T(Schema::Object(schema.clone())));
        }
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
            "/v1/keys/{id}/usage",
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
            "UsageSeriesView",
            "UsageBucketView",
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
        let usage = &paths["/v1/keys/{id}/usage"]["get"]["parameters"];
        let from = usage
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "from")
            .expect("a `from` parameter");
        assert_eq!(from["schema"]["format"], "date-time", "{from}");
        let granularity = usage
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "granularity")
            .expect("a `granularity` parameter");
        assert_eq!(
            granularity["schema"]["enum"],
            serde_json::json!(["hour", "day"]),
            "{granularity}"
        );
    }
}
