//! Which door a verification came through. Every face names itself on the `VerifyRequest` it
//! hands the core; the core counts each decision under that name (`keyward_verifications_total`
//! in `metrics.rs`), so no face counts anything itself.

/// The face a verification came through: the `face` label of `keyward_verifications_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    /// `/v1/auth` (nginx `auth_request`, Traefik `forwardAuth`, Envoy HTTP `ext_authz`).
    Gateway,
    /// Envoy's gRPC ext_authz `Check`.
    GrpcCheck,
    /// Envoy's gRPC rate limit service.
    GrpcRateLimit,
    /// `POST /v1/keys/verify`.
    NativeVerify,
    /// A management key presented to the native REST API (`/v1/...`).
    NativeApi,
    Yandex,
    Spaceone,
    Zenml,
    Ncp,
}

impl Face {
    pub const ALL: [Face; 9] = [
        Face::Gateway,
        Face::GrpcCheck,
        Face::GrpcRateLimit,
        Face::NativeVerify,
        Face::NativeApi,
        Face::Yandex,
        Face::Spaceone,
        Face::Zenml,
        Face::Ncp,
    ];

    /// The label value (stable: dashboards and alerts name it).
    pub fn as_str(self) -> &'static str {
        match self {
            Face::Gateway => "gateway",
            Face::GrpcCheck => "grpc_check",
            Face::GrpcRateLimit => "grpc_ratelimit",
            Face::NativeVerify => "native_verify",
            Face::NativeApi => "native_api",
            Face::Yandex => "yandex",
            Face::Spaceone => "spaceone",
            Face::Zenml => "zenml",
            Face::Ncp => "ncp",
        }
    }

    /// Its index in [`Face::ALL`] (the counters' table is laid out in that order).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_face_at_its_index() {
        for (i, face) in Face::ALL.iter().enumerate() {
            assert_eq!(face.index(), i, "{}", face.as_str());
        }
    }
}
