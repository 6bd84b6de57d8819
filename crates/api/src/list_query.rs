//! The REST list dialect: `?domain_id&<field>=[op:]value...&sort&limit&cursor`, parsed into the
//! core's query model. Every refusal here is 400 `INVALID_QUERY` naming the parameter.
//!
//! - A filter is `field=value` (equality) or `field=op:value`, where `op` is one of the words of
//!   [`Op::as_str`]; a prefix that is not such a word is part of the value, so `name=eq:a:b`
//!   and `name=a:b` both compare with `a:b`. A value that is exactly `is_null` or `is_not_null`
//!   is that operator. Repeated parameters are ANDed.
//! - `sort=field` / `sort=-field`; `limit` 1–1000 (default 50); `cursor` as returned by the
//!   previous page; `domain_id` defaults to the caller's home domain.
//! - Any other parameter is refused, so a typo never silently widens a list.

use std::borrow::Cow;

use keyward_core::auth::Caller;
use keyward_core::ids::DomainId;
use keyward_core::query::{
    Condition, Cursor, Filter, Op, Query, QueryField, Sort, Window, DEFAULT_PAGE_SIZE,
    MAX_CONDITIONS, MAX_PAGE_SIZE,
};
use uuid::Uuid;

use crate::error::ApiError;

/// The decoded `name=value` pairs of a query string, in order, repeats kept.
pub struct Params<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Params<'a> {
    pub fn parse(raw: Option<&'a str>) -> Self {
        let pairs = raw
            .map(|raw| form_urlencoded::parse(raw.as_bytes()).collect())
            .unwrap_or_default();
        Self { pairs }
    }

    /// Removes and returns the value of a parameter that may appear at most once.
    pub fn single(&mut self, name: &'static str) -> Result<Option<Cow<'a, str>>, ApiError> {
        let mut found = None;
        let mut index = 0;
        while index < self.pairs.len() {
            if self.pairs[index].0 == name {
                let (_, value) = self.pairs.remove(index);
                if found.replace(value).is_some() {
                    return Err(ApiError::invalid_query(name, "may be given only once"));
                }
            } else {
                index += 1;
            }
        }
        Ok(found)
    }

    /// `limit`: 1–1000, default 50.
    pub fn limit(&mut self) -> Result<u32, ApiError> {
        match self.single("limit")? {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| ApiError::invalid_query("limit", "must be between 1 and 1000")),
        }
    }

    /// A UUID-valued parameter.
    pub fn uuid(&mut self, name: &'static str) -> Result<Option<Uuid>, ApiError> {
        self.single(name)?
            .map(|text| {
                Uuid::parse_str(&text).map_err(|_| ApiError::invalid_query(name, "must be a UUID"))
            })
            .transpose()
    }

    /// `true` or `false`, default false.
    pub fn flag(&mut self, name: &'static str) -> Result<bool, ApiError> {
        match self.single(name)?.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError::invalid_query(name, "must be true or false")),
        }
    }

    /// Refuses whatever parameter is left.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.pairs.into_iter().next() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError::invalid_query(
                name.into_owned(),
                "is not a parameter of this list",
            )),
        }
    }
}

/// A parsed object-list query, before the caller's home domain fills in the defaults.
#[derive(Debug)]
pub struct ListParams<F> {
    pub domain: Option<DomainId>,
    pub filter: Filter<F>,
    pub sort: Option<Sort<F>>,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}

impl<F: QueryField> ListParams<F> {
    /// Parses a key or principal list's query string.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut params = Params::parse(raw);
        let domain = params.uuid("domain_id")?.map(DomainId::from_uuid);
        let sort = params
            .single("sort")?
            .map(|text| Sort::parse(&text).map_err(|e| ApiError::invalid_query("sort", &e.reason)))
            .transpose()?;
        let cursor = params
            .single("cursor")?
            .map(|text| {
                Cursor::decode(&text).map_err(|e| ApiError::invalid_query("cursor", &e.reason))
            })
            .transpose()?;
        let limit = params.limit()?;
        let mut conditions = Vec::new();
        for (name, value) in params.pairs {
            let Some(field) = F::parse(&name) else {
                return Err(ApiError::invalid_query(
                    name.into_owned(),
                    "is not a parameter or filterable field of this list",
                ));
            };
            if conditions.len() == MAX_CONDITIONS {
                return Err(ApiError::invalid_query(
                    name.into_owned(),
                    "too many filters: at most 64",
                ));
            }
            let condition = condition(field, &value)
                .map_err(|reason| ApiError::invalid_query(field.name(), &reason))?;
            conditions.push(Filter::Cond(condition));
        }
        Ok(Self {
            domain,
            filter: Filter::All(conditions),
            sort,
            cursor,
            limit,
        })
    }

    /// The core query: the caller's home domain and `default_sort` fill what was not given.
    pub fn into_query(self, caller: &Caller, default_sort: Sort<F>) -> Query<F> {
        Query {
            domain: self.domain.unwrap_or(caller.home_domain()),
            filter: self.filter,
            sort: self.sort.unwrap_or(default_sort),
            window: Window::After(self.cursor),
            limit: self.limit,
        }
    }
}

