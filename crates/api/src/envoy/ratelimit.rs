//! `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`: Envoy's global rate limiting
//! with keyward's per-key limits, quotas and credits as the limits.
//!
//! Each descriptor that names a key (an entry `api_key`, e.g. from Envoy's `request_headers`
//! action on `x-api-key`; an `Authorization: Bearer …` value is read too) is one verification
//! of that key costing the descriptor's `hits_addend` (else the request's, else 1), with the
//! client address from a `remote_address` entry when there is one. It answers `OVER_LIMIT` when
//! keyward refuses the key as `RATE_LIMITED` or `USAGE_EXCEEDED`, else `OK`, with the tightest
//! limit's state. A descriptor without a key, and a key keyward does not accept (unknown,
//! disabled, expired, …), is `OK` without a limit: telling keys apart is ext_authz's job, and a
//! rate limiter that refused them would turn a 401 into a 429.

use std::net::IpAddr;

use envoy_types::pb::envoy::extensions::common::ratelimit::v3::RateLimitDescriptor;
use envoy_types::pb::envoy::service::ratelimit::v3::rate_limit_response::rate_limit::Unit;
use envoy_types::pb::envoy::service::ratelimit::v3::rate_limit_response::{
    Code, DescriptorStatus, RateLimit,
};
use envoy_types::pb::envoy::service::ratelimit::v3::rate_limit_service_server::RateLimitService;
use envoy_types::pb::envoy::service::ratelimit::v3::{RateLimitRequest, RateLimitResponse};
use envoy_types::pb::google::protobuf::Duration;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::{Decision, Face, Reason, UsageReport, VerifyRequest};
use keyward_edge::ApiState;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use crate::error::ApiError;
use crate::routes::check_request;

/// Most descriptors one request may carry (Envoy sends one per matching rate limit action).
const MAX_DESCRIPTORS: usize = 64;
/// The descriptor entry that carries the key.
const KEY_ENTRY: &str = "api_key";
/// The descriptor entry Envoy's `remote_address` action writes.
const ADDRESS_ENTRY: &str = "remote_address";

/// The rate limit service over the shared state.
#[derive(Debug, Clone)]
pub(super) struct RateLimitDoor {
    pub state: ApiState,
}

#[tonic::async_trait]
impl RateLimitService for RateLimitDoor {
    async fn should_rate_limit(
        &self,
        request: Request<RateLimitRequest>,
    ) -> Result<Response<RateLimitResponse>, Status> {
        let message = request.into_inner();
        if message.descriptors.len() > MAX_DESCRIPTORS {
            return Err(Status::invalid_argument(
                "at most 64 descriptors per request",
            ));
        }
        let default_cost = u64::from(message.hits_addend.max(1));
        let mut statuses = Vec::with_capacity(message.descriptors.len());
        for descriptor in &message.descriptors {
            statuses.push(self.descriptor_status(descriptor, default_cost).await?);
        }
        let over = statuses.iter().any(|s| s.code == Code::OverLimit as i32);
        Ok(Response::new(RateLimitResponse {
            overall_code: if over { Code::OverLimit } else { Code::Ok }.into(),
            statuses,
            ..Default::default()
        }))
    }
}

impl RateLimitDoor {
    async fn descriptor_status(
        &self,
        descriptor: &RateLimitDescriptor,
        default_cost: u64,
    ) -> Result<DescriptorStatus, Status> {
        let entry = |name: &str| {
            descriptor
                .entries
                .iter()
                .find(|e| e.key == name)
                .map(|e| e.value.as_str())
        };
        let Some(key) = entry(KEY_ENTRY).map(key_of) else {
            return Ok(no_limit());
        };
        if key.is_empty() || check_request::is_oversized(key) {
            return Ok(no_limit());
        }
        let cost = descriptor
            .hits_addend
            .map_or(default_cost, |addend| addend.value.max(1));
        let client_ip = entry(ADDRESS_ENTRY).and_then(|text| text.parse::<IpAddr>().ok());
        let verify = VerifyRequest {
            face: Face::GrpcRateLimit,
            client_ip,
            required_scopes: &[],
            product: None,
            cost,
        };
        let core = &self.state.core;
        let decision = match core.verify_cached(PresentedSecret::new(key), &verify) {
            Ok(decision) => decision,
            Err(miss) => core.verify_uncached(miss, &verify).await.map_err(|error| {
                // Envoy's `failure_mode_deny` decides what an unanswered request does.
                let error = ApiError::from(error);
                Status::unavailable(error.message().to_owned())
            })?,
        };
        Ok(status_of(&decision, core.now()))
    }
}

/// `Bearer <key>` (from an `Authorization` header) or the key itself.
fn key_of(value: &str) -> &str {
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
        _ => value,
    }
}

fn no_limit() -> DescriptorStatus {
    DescriptorStatus {
        code: Code::Ok.into(),
        ..Default::default()
    }
}

/// `OVER_LIMIT` for a key refused by its limits, else `OK`; with the tightest limit's state when
/// the key has limits.
fn status_of(decision: &Decision, now: OffsetDateTime) -> DescriptorStatus {
    let over = matches!(decision.reason, Reason::RateLimited | Reason::UsageExceeded);
    let mut status = no_limit();
    if over {
        status.code = Code::OverLimit.into();
    }
    if let Some(usage) = decision.usage.as_deref() {
        describe(&mut status, usage, now);
    }
    status
}

fn describe(status: &mut DescriptorStatus, usage: &UsageReport, now: OffsetDateTime) {
    let Some(tightest) = usage.tightest() else {
        return;
    };
    status.current_limit = Some(RateLimit {
        name: tightest.name.to_string(),
        requests_per_unit: u32::try_from(tightest.limit).unwrap_or(u32::MAX),
        // keyward's periods are any length (`90s`, `1h`); the unit Envoy would show is unknown.
        unit: Unit::Unknown.into(),
    });
    status.limit_remaining = u32::try_from(tightest.remaining).unwrap_or(u32::MAX);
    let until = (tightest.reset_at - now).max(time::Duration::ZERO);
    status.duration_until_reset = Some(Duration {
        seconds: until.whole_seconds(),
        nanos: until.subsec_nanoseconds(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_bare_or_as_bearer() {
        assert_eq!(key_of(" kw_a "), "kw_a");
        assert_eq!(key_of("Bearer kw_b"), "kw_b");
        assert_eq!(key_of("bearer  kw_c"), "kw_c");
    }

    fn decision(reason: Reason) -> Decision {
        Decision {
            reason,
            key: None,
            usage: None,
        }
    }

    #[test]
    fn a_key_keyward_refuses_for_other_reasons_is_not_over_limit() {
        let now = OffsetDateTime::now_utc();
        for reason in [Reason::NotFound, Reason::Disabled, Reason::Valid] {
            let status = status_of(&decision(reason), now);
            assert_eq!(status.code, Code::Ok as i32, "{reason:?}");
            assert!(status.current_limit.is_none());
        }
        let status = status_of(&decision(Reason::RateLimited), now);
        assert_eq!(status.code, Code::OverLimit as i32);
    }
}
