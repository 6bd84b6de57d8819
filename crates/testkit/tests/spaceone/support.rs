//! What every SpaceONE test starts from: a server, a domain administrator (the `token`),
//! users in its domain to own keys, and a gRPC client on the server's one port.

use keyward_compat::spaceone::proto::core as query;
use keyward_compat::spaceone::proto::identity::api_key_client::ApiKeyClient;
use keyward_compat::spaceone::proto::identity::{
    self as wire, create_api_key_request::ApiKeyType, ApiKeyInfo, ApiKeyQuery, CreateApiKeyRequest,
};
use keyward_testkit::app::{spawn_app, spawn_app_with, AppOptions, DomainAdmin, TestApp};
use keyward_testkit::fixtures::{id_of, unique, user};
use prost_types::value::Kind;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

pub struct Spaceone {
    pub app: TestApp,
    pub admin: DomainAdmin,
    pub channel: Channel,
}

pub async fn setup() -> Spaceone {
    setup_on(spawn_app().await).await
}

/// A server whose gRPC service speaks generation C (`spaceone.generation = "1.12"`).
pub async fn setup_generation_c() -> Spaceone {
    let options = AppOptions {
        config_file: Some("[spaceone]\ngeneration = \"1.12\"\n".to_owned()),
        ..AppOptions::default()
    };
    setup_on(spawn_app_with(options).await).await
}

async fn setup_on(app: TestApp) -> Spaceone {
    let admin = app.new_domain_admin_full(&unique("so")).await;
    let channel = Channel::from_shared(app.base_url.clone())
        .expect("a URL")
        .connect()
        .await
        .expect("gRPC connects to keyward's HTTP port");
    Spaceone {
        app,
        admin,
        channel,
    }
}

/// `message` with `token: <key>` metadata, as spacectl sends it.
pub fn token<T>(message: T, key: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("token", key.parse().expect("ASCII metadata"));
    request
}

impl Spaceone {
    pub fn client(&self) -> ApiKeyClient<Channel> {
        ApiKeyClient::new(self.channel.clone())
    }

    pub fn admin<T>(&self, message: T) -> Request<T> {
        token(message, &self.admin.token)
    }

    /// A new user principal in the administrator's domain; its id (SpaceONE's `user_id`).
    pub async fn user(&self) -> String {
        id_of(
            &self
                .app
                .create_principal(&self.admin.token, user(&unique("u")))
                .await,
        )
    }

    pub async fn create(&self, user_id: &str, kind: ApiKeyType) -> ApiKeyInfo {
        let request = CreateApiKeyRequest {
            api_key_type: kind as i32,
            user_id: user_id.to_owned(),
            domain_id: self.admin.domain_id.clone(),
        };
        self.client()
            .create(self.admin(request))
            .await
            .expect("create succeeds")
            .into_inner()
    }

    pub async fn list(&self, q: query::Query) -> Result<wire::ApiKeysInfo, Status> {
        let request = ApiKeyQuery {
            query: Some(q),
            domain_id: self.admin.domain_id.clone(),
            ..ApiKeyQuery::default()
        };
        self.client()
            .list(self.admin(request))
            .await
            .map(|r| r.into_inner())
    }
}

/// A filter `{k, v, o}`.
pub fn f(k: &str, o: &str, v: prost_types::Value) -> query::Filter {
    use query::filter::{KeyAlias, OperatorAlias, ValueAlias};
    query::Filter {
        key_alias: Some(KeyAlias::K(k.to_owned())),
        value_alias: Some(ValueAlias::V(v)),
        operator_alias: Some(OperatorAlias::O(o.to_owned())),
    }
}

pub fn s(text: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(text.to_owned())),
    }
}

pub fn b(value: bool) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::BoolValue(value)),
    }
}

pub fn l(items: &[&str]) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(|i| s(i)).collect(),
        })),
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
