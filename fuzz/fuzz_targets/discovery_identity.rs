//! Fuzz target: discovery's glob matching and identity matching with arbitrary text: no
//! panic; `*` matches every name and a pattern without wildcards only itself; an adopted
//! name is `modem-` and at most six digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::config::ModemEntry;
use smsgate::modem::discovery::{glob, matching};

fuzz_target!(|input: (String, String, String)| {
    let (pattern, name, id) = input;
    let _ = glob::matches(&pattern, &name);
    assert!(glob::matches("*", &name));
    if !pattern.contains(['*', '?']) {
        assert_eq!(glob::matches(&pattern, &name), pattern == name);
    }
    let _ = glob::split(&pattern);
    let found = matching::Probed {
        imei: Some(id.clone()),
        imsi: Some(name.clone()),
        iccid: Some(pattern.clone()),
    };
    let mut entry = ModemEntry::new("m", "");
    entry.imei = Some(id.clone());
    assert!(matching::entry_matches(&entry, &found));
    if let Some(adopted) = matching::adopted_name(&found) {
        let tail = adopted.strip_prefix("modem-").expect("prefix");
        assert!(!tail.is_empty() && tail.len() <= 6 && tail.bytes().all(|b| b.is_ascii_digit()));
    }
});
