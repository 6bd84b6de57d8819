//! Yandex `ApiKeyService` `Create`/`Update` protobuf requests decoded and validated.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| keyward_compat::fuzzing::yandex_requests(bytes));
