//! SpaceONE's `Query` dialect parsed into the core's query model: `filter` ANDed, `filter_or`
//! ORed (`Filter::Any`), both ANDed together; `sort`, 1-based `page`, `keyword`. Field names map
//! to the core's [`KeyField`] through a closed table; operators to the core's [`Op`]; the core
//! bounds the tree (conditions, nesting, list sizes) before it reaches the store.
//!
//! Operators on the closed-set fields (`state`, `api_key_type`) that SpaceONE treats as text
//! (`contain…`) are expanded here over the closed set, so they stay exact and bounded.
//! `regex`/`match`/`timediff_*` are refused: keyward runs no user-supplied regular expression.

use keyward_core::query::{
    Condition, FieldKind, Filter, KeyField, Op, QueryField, Sort, Value, MAX_CONDITIONS,
    MAX_LIST_VALUES,
};
use prost_types::value::Kind;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::error::SpaceoneError;
use super::proto::core as wire;

type Result<T> = std::result::Result<T, SpaceoneError>;

/// The vendor's field names of an `APIKeyInfo`, and the core field each one is.
pub const FIELDS: &[(&str, KeyField)] = &[
    ("api_key_id", KeyField::Id),
    ("state", KeyField::State),
    ("api_key_type", KeyField::Type),
    ("user_id", KeyField::Owner),
    ("created_at", KeyField::CreatedAt),
    ("last_accessed_at", KeyField::LastUsedAt),
];

/// The core field a vendor field name stands for.
pub fn field(name: &str) -> Result<KeyField> {
    FIELDS
        .iter()
        .find(|(vendor, _)| *vendor == name)
        .map(|(_, core)| *core)
        .ok_or_else(|| {
            let known: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
            SpaceoneError::query(format!(
                "unknown field `{name}`; one of: {}",
                known.join(" ")
            ))
        })
}

/// The vendor's name of a core field.
pub fn vendor_name(field: KeyField) -> &'static str {
    FIELDS
        .iter()
        .find(|(_, core)| *core == field)
        .map_or("", |(name, _)| *name)
}

/// `filter` (AND) and `filter_or` (OR), combined with AND.
pub fn filters(all: &[wire::Filter], any: &[wire::Filter]) -> Result<Filter<KeyField>> {
    if all.len() + any.len() > MAX_CONDITIONS {
        return Err(SpaceoneError::query("more than 64 filter conditions"));
    }
    let mut parts = all.iter().map(condition).collect::<Result<Vec<_>>>()?;
    if !any.is_empty() {
        parts.push(Filter::Any(
            any.iter().map(condition).collect::<Result<Vec<_>>>()?,
        ));
    }
    Ok(Filter::All(parts))
}

/// `keyword`: each space-separated word must match the key's id, owner or name; SpaceONE's
/// `contain_in` over `api_key_id|user_id`, where an id matches when the word is the whole id.
pub fn keyword(text: &str) -> Result<Filter<KeyField>> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Ok(Filter::default());
    }
    if words.len() > 16 {
        return Err(SpaceoneError::query("keyword has more than 16 words"));
    }
    let mut any = Vec::new();
    for word in words {
        any.push(Filter::Cond(Condition::new(
            KeyField::Name,
            Op::Contains,
            Value::Text(word.to_owned()),
        )?));
        if let Ok(id) = Uuid::parse_str(word) {
            for field in [KeyField::Id, KeyField::Owner] {
                any.push(Filter::Cond(Condition::new(
                    field,
                    Op::Eq,
                    Value::Text(id.to_string()),
                )?));
            }
        }
    }
    Ok(Filter::Any(any))
}

/// `sort{key, desc}`; no key means the vendor's default order, by `api_key_id`.
pub fn sort(sort: Option<&wire::Sort>) -> Result<Sort<KeyField>> {
    match sort {
        Some(s) if !s.key.is_empty() => Ok(Sort {
            field: field(&s.key)?,
            descending: s.desc,
        }),
        _ => Ok(Sort {
            field: KeyField::Id,
            descending: false,
        }),
    }
}

fn condition(raw: &wire::Filter) -> Result<Filter<KeyField>> {
    use wire::filter::{KeyAlias, OperatorAlias, ValueAlias};
    let key = match &raw.key_alias {
        Some(KeyAlias::Key(k) | KeyAlias::K(k)) => k.as_str(),
        None => return Err(SpaceoneError::query("a filter needs a key (`k`)")),
    };
    let op = match &raw.operator_alias {
        Some(OperatorAlias::Operator(o) | OperatorAlias::O(o)) => o.as_str(),
        None => "eq",
    };
    let value = match &raw.value_alias {
        Some(ValueAlias::Value(v) | ValueAlias::V(v)) => v.kind.as_ref(),
        None => None,
    };
    let field = field(key)?;
    let single = |op: Op| -> Result<Filter<KeyField>> {
        Ok(Filter::Cond(Condition::new(
            field,
            op,
            scalar(field, value)?,
        )?))
    };
    let list = |op: Op| -> Result<Filter<KeyField>> {
        let items = list(field, value)?;
        Ok(Filter::Cond(Condition::new(field, op, Value::List(items))?))
    };
    match op {
        "eq" => single(Op::Eq),
        "not" => single(Op::Ne),
        "lt" | "datetime_lt" => single(Op::Lt),
        "lte" | "datetime_lte" => single(Op::Lte),
        "gt" | "datetime_gt" => single(Op::Gt),
        "gte" | "datetime_gte" => single(Op::Gte),
        "in" => list(Op::In),
        "not_in" => list(Op::NotIn),
        "exists" => exists(field, value),
        "contain" => contain(field, &[text(value)?]),
        "not_contain" => Ok(Filter::Not(Box::new(contain(field, &[text(value)?])?))),
        "contain_in" => contain(field, &texts(value)?),
        "not_contain_in" => Ok(Filter::Not(Box::new(contain(field, &texts(value)?)?))),
        "match" | "regex" | "regex_in" | "timediff_gt" | "timediff_lt" | "timediff_gte"
        | "timediff_lte" => Err(SpaceoneError::unsupported(format!(
            "operator `{op}` is not supported by keyward"
        ))),
        other => Err(SpaceoneError::query(format!("unknown operator `{other}`"))),
    }
}

