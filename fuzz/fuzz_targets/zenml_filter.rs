//! ZenML's list query strings (`name=contains:x&sort_by=desc:created&page&size&hydrate`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| keyward_compat::fuzzing::zenml_lists(query));
