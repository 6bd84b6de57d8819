//! What client commands print: aligned tables and `field: value` blocks for people, the server's
//! JSON (`-o json`, `--json`) or the same as YAML (`-o yaml`) for scripts. Everything is rendered to a `String` first and written to stdout
//! in one go, so a closed pipe (`| head`) ends the command quietly instead of panicking.

use std::io::Write;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Writes `text` to stdout. A reader that went away is not an error worth reporting.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The `-o`/`--output` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Tables and `label: value` blocks, for people.
    #[default]
    Table,
    /// The server's JSON, pretty-printed.
    Json,
    /// The server's JSON as YAML.
    Yaml,
}

impl Format {
    /// The value in the machine-readable format, or `None` for `table` (the caller renders it).
    pub fn structured(self, value: &Value) -> Option<String> {
        match self {
            Format::Table => None,
            Format::Json => Some(json(value)),
            Format::Yaml => Some(yaml(value)),
        }
    }
}

/// YAML, newline-terminated. A `Value` always serializes; the fallback is JSON, which is YAML.
pub fn yaml(value: &Value) -> String {
    let mut text = serde_norway::to_string(value).unwrap_or_else(|_| value.to_string());
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Pretty JSON, newline-terminated.
pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// A table with a header row; columns are as wide as their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `label: value` lines with the values aligned.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value) in pairs {
        // Continuation lines of a multi-line value start under its first line.
        let indent = format!("\n{:width$}", "", width = width + 2);
        let value = value.replace('\n', &indent);
        let line = format!(
            "{label}:{:pad$} {value}",
            "",
            pad = width - label.chars().count()
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A field as a table cell: strings as they are, `null`/missing as `-`, lists comma-joined,
/// booleans as yes/no, RFC 3339 times shortened to the second.
pub fn text(value: &Value, key: &str) -> String {
    cell(value.get(key).unwrap_or(&Value::Null))
}

pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => short_time(s).unwrap_or_else(|| s.clone()),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
    }
}

/// A time field, with a word for "not set" (`never`, `no expiry`).
pub fn time_or(value: &Value, key: &str, absent: &str) -> String {
    match value.get(key) {
        None | Some(Value::Null) => absent.into(),
        Some(v) => cell(v),
    }
}

/// `2026-11-22T09:41:07.123456Z` → `2026-11-22 09:41:07Z`; `None` when `text` is not a time.
fn short_time(text: &str) -> Option<String> {
    // Cheap shape test first: most strings are names and ids.
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]Z"
        ))
        .ok()
}

/// `allowed_cidrs` as `office=192.0.2.0/24, 10.0.0.0/8`.
pub fn cidrs(value: &Value) -> String {
    let Some(items) = value.get("allowed_cidrs").and_then(Value::as_array) else {
        return "-".into();
    };
    if items.is_empty() {
        return "any".into();
    }
    items
        .iter()
        .map(|item| {
            let cidr = item.get("cidr").map(cell).unwrap_or_default();
            match item.get("name").and_then(Value::as_str) {
                Some(name) => format!("{name}={cidr}"),
                None => cidr,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_align_columns_and_trim_line_ends() {
        let mut table = Table::new(&["ID", "NAME", "STATE"]);
        table.row(vec!["1".into(), "ci-deploy".into(), "enabled".into()]);
        table.row(vec!["22".into(), "kw_…a1B2".into(), "-".into()]);
        assert_eq!(
            table.render(),
            "ID  NAME       STATE\n1   ci-deploy  enabled\n22  kw_…a1B2   -\n"
        );
    }

    #[test]
    fn cells_are_readable() {
        let v = json!({"t": "2026-11-22T09:41:07.123456Z", "l": ["a", "b"], "e": [], "b": false, "n": null});
        assert_eq!(text(&v, "t"), "2026-11-22 09:41:07Z");
        assert_eq!(text(&v, "l"), "a, b");
        assert_eq!(text(&v, "e"), "-");
        assert_eq!(text(&v, "b"), "no");
        assert_eq!(text(&v, "n"), "-");
        assert_eq!(text(&v, "missing"), "-");
        assert_eq!(time_or(&v, "n", "never"), "never");
        let k = json!({"allowed_cidrs": [{"name": "office", "cidr": "192.0.2.0/24"}, {"cidr": "10.0.0.0/8"}]});
        assert_eq!(cidrs(&k), "office=192.0.2.0/24, 10.0.0.0/8");
    }

    #[test]
    fn yaml_is_the_same_document() {
        let value = json!({"items": [{"id": "1", "name": "ci: deploy"}], "next_cursor": null});
        let text = Format::Yaml.structured(&value).expect("yaml");
        let back: Value = serde_norway::from_str(&text).expect("parses back");
        assert_eq!(back, value);
        assert!(text.contains("next_cursor: null"), "{text}");
        assert_eq!(Format::Table.structured(&value), None);
    }

    #[test]
    fn fields_align_values() {
        let out = fields(&[
            ("id", "1".into()),
            ("last used", "never".into()),
            ("x", String::new()),
        ]);
        assert_eq!(out, "id:        1\nlast used: never\nx:\n");
    }
}
