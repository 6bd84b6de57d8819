//! One query model for every list: a filter tree over a whitelist of fields, a sort, and a window
//! (cursor or offset). Faces parse their dialect into it; stores compile it to parameterised SQL.
//! User text is only ever a bound value, never SQL text, and holds no control character the
//! stores cannot keep (see [`crate::model::chars`]): text values may hold tab, line feed and
//! carriage return, nothing else; text is compared in NFC, the form names are stored in.

use std::fmt::Debug;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ValidationError;
use crate::ids::{DomainId, PrincipalId, ProductId};
use crate::model::chars::{has_refused_control, to_nfc, Controls};
use crate::model::{KeyState, KeyType, PrincipalKind, SubscriptionStatus};

mod aggregate;
pub use aggregate::{
    groupable, Aggregate, AggregateOp, AggregateQuery, AggregateRow, AggregateValue,
    MAX_AGGREGATES, MAX_GROUPS, MAX_GROUP_KEYS,
};

/// Largest page a cursor-paged list returns.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Largest page an offset-paged list returns: vendor APIs that number their pages promise their
/// clients this much (ZenML's `size` goes up to 10,000).
pub const MAX_OFFSET_PAGE_SIZE: u32 = 10_000;
/// Page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most conditions in one filter tree and most values in one `in` list: bounded work per query.
pub const MAX_CONDITIONS: usize = 64;
pub const MAX_LIST_VALUES: usize = 1000;

/// The type of a field decides which operators and values it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (name, description).
    Text,
    /// An identifier (UUID).
    Id,
    /// One of a closed set of lowercase words.
    Enum(&'static [&'static str]),
    /// A point in time; `nullable` fields also accept `is_null`/`is_not_null`.
    Time {
        nullable: bool,
    },
    Bool,
    /// A set of tokens (roles, scopes): `eq` means "contains", `ne` "does not contain".
    TokenSet,
}

/// A field a query may name. Each list declares its own closed set.
pub trait QueryField: Copy + Debug + PartialEq + Eq + Send + Sync + 'static {
    fn kind(self) -> FieldKind;
    fn name(self) -> &'static str;
    fn parse(name: &str) -> Option<Self>;
    fn all() -> &'static [Self];
    /// Whether lists may be ordered by this field.
    fn sortable(self) -> bool;
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

impl Op {
    pub const ALL: &'static [Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::Contains,
        Op::NotContains,
        Op::StartsWith,
        Op::EndsWith,
        Op::In,
        Op::NotIn,
        Op::IsNull,
        Op::IsNotNull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::IsNull => "is_null",
            Op::IsNotNull => "is_not_null",
        }
    }

    pub fn parse(text: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.as_str() == text)
    }

    fn allowed_for(self, kind: FieldKind) -> bool {
        use Op::*;
        match kind {
            FieldKind::Text => !matches!(self, IsNull | IsNotNull),
            // Ids are UUIDs compared in byte order (UUIDv7: creation order), so ranges work:
            // that is how an id prefix is matched (ZenML's `id=startswith:`).
            FieldKind::Id => matches!(self, Eq | Ne | In | NotIn | Lt | Lte | Gt | Gte),
            FieldKind::Enum(_) => matches!(self, Eq | Ne | In | NotIn),
            FieldKind::Time { nullable } => {
                matches!(self, Eq | Ne | Lt | Lte | Gt | Gte)
                    || (nullable && matches!(self, IsNull | IsNotNull))
            }
            FieldKind::Bool => matches!(self, Eq | Ne),
            FieldKind::TokenSet => matches!(self, Eq | Ne | In | NotIn),
        }
    }
}

/// A typed, validated value. Times are compared at microsecond precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    Null,
    Text(String),
    Bool(bool),
    Time(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    List(Vec<Value>),
}

/// One comparison on one field, already checked against the field's kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition<F> {
    field: F,
    op: Op,
    value: Value,
}

