//! The flags every list command shares, and cursor-following for `--all` (with a progress line
//! on stderr when stderr is a terminal, so logs of scripts stay clean).

use std::io::{IsTerminal, Write};

use serde_json::{json, Value};

use super::client::{ApiClient, ClientError};

/// Paging: one page by default, every page with `--all`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PageArgs {
    /// Items per page (1–1000; the server's default is 50).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Start from this `next_cursor` of an earlier page.
    #[arg(long, value_name = "CURSOR", conflicts_with = "all")]
    pub cursor: Option<String>,
    /// Follow cursors until the last page.
    #[arg(long)]
    pub all: bool,
}

/// Filtering and sorting for keys and principals.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// Domain to list (default: the domain of the token's key).
    #[arg(long = "domain", value_name = "ID", value_parser = parse_id)]
    pub domain_id: Option<String>,
    /// `field=[op:]value`, e.g. `state=enabled` or `name=starts_with:ci-` (repeatable; ANDed).
    #[arg(long = "filter", value_name = "FIELD=[OP:]VALUE", value_parser = parse_filter)]
    pub filters: Vec<(String, String)>,
    /// Sort field; prefix `-` for descending, e.g. `-created_at`.
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    pub sort: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
}

impl ListArgs {
    /// The query string, paging left to [`fetch`].
    pub fn query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(domain) = &self.domain_id {
            query.push(("domain_id".to_string(), domain.clone()));
        }
        query.extend(self.filters.iter().cloned());
        if let Some(sort) = &self.sort {
            query.push(("sort".to_string(), sort.clone()));
        }
        query
    }
}

/// `field=[op:]value` → (`field`, `[op:]value`); the server parses the operator.
pub fn parse_filter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() => {
            Ok((field.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "`{text}` is not a filter: use field=[op:]value, e.g. name=starts_with:ci-"
        )),
    }
}

/// Ids are UUIDs; checking here gives a clear message and keeps odd text out of URL paths.
pub fn parse_id(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text.trim())
        .map(|id| id.to_string())
        .map_err(|_| format!("`{text}` is not an id (ids are UUIDs)"))
}

/// Fetches one page, or every page with `--all`, as `{"items": [...], "next_cursor": ...}`.
pub async fn fetch(
    client: &ApiClient,
    segments: &[&str],
    mut query: Vec<(String, String)>,
    page: &PageArgs,
) -> Result<Value, ClientError> {
    if let Some(limit) = page.limit {
        query.push(("limit".to_string(), limit.to_string()));
    }
    let mut items = Vec::new();
    let mut cursor = page.cursor.clone();
    let mut progress = Progress::new(page.all);
    loop {
        let mut this_page = query.clone();
        if let Some(cursor) = &cursor {
            this_page.push(("cursor".to_string(), cursor.clone()));
        }
        let body = client.get(segments, &this_page).await?;
        if let Some(page_items) = body.get("items").and_then(Value::as_array) {
            items.extend(page_items.iter().cloned());
        }
        let next = body
            .get("next_cursor")
            .and_then(Value::as_str)
            .map(str::to_string);
        // A cursor that does not move would loop for ever; stop rather than trust it.
        if !page.all || next.is_none() || next == cursor {
            progress.finish();
            return Ok(json!({"items": items, "next_cursor": next}));
        }
        progress.page_done(items.len());
        cursor = next;
    }
}

/// `fetched 3 pages, 150 items…`, rewritten in place on a terminal's stderr, erased at the end.
struct Progress {
    shown: bool,
    on: bool,
    pages: usize,
}

impl Progress {
    fn new(all: bool) -> Self {
        Self {
            shown: false,
            on: all && std::io::stderr().is_terminal(),
            pages: 0,
        }
    }

    fn page_done(&mut self, items: usize) {
        self.pages += 1;
        if self.on {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\rfetched {} pages, {items} items…", self.pages);
            let _ = stderr.flush();
            self.shown = true;
        }
    }

    fn finish(&mut self) {
        if self.shown {
            // Carriage return, then erase to the end of the line.
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    /// An error mid-way must not leave the line under the error message.
    fn drop(&mut self) {
        self.finish();
    }
}

/// The items of a fetched list.
pub fn items(list: &Value) -> &[Value] {
    list.get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// After a table: how to get the next page, on stderr so stdout stays the table.
pub fn hint_next_page(list: &Value) {
    if let Some(next) = list.get("next_cursor").and_then(Value::as_str) {
        eprintln!("more results: repeat with --cursor {next} (or --all)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_filter("name=eq:a=b"),
            Ok(("name".into(), "eq:a=b".into()))
        );
        assert_eq!(parse_filter("state="), Ok(("state".into(), String::new())));
        assert!(parse_filter("state").is_err());
        assert!(parse_filter("=x").is_err());
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(parse_id("0190a3c2-7e4b-7c3d-8a9b-0123456789ab").is_ok());
        assert!(parse_id("..").is_err());
        assert!(parse_id("").is_err());
    }
}
