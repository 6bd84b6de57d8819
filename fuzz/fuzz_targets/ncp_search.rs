//! NCP `POST /api-keys/search` JSON bodies: status set, paging and the name filter.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| keyward_compat::fuzzing::ncp_search(bytes));