impl<F: QueryField> Condition<F> {
    /// Builds a condition from text, the way every face receives it. `raw` is ignored for
    /// `is_null`/`is_not_null`; for `in`/`not_in` it is a comma-separated list.
    pub fn parse(field: F, op: Op, raw: &str) -> Result<Self, ValidationError> {
        let values = if matches!(op, Op::In | Op::NotIn) {
            let items: Vec<&str> = raw.split(',').filter(|s| !s.is_empty()).collect();
            items
                .iter()
                .map(|item| parse_value(field, item))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        match op {
            Op::In | Op::NotIn => Self::new(field, op, Value::List(values)),
            Op::IsNull | Op::IsNotNull => Self::new(field, op, Value::Null),
            _ => Self::new(field, op, parse_value(field, raw)?),
        }
    }

    /// Builds a condition from a typed value, checking operator and type against the field.
    /// Text is brought to NFC, so a decomposed "café" finds the name stored composed.
    pub fn new(field: F, op: Op, value: Value) -> Result<Self, ValidationError> {
        let value = composed(value);
        if !op.allowed_for(field.kind()) {
            return Err(ValidationError::new(
                "filter",
                format!(
                    "operator `{}` does not apply to field `{}`",
                    op.as_str(),
                    field.name()
                ),
            ));
        }
        check_value(field, op, &value)?;
        Ok(Self { field, op, value })
    }

    pub fn field(&self) -> F {
        self.field
    }
    pub fn op(&self) -> Op {
        self.op
    }
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// `value` with every text in NFC.
fn composed(value: Value) -> Value {
    match value {
        Value::Text(text) => Value::Text(to_nfc(text)),
        Value::List(items) => Value::List(items.into_iter().map(composed).collect()),
        other => other,
    }
}

/// Whether any text in `value` holds a control character no store keeps.
fn holds_refused_control(value: &Value) -> bool {
    match value {
        Value::Text(text) => has_refused_control(text, Controls::AllowLineBreaks),
        Value::List(items) => items.iter().any(holds_refused_control),
        _ => false,
    }
}

fn parse_value<F: QueryField>(field: F, raw: &str) -> Result<Value, ValidationError> {
    let bad = |why: &str| ValidationError::new("filter", format!("`{}` {why}", field.name()));
    match field.kind() {
        FieldKind::Text | FieldKind::TokenSet => Ok(Value::Text(raw.to_owned())),
        FieldKind::Id => Uuid::parse_str(raw)
            .map(|u| Value::Text(u.to_string()))
            .map_err(|_| bad("takes a UUID")),
        FieldKind::Enum(words) => {
            if words.contains(&raw) {
                Ok(Value::Text(raw.to_owned()))
            } else {
                Err(bad(&format!("takes one of: {}", words.join(" "))))
            }
        }
        FieldKind::Time { .. } => OffsetDateTime::parse(raw, &Rfc3339)
            .map(Value::Time)
            .map_err(|_| bad("takes an RFC 3339 time such as 2026-01-31T12:00:00Z")),
        FieldKind::Bool => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("takes true or false")),
        },
    }
}

fn check_value<F: QueryField>(field: F, op: Op, value: &Value) -> Result<(), ValidationError> {
    let bad = |why: &str| ValidationError::new("filter", format!("`{}` {why}", field.name()));
    let scalar_ok = |v: &Value| match (field.kind(), v) {
        (
            FieldKind::Text | FieldKind::Id | FieldKind::Enum(_) | FieldKind::TokenSet,
            Value::Text(t),
        ) => t.len() <= 1024,
        (FieldKind::Time { .. }, Value::Time(_)) => true,
        (FieldKind::Bool, Value::Bool(_)) => true,
        _ => false,
    };
    if holds_refused_control(value) {
        return Err(bad(
            "must not contain control characters other than tab, line feed and carriage return",
        ));
    }
    match (op, value) {
        (Op::IsNull | Op::IsNotNull, _) => Ok(()),
        (Op::In | Op::NotIn, Value::List(items)) => {
            if items.is_empty() {
                return Err(bad("needs at least one value for in/not_in"));
            }
            if items.len() > MAX_LIST_VALUES {
                return Err(bad("takes at most 1000 values in one list"));
            }
            if items.iter().all(scalar_ok) {
                Ok(())
            } else {
                Err(bad("has a value of the wrong type"))
            }
        }
        (_, v) if scalar_ok(v) => Ok(()),
        _ => Err(bad("has a value of the wrong type or over 1024 bytes")),
    }
}

/// A filter tree. `All(vec![])` matches everything.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter<F> {
    All(Vec<Filter<F>>),
    Any(Vec<Filter<F>>),
    Not(Box<Filter<F>>),
    Cond(Condition<F>),
}

