//! `exact` limits: the script charges every counter of a request or none.

use std::time::Duration;

use keyward_core::usage::{Charge, LimitMode, Limiter as _, LocalLimiter};

use super::{charge, frozen_now, node, quota, rate, setup};

#[tokio::test]
async fn every_counter_admits_or_none_is_charged_as_in_memory() {
    let Some((url, prefix)) = setup("exact::every_counter_admits_or_none_is_charged") else {
        return;
    };
    let now = frozen_now();
    let limiter = node(&url, &prefix).await;
    let memory = LocalLimiter::default();
    let both = vec![
        rate(5, Duration::from_secs(60), 5, None),
        quota(3, Some(LimitMode::Exact), now),
    ];
    let rate_only = &both[..1];
    // (charges, cost, admitted)
    let steps: [(&[Charge], u64, bool); 7] = [
        (&both, 2, true),
        // The quota (1 left) refuses a cost of 2: the rate limit (3 left) is not charged.
        (&both, 2, false),
        (&both, 0, true),
        (rate_only, 3, true),
        (rate_only, 1, false),
        // Cost 0 asks whether a cost of 1 would pass, and spends nothing.
        (rate_only, 0, false),
        (&both, 0, false),
    ];
    for (i, (charges, cost, admitted)) in steps.into_iter().enumerate() {
        assert!(
            limiter.try_charge(charges, cost, now).is_none(),
            "step {i}: exact limits need Redis"
        );
        let shared = charge(&limiter, charges, cost, now).await;
        let local = memory.charge_now(charges, cost, now);
        assert_eq!(shared.admitted, admitted, "step {i}: {shared:?}");
        assert_eq!(shared, local, "step {i}: Redis reports what memory does");
    }
    // Step 1's refusal charged nothing: the rate limit still had room for 3 at step 3.
    let refused = charge(&limiter, &both, 2, now).await;
    assert!(refused.states.iter().all(|s| s.refused()), "{refused:?}");
    assert_eq!(refused.states[0].remaining, 0);
    assert_eq!(refused.states[1].remaining, 1);
    assert!(!limiter.is_degraded());
}

#[tokio::test]
async fn a_counter_is_shared_and_time_refills_it() {
    let Some((url, prefix)) = setup("exact::a_counter_is_shared_and_time_refills_it") else {
        return;
    };
    let now = frozen_now();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    // 10 per second: one every 100 ms, 10 at once.
    let limit = [rate(10, Duration::from_secs(1), 10, None)];
    assert!(charge(&a, &limit, 7, now).await.admitted);
    let seen = charge(&b, &limit, 0, now).await;
    assert_eq!(seen.states[0].remaining, 3, "B sees what A spent");
    assert!(charge(&b, &limit, 3, now).await.admitted);
    let full = charge(&a, &limit, 1, now).await;
    assert!(!full.admitted);
    assert_eq!(full.states[0].retry_after, Some(Duration::from_millis(100)));
    let later = now + time::Duration::milliseconds(250);
    let refilled = charge(&a, &limit, 2, later).await;
    assert!(refilled.admitted, "two intervals later, two more");
    assert!(!charge(&b, &limit, 1, later).await.admitted);
}

#[tokio::test]
async fn a_request_mixing_modes_charges_both_or_neither() {
    let Some((url, prefix)) = setup("exact::a_request_mixing_modes_charges_both_or_neither") else {
        return;
    };
    let now = frozen_now();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let exact = rate(5, Duration::from_secs(60), 5, Some(LimitMode::Exact));
    let mixed = [exact.clone(), quota(3, Some(LimitMode::Local), now)];
    assert!(
        a.try_charge(&mixed, 1, now).is_none(),
        "the exact part needs Redis"
    );
    assert!(charge(&a, &mixed, 2, now).await.admitted);
    // The local quota (1 left) refuses: the exact limit is not charged.
    let refused = charge(&a, &mixed, 2, now).await;
    assert!(!refused.admitted && refused.states[1].refused() && !refused.states[0].refused());
    let exact_only = std::slice::from_ref(&exact);
    assert_eq!(charge(&b, exact_only, 0, now).await.states[0].remaining, 3);
    // The exact limit (spent by B) refuses: the local quota is not charged.
    assert!(charge(&b, exact_only, 3, now).await.admitted);
    let refused = charge(&a, &mixed, 1, now).await;
    assert!(!refused.admitted && refused.states[0].refused() && !refused.states[1].refused());
    assert_eq!(refused.states[1].remaining, 1);
}
