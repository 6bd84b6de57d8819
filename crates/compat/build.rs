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

/// SpaceONE's generation C (spaceone-api 1.12.x and 2.0.x) of the same files, under an include
/// root of its own so that the file names stay the vendor's.
const SPACEONE_1_12_ROOT: &str = "spaceone-1.12";

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
    spaceone(&root, "spaceone_descriptor.bin", None)?;
    spaceone(
        &root.join(SPACEONE_1_12_ROOT),
        "spaceone_1_12_descriptor.bin",
        Some("spaceone_1_12"),
    )?;
    Ok(())
}

/// SpaceONE: the generated code, and the encoded descriptor set (with every import) that gRPC
/// server reflection serves, since spacectl builds its stubs from reflection. Both generations
/// share package names, so a generation other than the seed's has its code in `OUT_DIR/<dir>`.
fn spaceone(
    root: &std::path::Path,
    descriptor_file: &str,
    code_dir: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    use prost::Message as _;
    let files: Vec<PathBuf> = SPACEONE_PROTOS.iter().map(|f| root.join(f)).collect();
    let descriptors = protox::compile(&files, [root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join(descriptor_file), descriptors.encode_to_vec())?;
    let code_out = match code_dir {
        Some(dir) => out_dir.join(dir),
        None => out_dir,
    };
    std::fs::create_dir_all(&code_out)?;
    tonic_prost_build::configure()
        .out_dir(code_out)
        .build_transport(false)
        .codec_path("crate::yandex::codec::YandexCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
