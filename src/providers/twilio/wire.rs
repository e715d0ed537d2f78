//! Twilio's wire vocabulary (layer 0, pure): message sids, status names and error codes,
//! RFC 2822 dates and the `X-Twilio-Signature` algorithm — what the Twilio-compatible API
//! (`http/twilio_compat.rs`) and its status callbacks (`webhooks.rs`) both need.
//!
//! Never imports anything above `message`; no I/O, no tokio.
//!
//! Invariants:
//! - A sid is `SM` + 32 lowercase hex digits: the first 16 are our `MessageId` (big-endian
//!   u64), the last 16 the first 8 bytes of HMAC-SHA256(key, "smsgate-sid" ‖ id). So a sid
//!   maps back to its message without a table, and a sid that smsgate did not hand out (a
//!   guessed neighbour, a changed digit) is refused — compared in constant time.
//! - [`signature`] is exactly Twilio's RequestValidator: base64(HMAC-SHA1(auth token,
//!   url ‖ each parameter's name ‖ value, sorted by name then value)).

use crate::message::{MessageId, MessageStatus, Millis};
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The API version every path and resource names.
pub const API_VERSION: &str = "2010-04-01";

/// Marks a stored callback URL whose callbacks are Twilio-shaped (`twilio:https://…`).
pub const CALLBACK_PREFIX: &str = "twilio:";

/// Twilio's error code for a message whose validity period ran out.
pub const VALIDITY_EXPIRED: u32 = 30036;

fn sid_mac(key: &[u8], id: u64) -> [u8; 8] {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(b"smsgate-sid");
    mac.update(&id.to_be_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(full.iter()) {
        *o = *b;
    }
    out
}

/// The sid of message `id` under `key`.
pub fn message_sid(key: &[u8], id: MessageId) -> String {
    let raw = u64::try_from(id.0).unwrap_or(0);
    format!(
        "SM{}{}",
        hex::encode(raw.to_be_bytes()),
        hex::encode(sid_mac(key, raw))
    )
}

/// The message a sid names, if `key` made it (upper-case hex is accepted too).
pub fn message_id(key: &[u8], sid: &str) -> Option<MessageId> {
    let hexpart = sid.strip_prefix("SM")?;
    if hexpart.len() != 32 || !hexpart.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = hex::decode(hexpart.to_ascii_lowercase()).ok()?;
    let (id_bytes, mac) = bytes.split_at(8);
    let id = u64::from_be_bytes(id_bytes.try_into().ok()?);
    let expected = sid_mac(key, id);
    if !bool::from(expected.ct_eq(mac)) {
        return None;
    }
    i64::try_from(id).ok().filter(|n| *n > 0).map(MessageId)
}

/// Whether `s` is an account sid: `AC` + 32 hex digits.
pub fn is_account_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("AC") && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

/// Twilio's name for a status (`cancelled` → `canceled`, `expired` → `failed`).
pub fn status_name(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Queued => "queued",
        MessageStatus::Scheduled => "scheduled",
        MessageStatus::Sending => "sending",
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Undelivered => "undelivered",
        MessageStatus::Failed | MessageStatus::Expired => "failed",
        MessageStatus::Cancelled => "canceled",
    }
}

/// Twilio's error code and message for a status that carries one.
pub fn status_error(status: MessageStatus) -> Option<(u32, &'static str)> {
    match status {
        MessageStatus::Expired => Some((VALIDITY_EXPIRED, "Validity Period Expired")),
        MessageStatus::Undelivered => Some((30003, "Unreachable destination handset")),
        MessageStatus::Failed => Some((30008, "Unknown error")),
        _ => None,
    }
}

/// `Thu, 24 Aug 2023 05:01:45 +0000` (RFC 2822, UTC).
pub fn rfc2822(ms: Millis) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] +0000"
    );
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The string Twilio signs: `url`, then every parameter's name and value (sorted by name,
/// then by value), without separators.
pub fn string_to_sign(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut s = String::from(url);
    for (name, value) in sorted {
        s.push_str(name);
        s.push_str(value);
    }
    s
}

