//! RFC 3986 percent-encoding as the Alibaba Cloud signers apply it.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Every byte except the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes the UTF-8 bytes of `s`, keeping only `A-Za-z0-9-_.~`, with upper-case hex.
///
/// Matches Python `urllib.parse.quote(s, safe='~')`: a space becomes `%20` and `*` becomes `%2A`.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Like [`percent_encode`] but a space becomes `+`, as Python `quote_plus` does.
///
/// credentials-python signs RPC requests this way, so V1 verification accepts it too.
pub(crate) fn percent_encode_space_as_plus(s: &str) -> String {
    s.split(' ').map(percent_encode).collect::<Vec<_>>().join("+")
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::percent_decode_str;
    use proptest::prelude::*;

    #[test]
    fn keeps_unreserved_and_encodes_the_rest() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("a b*c+d/e=f&g%h"), "a%20b%2Ac%2Bd%2Fe%3Df%26g%25h");
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn space_as_plus_variant() {
        assert_eq!(percent_encode_space_as_plus("my session*"), "my+session%2A");
        assert_eq!(percent_encode_space_as_plus("  "), "++");
        assert_eq!(percent_encode_space_as_plus("a+b"), "a%2Bb");
    }

    proptest! {
        #[test]
        fn round_trips_through_decoding(s in any::<String>()) {
            let encoded = percent_encode(&s);
            let decoded = percent_decode_str(&encoded).decode_utf8().unwrap();
            prop_assert_eq!(decoded.as_ref(), s.as_str());
        }

        #[test]
        fn output_is_unreserved_or_upper_hex_escapes(s in any::<String>()) {
            let encoded = percent_encode(&s);
            let bytes = encoded.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    let hex = &encoded[i + 1..i + 3];
                    prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "{}", hex);
                    i += 3;
                } else {
                    prop_assert!(bytes[i].is_ascii_alphanumeric() || b"-_.~".contains(&bytes[i]));
                    i += 1;
                }
            }
        }

        #[test]
        fn plus_variant_decodes_as_form(s in any::<String>()) {
            let encoded = percent_encode_space_as_plus(&s);
            let decoded: String = form_decode(&encoded);
            prop_assert_eq!(decoded, s);
        }
    }

    /// Decodes `application/x-www-form-urlencoded` text: `+` is a space.
    fn form_decode(s: &str) -> String {
        percent_decode_str(&s.replace('+', " ")).decode_utf8().unwrap().into_owned()
    }
}
