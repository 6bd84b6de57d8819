//! One ZenML filter value (`[op:]value`) → a piece of the core's filter tree, with ZenML's
//! operator sets per type (`zenml.models.v2.base.filter`: `StrFilter`, `UUIDFilter`,
//! `DatetimeFilter`, `BoolFilter`) and its value rules: `oneof:`/`notoneof:` take a JSON list,
//! `isnull:`/`isnotnull:` no value, a datetime `in:` two comma-separated times (inclusive).
//!
//! What keyward does differently (docs/compat-zenml.md): text matches are case-sensitive and
//! `%`/`_` are literal; `gt`/`gte`/`lt`/`lte` compare text in byte order (ZenML casts to a number)
//! and ids in UUID order; an id matches `startswith:` by its hex digits (hyphens ignored, as in
//! ZenML) but not `contains:`/`endswith:`.

use keyward_core::query::{Condition, FieldKind, Filter, Op, QueryField, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::datetime::parse_filter_time;

/// ZenML's filter operators (`GenericFilterOps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZenOp {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    OneOf,
    NotOneOf,
    NotContains,
    IsNull,
    IsNotNull,
    Gte,
    Gt,
    Lte,
    Lt,
    In,
}

impl ZenOp {
    const ALL: [(&'static str, ZenOp); 15] = [
        ("equals", ZenOp::Equals),
        ("notequals", ZenOp::NotEquals),
        ("contains", ZenOp::Contains),
        ("startswith", ZenOp::StartsWith),
        ("endswith", ZenOp::EndsWith),
        ("oneof", ZenOp::OneOf),
        ("notoneof", ZenOp::NotOneOf),
        ("notcontains", ZenOp::NotContains),
        ("isnull", ZenOp::IsNull),
        ("isnotnull", ZenOp::IsNotNull),
        ("gte", ZenOp::Gte),
        ("gt", ZenOp::Gt),
        ("lte", ZenOp::Lte),
        ("lt", ZenOp::Lt),
        ("in", ZenOp::In),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("equals", |(name, _)| name)
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, op)| *op)
    }

    /// The core operator of the same meaning, for the plain comparisons.
    fn core(self) -> Option<Op> {
        Some(match self {
            ZenOp::Equals => Op::Eq,
            ZenOp::NotEquals => Op::Ne,
            ZenOp::Contains => Op::Contains,
            ZenOp::NotContains => Op::NotContains,
            ZenOp::StartsWith => Op::StartsWith,
            ZenOp::EndsWith => Op::EndsWith,
            ZenOp::Gt => Op::Gt,
            ZenOp::Gte => Op::Gte,
            ZenOp::Lt => Op::Lt,
            ZenOp::Lte => Op::Lte,
            _ => return None,
        })
    }
}

/// How a ZenML filter field lives in the core.
#[derive(Debug, Clone, Copy)]
pub enum Column<F: 'static> {
    /// A string (`StrFilter`).
    Text(F),
    /// A UUID (`UUIDFilter`).
    Uuid(F),
    /// A datetime (`DatetimeFilter`); `isnull` on a core field that cannot be null matches nothing.
    Time(F),
    /// A boolean stored as one of two words of a core enum field (`active` ↔ `state`).
    Flag {
        field: F,
        when_true: &'static str,
        when_false: &'static str,
    },
    /// A boolean that is the same for every row (a service account's `active`).
    Always(bool),
    /// A UUID that keyward only knows as present or absent: present exactly when the core's
    /// boolean `F` is true (a service account's `external_user_id` ↔ `external`).
    PresentWhen(F),
}

impl<F: QueryField> Column<F> {
    /// The core field lists are ordered by when sorting by this column.
    pub fn sort_field(self, id: F) -> F {
        match self {
            Column::Text(f) | Column::Uuid(f) | Column::Time(f) | Column::PresentWhen(f) => f,
            Column::Flag { field, .. } => field,
            Column::Always(_) => id,
        }
    }

    fn allowed(self) -> &'static [ZenOp] {
        use ZenOp::*;
        match self {
            Column::Text(_) | Column::Uuid(_) => &[
                Equals,
                NotEquals,
                StartsWith,
                Contains,
                EndsWith,
                OneOf,
                NotOneOf,
                NotContains,
                IsNull,
                IsNotNull,
                Gt,
                Gte,
                Lt,
                Lte,
            ],
            Column::Time(_) => &[Equals, NotEquals, IsNull, IsNotNull, Gt, Gte, Lt, Lte, In],
            Column::Flag { .. } | Column::Always(_) => &[Equals, NotEquals, IsNull, IsNotNull],
            Column::PresentWhen(_) => &[IsNull, IsNotNull],
        }
    }
}

