//! Fuzz target: arbitrary text through the callback-URL rule and the request guards'
//! parsers: no panic; an accepted URL is http(s), at most 2048 bytes, carries no
//! credentials and, under the strict rule, names no address that is not public; the host
//! key never holds credentials; CIDR blocks and `Host` values parse or are refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::url_policy::{host_key, is_public, parse_cidr, UrlPolicy};

fuzz_target!(|input: (String, String)| {
    let (url, host) = input;
    let strict = UrlPolicy::default();
    if let Ok(parsed) = strict.check(&url) {
        assert!(url.len() <= smsgate::url_policy::MAX_URL_LEN);
        assert!(matches!(parsed.scheme(), "http" | "https"));
        assert!(parsed.username().is_empty() && parsed.password().is_none());
        match parsed.host() {
            Some(url::Host::Ipv4(ip)) => assert!(is_public(ip.into())),
            Some(url::Host::Ipv6(ip)) => assert!(is_public(ip.into())),
            Some(url::Host::Domain(d)) => assert!(!d.is_empty()),
            None => panic!("accepted without a host: {url:?}"),
        }
    }
    let key = host_key(&url);
    assert!(!key.contains('@') || !url.contains("://"));
    let _ = parse_cidr(&host);
    let listed = UrlPolicy {
        allow_private: false,
        allowed_hosts: vec![host.clone()],
    };
    let _ = listed.check(&url);
    let rule = smsgate::http::guard::HostRule {
        open_api: true,
        allowed: vec![host.clone()],
    };
    let _ = rule.allows(Some(&url));
    let _ = smsgate::http::guard::is_json_media_type(&host);
});
