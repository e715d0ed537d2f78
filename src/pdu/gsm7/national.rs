//! The national language tables of 3GPP TS 23.038 §6.2.1.2 and annex A: for each of the
//! 13 languages of table 6.2.1.2.4.1, its *locking shift* table (annex A.3, replaces the
//! default alphabet; selected by UDH IE 0x25) and its *single shift* table (annex A.2,
//! replaces the default extension table and is reached with the escape septet 0x1B;
//! selected by UDH IE 0x24). The default alphabet and extension table are in `default.rs`.
//!
//! This module is pure data plus trivial lookups: no I/O, no allocation, no state.
//!
//! Invariants of every table (each is a `[Option<char>; 128]` indexed by septet value):
//! - `None` means the specification defines no character at that position.
//! - Position 0x1B is always `None`: it is the escape to the extension/single shift table.
//! - Locking shift tables have LF at 0x0A and CR at 0x0D, as the default alphabet does.
//! - Single shift tables have FORM FEED (U+000C) at 0x0A where the spec puts the page break,
//!   and `None` at 0x0D where it puts CR2 (reserved).
//! - Spanish has no locking shift table ([`NationalLanguage::locking_shift`] is `None`).
//! - No character appears twice in a table, with one exception copied from the spec: the
//!   single shift tables of the ten Indic languages and Urdu have '*' at 0x0B and 0x18 and
//!   '¡' (U+00A1) at 0x13 and 0x15. Encoders should use the lower position.
//!
//! - Hindi single shift 0x2C..0x34 hold the precomposed nukta letters U+0958..U+095F, which
//!   Unicode normalisation (NFC) decomposes: normalised input will not match them.
//!
//! Provenance. The spec text itself was not available to us; the data was transcribed from
//! three independent public transcriptions of it and compared position by position (25
//! tables, 3200 positions, three ways): AOSP `GsmAlphabet.java` (annotated against TS 23.038
//! V9.1.1), warthog618/sms `encoding/gsm7/charset/*/*.go`, and the `gsmcodecs` 1.0.0 package
//! (generated from TS 23.038 V18.0.0). The Turkish, Spanish, Portuguese, Bengali and Gujarati
//! tables were also compared with oFono `src/util.c` (from V8.2.0; 1152 positions, no
//! difference). All sources agree except at these positions, resolved as noted on the entries:
//! - Kannada locking 0x24: per Android's note (V9.1.1) and gsmcodecs (V18.0.0) the spec
//!   prints U+0CAA KANNADA LETTER PA, which is also at 0x3D, leaving KANNADA LETTER DDA
//!   (U+0CA1) unencodable and breaking the alphabetical run 0x22..0x2F (TTA, TTHA, *DDA*,
//!   DDHA, NNA, TA, ...). This is the one place we knowingly depart from the printed spec:
//!   we use U+0CA1, as Android and warthog618/sms do, to interoperate with deployed handsets.
//! - Hindi locking 0x00..0x02: warthog618/sms has Bengali U+0981..U+0983 (a copy slip);
//!   Android and gsmcodecs have Devanagari U+0901..U+0903, which we use.
//! - Portuguese single shift 0x1F: Android, gsmcodecs, oFono and OpenHarmony
//!   `MsgTextConvert` have Ê (U+00CA); older warthog618/sms lacked it (fixed upstream).
//! - Indic and Urdu locking 0x2C: gsmcodecs has an apostrophe; Android, warthog618/sms and
//!   oFono (Bengali, Gujarati) have a comma, as the default alphabet does; we use the comma.
//! - Telugu single shift 0x65: gsmcodecs omits the euro sign; Android and warthog618/sms
//!   have it, as every other single shift table does; we keep it.
//! - Tamil single shift 0x24 and Telugu single shift 0x22/0x23 were misprinted in V9.1.1
//!   (per Android's notes); gsmcodecs (V18.0.0) and Android agree on U+0BEE and
//!   U+0C6C/U+0C6D, which we use.

/// One 128-entry table, indexed by septet value.
type Table = [Option<char>; 128];

/// A national language of TS 23.038 §6.2.1.2.4 (the values carried in UDH IEs 0x24/0x25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NationalLanguage {
    /// Turkish (language identifier 1).
    Turkish,
    /// Spanish (2); single shift table only.
    Spanish,
    /// Portuguese (3).
    Portuguese,
    /// Bengali (4).
    Bengali,
    /// Gujarati (5).
    Gujarati,
    /// Hindi (6).
    Hindi,
    /// Kannada (7).
    Kannada,
    /// Malayalam (8).
    Malayalam,
    /// Oriya (9).
    Oriya,
    /// Punjabi (10).
    Punjabi,
    /// Tamil (11).
    Tamil,
    /// Telugu (12).
    Telugu,
    /// Urdu (13).
    Urdu,
}

impl NationalLanguage {
    /// Every language, in language-identifier order.
    pub const ALL: [NationalLanguage; 13] = [
        Self::Turkish,
        Self::Spanish,
        Self::Portuguese,
        Self::Bengali,
        Self::Gujarati,
        Self::Hindi,
        Self::Kannada,
        Self::Malayalam,
        Self::Oriya,
        Self::Punjabi,
        Self::Tamil,
        Self::Telugu,
        Self::Urdu,
    ];

    /// The language identifier of TS 23.038 table 6.2.1.2.4.1 (Turkish = 1 … Urdu = 13).
    pub fn code(self) -> u8 {
        match self {
            Self::Turkish => 1,
            Self::Spanish => 2,
            Self::Portuguese => 3,
            Self::Bengali => 4,
            Self::Gujarati => 5,
            Self::Hindi => 6,
            Self::Kannada => 7,
            Self::Malayalam => 8,
            Self::Oriya => 9,
            Self::Punjabi => 10,
            Self::Tamil => 11,
            Self::Telugu => 12,
            Self::Urdu => 13,
        }
    }

    /// The language with identifier `code`, or `None` for 0 (reserved) and 14 and above.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::Turkish,
            2 => Self::Spanish,
            3 => Self::Portuguese,
            4 => Self::Bengali,
            5 => Self::Gujarati,
            6 => Self::Hindi,
            7 => Self::Kannada,
            8 => Self::Malayalam,
            9 => Self::Oriya,
            10 => Self::Punjabi,
            11 => Self::Tamil,
            12 => Self::Telugu,
            13 => Self::Urdu,
            _ => return None,
        })
    }

    /// Lower-case English name, e.g. "turkish".
    pub fn name(self) -> &'static str {
        match self {
            Self::Turkish => "turkish",
            Self::Spanish => "spanish",
            Self::Portuguese => "portuguese",
            Self::Bengali => "bengali",
            Self::Gujarati => "gujarati",
            Self::Hindi => "hindi",
            Self::Kannada => "kannada",
            Self::Malayalam => "malayalam",
            Self::Oriya => "oriya",
            Self::Punjabi => "punjabi",
            Self::Tamil => "tamil",
            Self::Telugu => "telugu",
            Self::Urdu => "urdu",
        }
    }

    /// The ISO 639-1 code of the language.
    fn iso_639_1(self) -> &'static str {
        match self {
            Self::Turkish => "tr",
            Self::Spanish => "es",
            Self::Portuguese => "pt",
            Self::Bengali => "bn",
            Self::Gujarati => "gu",
            Self::Hindi => "hi",
            Self::Kannada => "kn",
            Self::Malayalam => "ml",
            Self::Oriya => "or",
            Self::Punjabi => "pa",
            Self::Tamil => "ta",
            Self::Telugu => "te",
            Self::Urdu => "ur",
        }
    }

    /// Accepts the name (case-insensitive) or the ISO 639-1 code ("tr", "es", "pt", "bn",
    /// "gu", "hi", "kn", "ml", "or", "pa", "ta", "te", "ur"; also case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| s.eq_ignore_ascii_case(l.name()) || s.eq_ignore_ascii_case(l.iso_639_1()))
    }

    /// The locking shift table (replaces the default alphabet), or None where the spec
    /// defines none (Spanish).
    pub fn locking_shift(self) -> Option<&'static [Option<char>; 128]> {
        match self {
            Self::Turkish => Some(&TURKISH_LOCKING),
            Self::Spanish => None,
            Self::Portuguese => Some(&PORTUGUESE_LOCKING),
            Self::Bengali => Some(&BENGALI_LOCKING),
            Self::Gujarati => Some(&GUJARATI_LOCKING),
            Self::Hindi => Some(&HINDI_LOCKING),
            Self::Kannada => Some(&KANNADA_LOCKING),
            Self::Malayalam => Some(&MALAYALAM_LOCKING),
            Self::Oriya => Some(&ORIYA_LOCKING),
            Self::Punjabi => Some(&PUNJABI_LOCKING),
            Self::Tamil => Some(&TAMIL_LOCKING),
            Self::Telugu => Some(&TELUGU_LOCKING),
            Self::Urdu => Some(&URDU_LOCKING),
        }
    }

    /// The single shift table (replaces the default extension table; reached with the 0x1B
    /// escape).
    pub fn single_shift(self) -> &'static [Option<char>; 128] {
        match self {
            Self::Turkish => &TURKISH_SINGLE,
            Self::Spanish => &SPANISH_SINGLE,
            Self::Portuguese => &PORTUGUESE_SINGLE,
            Self::Bengali => &BENGALI_SINGLE,
            Self::Gujarati => &GUJARATI_SINGLE,
            Self::Hindi => &HINDI_SINGLE,
            Self::Kannada => &KANNADA_SINGLE,
            Self::Malayalam => &MALAYALAM_SINGLE,
            Self::Oriya => &ORIYA_SINGLE,
            Self::Punjabi => &PUNJABI_SINGLE,
            Self::Tamil => &TAMIL_SINGLE,
            Self::Telugu => &TELUGU_SINGLE,
            Self::Urdu => &URDU_SINGLE,
        }
    }
}

/// Turkish national language locking shift table (TS 23.038 A.3.1).
static TURKISH_LOCKING: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{20AC}'), // 0x04 EURO SIGN
    Some('\u{00E9}'), // 0x05 LATIN SMALL LETTER E WITH ACUTE
    Some('\u{00F9}'), // 0x06 LATIN SMALL LETTER U WITH GRAVE
    Some('\u{0131}'), // 0x07 LATIN SMALL LETTER DOTLESS I
    Some('\u{00F2}'), // 0x08 LATIN SMALL LETTER O WITH GRAVE
    Some('\u{00C7}'), // 0x09 LATIN CAPITAL LETTER C WITH CEDILLA
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{011E}'), // 0x0B LATIN CAPITAL LETTER G WITH BREVE
    Some('\u{011F}'), // 0x0C LATIN SMALL LETTER G WITH BREVE
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{00C5}'), // 0x0E LATIN CAPITAL LETTER A WITH RING ABOVE
    Some('\u{00E5}'), // 0x0F LATIN SMALL LETTER A WITH RING ABOVE
    Some('\u{0394}'), // 0x10 GREEK CAPITAL LETTER DELTA
    Some('_'),        // 0x11 LOW LINE
    Some('\u{03A6}'), // 0x12 GREEK CAPITAL LETTER PHI
    Some('\u{0393}'), // 0x13 GREEK CAPITAL LETTER GAMMA
    Some('\u{039B}'), // 0x14 GREEK CAPITAL LETTER LAMDA
    Some('\u{03A9}'), // 0x15 GREEK CAPITAL LETTER OMEGA
    Some('\u{03A0}'), // 0x16 GREEK CAPITAL LETTER PI
    Some('\u{03A8}'), // 0x17 GREEK CAPITAL LETTER PSI
    Some('\u{03A3}'), // 0x18 GREEK CAPITAL LETTER SIGMA
    Some('\u{0398}'), // 0x19 GREEK CAPITAL LETTER THETA
    Some('\u{039E}'), // 0x1A GREEK CAPITAL LETTER XI
    None,             // 0x1B escape to the single shift table
    Some('\u{015E}'), // 0x1C LATIN CAPITAL LETTER S WITH CEDILLA
    Some('\u{015F}'), // 0x1D LATIN SMALL LETTER S WITH CEDILLA
    Some('\u{00DF}'), // 0x1E LATIN SMALL LETTER SHARP S
    Some('\u{00C9}'), // 0x1F LATIN CAPITAL LETTER E WITH ACUTE
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('"'),        // 0x22 QUOTATION MARK
    Some('#'),        // 0x23 NUMBER SIGN
    Some('\u{00A4}'), // 0x24 CURRENCY SIGN
    Some('%'),        // 0x25 PERCENT SIGN
    Some('&'),        // 0x26 AMPERSAND
    Some('\''),       // 0x27 APOSTROPHE
    Some('('),        // 0x28 LEFT PARENTHESIS
    Some(')'),        // 0x29 RIGHT PARENTHESIS
    Some('*'),        // 0x2A ASTERISK
    Some('+'),        // 0x2B PLUS SIGN
    Some(','),        // 0x2C COMMA
    Some('-'),        // 0x2D HYPHEN-MINUS
    Some('.'),        // 0x2E FULL STOP
    Some('/'),        // 0x2F SOLIDUS
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    Some('<'),        // 0x3C LESS-THAN SIGN
    Some('='),        // 0x3D EQUALS SIGN
    Some('>'),        // 0x3E GREATER-THAN SIGN
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0130}'), // 0x40 LATIN CAPITAL LETTER I WITH DOT ABOVE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    Some('\u{00C4}'), // 0x5B LATIN CAPITAL LETTER A WITH DIAERESIS
    Some('\u{00D6}'), // 0x5C LATIN CAPITAL LETTER O WITH DIAERESIS
    Some('\u{00D1}'), // 0x5D LATIN CAPITAL LETTER N WITH TILDE
    Some('\u{00DC}'), // 0x5E LATIN CAPITAL LETTER U WITH DIAERESIS
    Some('\u{00A7}'), // 0x5F SECTION SIGN
    Some('\u{00E7}'), // 0x60 LATIN SMALL LETTER C WITH CEDILLA
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{00E4}'), // 0x7B LATIN SMALL LETTER A WITH DIAERESIS
    Some('\u{00F6}'), // 0x7C LATIN SMALL LETTER O WITH DIAERESIS
    Some('\u{00F1}'), // 0x7D LATIN SMALL LETTER N WITH TILDE
    Some('\u{00FC}'), // 0x7E LATIN SMALL LETTER U WITH DIAERESIS
    Some('\u{00E0}'), // 0x7F LATIN SMALL LETTER A WITH GRAVE
];

