//! ZenML's list dialect (`BaseFilter`): `?<field>=[op:]value…&logical_operator&sort_by&page&size
//! &hydrate`, parsed into the core's query model — a [`Filter`] tree, a [`Sort`] and an offset
//! [`Window`] — so the store runs it as one SQL statement, and `total` comes from a COUNT.
//!
//! Rules kept from ZenML: a field may be repeated (each value is one more filter), filters are
//! combined with `logical_operator` (`and` by default), `sort_by` is `col`, `asc:col` or
//! `desc:col` over the filter fields (an unknown direction means ascending), `page` ≥ 1,
//! `size` 1–10,000 (default 20), parameters the model does not know are ignored, and every
//! refusal is a 422 `ValueError` worded like pydantic's. A page past the end is refused later,
//! once the total is known (`page_count`).

mod filters;
mod resources;

use std::borrow::Cow;

use keyward_core::ids::DomainId;
use keyward_core::query::{Filter, Query, QueryField, Sort, Window, MAX_CONDITIONS};

pub use filters::{parse_bool, Column};
pub use resources::{Resource, API_KEYS, SERVICE_ACCOUNTS};

use super::error::ZenmlError;

/// Default page size (ZenML's `PAGE_SIZE_DEFAULT`).
pub const DEFAULT_SIZE: u32 = 20;
/// Largest page size (ZenML's `PAGE_SIZE_MAXIMUM`).
pub const MAX_SIZE: u32 = 10_000;
/// Most query parameters read from one request: bounded work, whatever the URL holds.
const MAX_PARAMS: usize = 256;

/// A parsed list request.
#[derive(Debug)]
pub struct ListRequest<F> {
    pub filter: Filter<F>,
    pub sort: Sort<F>,
    pub page: u64,
    pub size: u32,
    pub hydrate: bool,
}

