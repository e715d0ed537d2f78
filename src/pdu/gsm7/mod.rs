//! The GSM 7-bit alphabet (3GPP TS 23.038 §6.2.1): the default alphabet with its extension
//! table, the national language locking- and single-shift tables, and septet packing.
//!
//! A [`Charset`] is the pair of tables a message is written in: the *base* table (the
//! default alphabet or a national locking-shift table) and the *shift* table reached with
//! the escape septet 0x1B (the default extension table or a national single-shift table).
//!
//! Invariants: encoding never emits a lone escape — 0x1B is always followed by the septet
//! of a shift-table character, so a splitter can treat `0x1B x` as one indivisible unit;
//! decoding never fails — septets with no character fall back as TS 23.038 §6.2.1.1 says.

mod default;
pub mod national;
pub mod pack;

pub use national::NationalLanguage;

use super::error::EncodeError;
use default::{ASCII_TO_DEFAULT, DEFAULT_ALPHABET, DEFAULT_EXTENSION};

/// The escape septet that selects the shift table for the next septet.
pub const ESCAPE: u8 = 0x1B;

/// The tables a GSM-7 text is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Charset {
    /// National locking-shift table replacing the default alphabet (UDH IE 0x25).
    pub locking: Option<NationalLanguage>,
    /// National single-shift table replacing the default extension table (UDH IE 0x24).
    pub single: Option<NationalLanguage>,
}

/// How one character is written: one septet, or the escape followed by one septet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Septets {
    /// A base-table character.
    One(u8),
    /// A shift-table character (`0x1B`, then this septet).
    Escaped(u8),
}

impl Septets {
    /// How many septets this character takes.
    pub fn width(self) -> usize {
        match self {
            Septets::One(_) => 1,
            Septets::Escaped(_) => 2,
        }
    }
}

impl Charset {
    /// The default alphabet with the default extension table.
    pub const DEFAULT: Charset = Charset {
        locking: None,
        single: None,
    };

    fn base_table(self) -> &'static [Option<char>; 128] {
        self.locking
            .and_then(NationalLanguage::locking_shift)
            .unwrap_or(&DEFAULT_ALPHABET)
    }

    fn shift_table(self) -> &'static [Option<char>; 128] {
        self.single
            .map(NationalLanguage::single_shift)
            .unwrap_or(&DEFAULT_EXTENSION)
    }

    /// The septets for `c`, or `None` when this charset cannot write it.
    pub fn encode_char(self, c: char) -> Option<Septets> {
        let in_base = if self.locking.is_none() && c.is_ascii() {
            // The common case: a direct lookup instead of a search.
            ASCII_TO_DEFAULT
                .get(c as usize)
                .copied()
                .filter(|&s| s != 0xFF)
        } else {
            position(self.base_table(), c)
        };
        in_base
            .map(Septets::One)
            .or_else(|| position(self.shift_table(), c).map(Septets::Escaped))
    }

    /// Whether every character of `text` can be written in this charset.
    pub fn can_encode(self, text: &str) -> bool {
        text.chars().all(|c| self.encode_char(c).is_some())
    }

    /// Number of septets `text` takes, or `None` when a character does not fit.
    pub fn septet_count(self, text: &str) -> Option<usize> {
        text.chars()
            .map(|c| self.encode_char(c).map(Septets::width))
            .sum()
    }

    /// Encodes `text` to unpacked septets.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(text.len());
        for (position, c) in text.chars().enumerate() {
            match self.encode_char(c) {
                Some(Septets::One(s)) => out.push(s),
                Some(Septets::Escaped(s)) => out.extend([ESCAPE, s]),
                None => {
                    return Err(EncodeError::Unrepresentable {
                        ch: c,
                        code: c as u32,
                        position,
                        alphabet: "GSM 7-bit",
                    })
                }
            }
        }
        Ok(out)
    }

    /// Decodes unpacked septets. Never fails: an escape followed by a septet with no
    /// shift-table character shows the base-table character (TS 23.038 §6.2.1.1), escape
    /// followed by escape shows a space (reserved for a further extension table), a
    /// trailing lone escape is dropped, and a base-table hole shows U+FFFD.
    pub fn decode(self, septets: &[u8]) -> String {
        let base = self.base_table();
        let shift = self.shift_table();
        let lookup = |table: &[Option<char>; 128], s: u8| {
            table.get(usize::from(s & 0x7F)).copied().flatten()
        };
        let mut out = String::with_capacity(septets.len());
        let mut iter = septets.iter().copied();
        while let Some(s) = iter.next() {
            if s & 0x7F != ESCAPE {
                out.push(lookup(base, s).unwrap_or('\u{FFFD}'));
                continue;
            }
            match iter.next() {
                None => {}
                Some(e) if e & 0x7F == ESCAPE => out.push(' '),
                Some(e) => out.push(
                    lookup(shift, e)
                        .or_else(|| lookup(base, e))
                        .unwrap_or('\u{FFFD}'),
                ),
            }
        }
        out
    }
}