/// Turkish national language single shift table (TS 23.038 A.2.1).
static TURKISH_SINGLE: Table = [
    None,             // 0x00 undefined
    None,             // 0x01 undefined
    None,             // 0x02 undefined
    None,             // 0x03 undefined
    None,             // 0x04 undefined
    None,             // 0x05 undefined
    None,             // 0x06 undefined
    None,             // 0x07 undefined
    None,             // 0x08 undefined
    None,             // 0x09 undefined
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    None,             // 0x0B undefined
    None,             // 0x0C undefined
    None,             // 0x0D CR2 (reserved)
    None,             // 0x0E undefined
    None,             // 0x0F undefined
    None,             // 0x10 undefined
    None,             // 0x11 undefined
    None,             // 0x12 undefined
    None,             // 0x13 undefined
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    None,             // 0x15 undefined
    None,             // 0x16 undefined
    None,             // 0x17 undefined
    None,             // 0x18 undefined
    None,             // 0x19 undefined
    None,             // 0x1A undefined
    None,             // 0x1B escape to the single shift table
    None,             // 0x1C undefined
    None,             // 0x1D undefined
    None,             // 0x1E undefined
    None,             // 0x1F undefined
    None,             // 0x20 undefined
    None,             // 0x21 undefined
    None,             // 0x22 undefined
    None,             // 0x23 undefined
    None,             // 0x24 undefined
    None,             // 0x25 undefined
    None,             // 0x26 undefined
    None,             // 0x27 undefined
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    None,             // 0x2A undefined
    None,             // 0x2B undefined
    None,             // 0x2C undefined
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    None,             // 0x41 undefined
    None,             // 0x42 undefined
    None,             // 0x43 undefined
    None,             // 0x44 undefined
    None,             // 0x45 undefined
    None,             // 0x46 undefined
    Some('\u{011E}'), // 0x47 LATIN CAPITAL LETTER G WITH BREVE
    None,             // 0x48 undefined
    Some('\u{0130}'), // 0x49 LATIN CAPITAL LETTER I WITH DOT ABOVE
    None,             // 0x4A undefined
    None,             // 0x4B undefined
    None,             // 0x4C undefined
    None,             // 0x4D undefined
    None,             // 0x4E undefined
    None,             // 0x4F undefined
    None,             // 0x50 undefined
    None,             // 0x51 undefined
    None,             // 0x52 undefined
    Some('\u{015E}'), // 0x53 LATIN CAPITAL LETTER S WITH CEDILLA
    None,             // 0x54 undefined
    None,             // 0x55 undefined
    None,             // 0x56 undefined
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    None,             // 0x59 undefined
    None,             // 0x5A undefined
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    Some('\u{00E7}'), // 0x63 LATIN SMALL LETTER C WITH CEDILLA
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    Some('\u{011F}'), // 0x67 LATIN SMALL LETTER G WITH BREVE
    None,             // 0x68 undefined
    Some('\u{0131}'), // 0x69 LATIN SMALL LETTER DOTLESS I
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    Some('\u{015F}'), // 0x73 LATIN SMALL LETTER S WITH CEDILLA
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Spanish national language single shift table (TS 23.038 A.2.2).
static SPANISH_SINGLE: Table = [
    None,             // 0x00 undefined
    None,             // 0x01 undefined
    None,             // 0x02 undefined
    None,             // 0x03 undefined
    None,             // 0x04 undefined
    None,             // 0x05 undefined
    None,             // 0x06 undefined
    None,             // 0x07 undefined
    None,             // 0x08 undefined
    Some('\u{00E7}'), // 0x09 LATIN SMALL LETTER C WITH CEDILLA
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    None,             // 0x0B undefined
    None,             // 0x0C undefined
    None,             // 0x0D CR2 (reserved)
    None,             // 0x0E undefined
    None,             // 0x0F undefined
    None,             // 0x10 undefined
    None,             // 0x11 undefined
    None,             // 0x12 undefined
    None,             // 0x13 undefined
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    None,             // 0x15 undefined
    None,             // 0x16 undefined
    None,             // 0x17 undefined
    None,             // 0x18 undefined
    None,             // 0x19 undefined
    None,             // 0x1A undefined
    None,             // 0x1B escape to the single shift table
    None,             // 0x1C undefined
    None,             // 0x1D undefined
    None,             // 0x1E undefined
    None,             // 0x1F undefined
    None,             // 0x20 undefined
    None,             // 0x21 undefined
    None,             // 0x22 undefined
    None,             // 0x23 undefined
    None,             // 0x24 undefined
    None,             // 0x25 undefined
    None,             // 0x26 undefined
    None,             // 0x27 undefined
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    None,             // 0x2A undefined
    None,             // 0x2B undefined
    None,             // 0x2C undefined
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('\u{00C1}'), // 0x41 LATIN CAPITAL LETTER A WITH ACUTE
    None,             // 0x42 undefined
    None,             // 0x43 undefined
    None,             // 0x44 undefined
    None,             // 0x45 undefined
    None,             // 0x46 undefined
    None,             // 0x47 undefined
    None,             // 0x48 undefined
    Some('\u{00CD}'), // 0x49 LATIN CAPITAL LETTER I WITH ACUTE
    None,             // 0x4A undefined
    None,             // 0x4B undefined
    None,             // 0x4C undefined
    None,             // 0x4D undefined
    None,             // 0x4E undefined
    Some('\u{00D3}'), // 0x4F LATIN CAPITAL LETTER O WITH ACUTE
    None,             // 0x50 undefined
    None,             // 0x51 undefined
    None,             // 0x52 undefined
    None,             // 0x53 undefined
    None,             // 0x54 undefined
    Some('\u{00DA}'), // 0x55 LATIN CAPITAL LETTER U WITH ACUTE
    None,             // 0x56 undefined
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    None,             // 0x59 undefined
    None,             // 0x5A undefined
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    Some('\u{00E1}'), // 0x61 LATIN SMALL LETTER A WITH ACUTE
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    Some('\u{00ED}'), // 0x69 LATIN SMALL LETTER I WITH ACUTE
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    Some('\u{00F3}'), // 0x6F LATIN SMALL LETTER O WITH ACUTE
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    Some('\u{00FA}'), // 0x75 LATIN SMALL LETTER U WITH ACUTE
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Portuguese national language locking shift table (TS 23.038 A.3.3).
static PORTUGUESE_LOCKING: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00EA}'), // 0x04 LATIN SMALL LETTER E WITH CIRCUMFLEX
    Some('\u{00E9}'), // 0x05 LATIN SMALL LETTER E WITH ACUTE
    Some('\u{00FA}'), // 0x06 LATIN SMALL LETTER U WITH ACUTE
    Some('\u{00ED}'), // 0x07 LATIN SMALL LETTER I WITH ACUTE
    Some('\u{00F3}'), // 0x08 LATIN SMALL LETTER O WITH ACUTE
    Some('\u{00E7}'), // 0x09 LATIN SMALL LETTER C WITH CEDILLA
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{00D4}'), // 0x0B LATIN CAPITAL LETTER O WITH CIRCUMFLEX
    Some('\u{00F4}'), // 0x0C LATIN SMALL LETTER O WITH CIRCUMFLEX
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{00C1}'), // 0x0E LATIN CAPITAL LETTER A WITH ACUTE
    Some('\u{00E1}'), // 0x0F LATIN SMALL LETTER A WITH ACUTE
    Some('\u{0394}'), // 0x10 GREEK CAPITAL LETTER DELTA
    Some('_'),        // 0x11 LOW LINE
    Some('\u{00AA}'), // 0x12 FEMININE ORDINAL INDICATOR
    Some('\u{00C7}'), // 0x13 LATIN CAPITAL LETTER C WITH CEDILLA
    Some('\u{00C0}'), // 0x14 LATIN CAPITAL LETTER A WITH GRAVE
    Some('\u{221E}'), // 0x15 INFINITY
    Some('^'),        // 0x16 CIRCUMFLEX ACCENT
    Some('\\'),       // 0x17 REVERSE SOLIDUS
    Some('\u{20AC}'), // 0x18 EURO SIGN
    Some('\u{00D3}'), // 0x19 LATIN CAPITAL LETTER O WITH ACUTE
    Some('|'),        // 0x1A VERTICAL LINE
    None,             // 0x1B escape to the single shift table
    Some('\u{00C2}'), // 0x1C LATIN CAPITAL LETTER A WITH CIRCUMFLEX
    Some('\u{00E2}'), // 0x1D LATIN SMALL LETTER A WITH CIRCUMFLEX
    Some('\u{00CA}'), // 0x1E LATIN CAPITAL LETTER E WITH CIRCUMFLEX
    Some('\u{00C9}'), // 0x1F LATIN CAPITAL LETTER E WITH ACUTE
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('"'),        // 0x22 QUOTATION MARK
    Some('#'),        // 0x23 NUMBER SIGN
    Some('\u{00BA}'), // 0x24 MASCULINE ORDINAL INDICATOR
    Some('%'),        // 0x25 PERCENT SIGN
    Some('&'),        // 0x26 AMPERSAND
    Some('\''),       // 0x27 APOSTROPHE
    Some('('),        // 0x28 LEFT PARENTHESIS
    Some(')'),        // 0x29 RIGHT PARENTHESIS
    Some('*'),        // 0x2A ASTERISK
    Some('+'),        // 0x2B PLUS SIGN
    Some(','),        // 0x2C COMMA
    Some('-'),        // 0x2D HYPHEN-MINUS
    Some('.'),        // 0x2E FULL STOP
    Some('/'),        // 0x2F SOLIDUS
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    Some('<'),        // 0x3C LESS-THAN SIGN
    Some('='),        // 0x3D EQUALS SIGN
    Some('>'),        // 0x3E GREATER-THAN SIGN
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{00CD}'), // 0x40 LATIN CAPITAL LETTER I WITH ACUTE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    Some('\u{00C3}'), // 0x5B LATIN CAPITAL LETTER A WITH TILDE
    Some('\u{00D5}'), // 0x5C LATIN CAPITAL LETTER O WITH TILDE
    Some('\u{00DA}'), // 0x5D LATIN CAPITAL LETTER U WITH ACUTE
    Some('\u{00DC}'), // 0x5E LATIN CAPITAL LETTER U WITH DIAERESIS
    Some('\u{00A7}'), // 0x5F SECTION SIGN
    Some('~'),        // 0x60 TILDE
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{00E3}'), // 0x7B LATIN SMALL LETTER A WITH TILDE
    Some('\u{00F5}'), // 0x7C LATIN SMALL LETTER O WITH TILDE
    Some('`'),        // 0x7D GRAVE ACCENT
    Some('\u{00FC}'), // 0x7E LATIN SMALL LETTER U WITH DIAERESIS
    Some('\u{00E0}'), // 0x7F LATIN SMALL LETTER A WITH GRAVE
];

/// Portuguese national language single shift table (TS 23.038 A.2.3).
static PORTUGUESE_SINGLE: Table = [
    None,             // 0x00 undefined
    None,             // 0x01 undefined
    None,             // 0x02 undefined
    None,             // 0x03 undefined
    None,             // 0x04 undefined
    Some('\u{00EA}'), // 0x05 LATIN SMALL LETTER E WITH CIRCUMFLEX
    None,             // 0x06 undefined
    None,             // 0x07 undefined
    None,             // 0x08 undefined
    Some('\u{00E7}'), // 0x09 LATIN SMALL LETTER C WITH CEDILLA
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('\u{00D4}'), // 0x0B LATIN CAPITAL LETTER O WITH CIRCUMFLEX
    Some('\u{00F4}'), // 0x0C LATIN SMALL LETTER O WITH CIRCUMFLEX
    None,             // 0x0D CR2 (reserved)
    Some('\u{00C1}'), // 0x0E LATIN CAPITAL LETTER A WITH ACUTE
    Some('\u{00E1}'), // 0x0F LATIN SMALL LETTER A WITH ACUTE
    None,             // 0x10 undefined
    None,             // 0x11 undefined
    Some('\u{03A6}'), // 0x12 GREEK CAPITAL LETTER PHI
    Some('\u{0393}'), // 0x13 GREEK CAPITAL LETTER GAMMA
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{03A9}'), // 0x15 GREEK CAPITAL LETTER OMEGA
    Some('\u{03A0}'), // 0x16 GREEK CAPITAL LETTER PI
    Some('\u{03A8}'), // 0x17 GREEK CAPITAL LETTER PSI
    Some('\u{03A3}'), // 0x18 GREEK CAPITAL LETTER SIGMA
    Some('\u{0398}'), // 0x19 GREEK CAPITAL LETTER THETA
    None,             // 0x1A undefined
    None,             // 0x1B escape to the single shift table
    None,             // 0x1C undefined
    None,             // 0x1D undefined
    None,             // 0x1E undefined
    Some('\u{00CA}'), // 0x1F LATIN CAPITAL LETTER E WITH CIRCUMFLEX; absent in older warthog618/sms
    None,             // 0x20 undefined
    None,             // 0x21 undefined
    None,             // 0x22 undefined
    None,             // 0x23 undefined
    None,             // 0x24 undefined
    None,             // 0x25 undefined
    None,             // 0x26 undefined
    None,             // 0x27 undefined
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    None,             // 0x2A undefined
    None,             // 0x2B undefined
    None,             // 0x2C undefined
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('\u{00C0}'), // 0x41 LATIN CAPITAL LETTER A WITH GRAVE
    None,             // 0x42 undefined
    None,             // 0x43 undefined
    None,             // 0x44 undefined
    None,             // 0x45 undefined
    None,             // 0x46 undefined
    None,             // 0x47 undefined
    None,             // 0x48 undefined
    Some('\u{00CD}'), // 0x49 LATIN CAPITAL LETTER I WITH ACUTE
    None,             // 0x4A undefined
    None,             // 0x4B undefined
    None,             // 0x4C undefined
    None,             // 0x4D undefined
    None,             // 0x4E undefined
    Some('\u{00D3}'), // 0x4F LATIN CAPITAL LETTER O WITH ACUTE
    None,             // 0x50 undefined
    None,             // 0x51 undefined
    None,             // 0x52 undefined
    None,             // 0x53 undefined
    None,             // 0x54 undefined
    Some('\u{00DA}'), // 0x55 LATIN CAPITAL LETTER U WITH ACUTE
    None,             // 0x56 undefined
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    None,             // 0x59 undefined
    None,             // 0x5A undefined
    Some('\u{00C3}'), // 0x5B LATIN CAPITAL LETTER A WITH TILDE
    Some('\u{00D5}'), // 0x5C LATIN CAPITAL LETTER O WITH TILDE
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    Some('\u{00C2}'), // 0x61 LATIN CAPITAL LETTER A WITH CIRCUMFLEX
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    Some('\u{00ED}'), // 0x69 LATIN SMALL LETTER I WITH ACUTE
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    Some('\u{00F3}'), // 0x6F LATIN SMALL LETTER O WITH ACUTE
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    Some('\u{00FA}'), // 0x75 LATIN SMALL LETTER U WITH ACUTE
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    Some('\u{00E3}'), // 0x7B LATIN SMALL LETTER A WITH TILDE
    Some('\u{00F5}'), // 0x7C LATIN SMALL LETTER O WITH TILDE
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    Some('\u{00E2}'), // 0x7F LATIN SMALL LETTER A WITH CIRCUMFLEX
];

/// Bengali national language locking shift table (TS 23.038 A.3.4).
static BENGALI_LOCKING: Table = [
    Some('\u{0981}'), // 0x00 BENGALI SIGN CANDRABINDU
    Some('\u{0982}'), // 0x01 BENGALI SIGN ANUSVARA
    Some('\u{0983}'), // 0x02 BENGALI SIGN VISARGA
    Some('\u{0985}'), // 0x03 BENGALI LETTER A
    Some('\u{0986}'), // 0x04 BENGALI LETTER AA
    Some('\u{0987}'), // 0x05 BENGALI LETTER I
    Some('\u{0988}'), // 0x06 BENGALI LETTER II
    Some('\u{0989}'), // 0x07 BENGALI LETTER U
    Some('\u{098A}'), // 0x08 BENGALI LETTER UU
    Some('\u{098B}'), // 0x09 BENGALI LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{098C}'), // 0x0B BENGALI LETTER VOCALIC L
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    None,             // 0x0E undefined
    Some('\u{098F}'), // 0x0F BENGALI LETTER E
    Some('\u{0990}'), // 0x10 BENGALI LETTER AI
    None,             // 0x11 undefined
    None,             // 0x12 undefined
    Some('\u{0993}'), // 0x13 BENGALI LETTER O
    Some('\u{0994}'), // 0x14 BENGALI LETTER AU
    Some('\u{0995}'), // 0x15 BENGALI LETTER KA
    Some('\u{0996}'), // 0x16 BENGALI LETTER KHA
    Some('\u{0997}'), // 0x17 BENGALI LETTER GA
    Some('\u{0998}'), // 0x18 BENGALI LETTER GHA
    Some('\u{0999}'), // 0x19 BENGALI LETTER NGA
    Some('\u{099A}'), // 0x1A BENGALI LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{099B}'), // 0x1C BENGALI LETTER CHA
    Some('\u{099C}'), // 0x1D BENGALI LETTER JA
    Some('\u{099D}'), // 0x1E BENGALI LETTER JHA
    Some('\u{099E}'), // 0x1F BENGALI LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{099F}'), // 0x22 BENGALI LETTER TTA
    Some('\u{09A0}'), // 0x23 BENGALI LETTER TTHA
    Some('\u{09A1}'), // 0x24 BENGALI LETTER DDA
    Some('\u{09A2}'), // 0x25 BENGALI LETTER DDHA
    Some('\u{09A3}'), // 0x26 BENGALI LETTER NNA
    Some('\u{09A4}'), // 0x27 BENGALI LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{09A5}'), // 0x2A BENGALI LETTER THA
    Some('\u{09A6}'), // 0x2B BENGALI LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{09A7}'), // 0x2D BENGALI LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{09A8}'), // 0x2F BENGALI LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{09AA}'), // 0x3D BENGALI LETTER PA
    Some('\u{09AB}'), // 0x3E BENGALI LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{09AC}'), // 0x40 BENGALI LETTER BA
    Some('\u{09AD}'), // 0x41 BENGALI LETTER BHA
    Some('\u{09AE}'), // 0x42 BENGALI LETTER MA
    Some('\u{09AF}'), // 0x43 BENGALI LETTER YA
    Some('\u{09B0}'), // 0x44 BENGALI LETTER RA
    None,             // 0x45 undefined
    Some('\u{09B2}'), // 0x46 BENGALI LETTER LA
    None,             // 0x47 undefined
    None,             // 0x48 undefined
    None,             // 0x49 undefined
    Some('\u{09B6}'), // 0x4A BENGALI LETTER SHA
    Some('\u{09B7}'), // 0x4B BENGALI LETTER SSA
    Some('\u{09B8}'), // 0x4C BENGALI LETTER SA
    Some('\u{09B9}'), // 0x4D BENGALI LETTER HA
    Some('\u{09BC}'), // 0x4E BENGALI SIGN NUKTA
    Some('\u{09BD}'), // 0x4F BENGALI SIGN AVAGRAHA
    Some('\u{09BE}'), // 0x50 BENGALI VOWEL SIGN AA
    Some('\u{09BF}'), // 0x51 BENGALI VOWEL SIGN I
    Some('\u{09C0}'), // 0x52 BENGALI VOWEL SIGN II
    Some('\u{09C1}'), // 0x53 BENGALI VOWEL SIGN U
    Some('\u{09C2}'), // 0x54 BENGALI VOWEL SIGN UU
    Some('\u{09C3}'), // 0x55 BENGALI VOWEL SIGN VOCALIC R
    Some('\u{09C4}'), // 0x56 BENGALI VOWEL SIGN VOCALIC RR
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    Some('\u{09C7}'), // 0x59 BENGALI VOWEL SIGN E
    Some('\u{09C8}'), // 0x5A BENGALI VOWEL SIGN AI
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    Some('\u{09CB}'), // 0x5D BENGALI VOWEL SIGN O
    Some('\u{09CC}'), // 0x5E BENGALI VOWEL SIGN AU
    Some('\u{09CD}'), // 0x5F BENGALI SIGN VIRAMA
    Some('\u{09CE}'), // 0x60 BENGALI LETTER KHANDA TA
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{09D7}'), // 0x7B BENGALI AU LENGTH MARK
    Some('\u{09DC}'), // 0x7C BENGALI LETTER RRA
    Some('\u{09DD}'), // 0x7D BENGALI LETTER RHA
    Some('\u{09F0}'), // 0x7E BENGALI LETTER RA WITH MIDDLE DIAGONAL
    Some('\u{09F1}'), // 0x7F BENGALI LETTER RA WITH LOWER DIAGONAL
];

