//! The native list dialect (`?field=op:value&sort&limit&cursor`) for keys and principals.
#![no_main]

use keyward_api::list_query::ListParams;
use keyward_core::query::{KeyField, PrincipalField};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let _ = ListParams::<KeyField>::parse(Some(query));
    let _ = ListParams::<PrincipalField>::parse(Some(query));
});
