//! proto3 JSON for the REST paths, through the messages' own descriptors (the set reflection
//! serves, one per [`Generation`]): a body is parsed into exactly the message the gRPC face receives, with proto3
//! JSON's rules (lowerCamelCase or original names, enum names, `Struct`/`Value`/`ListValue`,
//! unknown fields refused), and an answer is rendered with the original snake_case names, as
//! SpaceONE's own REST answers.

use std::sync::OnceLock;

use keyward_core::redact::without_input;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::Value;

use super::error::SpaceoneError;
use super::generation::Generation;

fn pool(generation: Generation) -> Option<&'static DescriptorPool> {
    static SEED: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    static C: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    let cell = match generation {
        Generation::V1_5 => &SEED,
        Generation::V1_12 => &C,
    };
    cell.get_or_init(|| DescriptorPool::decode(generation.descriptor_set()).ok())
        .as_ref()
}

fn descriptor(generation: Generation, full_name: &str) -> Result<MessageDescriptor, SpaceoneError> {
    pool(generation)
        .and_then(|pool| pool.get_message_by_name(full_name))
        .ok_or_else(|| {
            // The descriptors are compiled in: this is a build defect, logged, never the client's.
            tracing::error!(full_name, "SpaceONE message descriptor missing");
            SpaceoneError::new(tonic::Code::Internal, "ERROR_UNKNOWN", "internal error")
        })
}

/// Parses proto3 JSON into the seed's message named `full_name`.
pub fn parse<M: prost::Message + Default>(
    full_name: &str,
    json: Value,
) -> Result<M, SpaceoneError> {
    parse_in(Generation::V1_5, full_name, json)
}

/// Parses proto3 JSON into `generation`'s message named `full_name`.
pub fn parse_in<M: prost::Message + Default>(
    generation: Generation,
    full_name: &str,
    json: Value,
) -> Result<M, SpaceoneError> {
    let descriptor = descriptor(generation, full_name)?;
    let dynamic = DynamicMessage::deserialize(descriptor, json).map_err(|error| {
        let reason = without_input(&error.to_string());
        SpaceoneError::invalid("body", &format!("is not a valid {full_name}: {reason}"))
    })?;
    dynamic
        .transcode_to::<M>()
        .map_err(|_| SpaceoneError::invalid("body", "does not fit the message"))
}

/// Renders a seed's message as proto3 JSON with its original field names.
pub fn render<M: prost::Message>(full_name: &str, message: &M) -> Result<Value, SpaceoneError> {
    render_in(Generation::V1_5, full_name, message)
}

/// Renders `generation`'s message as proto3 JSON with its original field names.
pub fn render_in<M: prost::Message>(
    generation: Generation,
    full_name: &str,
    message: &M,
) -> Result<Value, SpaceoneError> {
    let descriptor = descriptor(generation, full_name)?;
    let mut dynamic = DynamicMessage::new(descriptor);
    let internal = || SpaceoneError::new(tonic::Code::Internal, "ERROR_UNKNOWN", "internal error");
    dynamic.transcode_from(message).map_err(|_| internal())?;
    let options = SerializeOptions::new().use_proto_field_name(true);
    dynamic
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|_| internal())
}