/// `X-Twilio-Signature` of a form POST of `params` to `url`, under `auth_token`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| <hmac::Hmac<sha1::Sha1> as KeyInit>::new(&Default::default()));
    mac.update(string_to_sign(url, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The documentation page of an error code.
pub fn more_info(code: u32) -> String {
    format!("https://www.twilio.com/docs/errors/{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sids_round_trip_and_refuse_forgeries() {
        let key = b"0123456789abcdef0123456789abcdef";
        for id in [1, 2, 41, 1 << 40, i64::MAX] {
            let sid = message_sid(key, MessageId(id));
            assert_eq!(sid.len(), 34, "{sid}");
            assert!(sid.starts_with("SM"));
            assert!(sid[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert_eq!(message_id(key, &sid), Some(MessageId(id)));
            assert_eq!(
                message_id(key, &format!("SM{}", sid[2..].to_ascii_uppercase())),
                Some(MessageId(id))
            );
            // Another installation's key, or a neighbour's id with this MAC: refused.
            assert_eq!(message_id(b"another key", &sid), None);
        }
        let one = message_sid(key, MessageId(1));
        let two = message_sid(key, MessageId(2));
        let forged = format!("{}{}", &two[..18], &one[18..]);
        assert_eq!(message_id(key, &forged), None);
        for bad in [
            "",
            "SM",
            "MM00000000000000010000000000000000",
            &one[..33],
            "SMzz",
        ] {
            assert_eq!(message_id(key, bad), None, "{bad}");
        }
    }

    #[test]
    fn account_sids() {
        assert!(is_account_sid(&format!("AC{}", "a".repeat(32))));
        assert!(is_account_sid(&format!("AC{}", "0F".repeat(16))));
        assert!(!is_account_sid(&format!("AC{}", "a".repeat(31))));
        assert!(!is_account_sid(&format!("SK{}", "a".repeat(32))));
        assert!(!is_account_sid(&format!("AC{}", "g".repeat(32))));
    }

    #[test]
    fn dates_are_rfc_2822_in_gmt() {
        // 2023-08-24T05:01:45Z, the spec's example.
        assert_eq!(
            rfc2822(1_692_853_305_000),
            "Thu, 24 Aug 2023 05:01:45 +0000"
        );
        assert_eq!(rfc2822(999), "Thu, 01 Jan 1970 00:00:00 +0000");
    }

    #[test]
    fn statuses_use_twilio_names() {
        assert_eq!(status_name(MessageStatus::Cancelled), "canceled");
        assert_eq!(status_name(MessageStatus::Expired), "failed");
        assert_eq!(
            status_error(MessageStatus::Expired),
            Some((30036, "Validity Period Expired"))
        );
        assert_eq!(status_error(MessageStatus::Delivered), None);
    }

    #[test]
    fn signature_vector_a() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            string_to_sign(url, &params),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212"
        );
        assert_eq!(
            signature("12345", url, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn signature_vector_b_and_its_negatives() {
        let ac = format!("AC{}", "a".repeat(32));
        let sm = format!("SM{}", "b".repeat(32));
        let mut params = pairs(&[
            ("To", "+15558675310"),
            ("AccountSid", &ac),
            ("ApiVersion", "2010-04-01"),
            ("From", "+15005550006"),
            ("MessageSid", &sm),
            ("MessageStatus", "delivered"),
            ("RawDlrDoneDate", "2401151230"),
            ("SmsSid", &sm),
            ("SmsStatus", "delivered"),
        ]);
        let token = "0123456789abcdef0123456789abcdef";
        let url = "https://gw.example.com/twilio/status?tenant=7";
        assert_eq!(
            signature(token, url, &params),
            "em9ko1EOVcZ8XKgDYB0QSIBb6cs="
        );
        assert_ne!(
            signature(
                token,
                "http://gw.example.com/twilio/status?tenant=7",
                &params
            ),
            "em9ko1EOVcZ8XKgDYB0QSIBb6cs="
        );
        if let Some(p) = params.iter_mut().find(|(k, _)| k == "MessageStatus") {
            p.1 = "failed".into();
        }
        assert_ne!(
            signature(token, url, &params),
            "em9ko1EOVcZ8XKgDYB0QSIBb6cs="
        );
    }

    #[test]
    fn repeated_keys_sign_sorted_by_value() {
        let params = pairs(&[("MediaUrl", "https://b"), ("MediaUrl", "https://a")]);
        assert_eq!(
            string_to_sign("u", &params),
            "uMediaUrlhttps://aMediaUrlhttps://b"
        );
    }
}
