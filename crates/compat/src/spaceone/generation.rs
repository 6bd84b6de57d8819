//! Which wire generation of `spaceone.api.identity.v1.APIKey` the gRPC service speaks: the
//! generations share the service path and the message names but not the field numbers, so one
//! port serves one of them (`spaceone.generation`). The REST paths of both are always served:
//! their paths differ.

use std::fmt;
use std::str::FromStr;

use super::proto::{FILE_DESCRIPTOR_SET, FILE_DESCRIPTOR_SET_1_12};

/// A wire generation, named by the first spaceone-api release that speaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Generation {
    /// `"1.5"`: spaceone-api 1.2.2 to 1.5.1, the seed's generation (Timestamp times,
    /// `update_role`, `update_allowed_hosts`, `api_key_type`).
    #[default]
    V1_5,
    /// `"1.12"`: spaceone-api 1.12.x and 2.0.x (generation C): other field numbers, ISO-8601
    /// string times, no `update_role`/`update_allowed_hosts`/`api_key_type`.
    V1_12,
}

impl Generation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_5 => "1.5",
            Self::V1_12 => "1.12",
        }
    }

    /// The encoded descriptors of its files, as reflection serves them.
    pub fn descriptor_set(self) -> &'static [u8] {
        match self {
            Self::V1_5 => FILE_DESCRIPTOR_SET,
            Self::V1_12 => FILE_DESCRIPTOR_SET_1_12,
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Generation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "1.5" => Ok(Self::V1_5),
            "1.12" => Ok(Self::V1_12),
            other => Err(format!(
                "the SpaceONE generation is \"1.5\" (spaceone-api 1.2.2-1.5.1) or \"1.12\" \
                 (spaceone-api 1.12.x-2.0.x), not `{}`",
                other.chars().take(32).collect::<String>()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Generation;

    #[test]
    fn parses_the_two_generations_and_refuses_others() {
        assert_eq!("1.5".parse(), Ok(Generation::V1_5));
        assert_eq!(" 1.12 ".parse(), Ok(Generation::V1_12));
        for bad in ["", "2.0", "1.11", "C"] {
            let error = bad.parse::<Generation>().expect_err("refused");
            assert!(error.contains("\"1.12\""), "{error}");
        }
        assert_eq!(Generation::default().to_string(), "1.5");
    }
}