/// Bengali national language single shift table (TS 23.038 A.2.4).
static BENGALI_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{09E6}'), // 0x19 BENGALI DIGIT ZERO
    Some('\u{09E7}'), // 0x1A BENGALI DIGIT ONE
    None,             // 0x1B escape to the single shift table
    Some('\u{09E8}'), // 0x1C BENGALI DIGIT TWO
    Some('\u{09E9}'), // 0x1D BENGALI DIGIT THREE
    Some('\u{09EA}'), // 0x1E BENGALI DIGIT FOUR
    Some('\u{09EB}'), // 0x1F BENGALI DIGIT FIVE
    Some('\u{09EC}'), // 0x20 BENGALI DIGIT SIX
    Some('\u{09ED}'), // 0x21 BENGALI DIGIT SEVEN
    Some('\u{09EE}'), // 0x22 BENGALI DIGIT EIGHT
    Some('\u{09EF}'), // 0x23 BENGALI DIGIT NINE
    Some('\u{09DF}'), // 0x24 BENGALI LETTER YYA
    Some('\u{09E0}'), // 0x25 BENGALI LETTER VOCALIC RR
    Some('\u{09E1}'), // 0x26 BENGALI LETTER VOCALIC LL
    Some('\u{09E2}'), // 0x27 BENGALI VOWEL SIGN VOCALIC L
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{09E3}'), // 0x2A BENGALI VOWEL SIGN VOCALIC LL
    Some('\u{09F2}'), // 0x2B BENGALI RUPEE MARK
    Some('\u{09F3}'), // 0x2C BENGALI RUPEE SIGN
    Some('\u{09F4}'), // 0x2D BENGALI CURRENCY NUMERATOR ONE
    Some('\u{09F5}'), // 0x2E BENGALI CURRENCY NUMERATOR TWO
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    Some('\u{09F6}'), // 0x30 BENGALI CURRENCY NUMERATOR THREE
    Some('\u{09F7}'), // 0x31 BENGALI CURRENCY NUMERATOR FOUR
    Some('\u{09F8}'), // 0x32 BENGALI CURRENCY NUMERATOR ONE LESS THAN THE DENOMINATOR
    Some('\u{09F9}'), // 0x33 BENGALI CURRENCY DENOMINATOR SIXTEEN
    Some('\u{09FA}'), // 0x34 BENGALI ISSHAR
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Gujarati national language locking shift table (TS 23.038 A.3.5).
static GUJARATI_LOCKING: Table = [
    Some('\u{0A81}'), // 0x00 GUJARATI SIGN CANDRABINDU
    Some('\u{0A82}'), // 0x01 GUJARATI SIGN ANUSVARA
    Some('\u{0A83}'), // 0x02 GUJARATI SIGN VISARGA
    Some('\u{0A85}'), // 0x03 GUJARATI LETTER A
    Some('\u{0A86}'), // 0x04 GUJARATI LETTER AA
    Some('\u{0A87}'), // 0x05 GUJARATI LETTER I
    Some('\u{0A88}'), // 0x06 GUJARATI LETTER II
    Some('\u{0A89}'), // 0x07 GUJARATI LETTER U
    Some('\u{0A8A}'), // 0x08 GUJARATI LETTER UU
    Some('\u{0A8B}'), // 0x09 GUJARATI LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0A8C}'), // 0x0B GUJARATI LETTER VOCALIC L
    Some('\u{0A8D}'), // 0x0C GUJARATI VOWEL CANDRA E
    Some('\r'),       // 0x0D CARRIAGE RETURN
    None,             // 0x0E undefined
    Some('\u{0A8F}'), // 0x0F GUJARATI LETTER E
    Some('\u{0A90}'), // 0x10 GUJARATI LETTER AI
    Some('\u{0A91}'), // 0x11 GUJARATI VOWEL CANDRA O
    None,             // 0x12 undefined
    Some('\u{0A93}'), // 0x13 GUJARATI LETTER O
    Some('\u{0A94}'), // 0x14 GUJARATI LETTER AU
    Some('\u{0A95}'), // 0x15 GUJARATI LETTER KA
    Some('\u{0A96}'), // 0x16 GUJARATI LETTER KHA
    Some('\u{0A97}'), // 0x17 GUJARATI LETTER GA
    Some('\u{0A98}'), // 0x18 GUJARATI LETTER GHA
    Some('\u{0A99}'), // 0x19 GUJARATI LETTER NGA
    Some('\u{0A9A}'), // 0x1A GUJARATI LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0A9B}'), // 0x1C GUJARATI LETTER CHA
    Some('\u{0A9C}'), // 0x1D GUJARATI LETTER JA
    Some('\u{0A9D}'), // 0x1E GUJARATI LETTER JHA
    Some('\u{0A9E}'), // 0x1F GUJARATI LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0A9F}'), // 0x22 GUJARATI LETTER TTA
    Some('\u{0AA0}'), // 0x23 GUJARATI LETTER TTHA
    Some('\u{0AA1}'), // 0x24 GUJARATI LETTER DDA
    Some('\u{0AA2}'), // 0x25 GUJARATI LETTER DDHA
    Some('\u{0AA3}'), // 0x26 GUJARATI LETTER NNA
    Some('\u{0AA4}'), // 0x27 GUJARATI LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0AA5}'), // 0x2A GUJARATI LETTER THA
    Some('\u{0AA6}'), // 0x2B GUJARATI LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0AA7}'), // 0x2D GUJARATI LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0AA8}'), // 0x2F GUJARATI LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0AAA}'), // 0x3D GUJARATI LETTER PA
    Some('\u{0AAB}'), // 0x3E GUJARATI LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0AAC}'), // 0x40 GUJARATI LETTER BA
    Some('\u{0AAD}'), // 0x41 GUJARATI LETTER BHA
    Some('\u{0AAE}'), // 0x42 GUJARATI LETTER MA
    Some('\u{0AAF}'), // 0x43 GUJARATI LETTER YA
    Some('\u{0AB0}'), // 0x44 GUJARATI LETTER RA
    None,             // 0x45 undefined
    Some('\u{0AB2}'), // 0x46 GUJARATI LETTER LA
    Some('\u{0AB3}'), // 0x47 GUJARATI LETTER LLA
    None,             // 0x48 undefined
    Some('\u{0AB5}'), // 0x49 GUJARATI LETTER VA
    Some('\u{0AB6}'), // 0x4A GUJARATI LETTER SHA
    Some('\u{0AB7}'), // 0x4B GUJARATI LETTER SSA
    Some('\u{0AB8}'), // 0x4C GUJARATI LETTER SA
    Some('\u{0AB9}'), // 0x4D GUJARATI LETTER HA
    Some('\u{0ABC}'), // 0x4E GUJARATI SIGN NUKTA
    Some('\u{0ABD}'), // 0x4F GUJARATI SIGN AVAGRAHA
    Some('\u{0ABE}'), // 0x50 GUJARATI VOWEL SIGN AA
    Some('\u{0ABF}'), // 0x51 GUJARATI VOWEL SIGN I
    Some('\u{0AC0}'), // 0x52 GUJARATI VOWEL SIGN II
    Some('\u{0AC1}'), // 0x53 GUJARATI VOWEL SIGN U
    Some('\u{0AC2}'), // 0x54 GUJARATI VOWEL SIGN UU
    Some('\u{0AC3}'), // 0x55 GUJARATI VOWEL SIGN VOCALIC R
    Some('\u{0AC4}'), // 0x56 GUJARATI VOWEL SIGN VOCALIC RR
    Some('\u{0AC5}'), // 0x57 GUJARATI VOWEL SIGN CANDRA E
    None,             // 0x58 undefined
    Some('\u{0AC7}'), // 0x59 GUJARATI VOWEL SIGN E
    Some('\u{0AC8}'), // 0x5A GUJARATI VOWEL SIGN AI
    Some('\u{0AC9}'), // 0x5B GUJARATI VOWEL SIGN CANDRA O
    None,             // 0x5C undefined
    Some('\u{0ACB}'), // 0x5D GUJARATI VOWEL SIGN O
    Some('\u{0ACC}'), // 0x5E GUJARATI VOWEL SIGN AU
    Some('\u{0ACD}'), // 0x5F GUJARATI SIGN VIRAMA
    Some('\u{0AD0}'), // 0x60 GUJARATI OM
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0AE0}'), // 0x7B GUJARATI LETTER VOCALIC RR
    Some('\u{0AE1}'), // 0x7C GUJARATI LETTER VOCALIC LL
    Some('\u{0AE2}'), // 0x7D GUJARATI VOWEL SIGN VOCALIC L
    Some('\u{0AE3}'), // 0x7E GUJARATI VOWEL SIGN VOCALIC LL
    Some('\u{0AF1}'), // 0x7F GUJARATI RUPEE SIGN
];

/// Gujarati national language single shift table (TS 23.038 A.2.5).
static GUJARATI_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0AE6}'), // 0x1C GUJARATI DIGIT ZERO
    Some('\u{0AE7}'), // 0x1D GUJARATI DIGIT ONE
    Some('\u{0AE8}'), // 0x1E GUJARATI DIGIT TWO
    Some('\u{0AE9}'), // 0x1F GUJARATI DIGIT THREE
    Some('\u{0AEA}'), // 0x20 GUJARATI DIGIT FOUR
    Some('\u{0AEB}'), // 0x21 GUJARATI DIGIT FIVE
    Some('\u{0AEC}'), // 0x22 GUJARATI DIGIT SIX
    Some('\u{0AED}'), // 0x23 GUJARATI DIGIT SEVEN
    Some('\u{0AEE}'), // 0x24 GUJARATI DIGIT EIGHT
    Some('\u{0AEF}'), // 0x25 GUJARATI DIGIT NINE
    None,             // 0x26 undefined
    None,             // 0x27 undefined
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    None,             // 0x2A undefined
    None,             // 0x2B undefined
    None,             // 0x2C undefined
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Hindi national language locking shift table (TS 23.038 A.3.6).
static HINDI_LOCKING: Table = [
    Some('\u{0901}'), // 0x00 DEVANAGARI SIGN CANDRABINDU; warthog618/sms: U+0981..U+0983 here
    Some('\u{0902}'), // 0x01 DEVANAGARI SIGN ANUSVARA
    Some('\u{0903}'), // 0x02 DEVANAGARI SIGN VISARGA
    Some('\u{0905}'), // 0x03 DEVANAGARI LETTER A
    Some('\u{0906}'), // 0x04 DEVANAGARI LETTER AA
    Some('\u{0907}'), // 0x05 DEVANAGARI LETTER I
    Some('\u{0908}'), // 0x06 DEVANAGARI LETTER II
    Some('\u{0909}'), // 0x07 DEVANAGARI LETTER U
    Some('\u{090A}'), // 0x08 DEVANAGARI LETTER UU
    Some('\u{090B}'), // 0x09 DEVANAGARI LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{090C}'), // 0x0B DEVANAGARI LETTER VOCALIC L
    Some('\u{090D}'), // 0x0C DEVANAGARI LETTER CANDRA E
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{090E}'), // 0x0E DEVANAGARI LETTER SHORT E
    Some('\u{090F}'), // 0x0F DEVANAGARI LETTER E
    Some('\u{0910}'), // 0x10 DEVANAGARI LETTER AI
    Some('\u{0911}'), // 0x11 DEVANAGARI LETTER CANDRA O
    Some('\u{0912}'), // 0x12 DEVANAGARI LETTER SHORT O
    Some('\u{0913}'), // 0x13 DEVANAGARI LETTER O
    Some('\u{0914}'), // 0x14 DEVANAGARI LETTER AU
    Some('\u{0915}'), // 0x15 DEVANAGARI LETTER KA
    Some('\u{0916}'), // 0x16 DEVANAGARI LETTER KHA
    Some('\u{0917}'), // 0x17 DEVANAGARI LETTER GA
    Some('\u{0918}'), // 0x18 DEVANAGARI LETTER GHA
    Some('\u{0919}'), // 0x19 DEVANAGARI LETTER NGA
    Some('\u{091A}'), // 0x1A DEVANAGARI LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{091B}'), // 0x1C DEVANAGARI LETTER CHA
    Some('\u{091C}'), // 0x1D DEVANAGARI LETTER JA
    Some('\u{091D}'), // 0x1E DEVANAGARI LETTER JHA
    Some('\u{091E}'), // 0x1F DEVANAGARI LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{091F}'), // 0x22 DEVANAGARI LETTER TTA
    Some('\u{0920}'), // 0x23 DEVANAGARI LETTER TTHA
    Some('\u{0921}'), // 0x24 DEVANAGARI LETTER DDA
    Some('\u{0922}'), // 0x25 DEVANAGARI LETTER DDHA
    Some('\u{0923}'), // 0x26 DEVANAGARI LETTER NNA
    Some('\u{0924}'), // 0x27 DEVANAGARI LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0925}'), // 0x2A DEVANAGARI LETTER THA
    Some('\u{0926}'), // 0x2B DEVANAGARI LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0927}'), // 0x2D DEVANAGARI LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0928}'), // 0x2F DEVANAGARI LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    Some('\u{0929}'), // 0x3C DEVANAGARI LETTER NNNA
    Some('\u{092A}'), // 0x3D DEVANAGARI LETTER PA
    Some('\u{092B}'), // 0x3E DEVANAGARI LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{092C}'), // 0x40 DEVANAGARI LETTER BA
    Some('\u{092D}'), // 0x41 DEVANAGARI LETTER BHA
    Some('\u{092E}'), // 0x42 DEVANAGARI LETTER MA
    Some('\u{092F}'), // 0x43 DEVANAGARI LETTER YA
    Some('\u{0930}'), // 0x44 DEVANAGARI LETTER RA
    Some('\u{0931}'), // 0x45 DEVANAGARI LETTER RRA
    Some('\u{0932}'), // 0x46 DEVANAGARI LETTER LA
    Some('\u{0933}'), // 0x47 DEVANAGARI LETTER LLA
    Some('\u{0934}'), // 0x48 DEVANAGARI LETTER LLLA
    Some('\u{0935}'), // 0x49 DEVANAGARI LETTER VA
    Some('\u{0936}'), // 0x4A DEVANAGARI LETTER SHA
    Some('\u{0937}'), // 0x4B DEVANAGARI LETTER SSA
    Some('\u{0938}'), // 0x4C DEVANAGARI LETTER SA
    Some('\u{0939}'), // 0x4D DEVANAGARI LETTER HA
    Some('\u{093C}'), // 0x4E DEVANAGARI SIGN NUKTA
    Some('\u{093D}'), // 0x4F DEVANAGARI SIGN AVAGRAHA
    Some('\u{093E}'), // 0x50 DEVANAGARI VOWEL SIGN AA
    Some('\u{093F}'), // 0x51 DEVANAGARI VOWEL SIGN I
    Some('\u{0940}'), // 0x52 DEVANAGARI VOWEL SIGN II
    Some('\u{0941}'), // 0x53 DEVANAGARI VOWEL SIGN U
    Some('\u{0942}'), // 0x54 DEVANAGARI VOWEL SIGN UU
    Some('\u{0943}'), // 0x55 DEVANAGARI VOWEL SIGN VOCALIC R
    Some('\u{0944}'), // 0x56 DEVANAGARI VOWEL SIGN VOCALIC RR
    Some('\u{0945}'), // 0x57 DEVANAGARI VOWEL SIGN CANDRA E
    Some('\u{0946}'), // 0x58 DEVANAGARI VOWEL SIGN SHORT E
    Some('\u{0947}'), // 0x59 DEVANAGARI VOWEL SIGN E
    Some('\u{0948}'), // 0x5A DEVANAGARI VOWEL SIGN AI
    Some('\u{0949}'), // 0x5B DEVANAGARI VOWEL SIGN CANDRA O
    Some('\u{094A}'), // 0x5C DEVANAGARI VOWEL SIGN SHORT O
    Some('\u{094B}'), // 0x5D DEVANAGARI VOWEL SIGN O
    Some('\u{094C}'), // 0x5E DEVANAGARI VOWEL SIGN AU
    Some('\u{094D}'), // 0x5F DEVANAGARI SIGN VIRAMA
    Some('\u{0950}'), // 0x60 DEVANAGARI OM
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0972}'), // 0x7B DEVANAGARI LETTER CANDRA A
    Some('\u{097B}'), // 0x7C DEVANAGARI LETTER GGA
    Some('\u{097C}'), // 0x7D DEVANAGARI LETTER JJA
    Some('\u{097E}'), // 0x7E DEVANAGARI LETTER DDDA
    Some('\u{097F}'), // 0x7F DEVANAGARI LETTER BBA
];

