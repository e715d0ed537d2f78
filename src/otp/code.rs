//! Making codes: numeric or alphanumeric OTPs, backup codes, and the OTP text.

use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};

/// The digits.
pub const DIGITS: &[u8] = b"0123456789";

/// Letters and digits without the ones people mix up (`0`/`O`, `1`/`I`/`L`) — 31 symbols.
pub const ALPHANUMERIC: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `length` symbols drawn uniformly from `alphabet` (at most 256 symbols) with the OS
/// CSPRNG: a random byte is used only below the largest multiple of the alphabet's size
/// (rejection sampling), so every symbol is exactly equally likely — no modulo bias.
fn draw(alphabet: &[u8], length: usize) -> String {
    let mut rng = OsRng.unwrap_err();
    let size = alphabet.len().clamp(1, 256);
    let zone = 256 - 256 % size; // bytes 0..zone map evenly onto the alphabet
    let mut code = String::with_capacity(length);
    while code.len() < length {
        let byte = usize::from(rng.random::<u8>());
        if byte < zone {
            code.push(alphabet.get(byte % size).copied().map_or('0', char::from));
        }
    }
    code
}

/// A fresh OTP of `length` digits, or alphanumeric symbols.
pub fn generate_code(length: usize, alphanumeric: bool) -> String {
    draw(if alphanumeric { ALPHANUMERIC } else { DIGITS }, length)
}

/// A backup code: 10 alphanumeric symbols shown as `XXXXX-XXXXX` (about 50 bits).
pub fn backup_code() -> String {
    let raw = draw(ALPHANUMERIC, 10);
    let (a, b) = raw.split_at(5);
    format!("{a}-{b}")
}

/// A code as a person typed it, in the form it was hashed in: no spaces or dashes,
/// upper case (alphanumeric codes are case-insensitive; digits are unchanged).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// The OTP text: `{otp}` becomes the code and `{expiry}` the minutes.
pub fn render_message(template: &str, code: &str, expiry_minutes: u32) -> String {
    template
        .replace("{otp}", code)
        .replace("{expiry}", &expiry_minutes.to_string())
}

/// A phone number for showing: country code and last 2 digits, the rest hidden
/// (`+1202•••••01`).
pub fn mask_phone(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    let keep_head = 4.min(chars.len());
    let keep_tail = 2.min(chars.len().saturating_sub(keep_head));
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_head || i >= chars.len() - keep_tail {
                *c
            } else {
                '•'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_length_and_alphabet_asked_for() {
        for length in 4..=10 {
            let numeric = generate_code(length, false);
            assert_eq!(numeric.len(), length);
            assert!(numeric.bytes().all(|b| b.is_ascii_digit()));
            let alnum = generate_code(length, true);
            assert_eq!(alnum.len(), length);
            assert!(alnum.bytes().all(|b| ALPHANUMERIC.contains(&b)), "{alnum}");
        }
    }

    #[test]
    fn no_look_alikes_in_alphanumeric_codes() {
        for bad in b"01OIL" {
            assert!(!ALPHANUMERIC.contains(bad));
        }
    }

    #[test]
    fn digits_are_drawn_uniformly() {
        // 100 000 digits: each count is within 5 standard deviations of 10 000 (a chi-square
        // over ten cells would flag a modulo bias of the size `% 10` on a byte gives).
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            for b in generate_code(10, false).bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - 10_000.0).powi(2) / 10_000.0)
            .sum();
        // 9 degrees of freedom: P(chi2 > 33.7) < 0.0001.
        assert!(chi2 < 33.7, "chi-square {chi2} over {counts:?}");
    }

    #[test]
    fn backup_codes_are_two_groups_of_five() {
        let code = backup_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_eq!(normalise_code(&code).len(), 10);
        assert_ne!(backup_code(), backup_code());
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_code(" ab3d-e7f9 k "), "AB3DE7F9K");
        assert_eq!(normalise_code("123 456"), "123456");
    }

    #[test]
    fn the_message_gets_the_code_and_the_minutes() {
        assert_eq!(
            render_message("Code {otp}, {expiry} min. {otp}", "1234", 5),
            "Code 1234, 5 min. 1234"
        );
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+12025550101"), "+120••••••01");
        assert_eq!(mask_phone("+1"), "+1");
    }
}
