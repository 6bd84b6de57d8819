//! The OpenAPI schemas of request fields whose rules the core enforces (names, descriptions,
//! roles and scopes, subscription statuses). Each is built from the core's own limits and
//! patterns, so the document says exactly what the server accepts: schemathesis
//! (`tests/api/schemathesis.rs`) sends what the document allows and expects it accepted, and what
//! it forbids and expects it refused.

use keyward_core::model::text::{
    description_pattern, name_pattern, token_pattern, DESCRIPTION_MAX, LIST_MAX, NAME_MAX,
    TOKEN_MAX,
};
use keyward_core::model::SubscriptionStatus;
use keyward_core::query::QueryField;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Array, Object};

use crate::views::enum_schema;

/// `string`, or `string`/`null` when `nullable`: serde reads `null` as an absent `Option`.
fn string_type(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    }
}

fn name(nullable: bool) -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .min_length(Some(1))
        .max_length(Some(NAME_MAX))
        .pattern(Some(name_pattern()))
        .description(Some(
            "1–255 characters; no control characters, no leading or trailing white space",
        ))
        .build()
}

/// A required name ([`keyward_core::model::Name`]).
pub fn name_schema() -> Object {
    name(false)
}

/// An allowed network's optional name: `null` and `""` both mean none.
pub fn cidr_name_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .max_length(Some(NAME_MAX))
        .pattern(Some(format!("^$|{}", name_pattern())))
        .description(Some("Empty, or a name (see `name`)"))
        .build()
}

/// A description ([`keyward_core::model::Description`]), as PATCH takes it: never `null`.
pub fn description_schema() -> Object {
    description(false)
}

/// A description in a create body, where `null` means absent.
pub fn nullable_description_schema() -> Object {
    description(true)
}

fn description(nullable: bool) -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .max_length(Some(DESCRIPTION_MAX))
        .pattern(Some(description_pattern()))
        .description(Some(
            "At most 65535 characters; no control characters but tab and line breaks",
        ))
        .build()
}

/// Roles or scopes ([`keyward_core::model::TokenSet`]), as PATCH takes them: never `null`.
pub fn tokens_schema() -> Array {
    tokens(SchemaType::Type(Type::Array))
}

/// Roles or scopes in a create body, where `null` means absent.
pub fn nullable_tokens_schema() -> Array {
    tokens(SchemaType::from_iter([Type::Array, Type::Null]))
}

fn tokens(schema_type: SchemaType) -> Array {
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(TOKEN_MAX))
        .pattern(Some(token_pattern()));
    ArrayBuilder::new()
        .schema_type(schema_type)
        .items(item)
        .max_items(Some(LIST_MAX))
        .unique_items(true)
        .description(Some(
            "At most 100 unique items of 1–256 characters without white space",
        ))
        .build()
}

/// One IPv4 address, dotted decimal without leading zeros (what `Ipv4Addr` parses).
const IPV4: &str = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
/// A 1–4 digit hexadecimal group of an IPv6 address.
const H: &str = "[0-9a-fA-F]{1,4}";

/// One IPv6 address in any of RFC 4291's text forms, the IPv4-embedded ones included.
fn ipv6() -> String {
    let forms = [
        format!("(?:{H}:){{7}}{H}"),
        format!("(?:{H}:){{1,7}}:"),
        format!("(?:{H}:){{1,6}}:{H}"),
        format!("(?:{H}:){{1,5}}(?::{H}){{1,2}}"),
        format!("(?:{H}:){{1,4}}(?::{H}){{1,3}}"),
        format!("(?:{H}:){{1,3}}(?::{H}){{1,4}}"),
        format!("(?:{H}:){{1,2}}(?::{H}){{1,5}}"),
        format!("{H}:(?::{H}){{1,6}}"),
        format!(":(?:(?::{H}){{1,7}}|:)"),
        format!("(?:{H}:){{6}}{IPV4}"),
        format!("(?:{H}:){{1,5}}:{IPV4}"),
        format!("::(?:{H}:){{0,5}}{IPV4}"),
    ];
    format!("(?:{})", forms.join("|"))
}

/// An IP address, IPv4 or IPv6 (the verify call's `ip`); `null` is absent.
pub fn nullable_ip_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .pattern(Some(format!("^(?:{IPV4}|{})$", ipv6())))
        .description(Some("An IPv4 or IPv6 address"))
        .build()
}

/// An allowed network: an address, or an address with a prefix length (`10.0.0.0/8`,
/// `2001:db8::/32`); host bits are cleared.
pub fn cidr_schema() -> Object {
    let v4 = format!("{IPV4}(?:/(?:3[0-2]|[12]?[0-9]))?");
    let v6 = format!("{}(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?", ipv6());
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^(?:{v4}|{v6})$")))
        .description(Some(
            "An IPv4 or IPv6 network in CIDR notation, or one address",
        ))
        .build()
}

/// A list's `sort`: a sortable field's name, `-` before it for descending.
pub fn sort_schema<F: QueryField>() -> Object {
    let names = F::all().iter().filter(|f| f.sortable()).map(|f| f.name());
    let values: Vec<String> = names
        .flat_map(|n| [n.to_owned(), format!("-{n}")])
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// A subscription status (NCP's names).
pub fn subscription_status_schema() -> Object {
    enum_schema(SubscriptionStatus::ALL.iter().map(|s| s.as_str()))
}
