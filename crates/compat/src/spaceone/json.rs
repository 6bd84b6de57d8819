//! proto3 JSON for the REST paths, through the messages' own descriptors (the set reflection
//! serves): a body is parsed into exactly the message the gRPC face receives, with proto3
//! JSON's rules (lowerCamelCase or original names, enum names, `Struct`/`Value`/`ListValue`,
//! unknown fields refused), and an answer is rendered with the original snake_case names, as
//! SpaceONE's own REST answers.

use std::sync::OnceLock;

use keyward_core::redact::without_input;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::Value;

use super::error::SpaceoneError;
use super::proto::FILE_DESCRIPTOR_SET;

fn pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(FILE_DESCRIPTOR_SET).ok())
        .as_ref()
}

fn descriptor(full_name: &str) -> Result<MessageDescriptor, SpaceoneError> {
    pool()
        .and_then(|pool| pool.get_message_by_name(full_name))
        .ok_or_else(|| {
            // The descriptors are compiled in: this is a build defect, logged, never the client's.
            tracing::error!(full_name, "SpaceONE message descriptor missing");
            SpaceoneError::new(tonic::Code::Internal, "ERROR_UNKNOWN", "internal error")
        })
}

/// Parses proto3 JSON into the message named `full_name`.
pub fn parse<M: prost::Message + Default>(
    full_name: &str,
    json: Value,
) -> Result<M, SpaceoneError> {
    let descriptor = descriptor(full_name)?;
    let dynamic = DynamicMessage::deserialize(descriptor, json).map_err(|error| {
        let reason = without_input(&error.to_string());
        SpaceoneError::invalid("body", &format!("is not a valid {full_name}: {reason}"))
    })?;
    dynamic
        .transcode_to::<M>()
        .map_err(|_| SpaceoneError::invalid("body", "does not fit the message"))
}

/// Renders a message as proto3 JSON with its original field names.
pub fn render<M: prost::Message>(full_name: &str, message: &M) -> Result<Value, SpaceoneError> {
    let descriptor = descriptor(full_name)?;
    let mut dynamic = DynamicMessage::new(descriptor);
    let internal = || SpaceoneError::new(tonic::Code::Internal, "ERROR_UNKNOWN", "internal error");
    dynamic.transcode_from(message).map_err(|_| internal())?;
    let options = SerializeOptions::new().use_proto_field_name(true);
    dynamic
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|_| internal())
}
