//! Keys and their secrets: the managed object and the verify path's one query.

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::KeyId;
use keyward_core::model::{ApiKey, Operation};
use keyward_core::secret::SecretHash;
use keyward_core::store::StoreResult;
use sea_query::{
    Alias, Asterisk, DeleteStatement, Expr, InsertStatement, LockType, Order, SelectStatement,
    SimpleExpr, UpdateStatement, Value,
};
use sqlx::error::ErrorKind;

use super::operations::{insert_operation, insert_operations};
use super::retry::retrying;
use super::{Backend, SqlStore, Tx};
use crate::error::{conflict, corrupt, db_error, violation};
use crate::rows::{self, cidrs_json, token_set_json, Row};
use crate::schema::{json, micros, opt_micros, ApiKeys, Dialect, KeySecrets, Principals, Stmt};

/// Keys per multi-row `INSERT` of a batch: 22 bound values a key row, so 100 keys stay well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound values (and a key's two secrets, 12 more).
const KEYS_PER_STATEMENT: usize = 100;

/// What a failed key write means: a name clash, a missing owner, or something else.
fn key_write_error(error: sqlx::Error, key: &ApiKey, context: &str) -> StoreError {
    match violation(&error) {
        Some(ErrorKind::UniqueViolation) if names_constraint(&error, "name") => conflict(
            Entity::Key,
            format!("a key named `{}` already exists for this owner", key.name),
        ),
        Some(ErrorKind::UniqueViolation) => conflict(Entity::Key, "the key already exists"),
        Some(ErrorKind::ForeignKeyViolation) => conflict(
            Entity::Principal,
            "the owner does not exist in the key's domain",
        ),
        _ => db_error(error, context),
    }
}

/// Whether a constraint error is about `column`: PostgreSQL names the constraint, SQLite lists
/// the columns in its message (`UNIQUE constraint failed: api_keys.owner_id, api_keys.name`).
fn names_constraint(error: &sqlx::Error, column: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => match db.constraint() {
            Some(constraint) => constraint.contains(column),
            None => db.message().contains(&format!(".{column}")),
        },
        _ => false,
    }
}

fn secret_write_error(error: sqlx::Error) -> StoreError {
    match violation(&error) {
        Some(ErrorKind::UniqueViolation) => {
            conflict(Entity::Key, "a secret with this hash already exists")
        }
        _ => db_error(error, "writing a key's secrets"),
    }
}

/// The key, joined with its secrets (primary first) and its owner's limits, selected by `which`.
pub(super) fn key_with_secrets(dialect: Dialect, which: SimpleExpr) -> Stmt {
    let secret = |column: KeySecrets| Expr::col((KeySecrets::Table, column));
    let mut select = SelectStatement::new();
    select
        .column((ApiKeys::Table, Asterisk))
        .expr_as(secret(KeySecrets::Slot), Alias::new("s_slot"))
        .expr_as(secret(KeySecrets::Hash), Alias::new("s_hash"))
        .expr_as(secret(KeySecrets::Hint), Alias::new("s_hint"))
        .expr_as(secret(KeySecrets::CreatedAt), Alias::new("s_created_at"))
        .expr_as(secret(KeySecrets::ExpiresAt), Alias::new("s_expires_at"))
        .expr_as(
            Expr::col((Principals::Table, Principals::Limits)),
            Alias::new("owner_limits"),
        )
        .from(ApiKeys::Table)
        .left_join(
            KeySecrets::Table,
            Expr::col((KeySecrets::Table, KeySecrets::KeyId)).equals((ApiKeys::Table, ApiKeys::Id)),
        )
        .left_join(
            Principals::Table,
            Expr::col((Principals::Table, Principals::Id))
                .equals((ApiKeys::Table, ApiKeys::OwnerId)),
        )
        .and_where(which)
        .order_by((KeySecrets::Table, KeySecrets::Slot), Order::Asc);
    dialect.build(&select)
}

/// Folds the rows of `key_with_secrets` (one per secret) back into one key.
pub(super) fn fold_key(found: &[Row]) -> anyhow::Result<Option<ApiKey>> {
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let mut key = rows::key(first)?;
    for row in found {
        if rows::has_joined_secret(row)? {
            key.secrets.push(rows::secret(row, "s_")?);
        }
    }
    Ok(Some(key))
}

