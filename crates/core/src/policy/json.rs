//! A JSON tree that keeps object members in document order, duplicates included.
//!
//! `serde_json::Value` keeps only the last of two members with the same name, so
//! `{"Effect":"Deny","Effect":"Allow"}` would silently read as Allow. The grammar
//! check walks this tree instead and rejects duplicate names.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; names may repeat.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Returns the JSON type as a phrase for error messages, such as "an array".
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v).map(Json::Number).ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Json>()? {
            members.push((name, value));
        }
        Ok(Json::Object(members))
    }
}

/// Parses `text` as one JSON value. serde_json stops nesting deeper than 128 levels
/// with an error, so hostile input cannot exhaust the stack.
pub(crate) fn parse(text: &str) -> Result<Json, serde_json::Error> {
    serde_json::from_str(text)
}

/// Appends member `name` to a JSON path: `Statement[0]` + `Effect` -> `Statement[0].Effect`.
/// Names that would make the path ambiguous are written as `["name"]`.
pub(crate) fn member_path(path: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().count() <= 128
        && !name.chars().any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control());
    match (plain, path.is_empty()) {
        (true, true) => name.to_owned(),
        (true, false) => format!("{path}.{name}"),
        (false, _) => {
            let escaped: String = name.chars().take(128).flat_map(char::escape_debug).collect();
            format!("{path}[\"{escaped}\"]")
        }
    }
}

/// Appends an array index to a JSON path: `Statement` + 2 -> `Statement[2]`.
pub(crate) fn index_path(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicate_members_in_order() {
        let json = parse(r#"{"a":1,"b":true,"a":"x"}"#).unwrap();
        let Json::Object(members) = json else { panic!("expected an object") };
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "a"]);
        assert_eq!(members[2].1, Json::String("x".into()));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&text).is_err());
    }

    #[test]
    fn trailing_text_is_an_error() {
        assert!(parse(r#"{"a":1} x"#).is_err());
    }

    #[test]
    fn paths_join_members_and_indexes() {
        assert_eq!(member_path("", "Statement"), "Statement");
        assert_eq!(index_path("Statement", 0), "Statement[0]");
        assert_eq!(
            member_path("Statement[0].Condition.StringEquals", "oidc:sub"),
            "Statement[0].Condition.StringEquals.oidc:sub"
        );
        assert_eq!(member_path("Condition", "a.b"), "Condition[\"a.b\"]");
        assert_eq!(member_path("Condition", ""), "Condition[\"\"]");
    }

    #[test]
    fn type_names_read_as_phrases() {
        assert_eq!(parse("null").unwrap().type_name(), "null");
        assert_eq!(parse("[1]").unwrap().type_name(), "an array");
        assert_eq!(parse("2.5").unwrap().type_name(), "a number");
    }
}
