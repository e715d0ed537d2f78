//! Signatures of the status callbacks cloud providers send us (layer 0, pure): Twilio's
//! `X-Twilio-Signature` (computed by [`super::twilio::wire::signature`]), Vonage's signed
//! webhooks (`sig`) and Plivo's `X-Plivo-Signature-V3`.
//!
//! Never imports anything above layer 0; no I/O, no tokio, no HTTP types: a caller hands
//! in the public URL the provider called, the parameters it sent and the header values.
//!
//! Invariants: every comparison of a received signature with ours is in constant time; a
//! missing or empty secret, signature or nonce never verifies; the algorithms are exactly
//! the reference's (`shared/reference/providers.md` §1.9, §4.1, §4.2), checked against its
//! vectors in the tests below.

use base64::Engine;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The same URL with its scheme's default port written out when it has none, and without
/// it when it has it: Twilio's own validators accept a signature over either.
fn default_port_variant(url: &str) -> Option<String> {
    let (scheme, port) = if url.starts_with("https://") {
        ("https://", ":443")
    } else if url.starts_with("http://") {
        ("http://", ":80")
    } else {
        return None;
    };
    let rest = url.get(scheme.len()..)?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    match host.strip_suffix(port) {
        Some(bare) => Some(format!("{scheme}{bare}{tail}")),
        None if !host.contains(':') => Some(format!("{scheme}{host}{port}{tail}")),
        None => None,
    }
}

/// Twilio: whether `header` (`X-Twilio-Signature`) signs a form POST of `params` to `url`
/// (the full public URL, query included) under `auth_token` — over the URL as given or
/// with/without its default port, as Twilio's validators do.
pub fn twilio_verify(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> bool {
    let header = header.trim();
    if auth_token.is_empty() || header.is_empty() {
        return false;
    }
    let ours = super::twilio::wire::signature(auth_token, url, params);
    let plain = same(ours.as_bytes(), header.as_bytes());
    let variant = default_port_variant(url).is_some_and(|u| {
        same(
            super::twilio::wire::signature(auth_token, &u, params).as_bytes(),
            header.as_bytes(),
        )
    });
    plain | variant
}

/// The HMAC a Vonage signature secret signs with (Vonage dashboard: "signature method").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VonageMethod {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256 (Vonage's default for new accounts).
    #[default]
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl VonageMethod {
    /// By its configuration name: `sha1`, `sha256`, `sha512`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// The string Vonage signs: every parameter but `sig`, sorted by name, as `&name=value`
/// with `&` and `=` in values replaced by `_`.
pub fn vonage_string_to_sign(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "sig").collect();
    sorted.sort();
    let mut s = String::new();
    for (name, value) in sorted {
        s.push('&');
        s.push_str(name);
        s.push('=');
        s.push_str(&value.replace(['&', '='], "_"));
    }
    s
}

fn hex_hmac<M: Mac + KeyInit>(secret: &[u8], data: &[u8]) -> String {
    match <M as KeyInit>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; an error here would be a bug in the crate.
        Err(_) => String::new(),
    }
}

/// Vonage's `sig` over `params` (lowercase hex).
pub fn vonage_signature(method: VonageMethod, secret: &str, params: &[(String, String)]) -> String {
    let data = vonage_string_to_sign(params);
    let key = secret.as_bytes();
    match method {
        VonageMethod::Sha1 => hex_hmac::<hmac::Hmac<sha1::Sha1>>(key, data.as_bytes()),
        VonageMethod::Sha256 => hex_hmac::<hmac::Hmac<sha2::Sha256>>(key, data.as_bytes()),
        VonageMethod::Sha512 => hex_hmac::<hmac::Hmac<sha2::Sha512>>(key, data.as_bytes()),
    }
}

/// Vonage: whether the `sig` among `params` signs them under `secret` (hex compared
/// without regard to case).
pub fn vonage_verify(method: VonageMethod, secret: &str, params: &[(String, String)]) -> bool {
    let Some(sig) = params.iter().find(|(k, _)| k == "sig").map(|(_, v)| v) else {
        return false;
    };
    if secret.is_empty() || sig.trim().is_empty() {
        return false;
    }
    let ours = vonage_signature(method, secret, params);
    same(ours.as_bytes(), sig.trim().to_ascii_lowercase().as_bytes())
}

/// The string Plivo signs (V3, POST), before `.{nonce}`: the URL without its query, then
/// `?` and the query parameters sorted as `k=v` joined by `&`, then `.` and the POST
/// parameters sorted by name as `namevalue`.
pub fn plivo_v3_base(
    url_without_query: &str,
    query: &[(String, String)],
    params: &[(String, String)],
) -> String {
    let mut q: Vec<&(String, String)> = query.iter().collect();
    q.sort();
    let mut p: Vec<&(String, String)> = params.iter().collect();
    p.sort();
    let mut s = String::from(url_without_query);
    if !q.is_empty() || !p.is_empty() {
        s.push('?');
    }
    let joined: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    s.push_str(&joined.join("&"));
    if !q.is_empty() && !p.is_empty() {
        s.push('.');
    }
    for (k, v) in p {
        s.push_str(k);
        s.push_str(v);
    }
    s
}

