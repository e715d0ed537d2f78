//! UCS-2 user data, read as UTF-16BE (3GPP TS 23.038 §6.2.3 says UCS-2; every handset in
//! the field sends and shows UTF-16, so characters beyond the BMP, emoji among them, travel
//! as surrogate pairs).
//!
//! Invariant: decoding never fails on content — a lone surrogate (a pair split by a sender
//! that cut the text carelessly) becomes U+FFFD; only an odd octet count is an error,
//! and that is for the caller to report with its offset.

/// Encodes `text` as UTF-16BE octets.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Decodes UTF-16BE octets; a trailing odd octet is ignored (callers reject odd lengths
/// first), lone surrogates become U+FFFD.
pub fn decode(octets: &[u8]) -> String {
    let units = octets.chunks_exact(2).filter_map(|pair| match pair {
        &[hi, lo] => Some(u16::from_be_bytes([hi, lo])),
        _ => None,
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// How many UTF-16 code units `c` takes (2 for a surrogate pair).
pub fn units(c: char) -> usize {
    c.len_utf16()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_travel_as_surrogate_pairs() {
        let octets = encode("A😀");
        assert_eq!(hex::encode_upper(&octets), "0041D83DDE00");
        assert_eq!(decode(&octets), "A😀");
    }

    #[test]
    fn a_lone_surrogate_becomes_the_replacement_character() {
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
    }
}
