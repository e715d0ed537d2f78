//! The size and shape limits of what one request may carry, so that no single request can
//! exhaust memory or disk: every client-chosen string is bounded, names hold no control or
//! bidirectional-override characters (they are shown to people, in logs and consoles), the
//! metadata is a JSON object of at most [`MAX_METADATA_BYTES`], and callback URLs pass the
//! network rule of `crate::url_policy`.
//!
//! Pure checks: each names the request field it refuses.

use super::ServiceError;
use crate::message::RawJson;
use crate::url_policy::UrlPolicy;

/// The largest `metadata`, serialised, in bytes.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// The longest id or name (`custom_id`, batch name, recipient name), in characters.
pub const MAX_LABEL_CHARS: usize = 256;

/// Characters that reorder the text around them when shown (Unicode bidirectional
/// formatting): a name with them can display as something it is not.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An id or a name: 1 to [`MAX_LABEL_CHARS`] characters, none a control or bidi character.
pub fn label(field: &str, value: &str) -> Result<(), ServiceError> {
    let count = value.chars().count();
    if count == 0 {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if count > MAX_LABEL_CHARS {
        return Err(ServiceError::invalid(
            field,
            format!("{count} characters; at most {MAX_LABEL_CHARS}"),
        ));
    }
    printable(field, value)
}

/// A text shown to people holds no control or bidirectional-formatting character.
pub fn printable(field: &str, value: &str) -> Result<(), ServiceError> {
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() || is_bidi_control(*c))
    {
        return Err(ServiceError::invalid(
            field,
            format!(
                "contains the control or bidirectional character U+{:04X}",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// `metadata`: a JSON object of at most [`MAX_METADATA_BYTES`] as sent.
pub fn metadata(field: &str, value: &RawJson) -> Result<(), ServiceError> {
    let size = value.as_str().len();
    if size > MAX_METADATA_BYTES {
        return Err(ServiceError::invalid(
            field,
            format!("{size} bytes; at most {MAX_METADATA_BYTES}"),
        ));
    }
    if !value.is_object() {
        return Err(ServiceError::invalid(
            field,
            "must be a JSON object such as {\"order\": \"A-17\"}",
        ));
    }
    Ok(())
}

/// A callback URL under `policy`.
pub fn callback_url(field: &str, value: &str, policy: &UrlPolicy) -> Result<(), ServiceError> {
    policy
        .check(value)
        .map(|_| ())
        .map_err(|why| ServiceError::invalid(field, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_and_printable() {
        assert!(label("name", "Spring sale — Köln 🌸").is_ok());
        assert!(label("name", &"x".repeat(MAX_LABEL_CHARS)).is_ok());
        assert!(label("name", &"x".repeat(MAX_LABEL_CHARS + 1)).is_err());
        assert!(label("name", "").is_err());
        for bad in [
            "a\nb",
            "a\u{0}b",
            "tab\there",
            "invoice\u{202E}fdp.exe",
            "x\u{2067}y",
        ] {
            let e = label("name", bad).unwrap_err();
            assert!(e.to_string().starts_with("name:"), "{e}");
        }
    }

    #[test]
    fn metadata_is_an_object_of_bounded_size() {
        assert!(metadata("metadata", &RawJson::parse(r#"{"a": 1}"#).unwrap()).is_ok());
        assert!(metadata("metadata", &RawJson::parse("[1, 2]").unwrap()).is_err());
        assert!(metadata("metadata", &RawJson::parse("\"text\"").unwrap()).is_err());
        let big = format!(r#"{{"a": "{}"}}"#, "x".repeat(MAX_METADATA_BYTES));
        let e = metadata("metadata", &RawJson::parse(&big).unwrap()).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
    }
}
