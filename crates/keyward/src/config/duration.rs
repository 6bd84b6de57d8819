//! Durations in configuration: the one parser is the core's ([`keyward_core::duration`]), so
//! `10m` means the same in a flag, the TOML file and a key's expiry.

pub use keyward_core::duration::{format_duration, parse_duration};

/// Serde helper: durations in the TOML file are strings in the same syntax.
pub(crate) mod serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| super::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}
