//! Phone numbers in E.164 (layer 0, pure): the one place a number as people write it —
//! international, national with a region, with spaces, dashes, dots and brackets — becomes
//! the `+` and digits form everything else stores and compares. Numbering-plan validity is
//! libphonenumber's (the `phonenumber` crate).
//!
//! An [`E164`] is made only by this module's two readings: [`E164::parse`] accepts only
//! numbers valid in their country's plan (what a send, an OTP or a lookup needs);
//! [`E164::lenient`] also takes `+` and 7–15 digits that no plan knows — a sender the
//! network wrote that way must stay reachable on the opt-out list and in the inbox.

use std::fmt;

/// A phone number in E.164: `+` and 7–15 digits, as one of this module's readings made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// `number` (E.164, or national with `region`, an ISO 3166 code), valid in its plan;
    /// or why not.
    pub fn parse(number: &str, region: Option<&str>) -> Result<E164, String> {
        normalise(number, region).map(E164)
    }

    /// `number` without the spaces, dashes, dots and brackets people write numbers with,
    /// when it is then `+` and 7–15 digits, whether or not a plan knows it.
    pub fn lenient(number: &str) -> Option<E164> {
        lenient(number).map(E164)
    }

    /// [`E164::parse`], or else [`E164::lenient`]; the reason `parse` gave when neither.
    pub fn parse_or_lenient(number: &str, region: Option<&str>) -> Result<E164, String> {
        normalise_or_lenient(number, region).map(E164)
    }

    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<E164> for String {
    fn from(number: E164) -> String {
        number.0
    }
}

/// [`E164::parse`] as text.
fn normalise(number: &str, region: Option<&str>) -> Result<String, String> {
    let trimmed = number.trim();
    if trimmed.is_empty() {
        return Err("is empty".into());
    }
    let region = match region {
        Some(code) => Some(
            code.trim()
                .to_ascii_uppercase()
                .parse::<phonenumber::country::Id>()
                .map_err(|_| format!("unknown country code {code:?}"))?,
        ),
        None => None,
    };
    if !trimmed.starts_with('+') && region.is_none() {
        return Err(
            "not in E.164 form (+ and country code); give country_code for a national number"
                .into(),
        );
    }
    let parsed =
        phonenumber::parse(region, trimmed).map_err(|e| format!("not a phone number: {e}"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err("not a valid number for its country".into());
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// [`E164::parse_or_lenient`] as text.
fn normalise_or_lenient(number: &str, region: Option<&str>) -> Result<String, String> {
    normalise(number, region).or_else(|reason| lenient(number).ok_or(reason))
}

/// [`E164::lenient`] as text.
fn lenient(number: &str) -> Option<String> {
    let compact: String = number
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    is_e164(&compact).then_some(compact)
}

/// Whether `number` is exactly `+` and 7–15 digits.
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A number as a cloud provider writes it (`+14155550100`, Vonage's and Plivo's
/// `447700900000` without the `+`): `+` and digits when it is 7–15 digits with or without
/// the `+`; anything else (an alphanumeric sender, a short code) trimmed, as sent.
pub fn international_or_as_sent(raw: &str) -> String {
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let candidate = format!("+{digits}");
    if is_e164(&candidate) {
        candidate
    } else {
        trimmed.to_string()
    }
}

/// The country (ISO 3166 alpha-2, `DE`) whose numbering plan `number` (E.164) belongs to,
/// when libphonenumber knows it: what analytics count a destination under.
pub fn country_of(number: &str) -> Option<String> {
    let parsed = phonenumber::parse(None, number.trim()).ok()?;
    phonenumber::is_valid(&parsed).then_some(())?;
    parsed.country().id().map(|id| id.as_ref().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_come_from_the_numbering_plan() {
        assert_eq!(country_of("+4915112345678").as_deref(), Some("DE"));
        assert_eq!(country_of("+33612345678").as_deref(), Some("FR"));
        assert_eq!(country_of("+14155550100").as_deref(), Some("US"));
        assert_eq!(country_of("+447977260174").as_deref(), Some("GB"));
        assert_eq!(country_of("+999"), None);
    }

    #[test]
    fn provider_numbers_become_international_when_they_are_numbers() {
        assert_eq!(international_or_as_sent("447700900000"), "+447700900000");
        assert_eq!(international_or_as_sent(" +14155550100 "), "+14155550100");
        assert_eq!(international_or_as_sent("AcmeInc"), "AcmeInc");
        assert_eq!(international_or_as_sent("55555"), "55555");
        assert_eq!(
            international_or_as_sent("1234567890123456"),
            "1234567890123456"
        );
    }

    #[test]
    fn numbers_normalise_to_e164() {
        assert_eq!(
            normalise("+49 151 12345678", None).as_deref(),
            Ok("+4915112345678")
        );
        assert_eq!(
            normalise("0151 12345678", Some("de")).as_deref(),
            Ok("+4915112345678")
        );
        assert_eq!(
            normalise("(202) 555-0125", Some("US")).as_deref(),
            Ok("+12025550125")
        );
        assert!(normalise("0151 12345678", None)
            .unwrap_err()
            .contains("country_code"));
        assert!(normalise("+49 1", None).is_err());
        assert!(normalise("hello", Some("DE")).is_err());
        assert!(normalise("+4915112345678", Some("XX"))
            .unwrap_err()
            .contains("country"));
        assert!(normalise("  ", None).is_err());
    }

    #[test]
    fn unknown_plus_numbers_are_kept_only_by_the_lenient_reading() {
        // +999 is no country: invalid for the plan, but a sender can be written so.
        assert!(normalise("+999 1234 5678", None).is_err());
        assert_eq!(lenient("+999 1234-5678").as_deref(), Some("+99912345678"));
        assert_eq!(
            normalise_or_lenient("(+999) 1234.5678", None).as_deref(),
            Ok("+99912345678")
        );
        assert_eq!(lenient("+12"), None);
        assert_eq!(lenient("MyBank"), None);
        assert!(is_e164("+4915112345678") && !is_e164("4915112345678"));
        assert_eq!(
            normalise_or_lenient("0151 12345678", Some("DE")).as_deref(),
            Ok("+4915112345678")
        );
    }
}
