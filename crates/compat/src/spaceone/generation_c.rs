//! Generation C (spaceone-api 1.12.x and 2.0.x) of the seven rpcs it still has, for both
//! transports: each request is translated into the seed's message, run by the same
//! [`super::rpc`]/[`super::stat`] function, and the answer translated back. So the rules live in
//! one place; this file only knows how the two generations' messages differ:
//!
//! - `create` has no `api_key_type`: the key is a `USER` key, as SpaceONE's server made it.
//! - `APIKeyInfo` has no `allowed_hosts`, and its times are ISO-8601 strings (UTC).
//! - `Query` may carry `sort.keys` (one key is taken; more are refused) and `unwind` (refused).
//! - `StatisticsQuery.aggregate` is a pipeline of stages, read as `unwind`, then `group` or
//!   `count`, then `sort`, then `limit`; `project` and `skip` are refused.
//!
//! Messages whose fields are the same on the wire in both generations (`Filter`, `Page`,
//! `AggregateGroupKey`) are carried over by re-decoding their bytes.

use keyward_core::auth::Caller;
use keyward_core::Keyward;
use prost::Message;
use time::OffsetDateTime;

use super::error::SpaceoneError;
use super::proto::generation_c::{core as cq, identity as c};
use super::proto::{core as aq, identity as a};
use super::{render, rpc, stat};

type Result<T> = std::result::Result<T, SpaceoneError>;

/// The fields of generation C's `APIKeyInfo`, for checking `only`.
const INFO_FIELDS: &[&str] = &[
    "api_key_id",
    "api_key",
    "state",
    "user_id",
    "domain_id",
    "last_accessed_at",
    "created_at",
];

pub async fn create(
    core: &Keyward,
    caller: &Caller,
    request: c::CreateApiKeyRequest,
) -> Result<c::ApiKeyInfo> {
    let request = a::CreateApiKeyRequest {
        api_key_type: a::create_api_key_request::ApiKeyType::User as i32,
        user_id: request.user_id,
        domain_id: request.domain_id,
    };
    Ok(info(rpc::create(core, caller, request).await?))
}

/// `enable` / `disable`.
pub async fn set_state(
    core: &Keyward,
    caller: &Caller,
    request: c::ApiKeyRequest,
    state: keyward_core::model::KeyState,
) -> Result<c::ApiKeyInfo> {
    Ok(info(
        rpc::set_state(core, caller, key_request(request), state).await?,
    ))
}

pub async fn delete(core: &Keyward, caller: &Caller, request: c::ApiKeyRequest) -> Result<()> {
    rpc::delete(core, caller, key_request(request)).await
}

pub async fn get(
    core: &Keyward,
    caller: &Caller,
    request: c::GetApiKeyRequest,
) -> Result<c::ApiKeyInfo> {
    check_only(&request.only)?;
    let request = a::GetApiKeyRequest {
        api_key_id: request.api_key_id,
        domain_id: request.domain_id,
        only: request.only,
    };
    Ok(info(rpc::get(core, caller, request).await?))
}

pub async fn list(
    core: &Keyward,
    caller: &Caller,
    request: c::ApiKeyQuery,
) -> Result<c::ApiKeysInfo> {
    if let Some(q) = &request.query {
        check_only(&q.only)?;
    }
    let request = a::ApiKeyQuery {
        api_key_id: request.api_key_id,
        // The two generations number the states alike.
        state: request.state,
        api_key_type: 0,
        user_id: request.user_id,
        query: request.query.map(query).transpose()?,
        domain_id: request.domain_id,
    };
    let answer = rpc::list(core, caller, request).await?;
    Ok(c::ApiKeysInfo {
        results: answer.results.into_iter().map(info).collect(),
        total_count: answer.total_count,
    })
}

pub async fn stat(
    core: &Keyward,
    caller: &Caller,
    request: c::ApiKeyStatQuery,
) -> Result<prost_types::Struct> {
    let request = a::ApiKeyStatQuery {
        query: request.query.map(statistics).transpose()?,
        domain_id: request.domain_id,
    };
    stat::stat(core, caller, request).await
}

fn key_request(request: c::ApiKeyRequest) -> a::ApiKeyRequest {
    a::ApiKeyRequest {
        api_key_id: request.api_key_id,
        domain_id: request.domain_id,
    }
}

fn check_only(only: &[String]) -> Result<()> {
    match only.iter().find(|f| !INFO_FIELDS.contains(&f.as_str())) {
        Some(bad) => Err(SpaceoneError::invalid(
            "only",
            &format!("unknown field `{bad}`; one of: {}", INFO_FIELDS.join(" ")),
        )),
        None => Ok(()),
    }
}

/// The seed's `APIKeyInfo` as generation C's: no `allowed_hosts`, times as text.
fn info(seed: a::ApiKeyInfo) -> c::ApiKeyInfo {
    c::ApiKeyInfo {
        api_key_id: seed.api_key_id,
        api_key: seed.api_key,
        state: seed.state,
        user_id: seed.user_id,
        domain_id: seed.domain_id,
        last_accessed_at: seed.last_accessed_at.map(iso).unwrap_or_default(),
        created_at: seed.created_at.map(iso).unwrap_or_default(),
    }
}

