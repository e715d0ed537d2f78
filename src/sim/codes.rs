//! Final result codes the simulated modem answers with, and their framing (V.250 verbose
//! mode: every line is `\r\n<line>\r\n`).
//!
//! `+CME ERROR` follows `+CMEE` (0: plain `ERROR`, 1: numeric, 2: text). `+CMS ERROR` is
//! always shown as `+CMS ERROR: <n>` (numeric with `+CMEE` 0 or 1, text with 2), as SIMCom
//! and most USB sticks do. Never imports `at/`, `modem/` or anything higher.

/// A final result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Final {
    Ok,
    Error,
    Cme(u16),
    Cms(u16),
}

pub(crate) const CME_NOT_ALLOWED: u16 = 3;
pub(crate) const CME_NO_SIM: u16 = 10;
pub(crate) const CME_SIM_PIN: u16 = 11;
pub(crate) const CME_SIM_PUK: u16 = 12;
pub(crate) const CME_WRONG_PASSWORD: u16 = 16;
pub(crate) const CME_BAD_PARAMETERS: u16 = 50;
pub(crate) const CME_UNKNOWN: u16 = 100;

pub(crate) const CMS_NOT_ALLOWED: u16 = 302;
pub(crate) const CMS_NOT_SUPPORTED: u16 = 303;
pub(crate) const CMS_BAD_PDU: u16 = 304;
pub(crate) const CMS_BAD_TEXT: u16 = 305;
pub(crate) const CMS_BAD_INDEX: u16 = 321;
pub(crate) const CMS_NO_NETWORK: u16 = 331;
pub(crate) const CMS_NO_ACK_EXPECTED: u16 = 340;

fn cme_text(code: u16) -> &'static str {
    match code {
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        16 => "incorrect password",
        30 => "no network service",
        50 => "Incorrect parameters",
        _ => "unknown",
    }
}

fn cms_text(code: u16) -> &'static str {
    match code {
        300 => "ME failure",
        301 => "SMS service of ME reserved",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        305 => "invalid text mode parameter",
        310 => "SIM not inserted",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "SMSC address unknown",
        331 => "no network service",
        332 => "network timeout",
        340 => "no +CNMA acknowledgement expected",
        _ => "unknown error",
    }
}

impl Final {
    /// The result line under `+CMEE=<cmee>`.
    pub(crate) fn line(self, cmee: u8) -> String {
        match (self, cmee) {
            (Final::Ok, _) => "OK".into(),
            (Final::Error, _) | (Final::Cme(_), 0) => "ERROR".into(),
            (Final::Cme(code), 1) => format!("+CME ERROR: {code}"),
            (Final::Cme(code), _) => format!("+CME ERROR: {}", cme_text(code)),
            (Final::Cms(code), 2) => format!("+CMS ERROR: {}", cms_text(code)),
            (Final::Cms(code), _) => format!("+CMS ERROR: {code}"),
        }
    }
}

/// `\r\n<line>\r\n`.
pub(crate) fn frame(line: &str) -> Vec<u8> {
    frame_bytes(line.as_bytes())
}

/// `\r\n<header>\r\n<body>\r\n`: an information line followed by its PDU or text.
pub(crate) fn frame_with_body(header: &str, body: &str) -> Vec<u8> {
    let mut out = frame(header);
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// `\r\n<bytes>\r\n`.
pub(crate) fn frame_bytes(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 4);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(line);
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmee_modes() {
        assert_eq!(Final::Cme(11).line(0), "ERROR");
        assert_eq!(Final::Cme(11).line(1), "+CME ERROR: 11");
        assert_eq!(Final::Cme(11).line(2), "+CME ERROR: SIM PIN required");
        assert_eq!(Final::Cms(304).line(0), "+CMS ERROR: 304");
        assert_eq!(
            Final::Cms(304).line(2),
            "+CMS ERROR: invalid PDU mode parameter"
        );
        assert_eq!(frame("OK"), b"\r\nOK\r\n");
    }
}
