//! Where smsgate may send HTTP requests on a client's behalf (layer 0, pure): the rule for
//! status-callback URLs (`callback_url`, the Twilio-compatible `StatusCallback`), applied
//! when a request is accepted and again, to every address a name resolves to, when the
//! callback is delivered.
//!
//! A client-chosen URL is a server-side request forgery waiting to happen: without a rule,
//! any API client could make the gateway POST to `http://127.0.0.1:…`, the LAN's router or
//! a cloud metadata address. So a callback URL must be `http(s)://host[:port]/…`, at most
//! [`MAX_URL_LEN`] bytes, with no credentials in it (`user:pass@` would be sent as Basic
//! auth and logged), and every address it reaches must be public — not loopback, private,
//! link-local, shared (CGNAT), unspecified, multicast, documentation or reserved, also when
//! written as an IPv4-mapped or NAT64 IPv6 address — unless `[callbacks]` allows private
//! networks or names the host in `allowed_hosts`.
//!
//! Never imports anything but `url`; name resolution is the caller's (`crate::webhooks`),
//! which must connect only to the addresses this module allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The longest callback URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Which destinations outside the public internet are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Any address at all (a gateway whose applications live on the LAN).
    pub allow_private: bool,
    /// Host names (exact, case-insensitive), IP addresses and CIDR blocks
    /// (`"10.1.2.0/24"`) allowed although they are not public.
    pub allowed_hosts: Vec<String>,
}

impl UrlPolicy {
    /// The URL if it may be used as a callback URL, or why not. A host name is allowed
    /// here when it is not `localhost` (what it resolves to is checked at delivery with
    /// [`UrlPolicy::address_allowed`]).
    pub fn check(&self, raw: &str) -> Result<Url, String> {
        if raw.len() > MAX_URL_LEN {
            return Err(format!("longer than {MAX_URL_LEN} bytes"));
        }
        let url = Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http:// or https:// URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain credentials (user:password@); sign callbacks with the webhook secret instead".into());
        }
        let host_name = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let denied = |what: &str| {
            Err(format!(
                "{what} is not a public address; allow it with [callbacks] allowed_hosts or allow_private_networks"
            ))
        };
        match url.host() {
            None => return Err("has no host".into()),
            Some(Host::Domain(name)) => {
                if name.is_empty() {
                    return Err("has no host".into());
                }
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let local = name == "localhost" || name.ends_with(".localhost");
                if local && !self.allow_private && !self.host_listed(&name, None) {
                    return denied(&host_name);
                }
            }
            Some(Host::Ipv4(ip)) => {
                if !self.address_allowed(&host_name, IpAddr::V4(ip)) {
                    return denied(&host_name);
                }
            }
            Some(Host::Ipv6(ip)) => {
                if !self.address_allowed(&host_name, IpAddr::V6(ip)) {
                    return denied(&host_name);
                }
            }
        }
        Ok(url)
    }

    /// Whether a request to `host` may go to `ip`, one of the addresses it resolved to.
    pub fn address_allowed(&self, host: &str, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip) || self.host_listed(host, Some(ip))
    }

    fn host_listed(&self, host: &str, ip: Option<IpAddr>) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.');
        self.allowed_hosts.iter().any(|entry| {
            let entry = entry.trim();
            if entry.eq_ignore_ascii_case(host) {
                return true;
            }
            match (ip, parse_cidr(entry)) {
                (Some(ip), Some((net, bits))) => in_block(ip, net, bits),
                _ => false,
            }
        })
    }
}

/// The `host:port` a URL is sent to, as the HTTP client will connect (the URL parsed by the
/// same `url` crate, default port filled in): the key that callback delivery is bounded and
/// shared out by, and all of a URL a log line shows. A marker before `http(s)://` (the
/// Twilio-format prefix) is skipped; text that is no URL is its own key.
pub fn host_key(url: &str) -> String {
    let start = url
        .find("https://")
        .into_iter()
        .chain(url.find("http://"))
        .min()
        .unwrap_or(0);
    let Some(parsed) = url.get(start..).and_then(|u| Url::parse(u).ok()) else {
        return url.to_ascii_lowercase();
    };
    match (parsed.host_str(), parsed.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => url.to_ascii_lowercase(),
    }
}

