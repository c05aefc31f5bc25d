//! Condition operators of the RAM policy language and their value families.

/// The kind of value an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Exact string comparison, case-sensitive.
    String,
    /// String comparison after Unicode lower-casing of both sides.
    StringIgnoreCase,
    /// Case-sensitive wildcard match with `*` and `?`.
    StringLike,
    Numeric,
    Date,
    Bool,
    Ip,
}

/// The relation a context value must have to a policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
}

/// Every operator with its policy spelling, in the order of the policy language reference.
const OPERATORS: [(&str, Operator); 21] = [
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Operator::StringNotEqualsIgnoreCase),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    ("NumericGreaterThanEquals", Operator::NumericGreaterThanEquals),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
];

impl Operator {
    /// Looks up an operator by its exact, case-sensitive policy spelling.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        OPERATORS.iter().find(|(n, _)| *n == name).map(|&(_, op)| op)
    }

    /// Returns the correct spelling of `name` when it differs only in letter case.
    pub(crate) fn suggest(name: &str) -> Option<&'static str> {
        OPERATORS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(n, _)| n)
    }

    /// Returns whether the operator holds when no context value matches, and so when the key is missing.
    pub(crate) fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
        )
    }

    pub(crate) fn family(self) -> Family {
        use Operator::*;
        match self {
            StringEquals | StringNotEquals => Family::String,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => Family::StringIgnoreCase,
            StringLike | StringNotLike => Family::StringLike,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            IpAddress | NotIpAddress => Family::Ip,
        }
    }

    /// Returns the ordering test of numeric and date operators. Negated forms test `Equal`.
    pub(crate) fn comparison(self) -> Comparison {
        use Operator::*;
        match self {
            NumericLessThan | DateLessThan => Comparison::Less,
            NumericLessThanEquals | DateLessThanEquals => Comparison::LessOrEqual,
            NumericGreaterThan | DateGreaterThan => Comparison::Greater,
            NumericGreaterThanEquals | DateGreaterThanEquals => Comparison::GreaterOrEqual,
            _ => Comparison::Equal,
        }
    }
}

impl Comparison {
    /// Applies the comparison as `context <op> policy`.
    pub(crate) fn holds<T: PartialOrd>(self, context: &T, policy: &T) -> bool {
        match self {
            Comparison::Equal => context == policy,
            Comparison::Less => context < policy,
            Comparison::LessOrEqual => context <= policy,
            Comparison::Greater => context > policy,
            Comparison::GreaterOrEqual => context >= policy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for (name, op) in OPERATORS {
            assert_eq!(Operator::from_name(name), Some(op), "{name}");
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(Operator::from_name("stringequals"), None);
        assert_eq!(Operator::suggest("stringequals"), Some("StringEquals"));
        assert_eq!(Operator::suggest("StringMatches"), None);
    }

    #[test]
    fn negated_operators() {
        let negated: Vec<&str> = OPERATORS.iter().filter(|(_, op)| op.is_negated()).map(|(n, _)| *n).collect();
        assert_eq!(
            negated,
            [
                "StringNotEquals",
                "StringNotEqualsIgnoreCase",
                "StringNotLike",
                "NumericNotEquals",
                "DateNotEquals",
                "NotIpAddress"
            ]
        );
    }

    #[test]
    fn comparison_is_context_versus_policy() {
        assert!(Comparison::Less.holds(&1, &2));
        assert!(!Comparison::Less.holds(&2, &2));
        assert!(Comparison::LessOrEqual.holds(&2, &2));
        assert!(Comparison::Greater.holds(&3, &2));
        assert!(Comparison::GreaterOrEqual.holds(&2, &2));
        assert!(!Comparison::GreaterOrEqual.holds(&1, &2));
        assert_eq!(Operator::DateLessThan.comparison(), Comparison::Less);
        assert_eq!(Operator::NumericNotEquals.comparison(), Comparison::Equal);
    }
}