fn position(table: &[Option<char>; 128], c: char) -> Option<u8> {
    table.iter().position(|&t| t == Some(c)).map(|p| p as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_character_round_trips_as_one_septet() {
        for (septet, c) in DEFAULT_ALPHABET.iter().enumerate() {
            let Some(c) = *c else { continue };
            assert_eq!(
                Charset::DEFAULT.encode_char(c),
                Some(Septets::One(septet as u8)),
                "{c:?}"
            );
            assert_eq!(Charset::DEFAULT.decode(&[septet as u8]), c.to_string());
        }
    }

    #[test]
    fn every_extension_character_is_escaped_and_round_trips() {
        let expected = [
            (0x0A, '\u{0C}'),
            (0x14, '^'),
            (0x28, '{'),
            (0x29, '}'),
            (0x2F, '\\'),
            (0x3C, '['),
            (0x3D, '~'),
            (0x3E, ']'),
            (0x40, '|'),
            (0x65, '€'),
        ];
        for (septet, c) in expected {
            assert_eq!(
                Charset::DEFAULT.encode_char(c),
                Some(Septets::Escaped(septet))
            );
            assert_eq!(Charset::DEFAULT.decode(&[ESCAPE, septet]), c.to_string());
        }
        let defined = DEFAULT_EXTENSION.iter().filter(|c| c.is_some()).count();
        assert_eq!(defined, expected.len());
    }

    #[test]
    fn characters_outside_the_alphabet_are_refused_with_their_position() {
        let err = Charset::DEFAULT.encode("ok ç").unwrap_err();
        assert!(matches!(
            err,
            EncodeError::Unrepresentable {
                ch: 'ç',
                position: 3,
                ..
            }
        ));
        assert!(!Charset::DEFAULT.can_encode("emoji 😀"));
        assert_eq!(Charset::DEFAULT.septet_count("a€b"), Some(4));
    }

    #[test]
    fn undefined_escapes_fall_back_as_the_spec_says() {
        // ESC + 'A' (no extension character) shows 'A'; ESC ESC shows a space.
        assert_eq!(Charset::DEFAULT.decode(&[ESCAPE, 0x41]), "A");
        assert_eq!(Charset::DEFAULT.decode(&[ESCAPE, ESCAPE]), " ");
        assert_eq!(Charset::DEFAULT.decode(&[0x41, ESCAPE]), "A");
    }

    #[test]
    fn national_tables_are_used_when_selected() {
        let turkish = Charset {
            locking: Some(NationalLanguage::Turkish),
            single: Some(NationalLanguage::Turkish),
        };
        let text = "Işık ğüşöç";
        assert!(!Charset::DEFAULT.can_encode(text));
        let septets = turkish.encode(text).unwrap();
        assert_eq!(turkish.decode(&septets), text);
    }
}
