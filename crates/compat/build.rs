//! Compiles the vendor wire contracts in `proto/` into Rust at build time. protox parses the
//! .proto files in pure Rust (no system `protoc`), and tonic-prost-build generates the messages
//! and the gRPC server and client code from the descriptors it returns.

use std::path::PathBuf;

/// The Yandex Cloud IAM ApiKeyService and OperationService, with what they import.
const YANDEX_PROTOS: &[&str] = &[
    "yandex/cloud/iam/v1/api_key_service.proto",
    "yandex/cloud/operation/operation_service.proto",
];

/// SpaceONE identity v1 `APIKey` and the core v1 query messages it imports.
const SPACEONE_PROTOS: &[&str] = &["spaceone/api/identity/v1/api_key.proto"];

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
    spaceone(&root)?;
    Ok(())
}

/// SpaceONE: the generated code, and the encoded descriptor set (with every import) that gRPC
/// server reflection serves, since spacectl builds its stubs from reflection.
fn spaceone(root: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use prost::Message as _;
    let files: Vec<PathBuf> = SPACEONE_PROTOS.iter().map(|f| root.join(f)).collect();
    let descriptors = protox::compile(&files, [root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("spaceone_descriptor.bin");
    std::fs::write(out, descriptors.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_transport(false)
        .codec_path("crate::yandex::codec::YandexCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