/// Matches every row.
fn all<F>() -> Filter<F> {
    Filter::All(Vec::new())
}

/// Matches no row.
fn none<F>() -> Filter<F> {
    Filter::Any(Vec::new())
}

fn constant<F>(matches: bool) -> Filter<F> {
    if matches {
        all()
    } else {
        none()
    }
}

/// Splits `op:value` the way ZenML does: a prefix is an operator only when it is one of
/// ZenML's operator words; otherwise the whole text is the value of an `equals`.
pub fn split_operator(raw: &str) -> (ZenOp, &str) {
    match raw.split_once(':') {
        Some((word, rest)) => match ZenOp::parse(word) {
            Some(op) => (op, rest),
            None => (ZenOp::Equals, raw),
        },
        None => (ZenOp::Equals, raw),
    }
}

/// The filter for one `raw` value of a field on `column`; the error is the message of ZenML's
/// `ValueError` (the caller wraps it as the filter model's validation error).
pub fn condition<F: QueryField>(column: Column<F>, raw: &str) -> Result<Filter<F>, String> {
    let (op, value) = split_operator(raw);
    if !column.allowed().contains(&op) {
        let names: Vec<&str> = column.allowed().iter().map(|op| op.name()).collect();
        return Err(format!(
            "This datatype can not be filtered using this operation: '{}'. The allowed \
             operations are: {names:?}",
            op.name()
        ));
    }
    match op {
        ZenOp::IsNull | ZenOp::IsNotNull => {
            if !value.is_empty() {
                return Err(
                    "When using 'isnull:'/'isnotnull:', use the explicit 'operator:' \
                     form without a value (e.g. 'isnull:')."
                        .into(),
                );
            }
            Ok(null_check(column, op == ZenOp::IsNull))
        }
        ZenOp::OneOf | ZenOp::NotOneOf => {
            let values = json_list(value).ok_or(
                "When you are using the 'oneof:'/'notoneof:' filtering make sure that the \
                 provided value is a json formatted list.",
            )?;
            one_of(column, values, op == ZenOp::NotOneOf)
        }
        _ => compare(column, op, value),
    }
}

fn null_check<F: QueryField>(column: Column<F>, is_null: bool) -> Filter<F> {
    match column {
        Column::Time(f) if matches!(f.kind(), FieldKind::Time { nullable: true }) => {
            let op = if is_null { Op::IsNull } else { Op::IsNotNull };
            Condition::new(f, op, Value::Null).map_or_else(|_| none(), Filter::Cond)
        }
        Column::PresentWhen(f) => {
            Condition::new(f, Op::Eq, Value::Bool(!is_null)).map_or_else(|_| none(), Filter::Cond)
        }
        // Every other value keyward keeps is never null.
        _ => constant(!is_null),
    }
}

/// The items of a JSON list, as the strings ZenML compares them as (`str(v)`).
fn json_list(text: &str) -> Option<Vec<String>> {
    let serde_json::Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(text) => Some(text),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(if b { "True" } else { "False" }.to_owned()),
            _ => None,
        })
        .collect()
}

fn one_of<F: QueryField>(
    column: Column<F>,
    values: Vec<String>,
    negated: bool,
) -> Result<Filter<F>, String> {
    let (field, values) = match column {
        Column::Text(f) => (f, values.into_iter().map(Value::Text).collect::<Vec<_>>()),
        // ZenML compares the hex digits: items that are no UUID can match nothing.
        Column::Uuid(f) => (
            f,
            values
                .iter()
                .filter_map(|v| parse_uuid(v))
                .map(|u| Value::Text(u.to_string()))
                .collect(),
        ),
        _ => return Err("oneof/notoneof do not apply to this field".into()),
    };
    if values.is_empty() {
        // `x IN ()` is false, `x NOT IN ()` true.
        return Ok(constant(negated));
    }
    let op = if negated { Op::NotIn } else { Op::In };
    cond(field, op, Value::List(values))
}