fn iso(at: prost_types::Timestamp) -> String {
    let nanos = i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map(render::iso)
        .unwrap_or_default()
}

/// A message both generations define with the same fields on the wire, as the seed's type.
fn same_wire<T: Message + Default>(message: &impl Message) -> Result<T> {
    T::decode(message.encode_to_vec().as_slice())
        .map_err(|_| SpaceoneError::query("the query does not fit the seed's messages"))
}

fn filters(list: &[cq::Filter]) -> Result<Vec<aq::Filter>> {
    list.iter().map(same_wire).collect()
}

/// `{key, desc, keys}`: one key, from `key` or else a single `keys` entry.
fn one_sort_key(key: String, desc: bool, keys: Vec<cq::SortKey>) -> Result<(String, bool)> {
    if !key.is_empty() || keys.is_empty() {
        return Ok((key, desc));
    }
    match <[cq::SortKey; 1]>::try_from(keys) {
        Ok([only]) => Ok((only.key, only.desc)),
        Err(_) => Err(SpaceoneError::unsupported(
            "sorting by more than one key is not supported",
        )),
    }
}

fn query(q: cq::Query) -> Result<aq::Query> {
    if q.unwind.is_some() {
        return Err(SpaceoneError::unsupported(
            "`unwind` is not supported: an API key has no list of objects to unwind",
        ));
    }
    let sort = match q.sort {
        Some(s) => {
            let (key, desc) = one_sort_key(s.key, s.desc, s.keys)?;
            Some(aq::Sort { key, desc })
        }
        None => None,
    };
    Ok(aq::Query {
        filter: filters(&q.filter)?,
        filter_or: filters(&q.filter_or)?,
        sort,
        page: q.page.map(|p| aq::Page {
            start: p.start,
            limit: p.limit,
        }),
        minimal: q.minimal,
        count_only: q.count_only,
        only: q.only,
        keyword: q.keyword,
    })
}

/// Generation C's aggregation pipeline as the seed's one aggregate, sort and limit.
fn statistics(q: cq::StatisticsQuery) -> Result<aq::StatisticsQuery> {
    use aq::statistics_query::LimitResult;
    use cq::statistics_aggregate::AggregateAlias as Stage;
    let mut aggregate = aq::StatisticsAggregate::default();
    let mut sort = None;
    let mut limit = None;
    let refuse = |stage: &str| {
        Err(SpaceoneError::unsupported(format!(
            "the aggregate stage `{stage}` is not supported here"
        )))
    };
    for stage in q.aggregate {
        match stage.aggregate_alias {
            None => {}
            Some(Stage::Unwind(u)) => aggregate.unwind.push(aq::AggregateUnwind { path: u.path }),
            Some(Stage::Group(_)) if aggregate.group.is_some() || aggregate.count.is_some() => {
                return refuse("group (a second one)")
            }
            Some(Stage::Group(g)) => aggregate.group = Some(group(g)?),
            Some(Stage::Count(_)) if aggregate.group.is_some() || aggregate.count.is_some() => {
                return refuse("count (after a group or a count)")
            }
            Some(Stage::Count(count)) => {
                aggregate.count = Some(aq::AggregateCount { name: count.name });
            }
            Some(Stage::Sort(s)) => {
                let (name, desc) = one_sort_key(s.key, s.desc, s.keys)?;
                sort = Some(aq::StatisticsSort { name, desc });
            }
            Some(Stage::Limit(n)) => {
                let n = u32::try_from(n)
                    .map_err(|_| SpaceoneError::invalid("query.aggregate.limit", "is negative"))?;
                limit = Some(LimitResult::Limit(n));
            }
            Some(Stage::Project(_)) => return refuse("project"),
            Some(Stage::Skip(_)) => return refuse("skip"),
        }
    }
    let page = q.page.map(|p| {
        LimitResult::Page(aq::Page {
            start: p.start,
            limit: p.limit,
        })
    });
    Ok(aq::StatisticsQuery {
        filter: filters(&q.filter)?,
        filter_or: filters(&q.filter_or)?,
        aggregate: Some(aggregate),
        sort,
        limit_result: page.or(limit),
        distinct: q.distinct,
        keyword: q.keyword,
    })
}

fn group(g: cq::AggregateGroup) -> Result<aq::AggregateGroup> {
    let keys = g.keys.iter().map(same_wire).collect::<Result<Vec<_>>>()?;
    let fields = g
        .fields
        .iter()
        .map(|field| {
            if !field.fields.is_empty() || !field.conditions.is_empty() {
                return Err(SpaceoneError::unsupported(
                    "group fields with `fields` or `conditions` are not supported",
                ));
            }
            same_wire::<aq::AggregateGroupField>(field)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(aq::AggregateGroup { keys, fields })
}
