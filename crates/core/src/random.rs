//! Random identifiers and secrets from the operating system's CSPRNG (via aws-lc-rs).

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DIGITS: &[u8] = b"0123456789";

/// Returns `N` random bytes.
///
/// # Panics
/// Panics if the system random source fails, because no identifier or secret
/// may be made without it.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // A failing OS CSPRNG leaves no safe way to go on, so this panics on purpose.
    #[allow(clippy::expect_used)]
    SystemRandom::new().fill(&mut out).expect("system random source failed");
    out
}

/// Returns `len` characters drawn uniformly from `alphabet` by rejection sampling.
fn random_from(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes::<64>() {
            if (byte as usize) < limit && out.len() < len {
                out.push(alphabet[byte as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// Returns `len` random ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    random_from(ALNUM, len)
}

/// Returns `len` random decimal digits whose first digit is not zero.
pub fn random_digits(len: usize) -> String {
    let mut digits = random_from(DIGITS, len);
    if digits.starts_with('0') {
        digits.replace_range(0..1, &random_from(b"123456789", 1));
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum_length_and_alphabet() {
        let s = random_alnum(44);
        assert_eq!(s.len(), 44);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(s, random_alnum(44));
    }

    #[test]
    fn digits_never_start_with_zero() {
        for _ in 0..200 {
            let d = random_digits(16);
            assert_eq!(d.len(), 16);
            assert!(d.bytes().all(|b| b.is_ascii_digit()));
            assert!(!d.starts_with('0'));
        }
    }
}