fn compare<F: QueryField>(column: Column<F>, op: ZenOp, value: &str) -> Result<Filter<F>, String> {
    match column {
        Column::Text(f) => {
            let op = op.core().ok_or("this operation does not apply to text")?;
            cond(f, op, Value::Text(value.to_owned()))
        }
        Column::Uuid(f) => compare_uuid(f, op, value),
        Column::Time(f) => compare_time(f, op, value),
        Column::Flag {
            field,
            when_true,
            when_false,
        } => {
            let wanted = parse_bool(value)?;
            let word = if wanted { when_true } else { when_false };
            let op = if op == ZenOp::NotEquals {
                Op::Ne
            } else {
                Op::Eq
            };
            cond(field, op, Value::Text(word.to_owned()))
        }
        Column::Always(holds) => {
            let wanted = parse_bool(value)?;
            Ok(constant((holds == wanted) == (op == ZenOp::Equals)))
        }
        Column::PresentWhen(_) => Err("only isnull: and isnotnull: apply to this field".into()),
    }
}

fn compare_uuid<F: QueryField>(field: F, op: ZenOp, value: &str) -> Result<Filter<F>, String> {
    let text = |u: Uuid| Value::Text(u.to_string());
    match op {
        // ZenML: an equality with something that is no UUID is simply false (true for `!=`).
        ZenOp::Equals | ZenOp::NotEquals => match parse_uuid(value) {
            Some(id) => cond(field, op.core().unwrap_or(Op::Eq), text(id)),
            None => Ok(constant(op == ZenOp::NotEquals)),
        },
        ZenOp::StartsWith => {
            let prefix: String = value.replace('-', "").to_ascii_lowercase();
            if !prefix.chars().all(|c| c.is_ascii_hexdigit()) || prefix.len() > 32 {
                return Ok(none());
            }
            // A hex prefix is the range [prefix000…, prefixfff…] of UUIDs.
            let bound = |fill: char| {
                let mut hex = prefix.clone();
                hex.extend(std::iter::repeat_n(fill, 32 - prefix.len()));
                Uuid::parse_str(&hex).map(text).map_err(|_| "bad prefix")
            };
            Ok(Filter::All(vec![
                Filter::Cond(
                    Condition::new(field, Op::Gte, bound('0')?).map_err(|e| e.to_string())?,
                ),
                Filter::Cond(
                    Condition::new(field, Op::Lte, bound('f')?).map_err(|e| e.to_string())?,
                ),
            ]))
        }
        ZenOp::Gt | ZenOp::Gte | ZenOp::Lt | ZenOp::Lte => {
            let id = parse_uuid(value).ok_or("keyward compares ids as UUIDs: give a UUID")?;
            cond(field, op.core().unwrap_or(Op::Eq), text(id))
        }
        _ => Err(format!(
            "keyward cannot match an id by '{}'; use equals, notequals, oneof, notoneof or \
             startswith",
            op.name()
        )),
    }
}

fn compare_time<F: QueryField>(field: F, op: ZenOp, value: &str) -> Result<Filter<F>, String> {
    let format_error = || {
        "The datetime filter only works with values in the following format: %Y-%m-%d %H:%M:%S"
            .to_owned()
    };
    let time = |text: &str| parse_filter_time(text).ok_or_else(format_error);
    match (op, value.split_once(',')) {
        (ZenOp::In, Some((low, high))) => Ok(Filter::All(vec![
            cond(field, Op::Gte, Value::Time(time(low)?))?,
            cond(field, Op::Lte, Value::Time(time(high)?))?,
        ])),
        (ZenOp::In, None) => {
            time(value)?;
            Err("Two comma separated datetime values are required for the `in` operator.".into())
        }
        (_, Some((low, high))) => {
            time(low)?;
            time(high)?;
            Err(format!(
                "Only a single datetime value is allowed for operator {}.",
                op.name()
            ))
        }
        (_, None) => {
            let at: OffsetDateTime = time(value)?;
            cond(field, op.core().unwrap_or(Op::Eq), Value::Time(at))
        }
    }
}

fn cond<F: QueryField>(field: F, op: Op, value: Value) -> Result<Filter<F>, String> {
    Condition::new(field, op, value)
        .map(Filter::Cond)
        .map_err(|e| e.reason.into_owned())
}

/// A UUID with or without hyphens (ZenML strips them before comparing).
fn parse_uuid(text: &str) -> Option<Uuid> {
    let hex = text.replace('-', "");
    (hex.len() == 32).then(|| Uuid::parse_str(&hex).ok())?
}

/// pydantic's and ZenML's spellings of a boolean.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "true" | "t" | "on" => Ok(true),
        "0" | "n" | "no" | "false" | "f" | "off" => Ok(false),
        _ => Err("The bool filter only works with boolean values.".into()),
    }
}