/// `"10.0.0.0/8"`, `"fd00::/8"` or a bare address (a block of one).
pub fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max)?,
        None => max,
    };
    // An IPv4-mapped block is the IPv4 block it maps (::ffff:10.1.2.0/120 = 10.1.2.0/24).
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => bits.checked_sub(96).map(|b| (IpAddr::V4(v4), b)),
            None => Some((addr, bits)),
        },
        IpAddr::V4(_) => Some((addr, bits)),
    }
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (canonical(ip), canonical(net)) {
        (IpAddr::V4(a), IpAddr::V4(n)) => match 32u32.checked_sub(u32::from(bits)) {
            Some(free) => {
                let mask = u32::MAX.checked_shl(free).unwrap_or(0);
                u32::from(a) & mask == u32::from(n) & mask
            }
            None => false,
        },
        (IpAddr::V6(a), IpAddr::V6(n)) => match 128u32.checked_sub(u32::from(bits)) {
            Some(free) => {
                let mask = u128::MAX.checked_shl(free).unwrap_or(0);
                u128::from(a) & mask == u128::from(n) & mask
            }
            None => false,
        },
        _ => false,
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a unicast address of the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = ip.segments();
    let embedded_v4 = Ipv4Addr::from((u32::from(s6) << 16) | u32::from(s7));
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s0 == 0x64 && s1 == 0xff9b && [s2, s3, s4, s5] == [0; 4] {
        return is_public_v4(embedded_v4);
    }
    // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): reaches whatever its translator serves.
    if s0 == 0x64 && s1 == 0xff9b && s2 == 1 {
        return false;
    }
    // 6to4 (2002::/16) reaches the IPv4 address in bits 16..48.
    if s0 == 0x2002 {
        return is_public_v4(Ipv4Addr::from((u32::from(s1) << 16) | u32::from(s2)));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s0 & 0xfe00) == 0xfc00 // unique local
        || (s0 & 0xffc0) == 0xfe80 // link-local
        || (s0 & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s0 == 0x2001 && s1 == 0x0db8) // documentation
        || (s0 == 0x2001 && s1 == 0) // Teredo
        || [s0, s1, s2, s3, s4, s5] == [0; 6]) // IPv4-compatible and other ::/96
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> UrlPolicy {
        UrlPolicy::default()
    }

    #[test]
    fn public_urls_pass_and_come_back_parsed() {
        let url = strict().check("https://hooks.example.com/sms?x=1").unwrap();
        assert_eq!(url.host_str(), Some("hooks.example.com"));
        assert!(strict().check("http://93.184.216.34:8080/cb").is_ok());
        assert!(strict().check("http://[2606:2800:220:1::1]/cb").is_ok());
    }

    #[test]
    fn malformed_and_credentialed_urls_are_refused() {
        for bad in [
            "http://",
            "https://",
            "ftp://example.com/x",
            "example.com/cb",
            "javascript:alert(1)",
            "http://user:pass@example.com/cb",
            "http://user@example.com/cb",
            "",
        ] {
            assert!(strict().check(bad).is_err(), "{bad:?} passed");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(strict().check(&long).unwrap_err().contains("longer"));
    }

    #[test]
    fn private_and_special_addresses_are_refused_in_every_spelling() {
        for bad in [
            "http://127.0.0.1/x",
            "http://127.1/x",
            "http://2130706433/x",
            "http://0x7f000001/x",
            "http://localhost:8080/x",
            "http://api.localhost/x",
            "http://LOCALHOST./x",
            "http://0.0.0.0/x",
            "http://10.1.2.3/x",
            "http://172.16.0.1/x",
            "http://192.168.1.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/x",
            "http://224.0.0.1/x",
            "http://255.255.255.255/x",
            "http://[::1]/x",
            "http://[::]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[::ffff:169.254.169.254]/x",
            "http://[64:ff9b::a00:1]/x",
            "http://[64:ff9b:1::808:808]/x",
            "http://[2002:c0a8:101::1]/x",
            "http://[fd00::1]/x",
            "http://[fe80::1]/x",
        ] {
            assert!(strict().check(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn the_config_can_allow_private_networks_or_single_hosts() {
        let open = UrlPolicy {
            allow_private: true,
            ..UrlPolicy::default()
        };
        assert!(open.check("http://127.0.0.1:9000/x").is_ok());
        assert!(open.check("http://user:pw@127.0.0.1/x").is_err());
        let listed = UrlPolicy {
            allow_private: false,
            allowed_hosts: vec!["10.1.2.0/24".into(), "hooks.lan".into(), "::1".into()],
        };
        assert!(listed.check("http://10.1.2.77/x").is_ok());
        assert!(listed.check("http://10.1.3.1/x").is_err());
        assert!(listed.check("http://[::1]:8080/x").is_ok());
        assert!(listed.address_allowed("hooks.lan", "192.168.0.9".parse().unwrap()));
        assert!(!listed.address_allowed("other.lan", "192.168.0.9".parse().unwrap()));
        assert!(listed.address_allowed("x", "::ffff:10.1.2.5".parse().unwrap()));
    }

    #[test]
    fn host_keys_name_host_and_port_only() {
        assert_eq!(
            host_key("https://Hooks.Example.com:8443/a?b#c"),
            "hooks.example.com:8443"
        );
        assert_eq!(host_key("twilio:http://u:p@10.0.0.1/x"), "10.0.0.1:80");
        assert_eq!(host_key("http://[::1]:9/x"), "[::1]:9");
        // The same host however it is spelt; and the host the client connects to, not
        // what a hand-written split would read (a backslash ends the host for the parser).
        assert_eq!(
            host_key("https://hooks.example.com/"),
            host_key("HTTPS://hooks.example.com:443/x")
        );
        assert_eq!(
            host_key("http://slow.attacker\\@hooks.victim.com/x"),
            "slow.attacker:80"
        );
    }

    #[test]
    fn cidr_blocks_parse_and_match() {
        assert_eq!(
            parse_cidr("10.0.0.0/8"),
            Some(("10.0.0.0".parse().unwrap(), 8))
        );
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        // Regression: a mapped block kept its 128-bit length and its mask wrapped to 0.
        assert_eq!(
            parse_cidr("::ffff:10.1.2.0/120"),
            Some(("10.1.2.0".parse().unwrap(), 24))
        );
        assert_eq!(parse_cidr("::ffff:10.1.2.0/64"), None);
        let mapped = UrlPolicy {
            allow_private: false,
            allowed_hosts: vec!["::ffff:10.1.2.0/120".into()],
        };
        assert!(mapped.address_allowed("x", "10.1.2.9".parse().unwrap()));
        assert!(!mapped.address_allowed("x", "127.0.0.1".parse().unwrap()));
        assert!(!mapped.address_allowed("x", "169.254.169.254".parse().unwrap()));
        assert!(!in_block(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            40
        ));
        assert_eq!(parse_cidr("nonsense"), None);
        assert!(in_block(
            "10.200.1.1".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            8
        ));
        assert!(in_block(
            "1.2.3.4".parse().unwrap(),
            "0.0.0.0".parse().unwrap(),
            0
        ));
        assert!(!in_block(
            "fd00::1".parse().unwrap(),
            "fe80::".parse().unwrap(),
            10
        ));
    }
}
