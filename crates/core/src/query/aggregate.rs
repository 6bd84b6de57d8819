//! Statistics over a list: group the rows matching a filter by a few whitelisted fields and
//! compute counts and time extremes per group, in the store as one `GROUP BY` statement.
//! Vendor statistics dialects (SpaceONE `StatisticsQuery`) parse into this; like lists, field
//! names are a closed set and user text is only ever a bound value.

use time::OffsetDateTime;

use super::{FieldKind, Filter, QueryField, Value};
use crate::error::ValidationError;
use crate::ids::DomainId;

/// Most group-by fields and most aggregates in one query, and most groups answered.
pub const MAX_GROUP_KEYS: usize = 3;
pub const MAX_AGGREGATES: usize = 8;
pub const MAX_GROUPS: u32 = 1000;

/// What to compute per group. Keys carry no numeric field, so there is no sum or average.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateOp {
    /// Rows in the group.
    Count,
    /// Earliest value of a time field (NULLs ignored; NULL when every row's is NULL).
    Min,
    /// Latest value of a time field.
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aggregate<F> {
    pub op: AggregateOp,
    /// The field `Min`/`Max` read; `None` for `Count`.
    pub field: Option<F>,
}

/// A statistics request, confined to one domain.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateQuery<F> {
    pub domain: DomainId,
    pub filter: Filter<F>,
    /// Fields to group by, in order; empty means one group of every matching row.
    pub group_by: Vec<F>,
    pub aggregates: Vec<Aggregate<F>>,
    /// Most groups to return (groups are ordered by their key values, ascending).
    pub limit: u32,
}

/// One computed value of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateValue {
    Count(u64),
    Time(Option<OffsetDateTime>),
}

/// One group: its key values (in `group_by` order; `Value::Null` for a NULL key) and its
/// aggregates (in `aggregates` order).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    pub group: Vec<Value>,
    pub values: Vec<AggregateValue>,
}

/// Whether rows may be grouped by a field: closed sets, ids and booleans (bounded, exact
/// equality); not free text or token sets.
pub fn groupable(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Enum(_) | FieldKind::Id | FieldKind::Bool)
}

impl<F: QueryField> AggregateQuery<F> {
    /// Checks the filter's bounds and that every field suits its use.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.filter.check_bounds()?;
        if self.group_by.len() > MAX_GROUP_KEYS {
            return Err(ValidationError::new("group", "groups by at most 3 fields"));
        }
        for (i, field) in self.group_by.iter().enumerate() {
            if !groupable(field.kind()) {
                return Err(ValidationError::new(
                    "group",
                    format!("cannot group by `{}`", field.name()),
                ));
            }
            if self.group_by[..i].contains(field) {
                return Err(ValidationError::new(
                    "group",
                    format!("names `{}` twice", field.name()),
                ));
            }
        }
        if self.aggregates.is_empty() || self.aggregates.len() > MAX_AGGREGATES {
            return Err(ValidationError::new(
                "aggregates",
                "must name between 1 and 8 aggregates",
            ));
        }
        for aggregate in &self.aggregates {
            let ok = match (aggregate.op, aggregate.field) {
                (AggregateOp::Count, None) => true,
                (AggregateOp::Min | AggregateOp::Max, Some(field)) => {
                    matches!(field.kind(), FieldKind::Time { .. })
                }
                _ => false,
            };
            if !ok {
                return Err(ValidationError::new(
                    "aggregates",
                    "count takes no field; min and max take a time field",
                ));
            }
        }
        if self.limit == 0 || self.limit > MAX_GROUPS {
            return Err(ValidationError::new("limit", "must be between 1 and 1000"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::KeyField;

    fn query(
        group_by: Vec<KeyField>,
        aggregates: Vec<Aggregate<KeyField>>,
    ) -> AggregateQuery<KeyField> {
        AggregateQuery {
            domain: DomainId::new(),
            filter: Filter::default(),
            group_by,
            aggregates,
            limit: 10,
        }
    }

    const COUNT: Aggregate<KeyField> = Aggregate {
        op: AggregateOp::Count,
        field: None,
    };

    #[test]
    fn only_whitelisted_fields_group_and_aggregate() {
        assert!(query(vec![KeyField::State, KeyField::Owner], vec![COUNT])
            .validate()
            .is_ok());
        assert!(query(vec![KeyField::Name], vec![COUNT]).validate().is_err());
        assert!(query(vec![KeyField::Role], vec![COUNT]).validate().is_err());
        assert!(query(vec![KeyField::State, KeyField::State], vec![COUNT])
            .validate()
            .is_err());
        assert!(query(vec![], vec![]).validate().is_err());
        let max = |field| Aggregate {
            op: AggregateOp::Max,
            field: Some(field),
        };
        assert!(query(vec![], vec![max(KeyField::LastUsedAt)])
            .validate()
            .is_ok());
        assert!(query(vec![], vec![max(KeyField::State)])
            .validate()
            .is_err());
    }
}
