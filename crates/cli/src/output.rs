//! Rendering of command results: aligned tables for lists, `Key: Value` lines for single objects,
//! and pretty JSON.
//!
//! Text from the server can contain anything a caller stored, so table and `Key: Value` output
//! escapes control characters: a stored description cannot move the cursor or recolour the terminal.

use std::io::Write;

use serde_json::Value;

/// Output format chosen with `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Text for people: aligned columns, or `Key: Value` lines for a single object.
    Table,
    /// JSON for programs.
    Json,
}

/// Writes `text` to standard output. A closed pipe (as with `| head`) ends the process quietly with
/// code 0, and any other write error ends it with code 1, instead of the panic of `print!`.
pub fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {error}");
        std::process::exit(1);
    }
}

/// One column of a table: its header and the key of the field it shows.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub key: &'static str,
}

/// Shorthand constructor for column lists.
pub const fn column(header: &'static str, key: &'static str) -> Column {
    Column { header, key }
}

/// Pretty-prints a JSON value, with a trailing newline.
pub fn render_json(value: &Value) -> String {
    // Serialising a `Value` to a string cannot fail: every map key is already a string.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Renders a field value as text: strings as they are, arrays comma-joined, `null` as empty,
/// nested objects as compact JSON.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => value.to_string(),
    }
}

/// Replaces control characters with escapes; `keep_newlines` keeps line breaks for multi-line values.
fn escape_controls(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Renders an object as `Key: Value` lines with aligned values. `order` lists keys to show first, and the
/// remaining keys follow alphabetically, the order of `serde_json::Map`. Continuation lines of multi-line
/// values are indented to the value column.
pub fn render_object(object: &Value, order: &[&str]) -> String {
    let Some(map) = object.as_object() else {
        return escape_controls(&display_value(object), true) + "\n";
    };
    let mut keys: Vec<&str> = order
        .iter()
        .copied()
        .filter(|key| map.contains_key(*key))
        .collect();
    keys.extend(
        map.keys()
            .map(String::as_str)
            .filter(|key| !order.contains(key)),
    );

    let width = keys
        .iter()
        .map(|key| key.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let mut out = String::new();
    for key in keys {
        let value = escape_controls(&display_value(&map[key]), true);
        let label = format!("{}:", escape_controls(key, false));
        let mut lines = value.lines();
        let first = format!("{label:<width$} {}", lines.next().unwrap_or(""));
        out.push_str(first.trim_end());
        out.push('\n');
        for line in lines {
            out.push_str(&format!("{:<width$} {line}\n", ""));
        }
    }
    out
}

/// Renders rows as aligned columns under a header line, columns two spaces apart.
pub fn render_table(columns: &[Column], rows: &[Value]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| escape_controls(&display_value(&row[c.key]), false))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.header.chars().count()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let headers: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&headers).chain(cells.iter()) {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_aligned_key_value_lines() {
        let provider = json!({
            "OIDCProviderName": "gh",
            "Arn": "acs:ram::1:oidc-provider/gh",
            "IssuanceLimitTime": 12,
        });
        let text = render_object(&provider, &["OIDCProviderName", "Arn"]);
        assert_eq!(
            text,
            "OIDCProviderName:  gh\nArn:               acs:ram::1:oidc-provider/gh\nIssuanceLimitTime: 12\n"
        );
    }

    #[test]
    fn object_empty_value_no_trailing_space() {
        let text = render_object(&json!({"Description": "", "Name": "ci"}), &["Name"]);
        assert_eq!(text, "Name:        ci\nDescription:\n");
    }

    #[test]
    fn object_skips_missing_order_keys() {
        let text = render_object(&json!({"A": "1"}), &["Missing", "A"]);
        assert_eq!(text, "A: 1\n");
    }

    #[test]
    fn object_joins_array_values() {
        let text = render_object(&json!({"ClientIds": ["a", "b"]}), &[]);
        assert_eq!(text, "ClientIds: a,b\n");
    }

    #[test]
    fn object_indents_multiline_values() {
        let text = render_object(
            &json!({"Doc": "{\n  \"Version\": \"1\"\n}", "Id": "7"}),
            &["Id", "Doc"],
        );
        assert_eq!(text, "Id:  7\nDoc: {\n       \"Version\": \"1\"\n     }\n");
    }

    #[test]
    fn object_escapes_terminal_controls() {
        let text = render_object(&json!({"Description": "red\u{1b}[31m"}), &[]);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("\\u{1b}[31m"), "{text:?}");
    }

    #[test]
    fn table_aligns_columns() {
        let columns = [
            column("NAME", "RoleName"),
            column("MAX SESSION", "MaxSessionDuration"),
            column("DESC", "D"),
        ];
        let rows = [
            json!({"RoleName": "ci", "MaxSessionDuration": 3600, "D": "x"}),
            json!({"RoleName": "deployer-prod", "MaxSessionDuration": 43200, "D": ""}),
        ];
        let text = render_table(&columns, &rows);
        let expected = "\
NAME           MAX SESSION  DESC
ci             3600         x
deployer-prod  43200
";
        assert_eq!(text, expected);
    }

    #[test]
    fn table_empty_prints_header() {
        assert_eq!(
            render_table(&[column("NAME", "n"), column("ARN", "a")], &[]),
            "NAME  ARN\n"
        );
    }

    #[test]
    fn table_escapes_newlines_in_cells() {
        let text = render_table(&[column("D", "d")], &[json!({"d": "two\nlines"})]);
        assert_eq!(text, "D\ntwo\\nlines\n");
    }

    #[test]
    fn display_value_kinds() {
        assert_eq!(display_value(&json!(null)), "");
        assert_eq!(display_value(&json!(true)), "true");
        assert_eq!(display_value(&json!(42)), "42");
        assert_eq!(display_value(&json!(["f1", "f2"])), "f1,f2");
        assert_eq!(display_value(&json!({"k": 1})), "{\"k\":1}");
    }

    #[test]
    fn json_is_pretty_with_newline() {
        let text = render_json(&json!({"RequestId": "R", "Role": {"RoleName": "ci"}}));
        assert_eq!(
            text,
            "{\n  \"RequestId\": \"R\",\n  \"Role\": {\n    \"RoleName\": \"ci\"\n  }\n}\n"
        );
    }
}