/// One `field=[op:]value` filter.
fn condition<F: QueryField>(field: F, value: &str) -> Result<Condition<F>, String> {
    let (op, operand) = match value {
        "is_null" => (Op::IsNull, ""),
        "is_not_null" => (Op::IsNotNull, ""),
        _ => match value.split_once(':') {
            Some((word, rest)) => match Op::parse(word) {
                Some(op) => (op, rest),
                None => (Op::Eq, value),
            },
            None => (Op::Eq, value),
        },
    };
    Condition::parse(field, op, operand).map_err(|e| e.reason.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::query::{KeyField, PrincipalField, Value};

    fn keys(raw: &str) -> Result<ListParams<KeyField>, ApiError> {
        ListParams::parse(Some(raw))
    }

    fn conds(params: &ListParams<KeyField>) -> Vec<(KeyField, Op, Value)> {
        match &params.filter {
            Filter::All(items) => items
                .iter()
                .map(|f| match f {
                    Filter::Cond(c) => (c.field(), c.op(), c.value().clone()),
                    other => panic!("unexpected {other:?}"),
                })
                .collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let params = ListParams::<KeyField>::parse(None).expect("empty is fine");
        assert_eq!(params.limit, 50);
        assert!(params.domain.is_none() && params.sort.is_none() && params.cursor.is_none());
        assert_eq!(params.filter, Filter::All(vec![]));
    }

    #[test]
    fn the_documented_example_parses() {
        let params = keys(
            "state=enabled&name=starts_with:ci-&created_at=gte:2026-01-01T00:00:00Z&sort=name&limit=20",
        )
        .expect("valid");
        assert_eq!(params.limit, 20);
        assert_eq!(params.sort.expect("sort").field, KeyField::Name);
        let got = conds(&params);
        assert_eq!(
            got[0],
            (KeyField::State, Op::Eq, Value::Text("enabled".into()))
        );
        assert_eq!(
            got[1],
            (KeyField::Name, Op::StartsWith, Value::Text("ci-".into()))
        );
        assert_eq!(got[2].1, Op::Gte);
    }

    #[test]
    fn only_operator_words_are_operators() {
        let got = conds(&keys("name=eq:a:b&description=a:b&name=x%3Ay").expect("valid"));
        assert_eq!(got[0], (KeyField::Name, Op::Eq, Value::Text("a:b".into())));
        assert_eq!(
            got[1],
            (KeyField::Description, Op::Eq, Value::Text("a:b".into()))
        );
        assert_eq!(got[2], (KeyField::Name, Op::Eq, Value::Text("x:y".into())));
        let got = conds(&keys("expires_at=is_null&last_used_at=is_not_null:").expect("valid"));
        assert_eq!(got[0].1, Op::IsNull);
        assert_eq!(got[1].1, Op::IsNotNull);
        let got = conds(&keys("role=in:a,b&type=not_in:user").expect("valid"));
        assert_eq!(got[0].1, Op::In);
        assert_eq!(got[1].1, Op::NotIn);
    }

    #[test]
    fn repeated_filters_are_all_kept() {
        let got = conds(&keys("role=a&role=b&role=ne:c").expect("valid"));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn bad_parameters_are_invalid_queries_naming_the_parameter() {
        for (raw, field) in [
            ("colour=red", "colour"),
            ("state=paused", "state"),
            ("state=contains:en", "state"),
            ("created_at=gte:yesterday", "created_at"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("limit=5&limit=6", "limit"),
            ("sort=scope", "sort"),
            ("sort=-password", "sort"),
            ("cursor=nonsense", "cursor"),
            ("domain_id=abc", "domain_id"),
            ("created_at=is_null", "created_at"),
            (&"name=a&".repeat(65), "name"),
        ] {
            let error = keys(raw).expect_err(raw);
            assert_eq!(error.code(), crate::error::ErrorCode::InvalidQuery, "{raw}");
            assert_eq!(error.field(), Some(field), "{raw}");
        }
    }

    #[test]
    fn principal_lists_know_their_own_fields() {
        let params =
            ListParams::<PrincipalField>::parse(Some("external=true&kind=user&sort=-name"))
                .expect("valid");
        assert!(params.sort.expect("sort").descending);
        assert!(ListParams::<PrincipalField>::parse(Some("state=enabled")).is_err());
    }

    #[test]
    fn cursors_and_domains_round_trip() {
        let cursor = Cursor {
            sort: "-created_at".into(),
            value: Value::Null,
            id: Uuid::now_v7(),
        };
        let domain = Uuid::now_v7();
        let raw = format!("cursor={}&domain_id={domain}", cursor.encode());
        let params = keys(&raw).expect("valid");
        assert_eq!(params.cursor, Some(cursor));
        assert_eq!(params.domain, Some(DomainId::from_uuid(domain)));
    }

    #[test]
    fn simple_params_refuse_leftovers_and_bad_flags() {
        let mut params = Params::parse(Some("all_domains=true&target_id=x"));
        assert!(params.flag("all_domains").expect("flag"));
        assert!(params.uuid("target_id").is_err());
        let params = Params::parse(Some("unknown=1"));
        assert_eq!(
            params.finish().expect_err("leftover").field(),
            Some("unknown")
        );
        let mut params = Params::parse(Some("all_domains=yes"));
        assert!(params.flag("all_domains").is_err());
    }
}
