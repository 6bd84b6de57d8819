//! Statistics over keys: the store groups and counts; the core checks the query and who asks.

use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreResult, Entity};
use crate::query::{AggregateQuery, AggregateRow, KeyField};

impl Keyward {
    /// Groups and aggregates the keys of the query's domain, which the caller must administer.
    pub async fn aggregate_keys(
        &self,
        caller: &Caller,
        query: &AggregateQuery<KeyField>,
    ) -> CoreResult<Vec<AggregateRow>> {
        caller.admin_of(query.domain, Entity::Domain)?;
        query.validate()?;
        Ok(self.store.aggregate_keys(query).await?)
    }
}
