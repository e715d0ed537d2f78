//! The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1 and
//! §6.2.1.1), as 128-entry tables indexed by septet value.
//!
//! Position 0x1B of the default table is the escape to the extension table and therefore
//! holds no character. In the extension table every position the specification leaves
//! empty is `None`; a receiver shows the default-table character instead (§6.2.1.1).

/// The default alphabet.
// Evaluated at compile time: a bad index is a build error, never a runtime panic.
#[allow(clippy::indexing_slicing)]
pub(super) static DEFAULT_ALPHABET: [Option<char>; 128] = {
    const CHARS: [char; 128] = [
        '@', '\u{00A3}', '$', '\u{00A5}', '\u{00E8}', '\u{00E9}', '\u{00F9}',
        '\u{00EC}', // @ £ $ ¥ è é ù ì
        '\u{00F2}', '\u{00C7}', '\n', '\u{00D8}', '\u{00F8}', '\r', '\u{00C5}',
        '\u{00E5}', // ò Ç LF Ø ø CR Å å
        '\u{0394}', '_', '\u{03A6}', '\u{0393}', '\u{039B}', '\u{03A9}', '\u{03A0}',
        '\u{03A8}', // Δ _ Φ Γ Λ Ω Π Ψ
        '\u{03A3}', '\u{0398}', '\u{039E}', '\u{001B}', '\u{00C6}', '\u{00E6}', '\u{00DF}',
        '\u{00C9}', // Σ Θ Ξ ESC Æ æ ß É
        ' ', '!', '"', '#', '\u{00A4}', '%', '&', '\'', // ¤ at 0x24
        '(', ')', '*', '+', ',', '-', '.', '/', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
        ':', ';', '<', '=', '>', '?', '\u{00A1}', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // ¡
        'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y',
        'Z', '\u{00C4}', '\u{00D6}', '\u{00D1}', '\u{00DC}', '\u{00A7}', // Ä Ö Ñ Ü §
        '\u{00BF}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // ¿
        'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y',
        'z', '\u{00E4}', '\u{00F6}', '\u{00F1}', '\u{00FC}', '\u{00E0}', // ä ö ñ ü à
    ];
    let mut table = [None; 128];
    let mut i = 0;
    while i < 128 {
        if i != 0x1B {
            table[i] = Some(CHARS[i]);
        }
        i += 1;
    }
    table
};

/// The default extension table, reached by the escape septet 0x1B.
pub(super) static DEFAULT_EXTENSION: [Option<char>; 128] = {
    let mut table = [None; 128];
    table[0x0A] = Some('\u{000C}'); // form feed (page break)
    table[0x14] = Some('^');
    table[0x28] = Some('{');
    table[0x29] = Some('}');
    table[0x2F] = Some('\\');
    table[0x3C] = Some('[');
    table[0x3D] = Some('~');
    table[0x3E] = Some(']');
    table[0x40] = Some('|');
    table[0x65] = Some('\u{20AC}'); // €
    table
};

/// Septet of each ASCII character in the default alphabet (0xFF: not there), so the common
/// case of encoding needs no search.
// Evaluated at compile time: a bad index is a build error, never a runtime panic.
#[allow(clippy::indexing_slicing)]
pub(super) static ASCII_TO_DEFAULT: [u8; 128] = {
    let mut reverse = [0xFFu8; 128];
    let mut septet = 0;
    while septet < 128 {
        if let Some(c) = DEFAULT_ALPHABET[septet] {
            if (c as u32) < 128 {
                reverse[c as usize] = septet as u8;
            }
        }
        septet += 1;
    }
    reverse
};
