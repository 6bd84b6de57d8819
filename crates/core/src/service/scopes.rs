//! The scope vocabulary of a domain: the distinct scopes its keys hold (Yandex's `ListScopes`).

use std::collections::BTreeSet;

use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreResult, Entity};
use crate::ids::DomainId;
use crate::query::{Cursor, Filter, KeyField, Query, Sort, Value, Window, MAX_PAGE_SIZE};

impl Keyward {
    /// Every scope held by at least one key of `domain`, distinct and sorted.
    ///
    /// The `Store` has no DISTINCT query, so this walks the domain's keys by id in pages of
    /// 1,000: one read per thousand keys. A store-side query can replace it unseen.
    pub async fn scopes_in_use(
        &self,
        caller: &Caller,
        domain: DomainId,
    ) -> CoreResult<Vec<String>> {
        caller.admin_of(domain, Entity::Domain)?;
        let sort = Sort {
            field: KeyField::Id,
            descending: false,
        };
        let page = MAX_PAGE_SIZE as usize;
        let mut scopes = BTreeSet::new();
        let mut after: Option<Cursor> = None;
        loop {
            let query = Query {
                domain,
                filter: Filter::default(),
                sort,
                window: Window::After(after.take()),
                limit: MAX_PAGE_SIZE,
            };
            // The store returns up to `limit + 1` rows: the extra one says more follow.
            let mut keys = self.store.list_keys(&query).await?;
            let more = keys.len() > page;
            keys.truncate(page);
            for key in &keys {
                scopes.extend(key.scopes.iter().map(str::to_owned));
            }
            match keys.last() {
                Some(last) if more => {
                    after = Some(Cursor {
                        sort: Cursor::sort_tag(&sort),
                        value: Value::Text(last.id.to_string()),
                        id: last.id.as_uuid(),
                    });
                }
                _ => return Ok(scopes.into_iter().collect()),
            }
        }
    }
}
