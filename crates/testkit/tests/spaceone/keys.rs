//! The key rpcs: create, get (with `only`), enable, disable, update_role, update_allowed_hosts,
//! delete; authentication from `token`; `domain_id` confinement.

use keyward_compat::spaceone::proto::identity::{
    api_key_info::State, create_api_key_request::ApiKeyType, Acls, ApiKeyRequest,
    CreateApiKeyRequest, GetApiKeyRequest, UpdateApiKeyHostsRequest, UpdateApiKeyRoleRequest,
};
use keyward_testkit::app::code_of;
use keyward_testkit::fixtures::unique;
use serde_json::json;
use tonic::{Code, Request};
use uuid::Uuid;

use crate::support::{assert_status, l, setup, token};

#[tokio::test]
async fn create_returns_the_secret_once_and_every_method_manages_the_key() {
    let so = setup().await;
    let user = so.user().await;
    let created = so.create(&user, ApiKeyType::System).await;
    assert!(Uuid::parse_str(&created.api_key_id).is_ok());
    assert!(created.api_key.starts_with("kw_"), "the secret, once");
    assert_eq!(created.state, State::Enabled as i32);
    assert_eq!(created.user_id, user);
    assert_eq!(created.domain_id, so.admin.domain_id);
    assert!(created.created_at.is_some());
    assert_eq!(created.last_accessed_at, None);
    assert_eq!(
        so.app.stored_key(&created.api_key_id).await["type"],
        "system"
    );
    let secret = created.api_key.clone();
    assert_eq!(so.app.verify_code(&secret).await, "VALID");

    let id = created.api_key_id.clone();
    let request = || ApiKeyRequest {
        api_key_id: id.clone(),
        domain_id: so.admin.domain_id.clone(),
    };
    let got = so
        .client()
        .get(so.admin(GetApiKeyRequest {
            api_key_id: id.clone(),
            domain_id: so.admin.domain_id.clone(),
            only: vec![],
        }))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.api_key, "", "the secret is never shown again");
    assert_eq!(got.api_key_id, id);

    let disabled = so
        .client()
        .disable(so.admin(request()))
        .await
        .expect("disable");
    assert_eq!(disabled.into_inner().state, State::Disabled as i32);
    assert_eq!(so.app.verify_code(&secret).await, "DISABLED");
    let enabled = so
        .client()
        .enable(so.admin(request()))
        .await
        .expect("enable");
    assert_eq!(enabled.into_inner().state, State::Enabled as i32);
    assert_eq!(so.app.verify_code(&secret).await, "VALID");

    let roles = UpdateApiKeyRoleRequest {
        api_key_id: id.clone(),
        roles: Some(match l(&["reader", "deployer"]).kind {
            Some(prost_types::value::Kind::ListValue(list)) => list,
            _ => unreachable!(),
        }),
        domain_id: so.admin.domain_id.clone(),
    };
    so.client()
        .update_role(so.admin(roles))
        .await
        .expect("update_role");
    assert_eq!(
        so.app.stored_key(&id).await["roles"],
        json!(["reader", "deployer"])
    );

    let hosts = UpdateApiKeyHostsRequest {
        api_key_id: id.clone(),
        allowed_hosts: vec![Acls {
            name: "office".into(),
            cidr: "10.1.0.0/16".into(),
        }],
        domain_id: so.admin.domain_id.clone(),
    };
    let updated = so
        .client()
        .update_allowed_hosts(so.admin(hosts))
        .await
        .expect("update_allowed_hosts")
        .into_inner();
    assert_eq!(updated.allowed_hosts[0].cidr, "10.1.0.0/16");
    assert_eq!(updated.allowed_hosts[0].name, "office");
    // Verification enforces the allow-list.
    let answer = so
        .app
        .verify(json!({"key": secret, "ip": "192.0.2.1"}))
        .await;
    assert_eq!(code_of(&answer), "IP_NOT_ALLOWED");
    let answer = so
        .app
        .verify(json!({"key": secret, "ip": "10.1.2.3"}))
        .await;
    assert_eq!(code_of(&answer), "VALID");

    so.client()
        .delete(so.admin(request()))
        .await
        .expect("delete");
    assert_status(
        so.client().enable(so.admin(request())).await,
        Code::NotFound,
        "ERROR_NOT_FOUND",
    );
    assert_eq!(so.app.verify_code(&secret).await, "NOT_FOUND");
}