/// Plivo's V3 signature: base64(HMAC-SHA256(auth token, base ‖ "." ‖ nonce)).
pub fn plivo_v3_signature(auth_token: &str, base: &str, nonce: &str) -> String {
    match <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(auth_token.as_bytes()) {
        Ok(mut mac) => {
            mac.update(base.as_bytes());
            mac.update(b".");
            mac.update(nonce.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Plivo: whether `header` (`X-Plivo-Signature-V3`, possibly several signatures separated
/// by commas while a token is rotated) holds the signature of `base` and `nonce`
/// (`X-Plivo-Signature-V3-Nonce`) under `auth_token`.
pub fn plivo_v3_verify(auth_token: &str, base: &str, nonce: &str, header: &str) -> bool {
    if auth_token.is_empty() || nonce.trim().is_empty() {
        return false;
    }
    let ours = plivo_v3_signature(auth_token, base, nonce.trim());
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .fold(false, |ok, sig| same(ours.as_bytes(), sig.as_bytes()) | ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The Vonage DLR of the reference notes (§4.1), with `sig`.
    fn vonage_dlr(sig: &str) -> Vec<(String, String)> {
        pairs(&[
            ("msisdn", "447700900000"),
            ("to", "AcmeInc"),
            ("network-code", "23410"),
            ("messageId", "0A0000001234567B"),
            ("price", "0.03330000"),
            ("status", "delivered"),
            ("scts", "2001011400"),
            ("err-code", "0"),
            ("api-key", "abcd1234"),
            ("message-timestamp", "2020-01-01 12:00:00"),
            ("timestamp", "1582650446"),
            ("nonce", "ec11dd3e-1e7f-4db5-9467-82b02cd223b9"),
            ("sig", sig),
        ])
    }

    #[test]
    fn vonage_reference_vector() {
        let params = vonage_dlr("x");
        assert_eq!(
            vonage_string_to_sign(&params),
            "&api-key=abcd1234&err-code=0&message-timestamp=2020-01-01 12:00:00&messageId=0A0000001234567B&msisdn=447700900000&network-code=23410&nonce=ec11dd3e-1e7f-4db5-9467-82b02cd223b9&price=0.03330000&scts=2001011400&status=delivered&timestamp=1582650446&to=AcmeInc"
        );
        let expected = "7D2F37B87CCF266DFBC734EF30E8BF5303068116D99C67C65A085F39BB6C98F0";
        assert_eq!(
            vonage_signature(VonageMethod::Sha256, "sigsecret", &params),
            expected.to_ascii_lowercase()
        );
        // Upper- or lower-case hex both verify.
        assert!(vonage_verify(
            VonageMethod::Sha256,
            "sigsecret",
            &vonage_dlr(expected)
        ));
        assert!(vonage_verify(
            VonageMethod::Sha256,
            "sigsecret",
            &vonage_dlr(&expected.to_ascii_lowercase())
        ));
    }

    #[test]
    fn vonage_refuses_what_it_should() {
        let good = "7D2F37B87CCF266DFBC734EF30E8BF5303068116D99C67C65A085F39BB6C98F0";
        assert!(!vonage_verify(
            VonageMethod::Sha256,
            "other",
            &vonage_dlr(good)
        ));
        assert!(!vonage_verify(
            VonageMethod::Sha1,
            "sigsecret",
            &vonage_dlr(good)
        ));
        assert!(!vonage_verify(VonageMethod::Sha256, "", &vonage_dlr(good)));
        assert!(!vonage_verify(
            VonageMethod::Sha256,
            "sigsecret",
            &vonage_dlr("")
        ));
        // A changed value (delivered → failed) no longer verifies.
        let mut changed = vonage_dlr(good);
        for (k, v) in &mut changed {
            if k == "status" {
                *v = "failed".into();
            }
        }
        assert!(!vonage_verify(VonageMethod::Sha256, "sigsecret", &changed));
        // No sig at all.
        let unsigned: Vec<_> = vonage_dlr(good)
            .into_iter()
            .filter(|(k, _)| k != "sig")
            .collect();
        assert!(!vonage_verify(VonageMethod::Sha256, "sigsecret", &unsigned));
        // & and = in values are replaced by _.
        assert_eq!(
            vonage_string_to_sign(&pairs(&[("b", "x&y=z"), ("a", "1")])),
            "&a=1&b=x_y_z"
        );
    }

    #[test]
    fn vonage_other_methods_round_trip() {
        for m in [VonageMethod::Sha1, VonageMethod::Sha512] {
            let sig = vonage_signature(m, "s", &vonage_dlr(""));
            assert_eq!(sig.len(), if m == VonageMethod::Sha1 { 40 } else { 128 });
            assert!(vonage_verify(m, "s", &vonage_dlr(&sig)));
            assert!(!vonage_verify(m, "t", &vonage_dlr(&sig)));
        }
        assert_eq!(
            VonageMethod::from_name("sha512"),
            Some(VonageMethod::Sha512)
        );
        assert_eq!(VonageMethod::from_name("md5"), None);
    }

    fn plivo_params() -> Vec<(String, String)> {
        pairs(&[
            ("ErrorCode", "000"),
            ("From", "14155550100"),
            ("MessageTime", "2025-01-01 10:00:00+00:00"),
            ("MessageUUID", "db3ce55a-7f1d-11e1-8ea7-1231380bc196"),
            ("Status", "delivered"),
            ("To", "14155550199"),
            ("TotalAmount", "0.00350"),
            ("TotalRate", "0.00350"),
            ("Units", "1"),
        ])
    }

    #[test]
    fn plivo_reference_vector() {
        let base = plivo_v3_base(
            "https://gw.example.com/plivo/status",
            &pairs(&[("tenant", "7")]),
            &plivo_params(),
        );
        assert_eq!(
            base,
            "https://gw.example.com/plivo/status?tenant=7.ErrorCode000From14155550100MessageTime2025-01-01 10:00:00+00:00MessageUUIDdb3ce55a-7f1d-11e1-8ea7-1231380bc196StatusdeliveredTo14155550199TotalAmount0.00350TotalRate0.00350Units1"
        );
        let nonce = "12345678901234567890";
        let expected = "WGFDmolZdUsZSfvsc4+ExdBljm8zZbbM09DIhQfsGtY=";
        assert_eq!(
            plivo_v3_signature("plivo_auth_token", &base, nonce),
            expected
        );
        assert!(plivo_v3_verify("plivo_auth_token", &base, nonce, expected));
        // Several signatures (token rotation): any one may match.
        assert!(plivo_v3_verify(
            "plivo_auth_token",
            &base,
            nonce,
            &format!("bm90IGl0, {expected}")
        ));
    }

    #[test]
    fn plivo_refuses_what_it_should() {
        let base = plivo_v3_base(
            "https://gw.example.com/plivo/status",
            &pairs(&[("tenant", "7")]),
            &plivo_params(),
        );
        let good = "WGFDmolZdUsZSfvsc4+ExdBljm8zZbbM09DIhQfsGtY=";
        let nonce = "12345678901234567890";
        assert!(!plivo_v3_verify("other_token", &base, nonce, good));
        assert!(!plivo_v3_verify(
            "plivo_auth_token",
            &base,
            "12345678901234567891",
            good
        ));
        assert!(!plivo_v3_verify("plivo_auth_token", &base, "", good));
        assert!(!plivo_v3_verify("plivo_auth_token", &base, nonce, ""));
        assert!(!plivo_v3_verify("", &base, nonce, good));
        let other_url = plivo_v3_base(
            "https://evil.example.com/plivo/status",
            &pairs(&[("tenant", "7")]),
            &plivo_params(),
        );
        assert!(!plivo_v3_verify(
            "plivo_auth_token",
            &other_url,
            nonce,
            good
        ));
    }

    #[test]
    fn twilio_verification_vector_b() {
        let ac = format!("AC{}", "a".repeat(32));
        let sm = format!("SM{}", "b".repeat(32));
        let params = |status: &str| {
            pairs(&[
                ("To", "+15558675310"),
                ("AccountSid", &ac),
                ("ApiVersion", "2010-04-01"),
                ("From", "+15005550006"),
                ("MessageSid", &sm),
                ("MessageStatus", status),
                ("RawDlrDoneDate", "2401151230"),
                ("SmsSid", &sm),
                ("SmsStatus", status),
            ])
        };
        let token = "0123456789abcdef0123456789abcdef";
        let url = "https://gw.example.com/twilio/status?tenant=7";
        let good = "em9ko1EOVcZ8XKgDYB0QSIBb6cs=";
        assert!(twilio_verify(token, url, &params("delivered"), good));
        // The explicit default port is accepted too (reference: B with :443 is valid).
        assert!(twilio_verify(
            token,
            "https://gw.example.com:443/twilio/status?tenant=7",
            &params("delivered"),
            good
        ));
        // Negatives of the reference: another status, http instead of https.
        assert!(!twilio_verify(token, url, &params("failed"), good));
        assert!(!twilio_verify(
            token,
            "http://gw.example.com/twilio/status?tenant=7",
            &params("delivered"),
            good
        ));
        assert!(!twilio_verify("another", url, &params("delivered"), good));
        assert!(!twilio_verify(token, url, &params("delivered"), ""));
        assert!(!twilio_verify("", url, &params("delivered"), good));
    }

    #[test]
    fn default_ports() {
        assert_eq!(
            default_port_variant("https://a.b/x?y=1").as_deref(),
            Some("https://a.b:443/x?y=1")
        );
        assert_eq!(
            default_port_variant("http://a.b:80?y").as_deref(),
            Some("http://a.b?y")
        );
        assert_eq!(default_port_variant("http://a.b:8080/x"), None);
    }
}
