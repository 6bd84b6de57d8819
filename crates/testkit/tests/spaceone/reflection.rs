//! gRPC server reflection, which spacectl needs: it lists the APIKey service and answers the
//! file declaring it together with its imports (the query messages, google.protobuf types).

use keyward_testkit::app::spawn_app;
use prost::Message;
use prost_types::FileDescriptorProto;
use tonic::transport::Channel;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1alpha::ServerReflectionRequest;

async fn ask(channel: Channel, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel);
    let stream = futures_util::stream::iter([ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }]);
    let mut answers = client
        .server_reflection_info(stream)
        .await
        .expect("reflection answers")
        .into_inner();
    answers
        .message()
        .await
        .expect("a message")
        .expect("one answer")
        .message_response
        .expect("a response")
}

#[tokio::test]
async fn reflection_lists_the_service_and_serves_its_descriptors() {
    let app = spawn_app().await;
    let channel = Channel::from_shared(app.base_url.clone())
        .expect("URL")
        .connect()
        .await
        .expect("connects");
    let MessageResponse::ListServicesResponse(list) =
        ask(channel.clone(), MessageRequest::ListServices(String::new())).await
    else {
        panic!("not a service list");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"spaceone.api.identity.v1.APIKey"),
        "{names:?}"
    );

    let symbol = MessageRequest::FileContainingSymbol("spaceone.api.identity.v1.APIKey".into());
    let mut files = descriptors(ask(channel.clone(), symbol).await);
    // A reflection client then asks for each import by file name, as spacectl does.
    let imports = files[0].dependency.clone();
    for import in &imports {
        let by_name = MessageRequest::FileByFilename(import.clone());
        files.extend(descriptors(ask(channel.clone(), by_name).await));
    }
    let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
    assert!(
        names.contains(&"spaceone/api/identity/v1/api_key.proto"),
        "{names:?}"
    );
    assert!(
        names.contains(&"spaceone/api/core/v1/query.proto"),
        "{names:?}"
    );
    assert!(names.contains(&"google/protobuf/struct.proto"), "{names:?}");
    assert!(names.contains(&"google/protobuf/empty.proto"), "{names:?}");
    let api_key = files
        .iter()
        .find(|f| f.name() == "spaceone/api/identity/v1/api_key.proto")
        .expect("api_key.proto");
    let info = api_key
        .message_type
        .iter()
        .find(|m| m.name() == "APIKeyInfo")
        .expect("APIKeyInfo");
    let number = |field: &str| {
        info.field
            .iter()
            .find(|f| f.name() == field)
            .map(|f| f.number())
    };
    // The seed generation's real field numbers.
    assert_eq!(number("user_id"), Some(5));
    assert_eq!(number("domain_id"), Some(6));
    assert_eq!(number("allowed_hosts"), Some(8));
    assert_eq!(number("last_accessed_at"), Some(9));
    assert_eq!(number("created_at"), Some(10));
    let methods: Vec<&str> = api_key.service[0].method.iter().map(|m| m.name()).collect();
    assert_eq!(
        methods,
        [
            "create",
            "enable",
            "disable",
            "update_role",
            "update_allowed_hosts",
            "delete",
            "get",
            "list",
            "stat"
        ]
    );
}

fn descriptors(answer: MessageResponse) -> Vec<FileDescriptorProto> {
    let MessageResponse::FileDescriptorResponse(files) = answer else {
        panic!("not a file descriptor answer: {answer:?}");
    };
    files
        .file_descriptor_proto
        .iter()
        .map(|bytes| FileDescriptorProto::decode(bytes.as_slice()).expect("a descriptor"))
        .collect()
}