#[tokio::test]
async fn get_projects_only_the_fields_named() {
    let so = setup().await;
    let user = so.user().await;
    let created = so.create(&user, ApiKeyType::User).await;
    let get = |only: Vec<String>| GetApiKeyRequest {
        api_key_id: created.api_key_id.clone(),
        domain_id: so.admin.domain_id.clone(),
        only,
    };
    let got = so
        .client()
        .get(so.admin(get(vec!["api_key_id".into(), "user_id".into()])))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.api_key_id, created.api_key_id);
    assert_eq!(got.user_id, user);
    assert_eq!(got.domain_id, "");
    assert_eq!(got.state, 0);
    assert_eq!(got.created_at, None);
    assert_status(
        so.client()
            .get(so.admin(get(vec!["password".into()])))
            .await,
        Code::InvalidArgument,
        "ERROR_INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn another_domain_sees_nothing_and_strangers_are_refused() {
    let so = setup().await;
    let user = so.user().await;
    let created = so.create(&user, ApiKeyType::User).await;
    let other = so.app.new_domain_admin_full(&unique("other")).await;
    let get = |domain: &str| GetApiKeyRequest {
        api_key_id: created.api_key_id.clone(),
        domain_id: domain.to_owned(),
        only: vec![],
    };
    // Another domain's administrator, naming either domain: not found / not theirs.
    let answer = so
        .client()
        .get(token(get(&other.domain_id), &other.token))
        .await;
    assert_status(answer, Code::NotFound, "ERROR_NOT_FOUND");
    let answer = so
        .client()
        .get(token(get(&so.admin.domain_id), &other.token))
        .await
        .expect_err("refused");
    assert!(matches!(
        answer.code(),
        Code::NotFound | Code::PermissionDenied
    ));
    // This domain's admin naming another domain: the key is not there.
    assert_status(
        so.client().get(so.admin(get(&other.domain_id))).await,
        Code::NotFound,
        "ERROR_NOT_FOUND",
    );
    // Creating a key for another domain's user.
    let request = CreateApiKeyRequest {
        api_key_type: ApiKeyType::User as i32,
        user_id: user.clone(),
        domain_id: other.domain_id.clone(),
    };
    let answer = so.client().create(token(request, &other.token)).await;
    assert!(answer.is_err(), "{answer:?}");
    // No token, a wrong token, a bearer token.
    assert_status(
        so.client()
            .get(Request::new(get(&so.admin.domain_id)))
            .await,
        Code::Unauthenticated,
        "ERROR_AUTHENTICATE_FAILURE",
    );
    assert_status(
        so.client()
            .get(token(get(&so.admin.domain_id), "kw_not-a-key"))
            .await,
        Code::Unauthenticated,
        "ERROR_AUTHENTICATE_FAILURE",
    );
    let mut bearer = Request::new(get(&so.admin.domain_id));
    let value = format!("Bearer {}", so.admin.token).parse().expect("ASCII");
    bearer.metadata_mut().insert("authorization", value);
    so.client().get(bearer).await.expect("bearer works too");
}

#[tokio::test]
async fn bad_requests_are_invalid_argument_never_internal() {
    let so = setup().await;
    let user = so.user().await;
    let none = CreateApiKeyRequest {
        api_key_type: ApiKeyType::None as i32,
        user_id: user.clone(),
        domain_id: so.admin.domain_id.clone(),
    };
    assert_status(
        so.client().create(so.admin(none)).await,
        Code::InvalidArgument,
        "api_key_type",
    );
    let unknown_type = CreateApiKeyRequest {
        api_key_type: 42,
        user_id: user.clone(),
        domain_id: so.admin.domain_id.clone(),
    };
    assert_status(
        so.client().create(so.admin(unknown_type)).await,
        Code::InvalidArgument,
        "api_key_type",
    );
    let created = so.create(&user, ApiKeyType::User).await;
    let hosts = UpdateApiKeyHostsRequest {
        api_key_id: created.api_key_id.clone(),
        allowed_hosts: vec![Acls {
            name: String::new(),
            cidr: "not a cidr".into(),
        }],
        domain_id: so.admin.domain_id.clone(),
    };
    assert_status(
        so.client().update_allowed_hosts(so.admin(hosts)).await,
        Code::InvalidArgument,
        "ERROR_INVALID_ARGUMENT",
    );
    let roles = UpdateApiKeyRoleRequest {
        api_key_id: created.api_key_id.clone(),
        roles: Some(prost_types::ListValue {
            values: vec![prost_types::Value {
                kind: Some(prost_types::value::Kind::NumberValue(1.0)),
            }],
        }),
        domain_id: so.admin.domain_id.clone(),
    };
    assert_status(
        so.client().update_role(so.admin(roles)).await,
        Code::InvalidArgument,
        "roles",
    );
    let missing = ApiKeyRequest {
        api_key_id: String::new(),
        domain_id: so.admin.domain_id.clone(),
    };
    assert_status(
        so.client().disable(so.admin(missing)).await,
        Code::InvalidArgument,
        "api_key_id",
    );
}
