//! Four keys of one service account with distinct, round times, one disabled, one rotated, one
//! used to log in: something for every filter and sort to tell apart.
//!
//! | key        | description       | created  | updated  | active | last_rotated | last_login |
//! |------------|-------------------|----------|----------|--------|--------------|------------|
//! | alpha      | first key         | T0+1m    | T0+1m    | yes    | –            | T0+7m      |
//! | beta       | second key        | T0+2m    | T0+5m    | no     | –            | –          |
//! | gamma      | (empty)           | T0+3m    | T0+6m    | yes    | T0+6m        | –          |
//! | delta_50%  | literal % and _   | T0+4m    | T0+4m    | yes    | –            | –          |

use keyward_testkit::app::{eventually, TestApp};
use keyward_testkit::fixtures::id_of;
use serde_json::{json, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::helpers::{key_path, keys_path, login, names, secret_of, Zen};

pub const T0: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);
pub const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta_50%"];

pub struct Keys {
    pub zen: Zen,
    pub sa: String,
    /// Key ids, in the order of `NAMES`.
    pub ids: Vec<String>,
}

impl Keys {
    pub fn id(&self, name: &str) -> &str {
        let at = NAMES
            .iter()
            .position(|n| *n == name)
            .expect("a fixture key");
        &self.ids[at]
    }

    /// The names of the keys matching `query` (sorted by `created`, ZenML's default).
    pub async fn matching(&self, app: &TestApp, query: &str) -> Vec<String> {
        let path = format!("{}?size=100&{query}", keys_path(&self.sa));
        names(&self.zen.get(app, &path).await.expect_status(200))
    }

    /// The answer to a list with `query`, whatever its status.
    pub async fn list(&self, app: &TestApp, query: &str) -> keyward_testkit::app::Reply {
        self.zen
            .get(app, &format!("{}?{query}", keys_path(&self.sa)))
            .await
    }

    /// The given names, in the order of their ids (the tie-breaker of every sort).
    pub fn by_id(&self, names: &[&str]) -> Vec<String> {
        let mut named: Vec<(&str, &str)> = names.iter().map(|n| (self.id(n), *n)).collect();
        named.sort();
        named.into_iter().map(|(_, n)| n.to_owned()).collect()
    }
}

/// `2030-01-01 00:MM:00`, ZenML's filter format.
pub fn at(minutes: i64) -> String {
    let t = T0 + Duration::minutes(minutes);
    format!("2030-01-01 00:{:02}:00", t.minute())
}

pub async fn keys(app: &TestApp) -> Keys {
    app.clock.set(T0);
    let zen = Zen::new(app).await;
    let sa = zen.account(app, "fixture").await;
    let descriptions = ["first key", "second key", "", "literal % and _"];
    let mut ids = Vec::new();
    let mut secrets = Vec::new();
    for (name, description) in NAMES.iter().zip(descriptions) {
        app.clock.advance(Duration::minutes(1));
        let created = zen.key(app, &sa, name, description).await;
        ids.push(id_of(&created));
        secrets.push(secret_of(&created));
    }
    app.clock.set(T0 + Duration::minutes(5));
    zen.put(app, &key_path(&sa, "beta"), json!({"active": false}))
        .await
        .expect_status(200);
    app.clock.set(T0 + Duration::minutes(6));
    zen.put(
        app,
        &format!("{}/rotate", key_path(&sa, "gamma")),
        json!({}),
    )
    .await
    .expect_status(200);
    app.clock.set(T0 + Duration::minutes(7));
    login(app, &secrets[0]).await;
    let alpha = key_path(&sa, "alpha");
    eventually("alpha's last_login is written behind", || async {
        let key: Value = zen.get(app, &alpha).await.expect_status(200);
        (!key["metadata"]["last_login"].is_null()).then_some(())
    })
    .await;
    Keys { zen, sa, ids }
}
