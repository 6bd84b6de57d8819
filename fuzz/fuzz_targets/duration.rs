//! The one duration parser: never panics, and what it prints it reads back the same.
#![no_main]

use keyward_core::duration::{format_duration, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(duration) = parse_duration(text) {
        let printed = format_duration(duration);
        assert_eq!(parse_duration(&printed), Ok(duration), "{printed}");
    }
});
