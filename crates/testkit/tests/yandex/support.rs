//! What every Yandex test starts from: a server, a domain administrator (the bearer token),
//! a service account in its domain, and gRPC clients on the server's one port.

use keyward_compat::yandex::proto::iam::api_key_service_client::ApiKeyServiceClient;
use keyward_compat::yandex::proto::iam::{self, CreateApiKeyRequest};
use keyward_compat::yandex::proto::operation::operation_service_client::OperationServiceClient;
use keyward_testkit::app::{spawn_app, DomainAdmin, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use prost_types::Timestamp;
use time::OffsetDateTime;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// A running keyward with an administrator and a service account to own keys.
pub struct Yandex {
    pub app: TestApp,
    pub admin: DomainAdmin,
    /// A service account in the administrator's domain.
    pub sa: String,
    channel: Channel,
}

pub async fn setup() -> Yandex {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("yc")).await;
    let sa = id_of(
        &app.create_service_account(&admin.token, &unique("sa"))
            .await,
    );
    let channel = Channel::from_shared(app.base_url.clone())
        .expect("a URL")
        .connect()
        .await
        .expect("gRPC connects to keyward's HTTP port");
    Yandex {
        app,
        admin,
        sa,
        channel,
    }
}

/// `message` with `authorization: Bearer <token>` metadata, as the SDK sends it.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    let value = format!("Bearer {token}").parse().expect("ASCII metadata");
    request.metadata_mut().insert("authorization", value);
    request
}

impl Yandex {
    pub fn keys(&self) -> ApiKeyServiceClient<Channel> {
        ApiKeyServiceClient::new(self.channel.clone())
    }

    pub fn operations(&self) -> OperationServiceClient<Channel> {
        OperationServiceClient::new(self.channel.clone())
    }

    /// `message` with the administrator's bearer token.
    pub fn admin<T>(&self, message: T) -> Request<T> {
        bearer(message, &self.admin.token)
    }

    /// Creates a key for the service account; the whole answer.
    pub async fn create(&self, request: CreateApiKeyRequest) -> iam::CreateApiKeyResponse {
        self.keys()
            .create(self.admin(request))
            .await
            .expect("Create succeeds")
            .into_inner()
    }

    /// A key for the service account with this description and these scopes; its id.
    pub async fn create_described(&self, description: &str, scopes: &[&str]) -> String {
        let created = self
            .create(CreateApiKeyRequest {
                service_account_id: self.sa.clone(),
                description: description.to_owned(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                ..CreateApiKeyRequest::default()
            })
            .await;
        created.api_key.expect("an api_key").id
    }

    pub async fn get(&self, id: &str) -> Result<iam::ApiKey, Status> {
        let request = iam::GetApiKeyRequest {
            api_key_id: id.to_owned(),
        };
        self.keys()
            .get(self.admin(request))
            .await
            .map(|r| r.into_inner())
    }
}

/// Asserts a refusal's code and that its message mentions `fragment`.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(answer: Result<T, Status>, code: Code, fragment: &str) {
    let status = answer.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(fragment),
        "`{}` does not mention `{fragment}`",
        status.message()
    );
}

pub fn ts(at: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    }
}

pub fn time_of(at: &Timestamp) -> OffsetDateTime {
    let nanos = i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).expect("a valid timestamp")
}

/// `at` at the microsecond precision keyward stores.
pub fn micros(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(at.nanosecond() / 1000 * 1000)
        .expect("a valid nanosecond")
}
