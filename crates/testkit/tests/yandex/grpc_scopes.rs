//! ListScopes over gRPC: the scopes in use in the caller's domain, sorted and paged.

use keyward_compat::yandex::proto::iam::ListApiKeyScopesRequest;
use serde_json::json;
use tonic::Code;

use crate::support::{assert_status, setup};

#[tokio::test]
async fn list_scopes_pages_through_the_scopes_in_use_in_the_domain() {
    let y = setup().await;
    y.create_described("", &["b", "a"]).await;
    y.create_described("", &["c", "b"]).await;
    y.create_described("", &["d"]).await;
    // Another domain's scopes are not this domain's vocabulary.
    let other = y.app.new_domain_admin_full("elsewhere").await;
    let owner = other.principal_id.clone();
    y.app
        .create_key(
            &other.token,
            &owner,
            json!({"name": "x", "scopes": ["zzz"]}),
        )
        .await;

    let page = |size: i64, token: &str| ListApiKeyScopesRequest {
        page_size: size,
        page_token: token.to_owned(),
    };
    let first = y
        .keys()
        .list_scopes(y.admin(page(3, "")))
        .await
        .expect("ListScopes");
    let first = first.into_inner();
    assert_eq!(first.scopes, ["a", "b", "c"]);
    assert!(!first.next_page_token.is_empty());
    let second = y
        .keys()
        .list_scopes(y.admin(page(3, &first.next_page_token)))
        .await
        .expect("ListScopes")
        .into_inner();
    assert_eq!(second.scopes, ["d"]);
    assert_eq!(second.next_page_token, "");
    let all = y
        .keys()
        .list_scopes(y.admin(page(0, "")))
        .await
        .expect("ListScopes");
    assert_eq!(all.into_inner().scopes, ["a", "b", "c", "d"]);
    assert_status(
        y.keys().list_scopes(y.admin(page(0, "!!"))).await,
        Code::InvalidArgument,
        "page_token",
    );
}