async fn insert_secrets(tx: &mut Tx, dialect: Dialect, key: &ApiKey) -> StoreResult<()> {
    insert_secrets_of(tx, dialect, &[key]).await
}

/// The secrets of all `keys`, in one statement.
async fn insert_secrets_of(tx: &mut Tx, dialect: Dialect, keys: &[&ApiKey]) -> StoreResult<()> {
    if keys.iter().all(|key| key.secrets.is_empty()) {
        return Ok(());
    }
    let mut insert = InsertStatement::new();
    insert.into_table(KeySecrets::Table).columns([
        KeySecrets::KeyId,
        KeySecrets::Slot,
        KeySecrets::Hash,
        KeySecrets::Hint,
        KeySecrets::CreatedAt,
        KeySecrets::ExpiresAt,
    ]);
    for key in keys {
        for secret in &key.secrets {
            insert.values_panic([
                dialect.uuid(key.id.as_uuid()).into(),
                secret.slot.as_str().into(),
                secret.hash.0.to_vec().into(),
                secret.hint.as_str().into(),
                micros(secret.created_at).into(),
                opt_micros(secret.expires_at).into(),
            ]);
        }
    }
    tx.execute(dialect.build(&insert))
        .await
        .map_err(secret_write_error)?;
    Ok(())
}

/// The key rows of all `keys`, in one statement.
async fn insert_key_rows(tx: &mut Tx, dialect: Dialect, keys: &[&ApiKey]) -> StoreResult<()> {
    let Some(first) = keys.first() else {
        return Ok(());
    };
    let mut insert = InsertStatement::new();
    insert.into_table(ApiKeys::Table).columns([
        ApiKeys::Id,
        ApiKeys::DomainId,
        ApiKeys::OwnerId,
        ApiKeys::Name,
        ApiKeys::Description,
        ApiKeys::KeyType,
        ApiKeys::State,
        ApiKeys::Roles,
        ApiKeys::Scopes,
        ApiKeys::AllowedCidrs,
        ApiKeys::ExpiresAt,
        ApiKeys::Metadata,
        ApiKeys::CreatedAt,
        ApiKeys::UpdatedAt,
        ApiKeys::LastUsedAt,
        ApiKeys::LastRotatedAt,
        ApiKeys::Version,
        ApiKeys::Limits,
        ApiKeys::CreditsRemaining,
        ApiKeys::CreditsRefill,
        ApiKeys::CreditsRefilledAt,
        ApiKeys::CreditsEpoch,
    ]);
    for key in keys {
        insert.values_panic([
            dialect.uuid(key.id.as_uuid()).into(),
            dialect.uuid(key.domain.as_uuid()).into(),
            dialect.uuid(key.owner.as_uuid()).into(),
            key.name.as_str().into(),
            key.description.as_str().into(),
            key.key_type.as_str().into(),
            key.state.as_str().into(),
            json(token_set_json(&key.roles)).into(),
            json(token_set_json(&key.scopes)).into(),
            json(cidrs_json(&key.allowed_cidrs)).into(),
            opt_micros(key.expires_at).into(),
            json(key.metadata.to_value()).into(),
            micros(key.created_at).into(),
            micros(key.updated_at).into(),
            opt_micros(key.last_used_at).into(),
            opt_micros(key.last_rotated_at).into(),
            key.version.into(),
            json(key.limits.to_value()).into(),
            credits_remaining(key).into(),
            credits_refill(key).into(),
            opt_micros(key.credits.map(|c| c.refilled_at)).into(),
            key.credits_epoch.into(),
        ]);
    }
    tx.execute(dialect.build(&insert))
        .await
        .map_err(|e| key_write_error(e, first, "inserting a key"))?;
    Ok(())
}

fn credits_remaining(key: &ApiKey) -> Value {
    Value::BigInt(
        key.credits
            .map(|c| i64::try_from(c.remaining).unwrap_or(i64::MAX)),
    )
}

fn credits_refill(key: &ApiKey) -> Value {
    Value::Json(
        key.credits
            .and_then(|c| c.refill)
            .and_then(|r| serde_json::to_value(r).ok())
            .map(Box::new),
    )
}