/// Hindi national language single shift table (TS 23.038 A.2.6).
static HINDI_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0966}'), // 0x1C DEVANAGARI DIGIT ZERO
    Some('\u{0967}'), // 0x1D DEVANAGARI DIGIT ONE
    Some('\u{0968}'), // 0x1E DEVANAGARI DIGIT TWO
    Some('\u{0969}'), // 0x1F DEVANAGARI DIGIT THREE
    Some('\u{096A}'), // 0x20 DEVANAGARI DIGIT FOUR
    Some('\u{096B}'), // 0x21 DEVANAGARI DIGIT FIVE
    Some('\u{096C}'), // 0x22 DEVANAGARI DIGIT SIX
    Some('\u{096D}'), // 0x23 DEVANAGARI DIGIT SEVEN
    Some('\u{096E}'), // 0x24 DEVANAGARI DIGIT EIGHT
    Some('\u{096F}'), // 0x25 DEVANAGARI DIGIT NINE
    Some('\u{0951}'), // 0x26 DEVANAGARI STRESS SIGN UDATTA
    Some('\u{0952}'), // 0x27 DEVANAGARI STRESS SIGN ANUDATTA
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0953}'), // 0x2A DEVANAGARI GRAVE ACCENT
    Some('\u{0954}'), // 0x2B DEVANAGARI ACUTE ACCENT
    Some('\u{0958}'), // 0x2C DEVANAGARI LETTER QA
    Some('\u{0959}'), // 0x2D DEVANAGARI LETTER KHHA
    Some('\u{095A}'), // 0x2E DEVANAGARI LETTER GHHA
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    Some('\u{095B}'), // 0x30 DEVANAGARI LETTER ZA
    Some('\u{095C}'), // 0x31 DEVANAGARI LETTER DDDHA
    Some('\u{095D}'), // 0x32 DEVANAGARI LETTER RHA
    Some('\u{095E}'), // 0x33 DEVANAGARI LETTER FA
    Some('\u{095F}'), // 0x34 DEVANAGARI LETTER YYA
    Some('\u{0960}'), // 0x35 DEVANAGARI LETTER VOCALIC RR
    Some('\u{0961}'), // 0x36 DEVANAGARI LETTER VOCALIC LL
    Some('\u{0962}'), // 0x37 DEVANAGARI VOWEL SIGN VOCALIC L
    Some('\u{0963}'), // 0x38 DEVANAGARI VOWEL SIGN VOCALIC LL
    Some('\u{0970}'), // 0x39 DEVANAGARI ABBREVIATION SIGN
    Some('\u{0971}'), // 0x3A DEVANAGARI SIGN HIGH SPACING DOT
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Kannada national language locking shift table (TS 23.038 A.3.7).
static KANNADA_LOCKING: Table = [
    None,             // 0x00 undefined
    Some('\u{0C82}'), // 0x01 KANNADA SIGN ANUSVARA
    Some('\u{0C83}'), // 0x02 KANNADA SIGN VISARGA
    Some('\u{0C85}'), // 0x03 KANNADA LETTER A
    Some('\u{0C86}'), // 0x04 KANNADA LETTER AA
    Some('\u{0C87}'), // 0x05 KANNADA LETTER I
    Some('\u{0C88}'), // 0x06 KANNADA LETTER II
    Some('\u{0C89}'), // 0x07 KANNADA LETTER U
    Some('\u{0C8A}'), // 0x08 KANNADA LETTER UU
    Some('\u{0C8B}'), // 0x09 KANNADA LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0C8C}'), // 0x0B KANNADA LETTER VOCALIC L
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{0C8E}'), // 0x0E KANNADA LETTER E
    Some('\u{0C8F}'), // 0x0F KANNADA LETTER EE
    Some('\u{0C90}'), // 0x10 KANNADA LETTER AI
    None,             // 0x11 undefined
    Some('\u{0C92}'), // 0x12 KANNADA LETTER O
    Some('\u{0C93}'), // 0x13 KANNADA LETTER OO
    Some('\u{0C94}'), // 0x14 KANNADA LETTER AU
    Some('\u{0C95}'), // 0x15 KANNADA LETTER KA
    Some('\u{0C96}'), // 0x16 KANNADA LETTER KHA
    Some('\u{0C97}'), // 0x17 KANNADA LETTER GA
    Some('\u{0C98}'), // 0x18 KANNADA LETTER GHA
    Some('\u{0C99}'), // 0x19 KANNADA LETTER NGA
    Some('\u{0C9A}'), // 0x1A KANNADA LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0C9B}'), // 0x1C KANNADA LETTER CHA
    Some('\u{0C9C}'), // 0x1D KANNADA LETTER JA
    Some('\u{0C9D}'), // 0x1E KANNADA LETTER JHA
    Some('\u{0C9E}'), // 0x1F KANNADA LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0C9F}'), // 0x22 KANNADA LETTER TTA
    Some('\u{0CA0}'), // 0x23 KANNADA LETTER TTHA
    Some('\u{0CA1}'), // 0x24 KANNADA LETTER DDA; printed spec: U+0CAA (as 0x3D); see docs
    Some('\u{0CA2}'), // 0x25 KANNADA LETTER DDHA
    Some('\u{0CA3}'), // 0x26 KANNADA LETTER NNA
    Some('\u{0CA4}'), // 0x27 KANNADA LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0CA5}'), // 0x2A KANNADA LETTER THA
    Some('\u{0CA6}'), // 0x2B KANNADA LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0CA7}'), // 0x2D KANNADA LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0CA8}'), // 0x2F KANNADA LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0CAA}'), // 0x3D KANNADA LETTER PA
    Some('\u{0CAB}'), // 0x3E KANNADA LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0CAC}'), // 0x40 KANNADA LETTER BA
    Some('\u{0CAD}'), // 0x41 KANNADA LETTER BHA
    Some('\u{0CAE}'), // 0x42 KANNADA LETTER MA
    Some('\u{0CAF}'), // 0x43 KANNADA LETTER YA
    Some('\u{0CB0}'), // 0x44 KANNADA LETTER RA
    Some('\u{0CB1}'), // 0x45 KANNADA LETTER RRA
    Some('\u{0CB2}'), // 0x46 KANNADA LETTER LA
    Some('\u{0CB3}'), // 0x47 KANNADA LETTER LLA
    None,             // 0x48 undefined
    Some('\u{0CB5}'), // 0x49 KANNADA LETTER VA
    Some('\u{0CB6}'), // 0x4A KANNADA LETTER SHA
    Some('\u{0CB7}'), // 0x4B KANNADA LETTER SSA
    Some('\u{0CB8}'), // 0x4C KANNADA LETTER SA
    Some('\u{0CB9}'), // 0x4D KANNADA LETTER HA
    Some('\u{0CBC}'), // 0x4E KANNADA SIGN NUKTA
    Some('\u{0CBD}'), // 0x4F KANNADA SIGN AVAGRAHA
    Some('\u{0CBE}'), // 0x50 KANNADA VOWEL SIGN AA
    Some('\u{0CBF}'), // 0x51 KANNADA VOWEL SIGN I
    Some('\u{0CC0}'), // 0x52 KANNADA VOWEL SIGN II
    Some('\u{0CC1}'), // 0x53 KANNADA VOWEL SIGN U
    Some('\u{0CC2}'), // 0x54 KANNADA VOWEL SIGN UU
    Some('\u{0CC3}'), // 0x55 KANNADA VOWEL SIGN VOCALIC R
    Some('\u{0CC4}'), // 0x56 KANNADA VOWEL SIGN VOCALIC RR
    None,             // 0x57 undefined
    Some('\u{0CC6}'), // 0x58 KANNADA VOWEL SIGN E
    Some('\u{0CC7}'), // 0x59 KANNADA VOWEL SIGN EE
    Some('\u{0CC8}'), // 0x5A KANNADA VOWEL SIGN AI
    None,             // 0x5B undefined
    Some('\u{0CCA}'), // 0x5C KANNADA VOWEL SIGN O
    Some('\u{0CCB}'), // 0x5D KANNADA VOWEL SIGN OO
    Some('\u{0CCC}'), // 0x5E KANNADA VOWEL SIGN AU
    Some('\u{0CCD}'), // 0x5F KANNADA SIGN VIRAMA
    Some('\u{0CD5}'), // 0x60 KANNADA LENGTH MARK
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0CD6}'), // 0x7B KANNADA AI LENGTH MARK
    Some('\u{0CE0}'), // 0x7C KANNADA LETTER VOCALIC RR
    Some('\u{0CE1}'), // 0x7D KANNADA LETTER VOCALIC LL
    Some('\u{0CE2}'), // 0x7E KANNADA VOWEL SIGN VOCALIC L
    Some('\u{0CE3}'), // 0x7F KANNADA VOWEL SIGN VOCALIC LL
];

/// Kannada national language single shift table (TS 23.038 A.2.7).
static KANNADA_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0CE6}'), // 0x1C KANNADA DIGIT ZERO
    Some('\u{0CE7}'), // 0x1D KANNADA DIGIT ONE
    Some('\u{0CE8}'), // 0x1E KANNADA DIGIT TWO
    Some('\u{0CE9}'), // 0x1F KANNADA DIGIT THREE
    Some('\u{0CEA}'), // 0x20 KANNADA DIGIT FOUR
    Some('\u{0CEB}'), // 0x21 KANNADA DIGIT FIVE
    Some('\u{0CEC}'), // 0x22 KANNADA DIGIT SIX
    Some('\u{0CED}'), // 0x23 KANNADA DIGIT SEVEN
    Some('\u{0CEE}'), // 0x24 KANNADA DIGIT EIGHT
    Some('\u{0CEF}'), // 0x25 KANNADA DIGIT NINE
    Some('\u{0CDE}'), // 0x26 KANNADA LETTER FA
    Some('\u{0CF1}'), // 0x27 KANNADA SIGN JIHVAMULIYA
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0CF2}'), // 0x2A KANNADA SIGN UPADHMANIYA
    None,             // 0x2B undefined
    None,             // 0x2C undefined
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Malayalam national language locking shift table (TS 23.038 A.3.8).
static MALAYALAM_LOCKING: Table = [
    None,             // 0x00 undefined
    Some('\u{0D02}'), // 0x01 MALAYALAM SIGN ANUSVARA
    Some('\u{0D03}'), // 0x02 MALAYALAM SIGN VISARGA
    Some('\u{0D05}'), // 0x03 MALAYALAM LETTER A
    Some('\u{0D06}'), // 0x04 MALAYALAM LETTER AA
    Some('\u{0D07}'), // 0x05 MALAYALAM LETTER I
    Some('\u{0D08}'), // 0x06 MALAYALAM LETTER II
    Some('\u{0D09}'), // 0x07 MALAYALAM LETTER U
    Some('\u{0D0A}'), // 0x08 MALAYALAM LETTER UU
    Some('\u{0D0B}'), // 0x09 MALAYALAM LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0D0C}'), // 0x0B MALAYALAM LETTER VOCALIC L
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{0D0E}'), // 0x0E MALAYALAM LETTER E
    Some('\u{0D0F}'), // 0x0F MALAYALAM LETTER EE
    Some('\u{0D10}'), // 0x10 MALAYALAM LETTER AI
    None,             // 0x11 undefined
    Some('\u{0D12}'), // 0x12 MALAYALAM LETTER O
    Some('\u{0D13}'), // 0x13 MALAYALAM LETTER OO
    Some('\u{0D14}'), // 0x14 MALAYALAM LETTER AU
    Some('\u{0D15}'), // 0x15 MALAYALAM LETTER KA
    Some('\u{0D16}'), // 0x16 MALAYALAM LETTER KHA
    Some('\u{0D17}'), // 0x17 MALAYALAM LETTER GA
    Some('\u{0D18}'), // 0x18 MALAYALAM LETTER GHA
    Some('\u{0D19}'), // 0x19 MALAYALAM LETTER NGA
    Some('\u{0D1A}'), // 0x1A MALAYALAM LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0D1B}'), // 0x1C MALAYALAM LETTER CHA
    Some('\u{0D1C}'), // 0x1D MALAYALAM LETTER JA
    Some('\u{0D1D}'), // 0x1E MALAYALAM LETTER JHA
    Some('\u{0D1E}'), // 0x1F MALAYALAM LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0D1F}'), // 0x22 MALAYALAM LETTER TTA
    Some('\u{0D20}'), // 0x23 MALAYALAM LETTER TTHA
    Some('\u{0D21}'), // 0x24 MALAYALAM LETTER DDA
    Some('\u{0D22}'), // 0x25 MALAYALAM LETTER DDHA
    Some('\u{0D23}'), // 0x26 MALAYALAM LETTER NNA
    Some('\u{0D24}'), // 0x27 MALAYALAM LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0D25}'), // 0x2A MALAYALAM LETTER THA
    Some('\u{0D26}'), // 0x2B MALAYALAM LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0D27}'), // 0x2D MALAYALAM LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0D28}'), // 0x2F MALAYALAM LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0D2A}'), // 0x3D MALAYALAM LETTER PA
    Some('\u{0D2B}'), // 0x3E MALAYALAM LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0D2C}'), // 0x40 MALAYALAM LETTER BA
    Some('\u{0D2D}'), // 0x41 MALAYALAM LETTER BHA
    Some('\u{0D2E}'), // 0x42 MALAYALAM LETTER MA
    Some('\u{0D2F}'), // 0x43 MALAYALAM LETTER YA
    Some('\u{0D30}'), // 0x44 MALAYALAM LETTER RA
    Some('\u{0D31}'), // 0x45 MALAYALAM LETTER RRA
    Some('\u{0D32}'), // 0x46 MALAYALAM LETTER LA
    Some('\u{0D33}'), // 0x47 MALAYALAM LETTER LLA
    Some('\u{0D34}'), // 0x48 MALAYALAM LETTER LLLA
    Some('\u{0D35}'), // 0x49 MALAYALAM LETTER VA
    Some('\u{0D36}'), // 0x4A MALAYALAM LETTER SHA
    Some('\u{0D37}'), // 0x4B MALAYALAM LETTER SSA
    Some('\u{0D38}'), // 0x4C MALAYALAM LETTER SA
    Some('\u{0D39}'), // 0x4D MALAYALAM LETTER HA
    None,             // 0x4E undefined
    Some('\u{0D3D}'), // 0x4F MALAYALAM SIGN AVAGRAHA
    Some('\u{0D3E}'), // 0x50 MALAYALAM VOWEL SIGN AA
    Some('\u{0D3F}'), // 0x51 MALAYALAM VOWEL SIGN I
    Some('\u{0D40}'), // 0x52 MALAYALAM VOWEL SIGN II
    Some('\u{0D41}'), // 0x53 MALAYALAM VOWEL SIGN U
    Some('\u{0D42}'), // 0x54 MALAYALAM VOWEL SIGN UU
    Some('\u{0D43}'), // 0x55 MALAYALAM VOWEL SIGN VOCALIC R
    Some('\u{0D44}'), // 0x56 MALAYALAM VOWEL SIGN VOCALIC RR
    None,             // 0x57 undefined
    Some('\u{0D46}'), // 0x58 MALAYALAM VOWEL SIGN E
    Some('\u{0D47}'), // 0x59 MALAYALAM VOWEL SIGN EE
    Some('\u{0D48}'), // 0x5A MALAYALAM VOWEL SIGN AI
    None,             // 0x5B undefined
    Some('\u{0D4A}'), // 0x5C MALAYALAM VOWEL SIGN O
    Some('\u{0D4B}'), // 0x5D MALAYALAM VOWEL SIGN OO
    Some('\u{0D4C}'), // 0x5E MALAYALAM VOWEL SIGN AU
    Some('\u{0D4D}'), // 0x5F MALAYALAM SIGN VIRAMA
    Some('\u{0D57}'), // 0x60 MALAYALAM AU LENGTH MARK
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0D60}'), // 0x7B MALAYALAM LETTER VOCALIC RR
    Some('\u{0D61}'), // 0x7C MALAYALAM LETTER VOCALIC LL
    Some('\u{0D62}'), // 0x7D MALAYALAM VOWEL SIGN VOCALIC L
    Some('\u{0D63}'), // 0x7E MALAYALAM VOWEL SIGN VOCALIC LL
    Some('\u{0D79}'), // 0x7F MALAYALAM DATE MARK
];

