//! `GET /api/phone/validate/{number}`: what the `phonenumber` crate (libphonenumber's
//! metadata) says about a number — valid or not and why, E.164, national and international
//! forms, region, calling code and number type. National numbers are read in the request's
//! region, else the configured default region.

use super::Service;
use phonenumber::{Mode, Type};
use serde::Serialize;

/// What is known about a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneInfo {
    /// The number as given.
    pub input: String,
    /// A valid, dialable number of its region.
    pub valid: bool,
    /// Why it is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `+4915123456789`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
    /// `015123456789` (as dialled inside the country).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national: Option<String>,
    /// `+49 1512 3456789`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub international: Option<String>,
    /// ISO 3166 region (`DE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Country calling code (`49`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_calling_code: Option<u16>,
    /// `mobile`, `fixed_line`, `fixed_line_or_mobile`, `toll_free`, `premium_rate`, `voip`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_type: Option<&'static str>,
}

fn type_name(t: Type) -> &'static str {
    match t {
        Type::FixedLine => "fixed_line",
        Type::Mobile => "mobile",
        Type::FixedLineOrMobile => "fixed_line_or_mobile",
        Type::TollFree => "toll_free",
        Type::PremiumRate => "premium_rate",
        Type::SharedCost => "shared_cost",
        Type::PersonalNumber => "personal_number",
        Type::Voip => "voip",
        Type::Pager => "pager",
        Type::Uan => "uan",
        Type::Emergency => "emergency",
        Type::Voicemail => "voicemail",
        Type::ShortCode => "short_code",
        Type::StandardRate => "standard_rate",
        Type::Carrier => "carrier",
        Type::NoInternational => "no_international",
        Type::Unknown => "unknown",
    }
}

impl Service {
    /// Describes `number`, read in `region` (else the default region) when national.
    pub fn phone_info(&self, number: &str, region: Option<&str>) -> PhoneInfo {
        describe_number(number, region.or(self.settings().default_region.as_deref()))
    }
}

/// Describes `number`, read in `region` when national.
pub fn describe_number(number: &str, region: Option<&str>) -> PhoneInfo {
    let input = number.to_string();
    let invalid = |reason: String| PhoneInfo {
        input: input.clone(),
        valid: false,
        reason: Some(reason),
        e164: None,
        national: None,
        international: None,
        country: None,
        country_calling_code: None,
        number_type: None,
    };
    let region_id = match region {
        Some(code) => match code.trim().to_ascii_uppercase().parse() {
            Ok(id) => Some(id),
            Err(_) => return invalid(format!("unknown country code {code:?}")),
        },
        None => None,
    };
    let trimmed = number.trim();
    if !trimmed.starts_with('+') && region_id.is_none() {
        return invalid(
            "not in E.164 form (+ and country code); give country for a national number".into(),
        );
    }
    let parsed = match phonenumber::parse(region_id, trimmed) {
        Ok(parsed) => parsed,
        Err(e) => return invalid(format!("not a phone number: {e}")),
    };
    let valid = phonenumber::is_valid(&parsed);
    let number_type = parsed.number_type(&phonenumber::metadata::DATABASE);
    PhoneInfo {
        input,
        valid,
        reason: (!valid).then(|| "not a valid number for its country".to_string()),
        e164: Some(parsed.format().mode(Mode::E164).to_string()),
        national: Some(parsed.format().mode(Mode::National).to_string()),
        international: Some(parsed.format().mode(Mode::International).to_string()),
        country: parsed.country().id().map(|id| id.as_ref().to_string()),
        country_calling_code: Some(parsed.country().code()),
        number_type: Some(type_name(number_type)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_german_mobile_is_described_in_every_form() {
        let info = describe_number("+4915112345678", None);
        assert!(info.valid);
        assert_eq!(info.e164.as_deref(), Some("+4915112345678"));
        assert_eq!(info.national.as_deref(), Some("01511 2345678"));
        assert_eq!(info.international.as_deref(), Some("+49 1511 2345678"));
        assert_eq!(info.country.as_deref(), Some("DE"));
        assert_eq!(info.number_type, Some("mobile"));
    }

    #[test]
    fn national_numbers_need_a_region_and_bad_ones_say_why() {
        assert!(!describe_number("015112345678", None).valid);
        assert_eq!(
            describe_number("015112345678", Some("de")).e164.as_deref(),
            Some("+4915112345678")
        );
        let short = describe_number("+4912", None);
        assert!(!short.valid);
        assert!(short.reason.is_some());
        assert!(!describe_number("", None).valid);
        assert!(describe_number("1", Some("XX"))
            .reason
            .unwrap()
            .contains("XX"));
    }
}
