//! Self-service: what a `keyward:self` key may do to the keys of its own principal, which
//! `Caller::keys_of` lets it reach. One rule, applied to every change: it never gives or reaches
//! more than it holds itself.
//!
//! - A key it creates holds a subset of its own roles and scopes (so never `keyward:admin` or
//!   `keyward:root`, which it does not hold), inherits its own key's rate limits and quotas
//!   (setting limits or credits is an administrator's act), sits inside its own allowed networks
//!   and expires no later than it does. A caller with a credit balance makes no keys: the balance
//!   would not bind them.
//! - A key it changes, rotates or deletes holds no role or scope the caller lacks (otherwise
//!   rotating a more powerful sibling would hand it that sibling's powers), and a change may
//!   touch the name, description, type, metadata, state, and roles and scopes within its own.
//!
//! Principal-level limits bind all of the principal's keys whoever made them.

use ipnet::IpNet;
use time::OffsetDateTime;

use super::keys::{KeyPatch, NewKey};
use super::Keyward;
use crate::auth::{Caller, SELF_ROLE};
use crate::error::{CoreError, CoreResult};
use crate::model::{AllowedCidr, ApiKey, TokenSet};
use crate::usage::Limits;

fn forbidden(why: &str) -> CoreError {
    CoreError::Forbidden(format!("a {SELF_ROLE} key {why}").into())
}

/// `wanted` holds nothing that `own` lacks.
fn within(field: &str, wanted: &TokenSet, own: &TokenSet) -> CoreResult<()> {
    match wanted.iter().find(|token| !own.contains(token)) {
        None => Ok(()),
        Some(_) => Err(forbidden(&format!(
            "cannot give a key {field} it does not hold itself"
        ))),
    }
}

/// The networks of a key made by a caller limited to `own`: `own` when none are asked for,
/// otherwise only networks inside one of `own`'s.
fn bounded_cidrs(wanted: Vec<AllowedCidr>, own: &[AllowedCidr]) -> CoreResult<Vec<AllowedCidr>> {
    if own.is_empty() {
        return Ok(wanted);
    }
    if wanted.is_empty() {
        return Ok(own.to_vec());
    }
    let inside = |net: &IpNet| own.iter().any(|o| o.cidr.contains(net));
    if wanted.iter().all(|w| inside(&w.cidr)) {
        Ok(wanted)
    } else {
        Err(forbidden(
            "cannot allow a key networks outside its own allowed networks",
        ))
    }
}

/// The expiry of a key made by a caller that expires at `own`: no later than that.
fn bounded_expiry(
    wanted: Option<OffsetDateTime>,
    own: Option<OffsetDateTime>,
) -> CoreResult<Option<OffsetDateTime>> {
    match (wanted, own) {
        (None, own) => Ok(own),
        (Some(at), Some(end)) if at > end => {
            Err(forbidden("cannot make a key that outlives itself"))
        }
        (wanted, _) => Ok(wanted),
    }
}

/// The target of a change holds no more than the caller's own key.
pub(super) fn check_reach(own: &ApiKey, target: &ApiKey) -> CoreResult<()> {
    let reaches = within("roles", &target.roles, &own.roles)
        .and_then(|()| within("scopes", &target.scopes, &own.scopes));
    reaches.map_err(|_| {
        forbidden("cannot change a key that holds roles or scopes it does not hold itself")
    })
}

impl Keyward {
    /// The caller's own key, read now, when the caller is limited to its own principal's keys.
    pub(super) async fn own_key_bounds(&self, caller: &Caller) -> CoreResult<Option<ApiKey>> {
        if !caller.is_own_keys_only() {
            return Ok(None);
        }
        let own = self
            .store
            .key(caller.key_id())
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        Ok(Some(own))
    }

    /// Bounds a key that a `keyward:self` caller creates by the caller's own key (see the
    /// module's rules); an administrator's input passes as it is.
    pub(super) async fn bound_new_key(
        &self,
        caller: &Caller,
        input: &mut NewKey,
    ) -> CoreResult<()> {
        let Some(own) = self.own_key_bounds(caller).await? else {
            return Ok(());
        };
        within("roles", &input.roles, &own.roles)?;
        within("scopes", &input.scopes, &own.scopes)?;
        if input.limits != Limits::default() || input.credits.is_some() {
            return Err(forbidden(
                "cannot set usage limits or credits: the keys it makes get its own limits",
            ));
        }
        if own.credits.is_some() {
            return Err(forbidden(
                "with a credit balance cannot make keys: the balance would not bind them",
            ));
        }
        input.limits = own.limits.clone();
        input.allowed_cidrs =
            bounded_cidrs(std::mem::take(&mut input.allowed_cidrs), &own.allowed_cidrs)?;
        input.expires_at = bounded_expiry(input.expires_at, own.expires_at)?;
        Ok(())
    }

    /// Refuses a patch that a `keyward:self` caller may not make; an administrator's passes.
    pub(super) async fn bound_patch(&self, caller: &Caller, patch: &KeyPatch) -> CoreResult<()> {
        let Some(own) = self.own_key_bounds(caller).await? else {
            return Ok(());
        };
        if let Some(roles) = &patch.roles {
            within("roles", roles, &own.roles)?;
        }
        if let Some(scopes) = &patch.scopes {
            within("scopes", scopes, &own.scopes)?;
        }
        let admin_only = patch.allowed_cidrs.is_some()
            || patch.expires_at.is_some()
            || patch.rate_limits.is_some()
            || patch.quotas.is_some()
            || patch.credits.is_some();
        if admin_only {
            return Err(forbidden(
                "cannot change allowed networks, expiry, usage limits or credits: an \
                 administrator of the domain sets those",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> AllowedCidr {
        AllowedCidr::parse(None, text).expect("a CIDR")
    }

    #[test]
    fn networks_stay_inside_the_callers() {
        let own = [cidr("10.0.0.0/8")];
        assert_eq!(bounded_cidrs(vec![], &own).unwrap(), own.to_vec());
        let inner = vec![cidr("10.1.0.0/16")];
        assert_eq!(bounded_cidrs(inner.clone(), &own).unwrap(), inner);
        assert!(bounded_cidrs(vec![cidr("192.168.0.0/16")], &own).is_err());
        assert!(bounded_cidrs(vec![cidr("0.0.0.0/0")], &own).is_err());
        let any = vec![cidr("192.168.0.0/16")];
        assert_eq!(bounded_cidrs(any.clone(), &[]).unwrap(), any);
    }

    #[test]
    fn expiry_is_no_later_than_the_callers() {
        let end = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let before = end - time::Duration::hours(1);
        assert_eq!(bounded_expiry(None, Some(end)).unwrap(), Some(end));
        assert_eq!(
            bounded_expiry(Some(before), Some(end)).unwrap(),
            Some(before)
        );
        assert!(bounded_expiry(Some(end + time::Duration::hours(1)), Some(end)).is_err());
        assert_eq!(bounded_expiry(None, None).unwrap(), None);
    }

    #[test]
    fn tokens_are_a_subset_of_the_callers() {
        let own = TokenSet::parse("roles", ["keyward:self", "reader"]).unwrap();
        let fewer = TokenSet::parse("roles", ["reader"]).unwrap();
        let more = TokenSet::parse("roles", ["keyward:admin"]).unwrap();
        assert!(within("roles", &fewer, &own).is_ok());
        assert!(within("roles", &TokenSet::default(), &own).is_ok());
        assert!(within("roles", &more, &own).is_err());
    }
}
