//! The two ZenML filter models this face serves, as tables from ZenML field to core field:
//! `APIKeyFilter` over keys and `ServiceAccountFilter` over principals.

use keyward_core::query::{KeyField, PrincipalField, QueryField};

use super::filters::Column;

/// One ZenML filter model.
#[derive(Debug)]
pub struct Resource<F: 'static> {
    /// The model's name, which ZenML's validation messages start with.
    pub model: &'static str,
    /// Its filter fields, which are also what it can be sorted by.
    pub columns: &'static [(&'static str, Column<F>)],
    /// Fields of the model that can be neither filtered nor sorted by.
    pub excluded: &'static [&'static str],
    /// Filter fields that take one value (FastAPI keeps the last); the others may repeat.
    pub single: &'static [&'static str],
    /// The core's id field: the order of a sort by a field every row shares.
    pub id: F,
}

impl<F: QueryField> Resource<F> {
    pub fn column(&self, name: &str) -> Option<Column<F>> {
        self.columns
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, column)| *column)
    }
}

/// `BaseFilter`'s own fields that are not filters.
const BASE_EXCLUDED: [&str; 4] = ["sort_by", "page", "size", "logical_operator"];

/// ZenML's `APIKeyFilter`. `service_account` comes from the path, not from the query.
pub static API_KEYS: Resource<KeyField> = Resource {
    model: "APIKeyFilter",
    columns: &[
        ("id", Column::Uuid(KeyField::Id)),
        ("created", Column::Time(KeyField::CreatedAt)),
        ("updated", Column::Time(KeyField::UpdatedAt)),
        ("name", Column::Text(KeyField::Name)),
        ("description", Column::Text(KeyField::Description)),
        (
            "active",
            Column::Flag {
                field: KeyField::State,
                when_true: "enabled",
                when_false: "disabled",
            },
        ),
        // "Last login" is the last use of the key, which includes its logins.
        ("last_login", Column::Time(KeyField::LastUsedAt)),
        ("last_rotated", Column::Time(KeyField::LastRotatedAt)),
    ],
    excluded: &[
        BASE_EXCLUDED[0],
        BASE_EXCLUDED[1],
        BASE_EXCLUDED[2],
        BASE_EXCLUDED[3],
        "service_account",
    ],
    single: &["active"],
    id: KeyField::Id,
};

/// ZenML's `ServiceAccountFilter`. keyward keeps no `active` flag for accounts (every account is
/// active) and knows `external_user_id` only as "external or not".
pub static SERVICE_ACCOUNTS: Resource<PrincipalField> = Resource {
    model: "ServiceAccountFilter",
    columns: &[
        ("id", Column::Uuid(PrincipalField::Id)),
        ("created", Column::Time(PrincipalField::CreatedAt)),
        ("updated", Column::Time(PrincipalField::UpdatedAt)),
        ("name", Column::Text(PrincipalField::Name)),
        ("description", Column::Text(PrincipalField::Description)),
        ("active", Column::Always(true)),
        (
            "external_user_id",
            Column::PresentWhen(PrincipalField::External),
        ),
    ],
    excluded: &BASE_EXCLUDED,
    single: &["active"],
    id: PrincipalField::Id,
};
