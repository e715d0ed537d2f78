//! Which `[[modems]]` entry a probed modem is: pure, so the rules are unit-tested.
//!
//! An entry matches when every identity key it gives (`imei`, `iccid`, `imsi`) equals what
//! the modem reported; an entry with no identity key never matches (it is found by port).
//! ICCIDs are compared without a trailing `F` filler, case-insensitively.
//!
//! Pure: no I/O, no tokio; imports only the config's `ModemEntry`.

use crate::config::ModemEntry;

/// What a probe found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probed {
    /// `+CGSN`.
    pub imei: Option<String>,
    /// `+CIMI` (none while the SIM is locked or missing).
    pub imsi: Option<String>,
    /// `+CCID` or a vendor variant.
    pub iccid: Option<String>,
}

fn same(want: &str, got: Option<&str>, key: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim();
        if key == "iccid" {
            s.trim_end_matches(['F', 'f']).to_string()
        } else {
            s.to_string()
        }
    };
    got.is_some_and(|g| norm(g) == norm(want))
}

/// Whether `entry` names the probed modem.
pub fn entry_matches(entry: &ModemEntry, found: &Probed) -> bool {
    if !entry.has_identity() {
        return false;
    }
    [
        (&entry.imei, found.imei.as_deref(), "imei"),
        (&entry.iccid, found.iccid.as_deref(), "iccid"),
        (&entry.imsi, found.imsi.as_deref(), "imsi"),
    ]
    .into_iter()
    .all(|(want, got, key)| want.as_deref().is_none_or(|w| same(w, got, key)))
}

/// The first entry that names the probed modem.
pub fn find<'a>(entries: &'a [ModemEntry], found: &Probed) -> Option<&'a ModemEntry> {
    entries.iter().find(|e| entry_matches(e, found))
}

/// The name an adopted (unconfigured) modem gets: `modem-` and the last six digits of its
/// IMEI (or of its ICCID when the IMEI is unknown); `None` with neither — a modem that
/// cannot be recognised again is not adopted.
pub fn adopted_name(found: &Probed) -> Option<String> {
    let id = found.imei.as_deref().or(found.iccid.as_deref())?;
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let tail = &digits[digits.len().saturating_sub(6)..];
    Some(format!("modem-{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probed(imei: &str, imsi: &str, iccid: &str) -> Probed {
        Probed {
            imei: Some(imei.into()),
            imsi: Some(imsi.into()),
            iccid: Some(iccid.into()),
        }
    }

    fn entry(
        name: &str,
        imei: Option<&str>,
        iccid: Option<&str>,
        imsi: Option<&str>,
    ) -> ModemEntry {
        let mut e = ModemEntry::new(name, "");
        e.imei = imei.map(str::to_string);
        e.iccid = iccid.map(str::to_string);
        e.imsi = imsi.map(str::to_string);
        e
    }

    #[test]
    fn every_given_key_must_match() {
        let found = probed("352099001761481", "001010000000001", "89012608822176543210");
        let by_imei = entry("a", Some("352099001761481"), None, None);
        let by_both = entry("b", Some("352099001761481"), None, Some("001010000000001"));
        let wrong_sim = entry("c", Some("352099001761481"), None, Some("001010000000002"));
        let by_iccid_f = entry("d", None, Some("89012608822176543210F"), None);
        let by_port = ModemEntry::new("e", "/dev/ttyUSB0");
        assert!(entry_matches(&by_imei, &found));
        assert!(entry_matches(&by_both, &found));
        assert!(!entry_matches(&wrong_sim, &found));
        assert!(entry_matches(&by_iccid_f, &found));
        assert!(!entry_matches(&by_port, &found));
        // A locked SIM reports no IMSI: an entry that wants one does not match.
        let locked = Probed {
            imsi: None,
            ..found.clone()
        };
        assert!(!entry_matches(&by_both, &locked));
        assert!(entry_matches(&by_imei, &locked));
        let entries = vec![by_port, wrong_sim, by_both.clone(), by_imei];
        assert_eq!(find(&entries, &found).map(|e| e.name.as_str()), Some("b"));
        assert_eq!(find(&entries, &Probed::default()), None);
    }

    #[test]
    fn adopted_modems_are_named_after_their_imei_tail() {
        let found = probed("352099001761481", "001010000000001", "8901");
        assert_eq!(adopted_name(&found).as_deref(), Some("modem-761481"));
        let no_imei = Probed {
            imei: None,
            iccid: Some("89012608822176543210".into()),
            imsi: None,
        };
        assert_eq!(adopted_name(&no_imei).as_deref(), Some("modem-543210"));
        assert_eq!(adopted_name(&Probed::default()), None);
    }
}
