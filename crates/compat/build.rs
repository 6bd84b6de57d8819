//! Compiles the vendor wire contracts in `proto/` into Rust at build time. protox parses the
//! .proto files in pure Rust (no system `protoc`), and tonic-prost-build generates the messages
//! and the gRPC server and client code from the descriptors it returns.

use std::path::PathBuf;

/// The Yandex Cloud IAM ApiKeyService and OperationService, with what they import.
const YANDEX_PROTOS: &[&str] = &[
    "yandex/cloud/iam/v1/api_key_service.proto",
    "yandex/cloud/operation/operation_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());
    let files: Vec<PathBuf> = YANDEX_PROTOS.iter().map(|f| root.join(f)).collect();
    let descriptors = protox::compile(&files, [&root])?;
    tonic_prost_build::configure()
        // The client is for tests and tools; it takes any channel, so no transport is built in.
        .build_transport(false)
        // prost's codec, but a malformed request is INVALID_ARGUMENT (see the codec's docs).
        .codec_path("crate::yandex::codec::YandexCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