impl<F> Default for Filter<F> {
    fn default() -> Self {
        Filter::All(Vec::new())
    }
}

impl Filter<KeyField> {
    /// The keys of `owner` only: the one owner filter every face uses, built from the id rather
    /// than from its text.
    pub fn owned_by(owner: PrincipalId) -> Self {
        Filter::Cond(Condition {
            field: KeyField::Owner,
            op: Op::Eq,
            value: Value::Text(owner.to_string()),
        })
    }

    /// The keys subscribed to `product` with one of `statuses` (any status when it is empty).
    pub fn subscribed(product: ProductId, statuses: &[SubscriptionStatus]) -> Self {
        let statuses = if statuses.is_empty() {
            SubscriptionStatus::ALL
        } else {
            statuses
        };
        Filter::Cond(Condition {
            field: KeyField::Subscription(product),
            op: Op::In,
            value: Value::List(
                statuses
                    .iter()
                    .map(|status| Value::Text(status.as_str().to_owned()))
                    .collect(),
            ),
        })
    }
}

impl<F: QueryField> Filter<F> {
    /// Counts conditions and depth, so a hostile tree is refused before it reaches SQL.
    pub fn check_bounds(&self) -> Result<(), ValidationError> {
        fn walk<F>(
            filter: &Filter<F>,
            depth: usize,
            count: &mut usize,
        ) -> Result<(), ValidationError> {
            if depth > 8 {
                return Err(ValidationError::new("filter", "nests deeper than 8 levels"));
            }
            match filter {
                Filter::All(items) | Filter::Any(items) => {
                    for item in items {
                        walk(item, depth + 1, count)?;
                    }
                }
                Filter::Not(inner) => walk(inner, depth + 1, count)?,
                Filter::Cond(_) => *count += 1,
            }
            if *count > MAX_CONDITIONS {
                return Err(ValidationError::new(
                    "filter",
                    "has more than 64 conditions",
                ));
            }
            Ok(())
        }
        walk(self, 0, &mut 0)
    }
}

/// Ordering: one field, then the row id as the tie-breaker (so cursors are exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

impl<F: QueryField> Sort<F> {
    /// Parses `field` (ascending) or `-field` (descending).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        match F::parse(name) {
            Some(field) if field.sortable() => Ok(Self { field, descending }),
            _ => {
                let names: Vec<&str> = F::all()
                    .iter()
                    .filter(|f| f.sortable())
                    .map(|f| f.name())
                    .collect();
                Err(ValidationError::new(
                    "sort",
                    format!(
                        "must be one of: {} (prefix - for descending)",
                        names.join(" ")
                    ),
                ))
            }
        }
    }
}

/// Where a page starts: after a cursor (stable under inserts) or at an offset (for vendor APIs
/// that number their pages).
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    After(Option<Cursor>),
    Offset(u64),
}

/// The position after the last row of a page: its sort value and id. Opaque to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Sort field name and direction the cursor was made for; a cursor is refused under another sort.
    pub sort: String,
    pub value: Value,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("cursor", "is not a cursor returned by this list");
        if text.len() > 2048 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }

    /// The sort tag a cursor must carry for `sort`.
    pub fn sort_tag<F: QueryField>(sort: &Sort<F>) -> String {
        format!(
            "{}{}",
            if sort.descending { "-" } else { "" },
            sort.field.name()
        )
    }
}

/// A whole list request, confined to one domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Query<F> {
    pub domain: DomainId,
    pub filter: Filter<F>,
    pub sort: Sort<F>,
    pub window: Window,
    /// Rows to return; the store fetches one more to know whether a next page exists.
    pub limit: u32,
}

impl<F: QueryField> Query<F> {
    /// Checks bounds and that a cursor belongs to this sort.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.filter.check_bounds()?;
        match self.window {
            Window::Offset(_) if self.limit == 0 || self.limit > MAX_OFFSET_PAGE_SIZE => {
                return Err(ValidationError::new("limit", "must be between 1 and 10000"));
            }
            Window::After(_) if self.limit == 0 || self.limit > MAX_PAGE_SIZE => {
                return Err(ValidationError::new("limit", "must be between 1 and 1000"));
            }
            _ => {}
        }
        if let Window::After(Some(cursor)) = &self.window {
            if cursor.sort != Cursor::sort_tag(&self.sort) {
                return Err(ValidationError::new(
                    "cursor",
                    "was made for another sort order",
                ));
            }
            if !cursor_value_fits(self.sort.field, &cursor.value) {
                // Only a hand-made cursor gets here; refuse it rather than hand it to the store.
                return Err(ValidationError::new(
                    "cursor",
                    "is not a cursor returned by this list",
                ));
            }
        }
        Ok(())
    }
}