/// Writes the key's credit balance if its epoch is not the stored one: the balance was set or
/// removed by this change. Otherwise the stored balance, which nodes lease from, stays as it is.
async fn write_credits_if_set(tx: &mut Tx, dialect: Dialect, key: &ApiKey) -> StoreResult<()> {
    let mut update = UpdateStatement::new();
    update
        .table(ApiKeys::Table)
        .values([
            (ApiKeys::CreditsRemaining, credits_remaining(key).into()),
            (ApiKeys::CreditsRefill, credits_refill(key).into()),
            (
                ApiKeys::CreditsRefilledAt,
                opt_micros(key.credits.map(|c| c.refilled_at)).into(),
            ),
            (ApiKeys::CreditsEpoch, key.credits_epoch.into()),
        ])
        .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(key.id.as_uuid())))
        .and_where(Expr::col(ApiKeys::CreditsEpoch).ne(key.credits_epoch));
    tx.execute(dialect.build(&update))
        .await
        .map_err(|e| db_error(e, "setting a key's credits"))?;
    Ok(())
}

/// Deletes every secret of key `id`; answers the hashes they had.
async fn remove_secrets(tx: &mut Tx, dialect: Dialect, id: KeyId) -> StoreResult<Vec<SecretHash>> {
    let mut delete = DeleteStatement::new();
    delete
        .from_table(KeySecrets::Table)
        .and_where(Expr::col(KeySecrets::KeyId).eq(dialect.uuid(id.as_uuid())))
        .returning_col(KeySecrets::Hash);
    let removed = tx
        .fetch_all(dialect.build(&delete))
        .await
        .map_err(|e| db_error(e, "removing a key's secrets"))?;
    removed
        .iter()
        .map(|row| rows::secret_hash(row, "hash"))
        .collect::<anyhow::Result<_>>()
        .map_err(corrupt)
}

/// Locks the key row `id` for the rest of the transaction (PostgreSQL; SQLite's writer holds the
/// whole database already). Every transaction that writes a key or a row hanging off it (secrets,
/// subscriptions, access keys) takes this lock first, or starts with an `UPDATE` of the key row,
/// which takes it too: one order for everyone, so two writers of one key queue instead of
/// deadlocking. Answers whether the key exists.
pub(super) async fn lock_key(tx: &mut Tx, dialect: Dialect, id: KeyId) -> StoreResult<bool> {
    if dialect != Dialect::Postgres {
        return Ok(true);
    }
    let mut select = SelectStatement::new();
    select
        .column(ApiKeys::Id)
        .from(ApiKeys::Table)
        .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(id.as_uuid())))
        .lock(LockType::Update);
    let found = tx
        .fetch_optional(dialect.build(&select))
        .await
        .map_err(|e| db_error(e, "locking a key"))?;
    Ok(found.is_some())
}

fn hashes_of(key: &ApiKey) -> Vec<SecretHash> {
    key.secrets.iter().map(|secret| secret.hash).collect()
}

