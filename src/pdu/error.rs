//! Errors of the PDU codec.
//!
//! A decode error names the TPDU field that was being read (the 3GPP name, e.g. `TP-OA`,
//! `TP-UDL`) and the octet offset into the PDU as the caller handed it in (the SMSC prefix
//! included, when there was one), so a bad PDU off the air can be reported precisely in a
//! log line that also names the modem. Encode errors describe input that cannot be
//! represented (a character outside the chosen alphabet, a reference out of range).

use thiserror::Error;

/// Why a PDU (or a part of one) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} at octet {offset}: {reason}")]
pub struct DecodeError {
    /// The field being decoded, in 3GPP naming (`TP-DA`, `SCTS`, `UDH`…).
    pub field: &'static str,
    /// Octet offset from the start of the input where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub reason: DecodeErrorKind,
}

/// The kinds of decode failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    /// The input ended before the field was complete.
    #[error("truncated: need {needed} more octet(s)")]
    Truncated {
        /// How many more octets the field needed.
        needed: usize,
    },
    /// A value that the specification does not allow here.
    #[error("invalid value 0x{value:02X}: {why}")]
    InvalidValue {
        /// The offending octet (or nibble).
        value: u8,
        /// Why it is invalid.
        why: &'static str,
    },
    /// A structural inconsistency (lengths that do not add up, and the like).
    #[error("{0}")]
    Malformed(&'static str),
    /// The input text is not hexadecimal.
    #[error("not hexadecimal: {0}")]
    Hex(String),
}

impl DecodeError {
    pub(crate) fn new(field: &'static str, offset: usize, reason: DecodeErrorKind) -> Self {
        Self {
            field,
            offset,
            reason,
        }
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A character has no representation in the requested alphabet.
    #[error(
        "character {ch:?} (U+{code:04X}) at position {position} is not in the {alphabet} alphabet"
    )]
    Unrepresentable {
        /// The character.
        ch: char,
        /// Its code point, for the message.
        code: u32,
        /// Its index in the text (in characters).
        position: usize,
        /// Which alphabet refused it.
        alphabet: &'static str,
    },
    /// An address that cannot be put in a PDU.
    #[error("invalid address {address:?}: {why}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The message needs more segments than a concatenation header can number (255).
    #[error("message needs {segments} segments; at most 255 are possible")]
    TooManySegments {
        /// How many it would need.
        segments: usize,
    },
    /// A parameter outside its range.
    #[error("{field}: {why}")]
    InvalidParameter {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
}