/// Malayalam national language single shift table (TS 23.038 A.2.8).
static MALAYALAM_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0D66}'), // 0x1C MALAYALAM DIGIT ZERO
    Some('\u{0D67}'), // 0x1D MALAYALAM DIGIT ONE
    Some('\u{0D68}'), // 0x1E MALAYALAM DIGIT TWO
    Some('\u{0D69}'), // 0x1F MALAYALAM DIGIT THREE
    Some('\u{0D6A}'), // 0x20 MALAYALAM DIGIT FOUR
    Some('\u{0D6B}'), // 0x21 MALAYALAM DIGIT FIVE
    Some('\u{0D6C}'), // 0x22 MALAYALAM DIGIT SIX
    Some('\u{0D6D}'), // 0x23 MALAYALAM DIGIT SEVEN
    Some('\u{0D6E}'), // 0x24 MALAYALAM DIGIT EIGHT
    Some('\u{0D6F}'), // 0x25 MALAYALAM DIGIT NINE
    Some('\u{0D70}'), // 0x26 MALAYALAM NUMBER TEN
    Some('\u{0D71}'), // 0x27 MALAYALAM NUMBER ONE HUNDRED
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0D72}'), // 0x2A MALAYALAM NUMBER ONE THOUSAND
    Some('\u{0D73}'), // 0x2B MALAYALAM FRACTION ONE QUARTER
    Some('\u{0D74}'), // 0x2C MALAYALAM FRACTION ONE HALF
    Some('\u{0D75}'), // 0x2D MALAYALAM FRACTION THREE QUARTERS
    Some('\u{0D7A}'), // 0x2E MALAYALAM LETTER CHILLU NN
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    Some('\u{0D7B}'), // 0x30 MALAYALAM LETTER CHILLU N
    Some('\u{0D7C}'), // 0x31 MALAYALAM LETTER CHILLU RR
    Some('\u{0D7D}'), // 0x32 MALAYALAM LETTER CHILLU L
    Some('\u{0D7E}'), // 0x33 MALAYALAM LETTER CHILLU LL
    Some('\u{0D7F}'), // 0x34 MALAYALAM LETTER CHILLU K
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Oriya national language locking shift table (TS 23.038 A.3.9).
static ORIYA_LOCKING: Table = [
    Some('\u{0B01}'), // 0x00 ORIYA SIGN CANDRABINDU
    Some('\u{0B02}'), // 0x01 ORIYA SIGN ANUSVARA
    Some('\u{0B03}'), // 0x02 ORIYA SIGN VISARGA
    Some('\u{0B05}'), // 0x03 ORIYA LETTER A
    Some('\u{0B06}'), // 0x04 ORIYA LETTER AA
    Some('\u{0B07}'), // 0x05 ORIYA LETTER I
    Some('\u{0B08}'), // 0x06 ORIYA LETTER II
    Some('\u{0B09}'), // 0x07 ORIYA LETTER U
    Some('\u{0B0A}'), // 0x08 ORIYA LETTER UU
    Some('\u{0B0B}'), // 0x09 ORIYA LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0B0C}'), // 0x0B ORIYA LETTER VOCALIC L
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    None,             // 0x0E undefined
    Some('\u{0B0F}'), // 0x0F ORIYA LETTER E
    Some('\u{0B10}'), // 0x10 ORIYA LETTER AI
    None,             // 0x11 undefined
    None,             // 0x12 undefined
    Some('\u{0B13}'), // 0x13 ORIYA LETTER O
    Some('\u{0B14}'), // 0x14 ORIYA LETTER AU
    Some('\u{0B15}'), // 0x15 ORIYA LETTER KA
    Some('\u{0B16}'), // 0x16 ORIYA LETTER KHA
    Some('\u{0B17}'), // 0x17 ORIYA LETTER GA
    Some('\u{0B18}'), // 0x18 ORIYA LETTER GHA
    Some('\u{0B19}'), // 0x19 ORIYA LETTER NGA
    Some('\u{0B1A}'), // 0x1A ORIYA LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0B1B}'), // 0x1C ORIYA LETTER CHA
    Some('\u{0B1C}'), // 0x1D ORIYA LETTER JA
    Some('\u{0B1D}'), // 0x1E ORIYA LETTER JHA
    Some('\u{0B1E}'), // 0x1F ORIYA LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0B1F}'), // 0x22 ORIYA LETTER TTA
    Some('\u{0B20}'), // 0x23 ORIYA LETTER TTHA
    Some('\u{0B21}'), // 0x24 ORIYA LETTER DDA
    Some('\u{0B22}'), // 0x25 ORIYA LETTER DDHA
    Some('\u{0B23}'), // 0x26 ORIYA LETTER NNA
    Some('\u{0B24}'), // 0x27 ORIYA LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0B25}'), // 0x2A ORIYA LETTER THA
    Some('\u{0B26}'), // 0x2B ORIYA LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0B27}'), // 0x2D ORIYA LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0B28}'), // 0x2F ORIYA LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0B2A}'), // 0x3D ORIYA LETTER PA
    Some('\u{0B2B}'), // 0x3E ORIYA LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0B2C}'), // 0x40 ORIYA LETTER BA
    Some('\u{0B2D}'), // 0x41 ORIYA LETTER BHA
    Some('\u{0B2E}'), // 0x42 ORIYA LETTER MA
    Some('\u{0B2F}'), // 0x43 ORIYA LETTER YA
    Some('\u{0B30}'), // 0x44 ORIYA LETTER RA
    None,             // 0x45 undefined
    Some('\u{0B32}'), // 0x46 ORIYA LETTER LA
    Some('\u{0B33}'), // 0x47 ORIYA LETTER LLA
    None,             // 0x48 undefined
    Some('\u{0B35}'), // 0x49 ORIYA LETTER VA
    Some('\u{0B36}'), // 0x4A ORIYA LETTER SHA
    Some('\u{0B37}'), // 0x4B ORIYA LETTER SSA
    Some('\u{0B38}'), // 0x4C ORIYA LETTER SA
    Some('\u{0B39}'), // 0x4D ORIYA LETTER HA
    Some('\u{0B3C}'), // 0x4E ORIYA SIGN NUKTA
    Some('\u{0B3D}'), // 0x4F ORIYA SIGN AVAGRAHA
    Some('\u{0B3E}'), // 0x50 ORIYA VOWEL SIGN AA
    Some('\u{0B3F}'), // 0x51 ORIYA VOWEL SIGN I
    Some('\u{0B40}'), // 0x52 ORIYA VOWEL SIGN II
    Some('\u{0B41}'), // 0x53 ORIYA VOWEL SIGN U
    Some('\u{0B42}'), // 0x54 ORIYA VOWEL SIGN UU
    Some('\u{0B43}'), // 0x55 ORIYA VOWEL SIGN VOCALIC R
    Some('\u{0B44}'), // 0x56 ORIYA VOWEL SIGN VOCALIC RR
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    Some('\u{0B47}'), // 0x59 ORIYA VOWEL SIGN E
    Some('\u{0B48}'), // 0x5A ORIYA VOWEL SIGN AI
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    Some('\u{0B4B}'), // 0x5D ORIYA VOWEL SIGN O
    Some('\u{0B4C}'), // 0x5E ORIYA VOWEL SIGN AU
    Some('\u{0B4D}'), // 0x5F ORIYA SIGN VIRAMA
    Some('\u{0B56}'), // 0x60 ORIYA AI LENGTH MARK
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0B57}'), // 0x7B ORIYA AU LENGTH MARK
    Some('\u{0B60}'), // 0x7C ORIYA LETTER VOCALIC RR
    Some('\u{0B61}'), // 0x7D ORIYA LETTER VOCALIC LL
    Some('\u{0B62}'), // 0x7E ORIYA VOWEL SIGN VOCALIC L
    Some('\u{0B63}'), // 0x7F ORIYA VOWEL SIGN VOCALIC LL
];

/// Oriya national language single shift table (TS 23.038 A.2.9).
static ORIYA_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0B66}'), // 0x1C ORIYA DIGIT ZERO
    Some('\u{0B67}'), // 0x1D ORIYA DIGIT ONE
    Some('\u{0B68}'), // 0x1E ORIYA DIGIT TWO
    Some('\u{0B69}'), // 0x1F ORIYA DIGIT THREE
    Some('\u{0B6A}'), // 0x20 ORIYA DIGIT FOUR
    Some('\u{0B6B}'), // 0x21 ORIYA DIGIT FIVE
    Some('\u{0B6C}'), // 0x22 ORIYA DIGIT SIX
    Some('\u{0B6D}'), // 0x23 ORIYA DIGIT SEVEN
    Some('\u{0B6E}'), // 0x24 ORIYA DIGIT EIGHT
    Some('\u{0B6F}'), // 0x25 ORIYA DIGIT NINE
    Some('\u{0B5C}'), // 0x26 ORIYA LETTER RRA
    Some('\u{0B5D}'), // 0x27 ORIYA LETTER RHA
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0B5F}'), // 0x2A ORIYA LETTER YYA
    Some('\u{0B70}'), // 0x2B ORIYA ISSHAR
    Some('\u{0B71}'), // 0x2C ORIYA LETTER WA
    None,             // 0x2D undefined
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Punjabi national language locking shift table (TS 23.038 A.3.10).
static PUNJABI_LOCKING: Table = [
    Some('\u{0A01}'), // 0x00 GURMUKHI SIGN ADAK BINDI
    Some('\u{0A02}'), // 0x01 GURMUKHI SIGN BINDI
    Some('\u{0A03}'), // 0x02 GURMUKHI SIGN VISARGA
    Some('\u{0A05}'), // 0x03 GURMUKHI LETTER A
    Some('\u{0A06}'), // 0x04 GURMUKHI LETTER AA
    Some('\u{0A07}'), // 0x05 GURMUKHI LETTER I
    Some('\u{0A08}'), // 0x06 GURMUKHI LETTER II
    Some('\u{0A09}'), // 0x07 GURMUKHI LETTER U
    Some('\u{0A0A}'), // 0x08 GURMUKHI LETTER UU
    None,             // 0x09 undefined
    Some('\n'),       // 0x0A LINE FEED
    None,             // 0x0B undefined
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    None,             // 0x0E undefined
    Some('\u{0A0F}'), // 0x0F GURMUKHI LETTER EE
    Some('\u{0A10}'), // 0x10 GURMUKHI LETTER AI
    None,             // 0x11 undefined
    None,             // 0x12 undefined
    Some('\u{0A13}'), // 0x13 GURMUKHI LETTER OO
    Some('\u{0A14}'), // 0x14 GURMUKHI LETTER AU
    Some('\u{0A15}'), // 0x15 GURMUKHI LETTER KA
    Some('\u{0A16}'), // 0x16 GURMUKHI LETTER KHA
    Some('\u{0A17}'), // 0x17 GURMUKHI LETTER GA
    Some('\u{0A18}'), // 0x18 GURMUKHI LETTER GHA
    Some('\u{0A19}'), // 0x19 GURMUKHI LETTER NGA
    Some('\u{0A1A}'), // 0x1A GURMUKHI LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0A1B}'), // 0x1C GURMUKHI LETTER CHA
    Some('\u{0A1C}'), // 0x1D GURMUKHI LETTER JA
    Some('\u{0A1D}'), // 0x1E GURMUKHI LETTER JHA
    Some('\u{0A1E}'), // 0x1F GURMUKHI LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0A1F}'), // 0x22 GURMUKHI LETTER TTA
    Some('\u{0A20}'), // 0x23 GURMUKHI LETTER TTHA
    Some('\u{0A21}'), // 0x24 GURMUKHI LETTER DDA
    Some('\u{0A22}'), // 0x25 GURMUKHI LETTER DDHA
    Some('\u{0A23}'), // 0x26 GURMUKHI LETTER NNA
    Some('\u{0A24}'), // 0x27 GURMUKHI LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0A25}'), // 0x2A GURMUKHI LETTER THA
    Some('\u{0A26}'), // 0x2B GURMUKHI LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0A27}'), // 0x2D GURMUKHI LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0A28}'), // 0x2F GURMUKHI LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0A2A}'), // 0x3D GURMUKHI LETTER PA
    Some('\u{0A2B}'), // 0x3E GURMUKHI LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0A2C}'), // 0x40 GURMUKHI LETTER BA
    Some('\u{0A2D}'), // 0x41 GURMUKHI LETTER BHA
    Some('\u{0A2E}'), // 0x42 GURMUKHI LETTER MA
    Some('\u{0A2F}'), // 0x43 GURMUKHI LETTER YA
    Some('\u{0A30}'), // 0x44 GURMUKHI LETTER RA
    None,             // 0x45 undefined
    Some('\u{0A32}'), // 0x46 GURMUKHI LETTER LA
    Some('\u{0A33}'), // 0x47 GURMUKHI LETTER LLA
    None,             // 0x48 undefined
    Some('\u{0A35}'), // 0x49 GURMUKHI LETTER VA
    Some('\u{0A36}'), // 0x4A GURMUKHI LETTER SHA
    None,             // 0x4B undefined
    Some('\u{0A38}'), // 0x4C GURMUKHI LETTER SA
    Some('\u{0A39}'), // 0x4D GURMUKHI LETTER HA
    Some('\u{0A3C}'), // 0x4E GURMUKHI SIGN NUKTA
    None,             // 0x4F undefined
    Some('\u{0A3E}'), // 0x50 GURMUKHI VOWEL SIGN AA
    Some('\u{0A3F}'), // 0x51 GURMUKHI VOWEL SIGN I
    Some('\u{0A40}'), // 0x52 GURMUKHI VOWEL SIGN II
    Some('\u{0A41}'), // 0x53 GURMUKHI VOWEL SIGN U
    Some('\u{0A42}'), // 0x54 GURMUKHI VOWEL SIGN UU
    None,             // 0x55 undefined
    None,             // 0x56 undefined
    None,             // 0x57 undefined
    None,             // 0x58 undefined
    Some('\u{0A47}'), // 0x59 GURMUKHI VOWEL SIGN EE
    Some('\u{0A48}'), // 0x5A GURMUKHI VOWEL SIGN AI
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    Some('\u{0A4B}'), // 0x5D GURMUKHI VOWEL SIGN OO
    Some('\u{0A4C}'), // 0x5E GURMUKHI VOWEL SIGN AU
    Some('\u{0A4D}'), // 0x5F GURMUKHI SIGN VIRAMA
    Some('\u{0A51}'), // 0x60 GURMUKHI SIGN UDAAT
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0A70}'), // 0x7B GURMUKHI TIPPI
    Some('\u{0A71}'), // 0x7C GURMUKHI ADDAK
    Some('\u{0A72}'), // 0x7D GURMUKHI IRI
    Some('\u{0A73}'), // 0x7E GURMUKHI URA
    Some('\u{0A74}'), // 0x7F GURMUKHI EK ONKAR
];

