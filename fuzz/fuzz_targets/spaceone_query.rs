//! SpaceONE `APIKey.list`: protobuf `APIKeyQuery` bytes decoded, its `Query` (filter,
//! filter_or, keyword, sort, page, only) translated into the core's query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| keyward_compat::fuzzing::spaceone_list(bytes));
