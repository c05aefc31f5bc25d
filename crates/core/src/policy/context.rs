//! Condition context: the request facts that `Condition` blocks test.

use std::collections::BTreeMap;

/// Multi-valued condition keys of one request, such as `oidc:aud` with several audiences.
///
/// Keys are matched case-insensitively: they are stored Unicode-lower-cased and
/// looked up lower-cased. A key without values counts as missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionContext {
    values: BTreeMap<String, Vec<String>>,
}

impl ConditionContext {
    /// Creates an empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` to the values of `key`, keeping the values added before.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.values.entry(key.to_lowercase()).or_default().push(value.into());
    }

    /// Adds every value of `values` to `key`. An empty iterator leaves `key` missing.
    pub fn insert_many<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut values = values.into_iter().map(Into::into).peekable();
        if values.peek().is_none() {
            return;
        }
        self.values.entry(key.to_lowercase()).or_default().extend(values);
    }

    /// Returns the values of `key` (matched case-insensitively), or `None` when it has none.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&key.to_lowercase()).map(Vec::as_slice).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut ctx = ConditionContext::new();
        ctx.insert("OIDC:Sub", "system:serviceaccount:ns:sa");
        assert_eq!(ctx.get("oidc:sub"), Some(&["system:serviceaccount:ns:sa".to_string()][..]));
        assert_eq!(ctx.get("OIDC:SUB").map(<[String]>::len), Some(1));
    }

    #[test]
    fn values_keep_their_case() {
        let mut ctx = ConditionContext::new();
        ctx.insert("k:a", "MiXeD");
        assert_eq!(ctx.get("k:a"), Some(&["MiXeD".to_string()][..]));
    }

    #[test]
    fn insert_appends() {
        let mut ctx = ConditionContext::new();
        ctx.insert("oidc:aud", "a");
        ctx.insert_many("oidc:aud", ["b", "c"]);
        assert_eq!(ctx.get("oidc:aud").unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn empty_insert_many_leaves_key_missing() {
        let mut ctx = ConditionContext::new();
        ctx.insert_many("oidc:aud", Vec::<String>::new());
        assert_eq!(ctx.get("oidc:aud"), None);
    }

    #[test]
    fn missing_key_is_none() {
        assert_eq!(ConditionContext::new().get("acs:SourceIp"), None);
    }
}