/// Whether a cursor's value has the type of its sort field.
fn cursor_value_fits<F: QueryField>(field: F, value: &Value) -> bool {
    match (field.kind(), value) {
        (FieldKind::Time { nullable }, Value::Null) => nullable,
        (FieldKind::Time { .. }, Value::Time(_)) => true,
        (FieldKind::Id, Value::Text(text)) => Uuid::parse_str(text).is_ok(),
        (FieldKind::Text | FieldKind::Enum(_), Value::Text(text)) => {
            !has_refused_control(text, Controls::AllowLineBreaks)
        }
        (FieldKind::Bool, Value::Bool(_)) => true,
        _ => false,
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more rows follow; pass it back as the cursor.
    pub next_cursor: Option<String>,
}

/// Declares a list's fields from one table: each field once, with its name in every dialect, its
/// kind and whether lists sort by it. `core_built` fields carry a value, are built by the core
/// only (no dialect can name them: they are not in [`QueryField::all`]) and never sort.
macro_rules! list_fields {
    (
        $(#[$meta:meta])* $name:ident {
            $($variant:ident => $text:literal, $kind:expr, sortable: $sortable:literal;)+
        }
        $(core_built {
            $($(#[$built_doc:meta])* $built:ident($built_ty:ty) => $built_text:literal, $built_kind:expr;)+
        })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            $($($(#[$built_doc])* $built($built_ty),)+)?
        }

        impl QueryField for $name {
            fn kind(self) -> FieldKind {
                match self {
                    $($name::$variant => $kind,)+
                    $($($name::$built(_) => $built_kind,)+)?
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                    $($($name::$built(_) => $built_text,)+)?
                }
            }

            fn parse(name: &str) -> Option<Self> {
                Self::all().iter().copied().find(|f| f.name() == name)
            }

            fn all() -> &'static [Self] {
                &[$($name::$variant),+]
            }

            fn sortable(self) -> bool {
                match self {
                    $($name::$variant => $sortable,)+
                    $($($name::$built(_) => false,)+)?
                }
            }
        }
    };
}

list_fields! {
    /// Fields of a key list.
    KeyField {
        Id => "id", FieldKind::Id, sortable: true;
        Name => "name", FieldKind::Text, sortable: true;
        Description => "description", FieldKind::Text, sortable: false;
        Owner => "owner", FieldKind::Id, sortable: true;
        Type => "type", FieldKind::Enum(KeyType::WORDS), sortable: true;
        State => "state", FieldKind::Enum(KeyState::WORDS), sortable: true;
        Role => "role", FieldKind::TokenSet, sortable: false;
        Scope => "scope", FieldKind::TokenSet, sortable: false;
        CreatedAt => "created_at", FieldKind::Time { nullable: false }, sortable: true;
        UpdatedAt => "updated_at", FieldKind::Time { nullable: false }, sortable: true;
        ExpiresAt => "expires_at", FieldKind::Time { nullable: true }, sortable: true;
        LastUsedAt => "last_used_at", FieldKind::Time { nullable: true }, sortable: true;
        LastRotatedAt => "last_rotated_at", FieldKind::Time { nullable: true }, sortable: true;
    }
    core_built {
        /// The status of the key's subscription to one product (none when it has no
        /// subscription), built with [`Filter::subscribed`] for the faces that search a product's
        /// keys; the store runs it as a subquery in the same statement as the rest of the filter.
        Subscription(ProductId) => "subscription", FieldKind::Enum(SubscriptionStatus::WORDS);
    }
}

list_fields! {
    /// Fields of a principal list.
    PrincipalField {
        Id => "id", FieldKind::Id, sortable: true;
        Name => "name", FieldKind::Text, sortable: true;
        Description => "description", FieldKind::Text, sortable: false;
        Kind => "kind", FieldKind::Enum(PrincipalKind::WORDS), sortable: false;
        External => "external", FieldKind::Bool, sortable: false;
        CreatedAt => "created_at", FieldKind::Time { nullable: false }, sortable: true;
        UpdatedAt => "updated_at", FieldKind::Time { nullable: false }, sortable: true;
    }
}

/// A page of the operation log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationQuery {
    /// `None` only for root listing across every domain.
    pub domain: Option<DomainId>,
    pub target_id: Option<Uuid>,
    pub action: Option<String>,
    /// Operations strictly older than this id (ids are time-ordered).
    pub before: Option<Uuid>,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_follow_field_kinds() {
        assert!(Condition::parse(KeyField::Name, Op::StartsWith, "ci-").is_ok());
        assert!(Condition::parse(KeyField::State, Op::Contains, "en").is_err());
        assert!(Condition::parse(KeyField::State, Op::Eq, "paused").is_err());
        assert!(Condition::parse(KeyField::ExpiresAt, Op::IsNull, "").is_ok());
        assert!(Condition::parse(KeyField::CreatedAt, Op::IsNull, "").is_err());
        assert!(Condition::parse(KeyField::CreatedAt, Op::Gte, "yesterday").is_err());
        assert!(Condition::parse(KeyField::Type, Op::In, "user,system").is_ok());
        let id = Uuid::now_v7().to_string();
        assert!(Condition::parse(KeyField::Id, Op::Gte, &id).is_ok());
        assert!(Condition::parse(KeyField::Id, Op::Contains, &id).is_err());
    }

    #[test]
    fn text_values_hold_no_control_characters_and_are_composed() {
        assert!(Condition::parse(KeyField::Name, Op::StartsWith, "a\0").is_err());
        assert!(Condition::parse(KeyField::Name, Op::Contains, "\0").is_err());
        assert!(Condition::parse(KeyField::Role, Op::In, "a,b\u{1b}").is_err());
        assert!(Condition::parse(KeyField::Description, Op::Contains, "a\nb").is_ok());
        let condition = Condition::parse(KeyField::Name, Op::Eq, "cafe\u{301}").unwrap();
        assert_eq!(condition.value(), &Value::Text("café".into()));
    }

    #[test]
    fn offset_pages_may_be_larger_than_cursor_pages() {
        let query = |window: Window, limit: u32| Query::<KeyField> {
            domain: DomainId::new(),
            filter: Filter::default(),
            sort: Sort::parse("name").expect("sortable"),
            window,
            limit,
        };
        assert!(query(Window::Offset(0), MAX_OFFSET_PAGE_SIZE)
            .validate()
            .is_ok());
        assert!(query(Window::Offset(0), MAX_OFFSET_PAGE_SIZE + 1)
            .validate()
            .is_err());
        assert!(query(Window::After(None), MAX_PAGE_SIZE).validate().is_ok());
        assert!(query(Window::After(None), MAX_PAGE_SIZE + 1)
            .validate()
            .is_err());
        assert!(query(Window::Offset(0), 0).validate().is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            sort: "-created_at".into(),
            value: Value::Text("x".into()),
            id: Uuid::now_v7(),
        };
        assert_eq!(
            Cursor::decode(&cursor.encode()).expect("round trip"),
            cursor
        );
        assert!(Cursor::decode("not-a-cursor").is_err());
    }

    #[test]
    fn cursors_must_fit_their_sort_field() {
        let query = |value: Value| Query::<KeyField> {
            domain: DomainId::new(),
            filter: Filter::default(),
            sort: Sort::parse("-created_at").expect("sortable"),
            window: Window::After(Some(Cursor {
                sort: "-created_at".into(),
                value,
                id: Uuid::now_v7(),
            })),
            limit: 10,
        };
        assert!(query(Value::Time(OffsetDateTime::UNIX_EPOCH))
            .validate()
            .is_ok());
        assert!(query(Value::Text("x".into())).validate().is_err());
        assert!(query(Value::Null).validate().is_err());
        let mut by_owner = query(Value::Text("not-a-uuid".into()));
        by_owner.sort = Sort::parse("owner").expect("sortable");
        if let Window::After(Some(cursor)) = &mut by_owner.window {
            cursor.sort = "owner".into();
        }
        assert!(by_owner.validate().is_err());
    }

    #[test]
    fn sort_accepts_only_sortable_fields() {
        assert!(Sort::<KeyField>::parse("-created_at").is_ok());
        assert!(Sort::<KeyField>::parse("scope").is_err());
        assert!(Sort::<KeyField>::parse("password").is_err());
    }
}
