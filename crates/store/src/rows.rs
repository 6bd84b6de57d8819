//! From stored rows back to the model. Every value goes through the model's own `parse`, so a
//! corrupt row is reported (as `Internal`) instead of producing an object the core would refuse.

use anyhow::{anyhow, Context as _};
use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId};
use keyward_core::model::{
    Actor, AllowedCidr, ApiKey, Description, Domain, KeyState, KeyType, Metadata, Name, Operation,
    Principal, PrincipalKind, SecretInfo, SecretSlot, TargetKind, TokenSet,
};
use keyward_core::secret::SecretHash;
use keyward_core::usage::{Credits, Limits, Refill, StoredCredits, UsageRules};
use serde_json::{json, Value as Json};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Row as _, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::from_micros;

/// A result row of either backend. The getters hide the one representation that differs (ids).
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// A column whose Rust type decodes the same way on both backends.
    pub(crate) fn get<T>(&self, column: &str) -> anyhow::Result<T>
    where
        T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
        T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    {
        match self {
            Row::Sqlite(row) => row.try_get(column),
            Row::Postgres(row) => row.try_get(column),
        }
        .with_context(|| format!("reading column `{column}`"))
    }

    pub(crate) fn uuid(&self, column: &str) -> anyhow::Result<Uuid> {
        match self {
            Row::Sqlite(row) => {
                let text: String = row
                    .try_get(column)
                    .with_context(|| format!("reading column `{column}`"))?;
                Uuid::parse_str(&text).with_context(|| format!("column `{column}` is not a UUID"))
            }
            Row::Postgres(row) => row
                .try_get(column)
                .with_context(|| format!("reading column `{column}`")),
        }
    }

    /// A nullable id column.
    pub(crate) fn opt_uuid(&self, column: &str) -> anyhow::Result<Option<Uuid>> {
        match self {
            Row::Sqlite(row) => {
                let text: Option<String> = row
                    .try_get(column)
                    .with_context(|| format!("reading column `{column}`"))?;
                text.map(|t| {
                    Uuid::parse_str(&t).with_context(|| format!("column `{column}` is not a UUID"))
                })
                .transpose()
            }
            Row::Postgres(row) => row
                .try_get(column)
                .with_context(|| format!("reading column `{column}`")),
        }
    }

    pub(crate) fn time(&self, column: &str) -> anyhow::Result<OffsetDateTime> {
        from_micros(self.get(column)?)
    }

    fn opt_time(&self, column: &str) -> anyhow::Result<Option<OffsetDateTime>> {
        self.get::<Option<i64>>(column)?
            .map(from_micros)
            .transpose()
    }

    /// Whether the row has this column (statements that join more than the table select more).
    pub(crate) fn has(&self, column: &str) -> bool {
        match self {
            Row::Sqlite(row) => row.try_column(column).is_ok(),
            Row::Postgres(row) => row.try_column(column).is_ok(),
        }
    }

    /// Reads the single integer a `COUNT(*)` answers.
    pub fn count(&self) -> anyhow::Result<u64> {
        let count: i64 = match self {
            Row::Sqlite(row) => row.try_get(0),
            Row::Postgres(row) => row.try_get(0),
        }
        .context("reading a count")?;
        u64::try_from(count).context("negative count")
    }

    /// The key id of a `key_secrets` row, to group secrets by key.
    pub fn key_id(&self) -> anyhow::Result<Uuid> {
        self.uuid("key_id")
    }
}