impl<B: Backend> SqlStore<B> {
    /// One key in a transaction of its own.
    pub(super) async fn insert_key_now(&self, key: &ApiKey, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Key, || self.insert_key_once(key, op)).await
    }

    async fn insert_key_once(&self, key: &ApiKey, op: &Operation) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.insert_key_in(&mut tx, key, op).await?;
        tx.commit().await
    }

    /// Several keys in one transaction, each kind of row in as few statements as the backends'
    /// limits on bound values allow: all of them, or (on any error) none. An error names the
    /// first key of its statement, so the group-commit writer retries one by one for exact answers.
    pub(super) async fn insert_keys_together(
        &self,
        keys: &[(&ApiKey, &Operation)],
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut tx = self.begin_write().await?;
        for chunk in keys.chunks(KEYS_PER_STATEMENT) {
            let rows: Vec<&ApiKey> = chunk.iter().map(|(key, _)| *key).collect();
            let ops: Vec<&Operation> = chunk.iter().map(|(_, op)| *op).collect();
            insert_key_rows(&mut tx, dialect, &rows).await?;
            insert_secrets_of(&mut tx, dialect, &rows).await?;
            insert_operations(&mut tx, dialect, &ops).await?;
            let hashes: Vec<SecretHash> = rows.iter().flat_map(|key| hashes_of(key)).collect();
            tx.publish_key_change(&self.origin, &hashes).await?;
        }
        tx.commit().await
    }

    /// The statements of one key insert, in the caller's transaction.
    async fn insert_key_in(&self, tx: &mut Tx, key: &ApiKey, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        insert_key_rows(tx, dialect, &[key]).await?;
        insert_secrets(tx, dialect, key).await?;
        insert_operation(tx, dialect, op).await?;
        // A new secret's hash may sit in another node's cache as "unknown".
        tx.publish_key_change(&self.origin, &hashes_of(key)).await
    }

    /// The one key `which` selects, with its secrets and accepted products.
    pub(super) async fn key_where(&self, which: SimpleExpr) -> StoreResult<Option<ApiKey>> {
        let dialect = self.dialect();
        let found = self
            .fetch_all(key_with_secrets(dialect, which))
            .await
            .map_err(|e| db_error(e, "loading a key"))?;
        self.with_products(fold_key(&found).map_err(corrupt)?).await
    }

    /// `update_key`'s transaction. Its first statement, the `UPDATE` of the key row, takes the
    /// key's lock (`lock_key`) before the secrets are touched.
    pub(super) async fn update_key_once(
        &self,
        key: &ApiKey,
        expected_version: i64,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut update = UpdateStatement::new();
        update
            .table(ApiKeys::Table)
            .values([
                (ApiKeys::Name, key.name.as_str().into()),
                (ApiKeys::Description, key.description.as_str().into()),
                (ApiKeys::KeyType, key.key_type.as_str().into()),
                (ApiKeys::State, key.state.as_str().into()),
                (ApiKeys::Roles, json(token_set_json(&key.roles)).into()),
                (ApiKeys::Scopes, json(token_set_json(&key.scopes)).into()),
                (
                    ApiKeys::AllowedCidrs,
                    json(cidrs_json(&key.allowed_cidrs)).into(),
                ),
                (ApiKeys::ExpiresAt, opt_micros(key.expires_at).into()),
                (ApiKeys::Metadata, json(key.metadata.to_value()).into()),
                (ApiKeys::UpdatedAt, micros(key.updated_at).into()),
                (
                    ApiKeys::LastRotatedAt,
                    opt_micros(key.last_rotated_at).into(),
                ),
                (ApiKeys::Version, key.version.into()),
                (ApiKeys::Limits, json(key.limits.to_value()).into()),
            ])
            .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(key.id.as_uuid())))
            .and_where(Expr::col(ApiKeys::Version).eq(expected_version));
        let mut tx = self.begin_write().await?;
        let changed = tx
            .execute(dialect.build(&update))
            .await
            .map_err(|e| key_write_error(e, key, "updating a key"))?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        write_credits_if_set(&mut tx, dialect, key).await?;
        let mut changed_hashes = remove_secrets(&mut tx, dialect, key.id).await?;
        insert_secrets(&mut tx, dialect, key).await?;
        insert_operation(&mut tx, dialect, op).await?;
        changed_hashes.extend(hashes_of(key));
        tx.publish_key_change(&self.origin, &changed_hashes).await?;
        tx.commit().await
    }

    /// `delete_key`'s transaction: the key row is locked before its secrets are removed, in the
    /// order every key write takes (`lock_key`). Removing the secrets first, as this once did,
    /// deadlocked against an update holding the key row and reaching for the secrets.
    pub(super) async fn delete_key_once(&self, id: KeyId, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut delete = DeleteStatement::new();
        delete
            .from_table(ApiKeys::Table)
            .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(id.as_uuid())));
        let mut tx = self.begin_write().await?;
        if !lock_key(&mut tx, dialect, id).await? {
            return Err(StoreError::Stale);
        }
        // Explicitly rather than by cascade, to learn the hashes other nodes must forget.
        let old_hashes = remove_secrets(&mut tx, dialect, id).await?;
        let deleted = tx
            .execute(dialect.build(&delete))
            .await
            .map_err(|e| db_error(e, "deleting a key"))?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.publish_key_change(&self.origin, &old_hashes).await?;
        tx.commit().await
    }
}