/// Punjabi national language single shift table (TS 23.038 A.2.10).
static PUNJABI_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0A66}'), // 0x1C GURMUKHI DIGIT ZERO
    Some('\u{0A67}'), // 0x1D GURMUKHI DIGIT ONE
    Some('\u{0A68}'), // 0x1E GURMUKHI DIGIT TWO
    Some('\u{0A69}'), // 0x1F GURMUKHI DIGIT THREE
    Some('\u{0A6A}'), // 0x20 GURMUKHI DIGIT FOUR
    Some('\u{0A6B}'), // 0x21 GURMUKHI DIGIT FIVE
    Some('\u{0A6C}'), // 0x22 GURMUKHI DIGIT SIX
    Some('\u{0A6D}'), // 0x23 GURMUKHI DIGIT SEVEN
    Some('\u{0A6E}'), // 0x24 GURMUKHI DIGIT EIGHT
    Some('\u{0A6F}'), // 0x25 GURMUKHI DIGIT NINE
    Some('\u{0A59}'), // 0x26 GURMUKHI LETTER KHHA
    Some('\u{0A5A}'), // 0x27 GURMUKHI LETTER GHHA
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0A5B}'), // 0x2A GURMUKHI LETTER ZA
    Some('\u{0A5C}'), // 0x2B GURMUKHI LETTER RRA
    Some('\u{0A5E}'), // 0x2C GURMUKHI LETTER FA
    Some('\u{0A75}'), // 0x2D GURMUKHI SIGN YAKASH
    None,             // 0x2E undefined
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Tamil national language locking shift table (TS 23.038 A.3.11).
static TAMIL_LOCKING: Table = [
    None,             // 0x00 undefined
    Some('\u{0B82}'), // 0x01 TAMIL SIGN ANUSVARA
    Some('\u{0B83}'), // 0x02 TAMIL SIGN VISARGA
    Some('\u{0B85}'), // 0x03 TAMIL LETTER A
    Some('\u{0B86}'), // 0x04 TAMIL LETTER AA
    Some('\u{0B87}'), // 0x05 TAMIL LETTER I
    Some('\u{0B88}'), // 0x06 TAMIL LETTER II
    Some('\u{0B89}'), // 0x07 TAMIL LETTER U
    Some('\u{0B8A}'), // 0x08 TAMIL LETTER UU
    None,             // 0x09 undefined
    Some('\n'),       // 0x0A LINE FEED
    None,             // 0x0B undefined
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{0B8E}'), // 0x0E TAMIL LETTER E
    Some('\u{0B8F}'), // 0x0F TAMIL LETTER EE
    Some('\u{0B90}'), // 0x10 TAMIL LETTER AI
    None,             // 0x11 undefined
    Some('\u{0B92}'), // 0x12 TAMIL LETTER O
    Some('\u{0B93}'), // 0x13 TAMIL LETTER OO
    Some('\u{0B94}'), // 0x14 TAMIL LETTER AU
    Some('\u{0B95}'), // 0x15 TAMIL LETTER KA
    None,             // 0x16 undefined
    None,             // 0x17 undefined
    None,             // 0x18 undefined
    Some('\u{0B99}'), // 0x19 TAMIL LETTER NGA
    Some('\u{0B9A}'), // 0x1A TAMIL LETTER CA
    None,             // 0x1B escape to the single shift table
    None,             // 0x1C undefined
    Some('\u{0B9C}'), // 0x1D TAMIL LETTER JA
    None,             // 0x1E undefined
    Some('\u{0B9E}'), // 0x1F TAMIL LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0B9F}'), // 0x22 TAMIL LETTER TTA
    None,             // 0x23 undefined
    None,             // 0x24 undefined
    None,             // 0x25 undefined
    Some('\u{0BA3}'), // 0x26 TAMIL LETTER NNA
    Some('\u{0BA4}'), // 0x27 TAMIL LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    None,             // 0x2A undefined
    None,             // 0x2B undefined
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    None,             // 0x2D undefined
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0BA8}'), // 0x2F TAMIL LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    Some('\u{0BA9}'), // 0x3C TAMIL LETTER NNNA
    Some('\u{0BAA}'), // 0x3D TAMIL LETTER PA
    None,             // 0x3E undefined
    Some('?'),        // 0x3F QUESTION MARK
    None,             // 0x40 undefined
    None,             // 0x41 undefined
    Some('\u{0BAE}'), // 0x42 TAMIL LETTER MA
    Some('\u{0BAF}'), // 0x43 TAMIL LETTER YA
    Some('\u{0BB0}'), // 0x44 TAMIL LETTER RA
    Some('\u{0BB1}'), // 0x45 TAMIL LETTER RRA
    Some('\u{0BB2}'), // 0x46 TAMIL LETTER LA
    Some('\u{0BB3}'), // 0x47 TAMIL LETTER LLA
    Some('\u{0BB4}'), // 0x48 TAMIL LETTER LLLA
    Some('\u{0BB5}'), // 0x49 TAMIL LETTER VA
    Some('\u{0BB6}'), // 0x4A TAMIL LETTER SHA
    Some('\u{0BB7}'), // 0x4B TAMIL LETTER SSA
    Some('\u{0BB8}'), // 0x4C TAMIL LETTER SA
    Some('\u{0BB9}'), // 0x4D TAMIL LETTER HA
    None,             // 0x4E undefined
    None,             // 0x4F undefined
    Some('\u{0BBE}'), // 0x50 TAMIL VOWEL SIGN AA
    Some('\u{0BBF}'), // 0x51 TAMIL VOWEL SIGN I
    Some('\u{0BC0}'), // 0x52 TAMIL VOWEL SIGN II
    Some('\u{0BC1}'), // 0x53 TAMIL VOWEL SIGN U
    Some('\u{0BC2}'), // 0x54 TAMIL VOWEL SIGN UU
    None,             // 0x55 undefined
    None,             // 0x56 undefined
    None,             // 0x57 undefined
    Some('\u{0BC6}'), // 0x58 TAMIL VOWEL SIGN E
    Some('\u{0BC7}'), // 0x59 TAMIL VOWEL SIGN EE
    Some('\u{0BC8}'), // 0x5A TAMIL VOWEL SIGN AI
    None,             // 0x5B undefined
    Some('\u{0BCA}'), // 0x5C TAMIL VOWEL SIGN O
    Some('\u{0BCB}'), // 0x5D TAMIL VOWEL SIGN OO
    Some('\u{0BCC}'), // 0x5E TAMIL VOWEL SIGN AU
    Some('\u{0BCD}'), // 0x5F TAMIL SIGN VIRAMA
    Some('\u{0BD0}'), // 0x60 TAMIL OM
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0BD7}'), // 0x7B TAMIL AU LENGTH MARK
    Some('\u{0BF0}'), // 0x7C TAMIL NUMBER TEN
    Some('\u{0BF1}'), // 0x7D TAMIL NUMBER ONE HUNDRED
    Some('\u{0BF2}'), // 0x7E TAMIL NUMBER ONE THOUSAND
    Some('\u{0BF9}'), // 0x7F TAMIL RUPEE SIGN
];

/// Tamil national language single shift table (TS 23.038 A.2.11).
static TAMIL_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0964}'), // 0x19 DEVANAGARI DANDA
    Some('\u{0965}'), // 0x1A DEVANAGARI DOUBLE DANDA
    None,             // 0x1B escape to the single shift table
    Some('\u{0BE6}'), // 0x1C TAMIL DIGIT ZERO
    Some('\u{0BE7}'), // 0x1D TAMIL DIGIT ONE
    Some('\u{0BE8}'), // 0x1E TAMIL DIGIT TWO
    Some('\u{0BE9}'), // 0x1F TAMIL DIGIT THREE
    Some('\u{0BEA}'), // 0x20 TAMIL DIGIT FOUR
    Some('\u{0BEB}'), // 0x21 TAMIL DIGIT FIVE
    Some('\u{0BEC}'), // 0x22 TAMIL DIGIT SIX
    Some('\u{0BED}'), // 0x23 TAMIL DIGIT SEVEN
    Some('\u{0BEE}'), // 0x24 TAMIL DIGIT EIGHT; V9.1.1 misprint: U+0BEF
    Some('\u{0BEF}'), // 0x25 TAMIL DIGIT NINE
    Some('\u{0BF3}'), // 0x26 TAMIL DAY SIGN
    Some('\u{0BF4}'), // 0x27 TAMIL MONTH SIGN
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0BF5}'), // 0x2A TAMIL YEAR SIGN
    Some('\u{0BF6}'), // 0x2B TAMIL DEBIT SIGN
    Some('\u{0BF7}'), // 0x2C TAMIL CREDIT SIGN
    Some('\u{0BF8}'), // 0x2D TAMIL AS ABOVE SIGN
    Some('\u{0BFA}'), // 0x2E TAMIL NUMBER SIGN
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    None,             // 0x30 undefined
    None,             // 0x31 undefined
    None,             // 0x32 undefined
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Telugu national language locking shift table (TS 23.038 A.3.12).
static TELUGU_LOCKING: Table = [
    Some('\u{0C01}'), // 0x00 TELUGU SIGN CANDRABINDU
    Some('\u{0C02}'), // 0x01 TELUGU SIGN ANUSVARA
    Some('\u{0C03}'), // 0x02 TELUGU SIGN VISARGA
    Some('\u{0C05}'), // 0x03 TELUGU LETTER A
    Some('\u{0C06}'), // 0x04 TELUGU LETTER AA
    Some('\u{0C07}'), // 0x05 TELUGU LETTER I
    Some('\u{0C08}'), // 0x06 TELUGU LETTER II
    Some('\u{0C09}'), // 0x07 TELUGU LETTER U
    Some('\u{0C0A}'), // 0x08 TELUGU LETTER UU
    Some('\u{0C0B}'), // 0x09 TELUGU LETTER VOCALIC R
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0C0C}'), // 0x0B TELUGU LETTER VOCALIC L
    None,             // 0x0C undefined
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{0C0E}'), // 0x0E TELUGU LETTER E
    Some('\u{0C0F}'), // 0x0F TELUGU LETTER EE
    Some('\u{0C10}'), // 0x10 TELUGU LETTER AI
    None,             // 0x11 undefined
    Some('\u{0C12}'), // 0x12 TELUGU LETTER O
    Some('\u{0C13}'), // 0x13 TELUGU LETTER OO
    Some('\u{0C14}'), // 0x14 TELUGU LETTER AU
    Some('\u{0C15}'), // 0x15 TELUGU LETTER KA
    Some('\u{0C16}'), // 0x16 TELUGU LETTER KHA
    Some('\u{0C17}'), // 0x17 TELUGU LETTER GA
    Some('\u{0C18}'), // 0x18 TELUGU LETTER GHA
    Some('\u{0C19}'), // 0x19 TELUGU LETTER NGA
    Some('\u{0C1A}'), // 0x1A TELUGU LETTER CA
    None,             // 0x1B escape to the single shift table
    Some('\u{0C1B}'), // 0x1C TELUGU LETTER CHA
    Some('\u{0C1C}'), // 0x1D TELUGU LETTER JA
    Some('\u{0C1D}'), // 0x1E TELUGU LETTER JHA
    Some('\u{0C1E}'), // 0x1F TELUGU LETTER NYA
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{0C1F}'), // 0x22 TELUGU LETTER TTA
    Some('\u{0C20}'), // 0x23 TELUGU LETTER TTHA
    Some('\u{0C21}'), // 0x24 TELUGU LETTER DDA
    Some('\u{0C22}'), // 0x25 TELUGU LETTER DDHA
    Some('\u{0C23}'), // 0x26 TELUGU LETTER NNA
    Some('\u{0C24}'), // 0x27 TELUGU LETTER TA
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0C25}'), // 0x2A TELUGU LETTER THA
    Some('\u{0C26}'), // 0x2B TELUGU LETTER DA
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0C27}'), // 0x2D TELUGU LETTER DHA
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0C28}'), // 0x2F TELUGU LETTER NA
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    None,             // 0x3C undefined
    Some('\u{0C2A}'), // 0x3D TELUGU LETTER PA
    Some('\u{0C2B}'), // 0x3E TELUGU LETTER PHA
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0C2C}'), // 0x40 TELUGU LETTER BA
    Some('\u{0C2D}'), // 0x41 TELUGU LETTER BHA
    Some('\u{0C2E}'), // 0x42 TELUGU LETTER MA
    Some('\u{0C2F}'), // 0x43 TELUGU LETTER YA
    Some('\u{0C30}'), // 0x44 TELUGU LETTER RA
    Some('\u{0C31}'), // 0x45 TELUGU LETTER RRA
    Some('\u{0C32}'), // 0x46 TELUGU LETTER LA
    Some('\u{0C33}'), // 0x47 TELUGU LETTER LLA
    None,             // 0x48 undefined
    Some('\u{0C35}'), // 0x49 TELUGU LETTER VA
    Some('\u{0C36}'), // 0x4A TELUGU LETTER SHA
    Some('\u{0C37}'), // 0x4B TELUGU LETTER SSA
    Some('\u{0C38}'), // 0x4C TELUGU LETTER SA
    Some('\u{0C39}'), // 0x4D TELUGU LETTER HA
    None,             // 0x4E undefined
    Some('\u{0C3D}'), // 0x4F TELUGU SIGN AVAGRAHA
    Some('\u{0C3E}'), // 0x50 TELUGU VOWEL SIGN AA
    Some('\u{0C3F}'), // 0x51 TELUGU VOWEL SIGN I
    Some('\u{0C40}'), // 0x52 TELUGU VOWEL SIGN II
    Some('\u{0C41}'), // 0x53 TELUGU VOWEL SIGN U
    Some('\u{0C42}'), // 0x54 TELUGU VOWEL SIGN UU
    Some('\u{0C43}'), // 0x55 TELUGU VOWEL SIGN VOCALIC R
    Some('\u{0C44}'), // 0x56 TELUGU VOWEL SIGN VOCALIC RR
    None,             // 0x57 undefined
    Some('\u{0C46}'), // 0x58 TELUGU VOWEL SIGN E
    Some('\u{0C47}'), // 0x59 TELUGU VOWEL SIGN EE
    Some('\u{0C48}'), // 0x5A TELUGU VOWEL SIGN AI
    None,             // 0x5B undefined
    Some('\u{0C4A}'), // 0x5C TELUGU VOWEL SIGN O
    Some('\u{0C4B}'), // 0x5D TELUGU VOWEL SIGN OO
    Some('\u{0C4C}'), // 0x5E TELUGU VOWEL SIGN AU
    Some('\u{0C4D}'), // 0x5F TELUGU SIGN VIRAMA
    Some('\u{0C55}'), // 0x60 TELUGU LENGTH MARK
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0C56}'), // 0x7B TELUGU AI LENGTH MARK
    Some('\u{0C60}'), // 0x7C TELUGU LETTER VOCALIC RR
    Some('\u{0C61}'), // 0x7D TELUGU LETTER VOCALIC LL
    Some('\u{0C62}'), // 0x7E TELUGU VOWEL SIGN VOCALIC L
    Some('\u{0C63}'), // 0x7F TELUGU VOWEL SIGN VOCALIC LL
];