/// `exists: true|false`: whether a nullable field is set; non-nullable fields always are.
fn exists(field: KeyField, value: Option<&Kind>) -> Result<Filter<KeyField>> {
    let wanted = match value {
        Some(Kind::BoolValue(b)) => *b,
        None => true,
        _ => return Err(SpaceoneError::query("`exists` takes true or false")),
    };
    Ok(match field.kind() {
        FieldKind::Time { nullable: true } => {
            let op = if wanted { Op::IsNotNull } else { Op::IsNull };
            Filter::Cond(Condition::new(field, op, Value::Null)?)
        }
        _ if wanted => Filter::All(Vec::new()),
        _ => Filter::Any(Vec::new()),
    })
}

/// `contain`/`contain_in` (case-insensitive substring, any of the words). Closed-set fields are
/// expanded to the words that contain it; an id matches only when the word is the whole id.
fn contain(field: KeyField, words: &[String]) -> Result<Filter<KeyField>> {
    let mut any = Vec::new();
    for word in words {
        let needle = word.to_lowercase();
        match field.kind() {
            FieldKind::Enum(values) => {
                let hits: Vec<Value> = values
                    .iter()
                    .filter(|v| v.contains(needle.as_str()))
                    .map(|v| Value::Text((*v).to_owned()))
                    .collect();
                if !hits.is_empty() {
                    any.push(Filter::Cond(Condition::new(
                        field,
                        Op::In,
                        Value::List(hits),
                    )?));
                }
            }
            FieldKind::Id => {
                if let Ok(id) = Uuid::parse_str(word) {
                    any.push(Filter::Cond(Condition::new(
                        field,
                        Op::Eq,
                        Value::Text(id.to_string()),
                    )?));
                }
            }
            _ => {
                return Err(SpaceoneError::query(format!(
                    "`contain` does not apply to `{}`",
                    vendor_name(field)
                )))
            }
        }
    }
    Ok(Filter::Any(any))
}

fn text(value: Option<&Kind>) -> Result<String> {
    match value {
        Some(Kind::StringValue(s)) => Ok(s.clone()),
        Some(Kind::NumberValue(n)) => Ok(n.to_string()),
        _ => Err(SpaceoneError::query("the operator takes a string value")),
    }
}

fn texts(value: Option<&Kind>) -> Result<Vec<String>> {
    match value {
        Some(Kind::ListValue(list)) => {
            if list.values.len() > MAX_LIST_VALUES {
                return Err(SpaceoneError::query("a list takes at most 1000 values"));
            }
            list.values.iter().map(|v| text(v.kind.as_ref())).collect()
        }
        other => Ok(vec![text(other)?]),
    }
}

fn list(field: KeyField, value: Option<&Kind>) -> Result<Vec<Value>> {
    match value {
        Some(Kind::ListValue(list)) => {
            if list.values.len() > MAX_LIST_VALUES {
                return Err(SpaceoneError::query("a list takes at most 1000 values"));
            }
            list.values
                .iter()
                .map(|v| scalar(field, v.kind.as_ref()))
                .collect()
        }
        _ => Err(SpaceoneError::query("`in`/`not_in` take a list value")),
    }
}

/// One typed value for a field: vendor enum words are upper case, times ISO 8601, ids UUIDs.
pub fn scalar(field: KeyField, value: Option<&Kind>) -> Result<Value> {
    let name = vendor_name(field);
    let raw = text(value).map_err(|_| SpaceoneError::query(format!("`{name}` takes a string")))?;
    match field.kind() {
        FieldKind::Enum(words) => {
            let word = raw.to_lowercase();
            if words.contains(&word.as_str()) {
                Ok(Value::Text(word))
            } else {
                let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
                Err(SpaceoneError::query(format!(
                    "`{name}` takes one of: {}",
                    upper.join(" ")
                )))
            }
        }
        FieldKind::Id => Uuid::parse_str(&raw)
            .map(|u| Value::Text(u.to_string()))
            .map_err(|_| SpaceoneError::query(format!("`{name}` takes an id (UUID)"))),
        FieldKind::Time { .. } => time(&raw)
            .map(Value::Time)
            .ok_or_else(|| SpaceoneError::query(format!("`{name}` takes an ISO 8601 time"))),
        _ => Ok(Value::Text(raw)),
    }
}

/// ISO 8601 as SpaceONE clients send it: RFC 3339, or without an offset (UTC), or a bare date.
fn time(raw: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(at);
    }
    let with_zone = if raw.len() == 10 {
        format!("{raw}T00:00:00Z")
    } else {
        format!("{raw}Z")
    };
    OffsetDateTime::parse(&with_zone, &Rfc3339).ok()
}
