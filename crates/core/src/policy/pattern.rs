//! Wildcard patterns for actions, resources and `StringLike`: `*` matches any run of
//! characters (also none), `?` matches exactly one character.
//!
//! Patterns are split at `*` once, at compile time. Matching anchors the first and
//! last segment and finds each middle segment at its leftmost position, so a match
//! costs O(subject length × pattern length) in the worst case and never backtracks
//! exponentially.

/// One character position of a segment: a literal or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Literal(char),
    AnyOne,
}

impl Atom {
    fn matches(self, c: char) -> bool {
        match self {
            Atom::Literal(l) => l == c,
            Atom::AnyOne => true,
        }
    }
}

/// A precompiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// Pattern text split at `*`. A pattern without `*` has exactly one segment.
    segments: Vec<Vec<Atom>>,
    /// Whether the pattern lower-cases itself and every subject before matching.
    ignore_case: bool,
}

impl Pattern {
    /// Compiles `text`; with `ignore_case`, both sides are compared Unicode-lower-cased.
    pub(crate) fn new(text: &str, ignore_case: bool) -> Self {
        let source = if ignore_case { text.to_lowercase() } else { text.to_owned() };
        let segments = source
            .split('*')
            .map(|part| part.chars().map(|c| if c == '?' { Atom::AnyOne } else { Atom::Literal(c) }).collect())
            .collect();
        Self { segments, ignore_case }
    }

    /// Matches a string, preparing it first.
    pub(crate) fn matches(&self, subject: &str) -> bool {
        self.matches_prepared(&Subject::new(subject, self.ignore_case))
    }

    /// Matches a subject that was prepared with the same `ignore_case` setting.
    pub(crate) fn matches_prepared(&self, subject: &Subject) -> bool {
        debug_assert_eq!(subject.lowered, self.ignore_case);
        let s = subject.chars.as_slice();

        // `split('*')` always yields at least one segment.
        let Some((first, rest)) = self.segments.split_first() else {
            return s.is_empty();
        };
        let Some((last, middle)) = rest.split_last() else {
            // No `*`: the single segment must cover the subject exactly.
            return s.len() == first.len() && segment_matches_at(first, s, 0);
        };

        if s.len() < first.len() + last.len() {
            return false;
        }
        let tail_start = s.len() - last.len();
        if !segment_matches_at(first, s, 0) || !segment_matches_at(last, s, tail_start) {
            return false;
        }

        // Each middle segment sits between two stars, so its leftmost occurrence
        // leaves the most room for the segments after it.
        let mut pos = first.len();
        for segment in middle {
            match find_segment(segment, &s[pos..tail_start]) {
                Some(offset) => pos += offset + segment.len(),
                None => return false,
            }
        }
        true
    }
}

fn segment_matches_at(segment: &[Atom], s: &[char], start: usize) -> bool {
    s.len() >= start + segment.len() && segment.iter().zip(&s[start..]).all(|(atom, &c)| atom.matches(c))
}

fn find_segment(segment: &[Atom], window: &[char]) -> Option<usize> {
    if segment.len() > window.len() {
        return None;
    }
    (0..=window.len() - segment.len()).find(|&i| segment_matches_at(segment, window, i))
}

/// A string split into characters once, so that many patterns can match it.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    chars: Vec<char>,
    lowered: bool,
}

impl Subject {
    /// Prepares `text`, lower-casing it when the patterns it meets ignore case.
    pub(crate) fn new(text: &str, lowered: bool) -> Self {
        let chars = if lowered { text.to_lowercase().chars().collect() } else { text.chars().collect() };
        Self { chars, lowered }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Straightforward recursive glob matcher used as the reference in property tests.
    fn reference(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| reference(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && reference(rest, &s[1..]),
            Some((&c, rest)) => s.first() == Some(&c) && reference(rest, &s[1..]),
        }
    }

    fn check(p: &str, s: &str) -> bool {
        Pattern::new(p, false).matches(s)
    }

    #[test]
    fn literal_needs_exact_match() {
        assert!(check("sts:AssumeRole", "sts:AssumeRole"));
        assert!(!check("sts:AssumeRole", "sts:AssumeRoleWithOIDC"));
        assert!(!check("sts:AssumeRole", "sts:AssumeRol"));
        assert!(!check("sts:AssumeRole", "sts:assumerole"));
    }

    #[test]
    fn star_edge_cases() {
        assert!(check("*", ""));
        assert!(check("*", "anything at all"));
        assert!(check("**", "x"));
        assert!(check("a*", "a"));
        assert!(check("*a", "a"));
        assert!(check("a*a", "aa"));
        assert!(!check("a*a", "a"));
        assert!(check("a*b*c", "abc"));
        assert!(check("a*b*c", "axxbyyc"));
        assert!(!check("a*b*c", "axxcyyb"));
        assert!(check("*ab*ab*", "abab"));
        assert!(!check("*ab*ab*", "aba"));
        assert!(check("ram:*", "ram:CreateRole"));
        assert!(!check("ram:*", "sts:AssumeRole"));
    }

    #[test]
    fn question_mark_is_exactly_one_char() {
        assert!(check("a?c", "abc"));
        assert!(!check("a?c", "ac"));
        assert!(!check("a?c", "abbc"));
        assert!(check("?", "é"));
        assert!(!check("?", ""));
        assert!(check("*?", "x"));
        assert!(!check("*?", ""));
    }

    #[test]
    fn prefix_and_suffix_do_not_overlap() {
        assert!(!check("ab*ba", "aba"));
        assert!(check("ab*ba", "abba"));
    }

    #[test]
    fn ignore_case_lowers_both_sides() {
        let p = Pattern::new("STS:Assume*", true);
        assert!(p.matches("sts:assumerole"));
        assert!(p.matches("Sts:AssumeRoleWithOIDC"));
        assert!(!p.matches("ram:AssumeRole"));
        let unicode = Pattern::new("ÄB?", true);
        assert!(unicode.matches("äbc"));
    }

    #[test]
    fn prepared_subject_matches_like_plain() {
        let p = Pattern::new("acs:ram:*:*:role/*", false);
        let s = Subject::new("acs:ram::123:role/admin", false);
        assert!(p.matches_prepared(&s));
        assert!(!p.matches_prepared(&Subject::new("acs:ram::123:user/admin", false)));
    }

    #[test]
    fn long_pathological_input_is_fast() {
        let pattern = format!("{}b", "*a".repeat(200));
        let subject = "a".repeat(20_000);
        assert!(!check(&pattern, &subject));
    }

    proptest! {
        #[test]
        fn agrees_with_reference(p in "[ab*?]{0,10}", s in "[abc]{0,12}") {
            let pc: Vec<char> = p.chars().collect();
            let sc: Vec<char> = s.chars().collect();
            prop_assert_eq!(check(&p, &s), reference(&pc, &sc));
        }

        #[test]
        fn agrees_with_reference_unicode(p in "[aé*?]{0,8}", s in "[aéb]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let sc: Vec<char> = s.chars().collect();
            prop_assert_eq!(check(&p, &s), reference(&pc, &sc));
        }

        #[test]
        fn literal_matches_itself(s in "[^*?]{0,20}") {
            prop_assert!(check(&s, &s));
        }
    }
}