/// Telugu national language single shift table (TS 23.038 A.2.12).
static TELUGU_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    None,             // 0x19 undefined
    None,             // 0x1A undefined
    None,             // 0x1B escape to the single shift table
    Some('\u{0C66}'), // 0x1C TELUGU DIGIT ZERO
    Some('\u{0C67}'), // 0x1D TELUGU DIGIT ONE
    Some('\u{0C68}'), // 0x1E TELUGU DIGIT TWO
    Some('\u{0C69}'), // 0x1F TELUGU DIGIT THREE
    Some('\u{0C6A}'), // 0x20 TELUGU DIGIT FOUR
    Some('\u{0C6B}'), // 0x21 TELUGU DIGIT FIVE
    Some('\u{0C6C}'), // 0x22 TELUGU DIGIT SIX; V9.1.1 misprint: U+06CC
    Some('\u{0C6D}'), // 0x23 TELUGU DIGIT SEVEN; V9.1.1 misprint: U+06CD
    Some('\u{0C6E}'), // 0x24 TELUGU DIGIT EIGHT
    Some('\u{0C6F}'), // 0x25 TELUGU DIGIT NINE
    Some('\u{0C58}'), // 0x26 TELUGU LETTER TSA
    Some('\u{0C59}'), // 0x27 TELUGU LETTER DZA
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{0C78}'), // 0x2A TELUGU FRACTION DIGIT ZERO FOR ODD POWERS OF FOUR
    Some('\u{0C79}'), // 0x2B TELUGU FRACTION DIGIT ONE FOR ODD POWERS OF FOUR
    Some('\u{0C7A}'), // 0x2C TELUGU FRACTION DIGIT TWO FOR ODD POWERS OF FOUR
    Some('\u{0C7B}'), // 0x2D TELUGU FRACTION DIGIT THREE FOR ODD POWERS OF FOUR
    Some('\u{0C7C}'), // 0x2E TELUGU FRACTION DIGIT ONE FOR EVEN POWERS OF FOUR
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    Some('\u{0C7D}'), // 0x30 TELUGU FRACTION DIGIT TWO FOR EVEN POWERS OF FOUR
    Some('\u{0C7E}'), // 0x31 TELUGU FRACTION DIGIT THREE FOR EVEN POWERS OF FOUR
    Some('\u{0C7F}'), // 0x32 TELUGU SIGN TUUMU
    None,             // 0x33 undefined
    None,             // 0x34 undefined
    None,             // 0x35 undefined
    None,             // 0x36 undefined
    None,             // 0x37 undefined
    None,             // 0x38 undefined
    None,             // 0x39 undefined
    None,             // 0x3A undefined
    None,             // 0x3B undefined
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    None,             // 0x3F undefined
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN; absent in gsmcodecs; see module docs
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

/// Urdu national language locking shift table (TS 23.038 A.3.13).
static URDU_LOCKING: Table = [
    Some('\u{0627}'), // 0x00 ARABIC LETTER ALEF
    Some('\u{0622}'), // 0x01 ARABIC LETTER ALEF WITH MADDA ABOVE
    Some('\u{0628}'), // 0x02 ARABIC LETTER BEH
    Some('\u{067B}'), // 0x03 ARABIC LETTER BEEH
    Some('\u{0680}'), // 0x04 ARABIC LETTER BEHEH
    Some('\u{067E}'), // 0x05 ARABIC LETTER PEH
    Some('\u{06A6}'), // 0x06 ARABIC LETTER PEHEH
    Some('\u{062A}'), // 0x07 ARABIC LETTER TEH
    Some('\u{06C2}'), // 0x08 ARABIC LETTER HEH GOAL WITH HAMZA ABOVE
    Some('\u{067F}'), // 0x09 ARABIC LETTER TEHEH
    Some('\n'),       // 0x0A LINE FEED
    Some('\u{0679}'), // 0x0B ARABIC LETTER TTEH
    Some('\u{067D}'), // 0x0C ARABIC LETTER TEH WITH THREE DOTS ABOVE DOWNWARDS
    Some('\r'),       // 0x0D CARRIAGE RETURN
    Some('\u{067A}'), // 0x0E ARABIC LETTER TTEHEH
    Some('\u{067C}'), // 0x0F ARABIC LETTER TEH WITH RING
    Some('\u{062B}'), // 0x10 ARABIC LETTER THEH
    Some('\u{062C}'), // 0x11 ARABIC LETTER JEEM
    Some('\u{0681}'), // 0x12 ARABIC LETTER HAH WITH HAMZA ABOVE
    Some('\u{0684}'), // 0x13 ARABIC LETTER DYEH
    Some('\u{0683}'), // 0x14 ARABIC LETTER NYEH
    Some('\u{0685}'), // 0x15 ARABIC LETTER HAH WITH THREE DOTS ABOVE
    Some('\u{0686}'), // 0x16 ARABIC LETTER TCHEH
    Some('\u{0687}'), // 0x17 ARABIC LETTER TCHEHEH
    Some('\u{062D}'), // 0x18 ARABIC LETTER HAH
    Some('\u{062E}'), // 0x19 ARABIC LETTER KHAH
    Some('\u{062F}'), // 0x1A ARABIC LETTER DAL
    None,             // 0x1B escape to the single shift table
    Some('\u{068C}'), // 0x1C ARABIC LETTER DAHAL
    Some('\u{0688}'), // 0x1D ARABIC LETTER DDAL
    Some('\u{0689}'), // 0x1E ARABIC LETTER DAL WITH RING
    Some('\u{068A}'), // 0x1F ARABIC LETTER DAL WITH DOT BELOW
    Some(' '),        // 0x20 SPACE
    Some('!'),        // 0x21 EXCLAMATION MARK
    Some('\u{068F}'), // 0x22 ARABIC LETTER DAL WITH THREE DOTS ABOVE DOWNWARDS
    Some('\u{068D}'), // 0x23 ARABIC LETTER DDAHAL
    Some('\u{0630}'), // 0x24 ARABIC LETTER THAL
    Some('\u{0631}'), // 0x25 ARABIC LETTER REH
    Some('\u{0691}'), // 0x26 ARABIC LETTER RREH
    Some('\u{0693}'), // 0x27 ARABIC LETTER REH WITH RING
    Some(')'),        // 0x28 RIGHT PARENTHESIS
    Some('('),        // 0x29 LEFT PARENTHESIS
    Some('\u{0699}'), // 0x2A ARABIC LETTER REH WITH FOUR DOTS ABOVE
    Some('\u{0632}'), // 0x2B ARABIC LETTER ZAIN
    Some(','),        // 0x2C COMMA; gsmcodecs: U+0027; see module docs
    Some('\u{0696}'), // 0x2D ARABIC LETTER REH WITH DOT BELOW AND DOT ABOVE
    Some('.'),        // 0x2E FULL STOP
    Some('\u{0698}'), // 0x2F ARABIC LETTER JEH
    Some('0'),        // 0x30
    Some('1'),        // 0x31
    Some('2'),        // 0x32
    Some('3'),        // 0x33
    Some('4'),        // 0x34
    Some('5'),        // 0x35
    Some('6'),        // 0x36
    Some('7'),        // 0x37
    Some('8'),        // 0x38
    Some('9'),        // 0x39
    Some(':'),        // 0x3A COLON
    Some(';'),        // 0x3B SEMICOLON
    Some('\u{069A}'), // 0x3C ARABIC LETTER SEEN WITH DOT BELOW AND DOT ABOVE
    Some('\u{0633}'), // 0x3D ARABIC LETTER SEEN
    Some('\u{0634}'), // 0x3E ARABIC LETTER SHEEN
    Some('?'),        // 0x3F QUESTION MARK
    Some('\u{0635}'), // 0x40 ARABIC LETTER SAD
    Some('\u{0636}'), // 0x41 ARABIC LETTER DAD
    Some('\u{0637}'), // 0x42 ARABIC LETTER TAH
    Some('\u{0638}'), // 0x43 ARABIC LETTER ZAH
    Some('\u{0639}'), // 0x44 ARABIC LETTER AIN
    Some('\u{0641}'), // 0x45 ARABIC LETTER FEH
    Some('\u{0642}'), // 0x46 ARABIC LETTER QAF
    Some('\u{06A9}'), // 0x47 ARABIC LETTER KEHEH
    Some('\u{06AA}'), // 0x48 ARABIC LETTER SWASH KAF
    Some('\u{06AB}'), // 0x49 ARABIC LETTER KAF WITH RING
    Some('\u{06AF}'), // 0x4A ARABIC LETTER GAF
    Some('\u{06B3}'), // 0x4B ARABIC LETTER GUEH
    Some('\u{06B1}'), // 0x4C ARABIC LETTER NGOEH
    Some('\u{0644}'), // 0x4D ARABIC LETTER LAM
    Some('\u{0645}'), // 0x4E ARABIC LETTER MEEM
    Some('\u{0646}'), // 0x4F ARABIC LETTER NOON
    Some('\u{06BA}'), // 0x50 ARABIC LETTER NOON GHUNNA
    Some('\u{06BB}'), // 0x51 ARABIC LETTER RNOON
    Some('\u{06BC}'), // 0x52 ARABIC LETTER NOON WITH RING
    Some('\u{0648}'), // 0x53 ARABIC LETTER WAW
    Some('\u{06C4}'), // 0x54 ARABIC LETTER WAW WITH RING
    Some('\u{06D5}'), // 0x55 ARABIC LETTER AE
    Some('\u{06C1}'), // 0x56 ARABIC LETTER HEH GOAL
    Some('\u{06BE}'), // 0x57 ARABIC LETTER HEH DOACHASHMEE
    Some('\u{0621}'), // 0x58 ARABIC LETTER HAMZA
    Some('\u{06CC}'), // 0x59 ARABIC LETTER FARSI YEH
    Some('\u{06D0}'), // 0x5A ARABIC LETTER E
    Some('\u{06D2}'), // 0x5B ARABIC LETTER YEH BARREE
    Some('\u{064D}'), // 0x5C ARABIC KASRATAN
    Some('\u{0650}'), // 0x5D ARABIC KASRA
    Some('\u{064F}'), // 0x5E ARABIC DAMMA
    Some('\u{0657}'), // 0x5F ARABIC INVERTED DAMMA
    Some('\u{0654}'), // 0x60 ARABIC HAMZA ABOVE
    Some('a'),        // 0x61
    Some('b'),        // 0x62
    Some('c'),        // 0x63
    Some('d'),        // 0x64
    Some('e'),        // 0x65
    Some('f'),        // 0x66
    Some('g'),        // 0x67
    Some('h'),        // 0x68
    Some('i'),        // 0x69
    Some('j'),        // 0x6A
    Some('k'),        // 0x6B
    Some('l'),        // 0x6C
    Some('m'),        // 0x6D
    Some('n'),        // 0x6E
    Some('o'),        // 0x6F
    Some('p'),        // 0x70
    Some('q'),        // 0x71
    Some('r'),        // 0x72
    Some('s'),        // 0x73
    Some('t'),        // 0x74
    Some('u'),        // 0x75
    Some('v'),        // 0x76
    Some('w'),        // 0x77
    Some('x'),        // 0x78
    Some('y'),        // 0x79
    Some('z'),        // 0x7A
    Some('\u{0655}'), // 0x7B ARABIC HAMZA BELOW
    Some('\u{0651}'), // 0x7C ARABIC SHADDA
    Some('\u{0653}'), // 0x7D ARABIC MADDAH ABOVE
    Some('\u{0656}'), // 0x7E ARABIC SUBSCRIPT ALEF
    Some('\u{0670}'), // 0x7F ARABIC LETTER SUPERSCRIPT ALEF
];

/// Urdu national language single shift table (TS 23.038 A.2.13).
static URDU_SINGLE: Table = [
    Some('@'),        // 0x00 COMMERCIAL AT
    Some('\u{00A3}'), // 0x01 POUND SIGN
    Some('$'),        // 0x02 DOLLAR SIGN
    Some('\u{00A5}'), // 0x03 YEN SIGN
    Some('\u{00BF}'), // 0x04 INVERTED QUESTION MARK
    Some('"'),        // 0x05 QUOTATION MARK
    Some('\u{00A4}'), // 0x06 CURRENCY SIGN
    Some('%'),        // 0x07 PERCENT SIGN
    Some('&'),        // 0x08 AMPERSAND
    Some('\''),       // 0x09 APOSTROPHE
    Some('\u{000C}'), // 0x0A FORM FEED (page break)
    Some('*'),        // 0x0B ASTERISK; also at 0x18 (spec duplicate)
    Some('+'),        // 0x0C PLUS SIGN
    None,             // 0x0D CR2 (reserved)
    Some('-'),        // 0x0E HYPHEN-MINUS
    Some('/'),        // 0x0F SOLIDUS
    Some('<'),        // 0x10 LESS-THAN SIGN
    Some('='),        // 0x11 EQUALS SIGN
    Some('>'),        // 0x12 GREATER-THAN SIGN
    Some('\u{00A1}'), // 0x13 INVERTED EXCLAMATION MARK; also at 0x15 (spec duplicate)
    Some('^'),        // 0x14 CIRCUMFLEX ACCENT
    Some('\u{00A1}'), // 0x15 INVERTED EXCLAMATION MARK; also at 0x13 (spec duplicate)
    Some('_'),        // 0x16 LOW LINE
    Some('#'),        // 0x17 NUMBER SIGN
    Some('*'),        // 0x18 ASTERISK; also at 0x0B (spec duplicate)
    Some('\u{0600}'), // 0x19 ARABIC NUMBER SIGN
    Some('\u{0601}'), // 0x1A ARABIC SIGN SANAH
    None,             // 0x1B escape to the single shift table
    Some('\u{06F0}'), // 0x1C EXTENDED ARABIC-INDIC DIGIT ZERO
    Some('\u{06F1}'), // 0x1D EXTENDED ARABIC-INDIC DIGIT ONE
    Some('\u{06F2}'), // 0x1E EXTENDED ARABIC-INDIC DIGIT TWO
    Some('\u{06F3}'), // 0x1F EXTENDED ARABIC-INDIC DIGIT THREE
    Some('\u{06F4}'), // 0x20 EXTENDED ARABIC-INDIC DIGIT FOUR
    Some('\u{06F5}'), // 0x21 EXTENDED ARABIC-INDIC DIGIT FIVE
    Some('\u{06F6}'), // 0x22 EXTENDED ARABIC-INDIC DIGIT SIX
    Some('\u{06F7}'), // 0x23 EXTENDED ARABIC-INDIC DIGIT SEVEN
    Some('\u{06F8}'), // 0x24 EXTENDED ARABIC-INDIC DIGIT EIGHT
    Some('\u{06F9}'), // 0x25 EXTENDED ARABIC-INDIC DIGIT NINE
    Some('\u{060C}'), // 0x26 ARABIC COMMA
    Some('\u{060D}'), // 0x27 ARABIC DATE SEPARATOR
    Some('{'),        // 0x28 LEFT CURLY BRACKET
    Some('}'),        // 0x29 RIGHT CURLY BRACKET
    Some('\u{060E}'), // 0x2A ARABIC POETIC VERSE SIGN
    Some('\u{060F}'), // 0x2B ARABIC SIGN MISRA
    Some('\u{0610}'), // 0x2C ARABIC SIGN SALLALLAHOU ALAYHE WASSALLAM
    Some('\u{0611}'), // 0x2D ARABIC SIGN ALAYHE ASSALLAM
    Some('\u{0612}'), // 0x2E ARABIC SIGN RAHMATULLAH ALAYHE
    Some('\\'),       // 0x2F REVERSE SOLIDUS
    Some('\u{0613}'), // 0x30 ARABIC SIGN RADI ALLAHOU ANHU
    Some('\u{0614}'), // 0x31 ARABIC SIGN TAKHALLUS
    Some('\u{061B}'), // 0x32 ARABIC SEMICOLON
    Some('\u{061F}'), // 0x33 ARABIC QUESTION MARK
    Some('\u{0640}'), // 0x34 ARABIC TATWEEL
    Some('\u{0652}'), // 0x35 ARABIC SUKUN
    Some('\u{0658}'), // 0x36 ARABIC MARK NOON GHUNNA
    Some('\u{066B}'), // 0x37 ARABIC DECIMAL SEPARATOR
    Some('\u{066C}'), // 0x38 ARABIC THOUSANDS SEPARATOR
    Some('\u{0672}'), // 0x39 ARABIC LETTER ALEF WITH WAVY HAMZA ABOVE
    Some('\u{0673}'), // 0x3A ARABIC LETTER ALEF WITH WAVY HAMZA BELOW
    Some('\u{06CD}'), // 0x3B ARABIC LETTER YEH WITH TAIL
    Some('['),        // 0x3C LEFT SQUARE BRACKET
    Some('~'),        // 0x3D TILDE
    Some(']'),        // 0x3E RIGHT SQUARE BRACKET
    Some('\u{06D4}'), // 0x3F ARABIC FULL STOP
    Some('|'),        // 0x40 VERTICAL LINE
    Some('A'),        // 0x41
    Some('B'),        // 0x42
    Some('C'),        // 0x43
    Some('D'),        // 0x44
    Some('E'),        // 0x45
    Some('F'),        // 0x46
    Some('G'),        // 0x47
    Some('H'),        // 0x48
    Some('I'),        // 0x49
    Some('J'),        // 0x4A
    Some('K'),        // 0x4B
    Some('L'),        // 0x4C
    Some('M'),        // 0x4D
    Some('N'),        // 0x4E
    Some('O'),        // 0x4F
    Some('P'),        // 0x50
    Some('Q'),        // 0x51
    Some('R'),        // 0x52
    Some('S'),        // 0x53
    Some('T'),        // 0x54
    Some('U'),        // 0x55
    Some('V'),        // 0x56
    Some('W'),        // 0x57
    Some('X'),        // 0x58
    Some('Y'),        // 0x59
    Some('Z'),        // 0x5A
    None,             // 0x5B undefined
    None,             // 0x5C undefined
    None,             // 0x5D undefined
    None,             // 0x5E undefined
    None,             // 0x5F undefined
    None,             // 0x60 undefined
    None,             // 0x61 undefined
    None,             // 0x62 undefined
    None,             // 0x63 undefined
    None,             // 0x64 undefined
    Some('\u{20AC}'), // 0x65 EURO SIGN
    None,             // 0x66 undefined
    None,             // 0x67 undefined
    None,             // 0x68 undefined
    None,             // 0x69 undefined
    None,             // 0x6A undefined
    None,             // 0x6B undefined
    None,             // 0x6C undefined
    None,             // 0x6D undefined
    None,             // 0x6E undefined
    None,             // 0x6F undefined
    None,             // 0x70 undefined
    None,             // 0x71 undefined
    None,             // 0x72 undefined
    None,             // 0x73 undefined
    None,             // 0x74 undefined
    None,             // 0x75 undefined
    None,             // 0x76 undefined
    None,             // 0x77 undefined
    None,             // 0x78 undefined
    None,             // 0x79 undefined
    None,             // 0x7A undefined
    None,             // 0x7B undefined
    None,             // 0x7C undefined
    None,             // 0x7D undefined
    None,             // 0x7E undefined
    None,             // 0x7F undefined
];