impl<F: QueryField> ListRequest<F> {
    /// Parses a query string for `resource`. `hydrate` defaults to `hydrate_default`.
    pub fn parse(
        resource: &Resource<F>,
        raw: Option<&str>,
        hydrate_default: bool,
    ) -> Result<Self, ZenmlError> {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = raw
            .map(|raw| form_urlencoded::parse(raw.as_bytes()).collect())
            .unwrap_or_default();
        if pairs.len() > MAX_PARAMS {
            return Err(ZenmlError::invalid_filter(format!(
                "at most {MAX_PARAMS} query parameters are accepted"
            )));
        }
        // FastAPI keeps the last value of a parameter that takes one.
        let last = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.as_ref())
        };
        let error = |loc: &str, kind: &str, message: &str, input: &str| {
            ZenmlError::invalid_filter(model_error(resource.model, loc, kind, message, input))
        };
        let hydrate = match last("hydrate") {
            None => hydrate_default,
            Some(text) => parse_bool(text).map_err(|_| {
                ZenmlError::invalid_request(
                    "query",
                    "hydrate",
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                )
            })?,
        };
        let page = match last("page") {
            None => 1,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(page) if page >= 1 => page,
                Ok(_) => {
                    return Err(error(
                        "page",
                        "greater_than_equal",
                        "Input should be greater than or equal to 1",
                        text,
                    ))
                }
                Err(_) => return Err(not_an_integer(resource, "page", text)),
            },
        };
        let size = match last("size") {
            None => DEFAULT_SIZE,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(size) if size < 1 => {
                    return Err(error(
                        "size",
                        "greater_than_equal",
                        "Input should be greater than or equal to 1",
                        text,
                    ))
                }
                Ok(size) if size > i64::from(MAX_SIZE) => {
                    return Err(error(
                        "size",
                        "less_than_equal",
                        "Input should be less than or equal to 10000",
                        text,
                    ))
                }
                Ok(size) => size as u32,
                Err(_) => return Err(not_an_integer(resource, "size", text)),
            },
        };
        let any = match last("logical_operator") {
            None | Some("and") => false,
            Some("or") => true,
            Some(text) => {
                return Err(error(
                    "logical_operator",
                    "enum",
                    "Input should be 'or' or 'and'",
                    text,
                ))
            }
        };
        let sort =
            parse_sort(resource, last("sort_by").unwrap_or("created")).map_err(|message| {
                error(
                    "sort_by",
                    "value_error",
                    &message,
                    last("sort_by").unwrap_or(""),
                )
            })?;

        let mut conditions = Vec::new();
        for (name, column) in resource.columns {
            let values: Vec<&str> = if resource.single.contains(name) {
                last(name).into_iter().collect()
            } else {
                pairs
                    .iter()
                    .filter(|(key, _)| key == name)
                    .map(|(_, v)| v.as_ref())
                    .collect()
            };
            for value in values {
                if conditions.len() == MAX_CONDITIONS {
                    return Err(ZenmlError::invalid_filter(format!(
                        "at most {MAX_CONDITIONS} filters are accepted"
                    )));
                }
                let condition = filters::condition(*column, value).map_err(|message| {
                    error(
                        name,
                        "value_error",
                        &format!("Value error, {message}"),
                        value,
                    )
                })?;
                conditions.push(condition);
            }
        }
        let filter = match conditions.len() {
            0 => Filter::All(Vec::new()),
            1 => conditions.remove(0),
            _ if any => Filter::Any(conditions),
            _ => Filter::All(conditions),
        };
        Ok(Self {
            filter,
            sort,
            page,
            size,
            hydrate,
        })
    }

    /// The core query for this page: `scope` (the resource's own restriction, such as "keys of
    /// this service account") AND the client's filter, in `domain`.
    pub fn query(&self, domain: DomainId, scope: Filter<F>) -> Query<F> {
        let offset = (self.page - 1).saturating_mul(u64::from(self.size));
        Query {
            domain,
            filter: Filter::All(vec![scope, self.filter.clone()]),
            sort: self.sort,
            window: Window::Offset(offset),
            limit: self.size,
        }
    }

    /// The number of pages for `total` rows (at least one, possibly empty, page), or ZenML's
    /// 400 `ValueError` when the page asked for is past it.
    pub fn page_count(&self, total: u64) -> Result<u64, ZenmlError> {
        let pages = total.div_ceil(u64::from(self.size)).max(1);
        if self.page > pages {
            return Err(ZenmlError::value_error(format!(
                "Invalid page {}. The requested page size is {} and there are a total of {total} \
                 items for this query. The maximum page value therefore is {pages}.",
                self.page, self.size
            )));
        }
        Ok(pages)
    }
}

/// `col`, `asc:col` or `desc:col`, as ZenML's `validate_sort_by` reads it.
fn parse_sort<F: QueryField>(resource: &Resource<F>, value: &str) -> Result<Sort<F>, String> {
    let (descending, column) = match value.split_once(':') {
        Some(("desc", column)) => (true, column),
        // ZenML warns about any other direction and sorts ascending.
        Some((_, column)) => (false, column),
        None => (false, value),
    };
    if resource.excluded.contains(&column) {
        return Err(format!(
            "Value error, This resource can not be sorted by this field: '{value}'"
        ));
    }
    match resource.column(column) {
        // Sorting by a field the native API does not sort by (a description) is fine here: an
        // offset window needs no cursor value.
        Some(col) => Ok(Sort {
            field: col.sort_field(resource.id),
            descending,
        }),
        None => Err("Value error, You can only sort by valid fields of this resource".into()),
    }
}

fn not_an_integer<F>(resource: &Resource<F>, loc: &str, input: &str) -> ZenmlError {
    ZenmlError::invalid_filter(model_error(
        resource.model,
        loc,
        "int_parsing",
        "Input should be a valid integer, unable to parse string as an integer",
        input,
    ))
}

/// A pydantic validation error of one field of a filter model, as ZenML's 422s print it.
fn model_error(model: &str, loc: &str, kind: &str, message: &str, input: &str) -> String {
    // Echo at most 100 characters of what was sent: enough to recognise it.
    let input: String = input.chars().take(100).collect();
    format!(
        "1 validation error for {model}\n{loc}\n  {message} [type={kind}, input_value='{input}', \
         input_type=str]"
    )
}

#[cfg(test)]
mod tests;