pub(crate) fn domain(row: &Row) -> anyhow::Result<Domain> {
    Ok(Domain {
        id: DomainId::from_uuid(row.uuid("id")?),
        name: Name::from_stored(row.get::<String>("name")?),
        description: Description::from_stored(row.get::<String>("description")?),
        is_root: row.get("is_root")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn principal(row: &Row) -> anyhow::Result<Principal> {
    Ok(Principal {
        id: PrincipalId::from_uuid(row.uuid("id")?),
        domain: DomainId::from_uuid(row.uuid("domain_id")?),
        kind: PrincipalKind::parse(&row.get::<String>("kind")?)?,
        name: Name::from_stored(row.get::<String>("name")?),
        description: Description::from_stored(row.get::<String>("description")?),
        external: row.get("external")?,
        limits: Limits::from_stored(row.get("limits")?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A key row without its secrets; the caller attaches them (`ApiKey::secrets` starts empty).
pub(crate) fn key(row: &Row) -> anyhow::Result<ApiKey> {
    let id = row.uuid("id")?;
    let parse = || -> anyhow::Result<ApiKey> {
        Ok(ApiKey {
            id: KeyId::from_uuid(id),
            domain: DomainId::from_uuid(row.uuid("domain_id")?),
            owner: PrincipalId::from_uuid(row.uuid("owner_id")?),
            name: Name::from_stored(row.get::<String>("name")?),
            description: Description::from_stored(row.get::<String>("description")?),
            key_type: KeyType::parse(&row.get::<String>("key_type")?)?,
            state: KeyState::parse(&row.get::<String>("state")?)?,
            roles: token_set("roles", row.get("roles")?)?,
            scopes: token_set("scopes", row.get("scopes")?)?,
            allowed_cidrs: cidrs_from_json(row.get("allowed_cidrs")?)?,
            expires_at: row.opt_time("expires_at")?,
            metadata: Metadata::from_stored(row.get("metadata")?),
            limits: Limits::from_stored(row.get("limits")?),
            credits: credits(row)?.map(|stored| stored.credits),
            credits_epoch: row.get("credits_epoch")?,
            usage: UsageRules {
                owner: if row.has("owner_limits") {
                    Limits::from_stored(row.get("owner_limits")?)
                } else {
                    Limits::default()
                },
                plans: Vec::new(),
            },
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            last_used_at: row.opt_time("last_used_at")?,
            last_rotated_at: row.opt_time("last_rotated_at")?,
            secrets: Vec::new(),
            products: Vec::new(),
            version: row.get("version")?,
        })
    };
    parse().with_context(|| format!("key {id} is stored in a form keyward cannot read"))
}

/// A key row's credit balance: `None` when it has none.
pub(crate) fn credits(row: &Row) -> anyhow::Result<Option<StoredCredits>> {
    let Some(remaining) = row.get::<Option<i64>>("credits_remaining")? else {
        return Ok(None);
    };
    let refill = match row.get::<Option<Json>>("credits_refill")? {
        Some(json) => Some(serde_json::from_value::<Refill>(json).context("credits_refill")?),
        None => None,
    };
    let refilled_at = row
        .opt_time("credits_refilled_at")?
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    Ok(Some(StoredCredits {
        credits: Credits {
            remaining: u64::try_from(remaining).context("negative credits")?,
            refill,
            refilled_at,
        },
        epoch: row.get("credits_epoch")?,
    }))
}

/// One secret. `prefix` is how the columns are named in a join (`s_slot`, ...), or empty.
pub(crate) fn secret(row: &Row, prefix: &str) -> anyhow::Result<SecretInfo> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(SecretInfo {
        slot: SecretSlot::parse(&row.get::<String>(&col("slot"))?)?,
        hash: secret_hash(row, &col("hash"))?,
        hint: row.get(&col("hint"))?,
        created_at: row.time(&col("created_at"))?,
        expires_at: row.opt_time(&col("expires_at"))?,
    })
}

/// A secret hash column: exactly 32 bytes.
pub(crate) fn secret_hash(row: &Row, column: &str) -> anyhow::Result<SecretHash> {
    let hash: Vec<u8> = row.get(column)?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|bytes: Vec<u8>| anyhow!("a secret hash has {} bytes, not 32", bytes.len()))?;
    Ok(SecretHash(hash))
}

/// Whether a joined key row carries a secret (a LEFT JOIN gives NULLs for a key without any).
pub(crate) fn has_joined_secret(row: &Row) -> anyhow::Result<bool> {
    Ok(row.get::<Option<String>>("s_slot")?.is_some())
}

pub(crate) fn operation(row: &Row) -> anyhow::Result<Operation> {
    let id = row.uuid("id")?;
    let parse = || -> anyhow::Result<Operation> {
        Ok(Operation {
            id: OperationId::from_uuid(id),
            domain: DomainId::from_uuid(row.uuid("domain_id")?),
            actor: actor_from_json(&row.get("actor")?)?,
            action: row.get("action")?,
            target_kind: TargetKind::parse(&row.get::<String>("target_kind")?)?,
            target_id: row.uuid("target_id")?,
            at: row.time("at")?,
            metadata: row.get("metadata")?,
            result: row.get("result")?,
        })
    };
    parse().with_context(|| format!("operation {id} is stored in a form keyward cannot read"))
}

fn token_set(field: &'static str, value: Json) -> anyhow::Result<TokenSet> {
    let items: Vec<String> =
        serde_json::from_value(value).with_context(|| format!("`{field}` is not a string list"))?;
    Ok(TokenSet::parse(field, items)?)
}

pub(crate) fn token_set_json(set: &TokenSet) -> Json {
    Json::Array(set.iter().map(|t| Json::String(t.to_owned())).collect())
}

/// `[{"name": "office" | null, "cidr": "192.0.2.0/24"}]`, the API's own shape.
pub(crate) fn cidrs_json(cidrs: &[AllowedCidr]) -> Json {
    Json::Array(
        cidrs
            .iter()
            .map(|c| json!({"name": c.name.as_ref().map(Name::as_str), "cidr": c.cidr.to_string()}))
            .collect(),
    )
}

fn cidrs_from_json(value: Json) -> anyhow::Result<Vec<AllowedCidr>> {
    let Json::Array(items) = value else {
        return Err(anyhow!("`allowed_cidrs` is not a list"));
    };
    items
        .iter()
        .map(|item| {
            let cidr = item
                .get("cidr")
                .and_then(Json::as_str)
                .ok_or_else(|| anyhow!("an allowed CIDR has no `cidr`"))?;
            let name = item.get("name").and_then(Json::as_str).map(str::to_owned);
            Ok(AllowedCidr::parse(name, cidr)?)
        })
        .collect()
}

/// The actor as stored: the same JSON shape the API shows (`{"kind": "system"}` or
/// `{"kind": "key", "key_id": …, "principal_id": …}`).
pub(crate) fn actor_json(actor: &Actor) -> Json {
    match actor {
        Actor::System => json!({"kind": "system"}),
        Actor::Key {
            key_id,
            principal_id,
        } => {
            json!({"kind": "key", "key_id": key_id.to_string(), "principal_id": principal_id.to_string()})
        }
    }
}

fn actor_from_json(value: &Json) -> anyhow::Result<Actor> {
    let id = |field: &str| -> anyhow::Result<Uuid> {
        let text = value
            .get(field)
            .and_then(Json::as_str)
            .ok_or_else(|| anyhow!("actor has no `{field}`"))?;
        Ok(Uuid::parse_str(text)?)
    };
    match value.get("kind").and_then(Json::as_str) {
        Some("system") => Ok(Actor::System),
        Some("key") => Ok(Actor::Key {
            key_id: KeyId::from_uuid(id("key_id")?),
            principal_id: PrincipalId::from_uuid(id("principal_id")?),
        }),
        other => Err(anyhow!("unknown actor kind {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip() {
        let actor = Actor::Key {
            key_id: KeyId::new(),
            principal_id: PrincipalId::new(),
        };
        assert_eq!(actor_from_json(&actor_json(&actor)).expect("valid"), actor);
        assert_eq!(
            actor_from_json(&actor_json(&Actor::System)).expect("valid"),
            Actor::System
        );
        // The stored shape is the API's shape.
        assert_eq!(
            actor_json(&actor),
            serde_json::to_value(&actor).expect("serializable")
        );
    }

    #[test]
    fn cidrs_round_trip() {
        let cidrs = vec![
            AllowedCidr::parse(Some("office".into()), "192.0.2.0/24").expect("valid"),
            AllowedCidr::parse(None, "2001:db8::/32").expect("valid"),
        ];
        assert_eq!(cidrs_from_json(cidrs_json(&cidrs)).expect("valid"), cidrs);
    }
}