#[cfg(test)]
mod tests {
    use super::*;
    use NationalLanguage::*;

    /// Every table with a label for failure messages.
    fn all_tables() -> Vec<(String, &'static Table)> {
        let mut tables = Vec::new();
        for lang in NationalLanguage::ALL {
            if let Some(t) = lang.locking_shift() {
                tables.push((format!("{lang:?} locking"), t));
            }
            tables.push((format!("{lang:?} single shift"), lang.single_shift()));
        }
        tables
    }

    /// Languages whose single shift tables carry the spec's own duplicates.
    fn indic_or_urdu(lang: NationalLanguage) -> bool {
        lang.code() >= Bengali.code()
    }

    #[test]
    fn escape_position_is_none_in_every_table() {
        let tables = all_tables();
        assert_eq!(tables.len(), 25, "12 locking + 13 single shift tables");
        for (label, t) in tables {
            assert_eq!(t[0x1B], None, "{label}");
        }
    }

    #[test]
    fn only_spanish_lacks_a_locking_table() {
        for lang in NationalLanguage::ALL {
            assert_eq!(lang.locking_shift().is_none(), lang == Spanish, "{lang:?}");
        }
    }

    #[test]
    fn locking_tables_have_lf_and_cr_where_the_default_alphabet_does() {
        for lang in NationalLanguage::ALL {
            if let Some(t) = lang.locking_shift() {
                assert_eq!(t[0x0A], Some('\n'), "{lang:?}");
                assert_eq!(t[0x0D], Some('\r'), "{lang:?}");
                assert_eq!(t[0x20], Some(' '), "{lang:?}");
                assert_eq!(
                    t.iter().filter(|&&c| c == Some('\n')).count(),
                    1,
                    "{lang:?}"
                );
                assert_eq!(
                    t.iter().filter(|&&c| c == Some('\r')).count(),
                    1,
                    "{lang:?}"
                );
            }
        }
    }

    #[test]
    fn single_shift_tables_have_page_break_and_no_cr2() {
        for lang in NationalLanguage::ALL {
            let t = lang.single_shift();
            assert_eq!(t[0x0A], Some('\u{000C}'), "{lang:?}");
            assert_eq!(t[0x0D], None, "{lang:?}");
            assert!(
                !t.contains(&Some('\n')) && !t.contains(&Some('\r')),
                "{lang:?}"
            );
            // Every single shift table keeps the euro sign of the default extension table.
            assert_eq!(t[0x65], Some('\u{20AC}'), "{lang:?}");
        }
    }

    #[test]
    fn no_character_appears_twice_in_one_table() {
        // The only repeats are the spec's own, in the Indic and Urdu single shift tables.
        let spec_repeats: [(char, usize, usize); 2] = [('*', 0x0B, 0x18), ('\u{00A1}', 0x13, 0x15)];
        for lang in NationalLanguage::ALL {
            let mut tables = vec![(false, lang.single_shift())];
            if let Some(t) = lang.locking_shift() {
                tables.push((true, t));
            }
            for (locking, t) in tables {
                for (i, a) in t.iter().enumerate() {
                    let Some(c) = *a else { continue };
                    for (j, b) in t.iter().enumerate().skip(i + 1) {
                        if *b == Some(c) {
                            let allowed = !locking
                                && indic_or_urdu(lang)
                                && spec_repeats.contains(&(c, i, j));
                            assert!(
                                allowed,
                                "{lang:?} (locking: {locking}): {c:?} at {i:#04X} and {j:#04X}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_spec_repeats_are_exactly_where_the_spec_puts_them() {
        for lang in NationalLanguage::ALL {
            let t = lang.single_shift();
            let has_repeats = t[0x0B] == Some('*')
                && t[0x18] == Some('*')
                && t[0x13] == Some('\u{00A1}')
                && t[0x15] == Some('\u{00A1}');
            assert_eq!(has_repeats, indic_or_urdu(lang), "{lang:?}");
        }
    }

    #[test]
    fn defined_entry_counts() {
        // (language, locking entries, single shift entries); 0x1B never counts.
        let expected: [(NationalLanguage, Option<usize>, usize); 13] = [
            (Turkish, Some(127), 17),
            (Spanish, None, 19),
            (Portuguese, Some(127), 37),
            (Bengali, Some(114), 82),
            (Gujarati, Some(120), 70),
            (Hindi, Some(127), 88),
            (Kannada, Some(120), 73),
            (Malayalam, Some(120), 82),
            (Oriya, Some(116), 75),
            (Punjabi, Some(110), 76),
            (Tamil, Some(102), 77),
            (Telugu, Some(120), 78),
            (Urdu, Some(127), 90),
        ];
        fn count(t: &Table) -> usize {
            t.iter().filter(|c| c.is_some()).count()
        }
        for (lang, locking, single) in expected {
            assert_eq!(lang.locking_shift().map(count), locking, "{lang:?} locking");
            assert_eq!(count(lang.single_shift()), single, "{lang:?} single shift");
        }
    }

    #[test]
    fn indic_and_urdu_tables_share_the_latin_and_digit_blocks() {
        for lang in NationalLanguage::ALL
            .into_iter()
            .filter(|&l| indic_or_urdu(l))
        {
            let locking = lang.locking_shift().unwrap();
            let single = lang.single_shift();
            for (i, c) in ('0'..='9').enumerate() {
                assert_eq!(locking[0x30 + i], Some(c), "{lang:?}");
            }
            for (i, c) in ('a'..='z').enumerate() {
                assert_eq!(locking[0x61 + i], Some(c), "{lang:?}");
            }
            for (i, c) in ('A'..='Z').enumerate() {
                assert_eq!(single[0x41 + i], Some(c), "{lang:?}");
            }
            assert_eq!(locking[0x2C], Some(','), "{lang:?}");
        }
    }

    #[test]
    fn code_from_code_and_parse_round_trip() {
        let iso = [
            (Turkish, "tr"),
            (Spanish, "es"),
            (Portuguese, "pt"),
            (Bengali, "bn"),
            (Gujarati, "gu"),
            (Hindi, "hi"),
            (Kannada, "kn"),
            (Malayalam, "ml"),
            (Oriya, "or"),
            (Punjabi, "pa"),
            (Tamil, "ta"),
            (Telugu, "te"),
            (Urdu, "ur"),
        ];
        for (i, (lang, code)) in iso.into_iter().enumerate() {
            assert_eq!(NationalLanguage::ALL[i], lang);
            assert_eq!(usize::from(lang.code()), i + 1, "{lang:?}");
            assert_eq!(NationalLanguage::from_code(lang.code()), Some(lang));
            let name = lang.name();
            assert_eq!(name, format!("{lang:?}").to_lowercase());
            assert_eq!(NationalLanguage::parse(name), Some(lang));
            assert_eq!(NationalLanguage::parse(&name.to_uppercase()), Some(lang));
            assert_eq!(NationalLanguage::parse(code), Some(lang));
            assert_eq!(NationalLanguage::parse(&code.to_uppercase()), Some(lang));
        }
        for code in [0u8, 14, 15, 0x7F, 0xFF] {
            assert_eq!(NationalLanguage::from_code(code), None, "{code}");
        }
        for s in ["", "english", "en", "turk", " turkish", "turkish ", "1"] {
            assert_eq!(NationalLanguage::parse(s), None, "{s:?}");
        }
    }

    /// Which table of a language an entry is in.
    #[derive(Clone, Copy, Debug)]
    enum Kind {
        Locking,
        Single,
    }
    const L: Kind = Kind::Locking;
    const S: Kind = Kind::Single;

    #[test]
    fn spot_checks_against_the_sources() {
        // Each entry below was checked against at least two independent sources (see the
        // module docs); the comments name the character and any disagreement.
        let checks: &[(NationalLanguage, Kind, usize, Option<char>)] = &[
            (Turkish, L, 0x07, Some('\u{0131}')), // ı LATIN SMALL LETTER DOTLESS I
            (Turkish, L, 0x04, Some('\u{20AC}')), // € (è in the default alphabet)
            (Turkish, L, 0x40, Some('\u{0130}')), // İ
            (Turkish, L, 0x60, Some('\u{00E7}')), // ç
            (Turkish, S, 0x47, Some('\u{011E}')), // Ğ
            (Turkish, S, 0x69, Some('\u{0131}')), // ı
            (Turkish, S, 0x73, Some('\u{015F}')), // ş
            (Spanish, S, 0x09, Some('\u{00E7}')), // ç
            (Spanish, S, 0x41, Some('\u{00C1}')), // Á
            (Spanish, S, 0x75, Some('\u{00FA}')), // ú
            (Spanish, S, 0x63, None),
            (Portuguese, L, 0x15, Some('\u{221E}')), // ∞
            (Portuguese, L, 0x24, Some('\u{00BA}')), // º
            (Portuguese, L, 0x60, Some('~')),
            (Portuguese, L, 0x7D, Some('`')),
            (Portuguese, S, 0x1F, Some('\u{00CA}')), // Ê (missing in older warthog618/sms)
            (Portuguese, S, 0x12, Some('\u{03A6}')), // Φ
            (Portuguese, S, 0x7F, Some('\u{00E2}')), // â
            (Bengali, L, 0x00, Some('\u{0981}')),    // BENGALI SIGN CANDRABINDU
            (Bengali, L, 0x0C, None),
            (Bengali, L, 0x7F, Some('\u{09F1}')), // BENGALI LETTER RA WITH LOWER DIAGONAL
            (Bengali, S, 0x19, Some('\u{09E6}')), // BENGALI DIGIT ZERO
            (Bengali, S, 0x34, Some('\u{09FA}')), // BENGALI ISSHAR
            (Gujarati, L, 0x00, Some('\u{0A81}')), // GUJARATI SIGN CANDRABINDU
            (Gujarati, L, 0x60, Some('\u{0AD0}')), // GUJARATI OM
            (Gujarati, L, 0x7F, Some('\u{0AF1}')), // GUJARATI RUPEE SIGN
            (Gujarati, S, 0x19, Some('\u{0964}')), // DEVANAGARI DANDA
            (Gujarati, S, 0x25, Some('\u{0AEF}')), // GUJARATI DIGIT NINE
            (Hindi, L, 0x00, Some('\u{0901}')),   // DEVANAGARI SIGN CANDRABINDU (warthog: U+0981)
            (Hindi, L, 0x3C, Some('\u{0929}')),   // DEVANAGARI LETTER NNNA
            (Hindi, L, 0x60, Some('\u{0950}')),   // DEVANAGARI OM
            (Hindi, S, 0x2C, Some('\u{0958}')),   // DEVANAGARI LETTER QA (precomposed)
            (Hindi, S, 0x3A, Some('\u{0971}')),   // DEVANAGARI SIGN HIGH SPACING DOT
            (Kannada, L, 0x00, None),
            (Kannada, L, 0x24, Some('\u{0CA1}')), // KANNADA LETTER DDA (spec prints U+0CAA)
            (Kannada, L, 0x3D, Some('\u{0CAA}')), // KANNADA LETTER PA
            (Kannada, S, 0x26, Some('\u{0CDE}')), // KANNADA LETTER FA
            (Kannada, S, 0x2A, Some('\u{0CF2}')), // KANNADA SIGN JIHVAMULIYA
            (Malayalam, L, 0x4E, None),
            (Malayalam, L, 0x7F, Some('\u{0D79}')), // MALAYALAM DATE MARK
            (Malayalam, S, 0x2E, Some('\u{0D7A}')), // MALAYALAM LETTER CHILLU NN
            (Malayalam, S, 0x34, Some('\u{0D7F}')), // MALAYALAM LETTER CHILLU K
            (Oriya, L, 0x00, Some('\u{0B01}')),     // ORIYA SIGN CANDRABINDU
            (Oriya, L, 0x60, Some('\u{0B56}')),     // ORIYA AI LENGTH MARK
            (Oriya, S, 0x26, Some('\u{0B5C}')),     // ORIYA LETTER RRA
            (Oriya, S, 0x2C, Some('\u{0B71}')),     // ORIYA LETTER WA
            (Punjabi, L, 0x09, None),
            (Punjabi, L, 0x60, Some('\u{0A51}')), // GURMUKHI SIGN UDAAT
            (Punjabi, L, 0x7F, Some('\u{0A74}')), // GURMUKHI EK ONKAR
            (Punjabi, S, 0x2D, Some('\u{0A75}')), // GURMUKHI SIGN YAKASH
            (Tamil, L, 0x00, None),
            (Tamil, L, 0x3C, Some('\u{0BA9}')), // TAMIL LETTER NNNA
            (Tamil, L, 0x7F, Some('\u{0BF9}')), // TAMIL RUPEE SIGN
            (Tamil, S, 0x24, Some('\u{0BEE}')), // TAMIL DIGIT EIGHT (V9.1.1 misprint: U+0BEF)
            (Tamil, S, 0x2E, Some('\u{0BFA}')), // TAMIL NUMBER SIGN
            (Telugu, L, 0x00, Some('\u{0C01}')), // TELUGU SIGN CANDRABINDU
            (Telugu, L, 0x60, Some('\u{0C55}')), // TELUGU LENGTH MARK
            (Telugu, S, 0x19, None),
            (Telugu, S, 0x22, Some('\u{0C6C}')), // TELUGU DIGIT SIX (V9.1.1 misprint: U+06CC)
            (Telugu, S, 0x23, Some('\u{0C6D}')), // TELUGU DIGIT SEVEN (V9.1.1 misprint: U+06CD)
            (Telugu, S, 0x32, Some('\u{0C7F}')), // TELUGU SIGN TUUMU
            (Urdu, L, 0x00, Some('\u{0627}')),   // ARABIC LETTER ALEF
            (Urdu, L, 0x7F, Some('\u{0670}')),   // ARABIC LETTER SUPERSCRIPT ALEF
            (Urdu, S, 0x19, Some('\u{0600}')),   // ARABIC NUMBER SIGN
            (Urdu, S, 0x3B, Some('\u{06CD}')),   // ARABIC LETTER YEH WITH TAIL
            (Urdu, S, 0x3F, Some('\u{06D4}')),   // ARABIC FULL STOP
        ];
        for &(lang, kind, pos, want) in checks {
            let table = match kind {
                Kind::Locking => lang.locking_shift().unwrap(),
                Kind::Single => lang.single_shift(),
            };
            assert_eq!(table[pos], want, "{lang:?} {kind:?} {pos:#04X}");
        }
        for lang in NationalLanguage::ALL {
            assert!(
                checks.iter().filter(|c| c.0 == lang).count() >= 4,
                "{lang:?}"
            );
        }
    }
}
