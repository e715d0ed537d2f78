//! API keys: scopes, SHA-256 hashes compared in constant time, and new keys from the OS
//! CSPRNG. The config holds only hashes; a key itself is printed once, when created.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use subtle::ConstantTimeEq;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Send messages.
    Send,
    /// Request and verify one-time passwords.
    Otp,
    /// Read messages, inbox, modems and statistics.
    Read,
    /// Everything, including configuration-like operations; implies every other scope.
    Admin,
    /// Scrape `GET /metrics` (a Prometheus server's key, nothing else).
    Metrics,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 5] = [
        Self::Send,
        Self::Otp,
        Self::Read,
        Self::Admin,
        Self::Metrics,
    ];

    /// The name used in TOML and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Otp => "otp",
            Self::Read => "read",
            Self::Admin => "admin",
            Self::Metrics => "metrics",
        }
    }

    /// Parses [`Scope::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s.trim()).ok_or_else(|| {
            format!("unknown scope {s:?}: expected send, otp, read, admin or metrics")
        })
    }
}

/// `[[api_keys]]`: one client's key, held as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// Unique name (who holds the key), shown in logs; never the key.
    pub name: String,
    /// SHA-256 of the key, 64 hex digits (`smsgate api-key create` prints it).
    pub sha256: String,
    /// What the key may do (at least one).
    pub scopes: Vec<Scope>,
}

impl ApiKey {
    /// Whether `presented` is this key: its SHA-256 equals [`ApiKey::sha256`], compared in
    /// constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let Ok(stored) = hex::decode(self.sha256.trim()) else {
            return false;
        };
        let digest = Sha256::digest(presented.as_bytes());
        // Lengths are public (always 32 for a valid config); the bytes are compared in
        // constant time.
        stored.len() == digest.len() && bool::from(stored.as_slice().ct_eq(digest.as_slice()))
    }

    /// Whether the key grants `scope` (`admin` grants every scope).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes
            .iter()
            .any(|s| *s == scope || *s == Scope::Admin)
    }
}

/// The SHA-256 of `key` in lower-case hex, as `[[api_keys]] sha256` holds it.
pub fn sha256_hex(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new API key and its SHA-256 hex: `sgk_` followed by 32 bytes from the OS CSPRNG in
/// unpadded base64url (43 characters).
pub fn generate_api_key() -> (String, String) {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    let key = format!("sgk_{}", base64url(&bytes));
    let hash = sha256_hex(&key);
    (key, hash)
}

fn fill_random(bytes: &mut [u8]) {
    use rand::{RngCore, TryRngCore};
    if rand::rngs::OsRng.try_fill_bytes(bytes).is_err() {
        // The OS source failed once: the thread RNG is a CSPRNG (ChaCha12) seeded from it.
        rand::rng().fill_bytes(bytes);
    }
}

/// Unpadded base64url (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let sextet = |v: u32, shift: u32| {
        char::from(
            ALPHABET
                .get(((v >> shift) & 63) as usize)
                .copied()
                .unwrap_or(b'A'),
        )
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let v = chunk
            .iter()
            .enumerate()
            .fold(0u32, |v, (i, b)| v | u32::from(*b) << (16 - 8 * i as u32));
        out.push(sextet(v, 18));
        out.push(sextet(v, 12));
        if chunk.len() > 1 {
            out.push(sextet(v, 6));
        }
        if chunk.len() > 2 {
            out.push(sextet(v, 0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: &[Scope]) -> ApiKey {
        ApiKey {
            name: "ci".into(),
            // sha256("sgk_test")
            sha256: sha256_hex("sgk_test"),
            scopes: scopes.to_vec(),
        }
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn matches_the_key_and_only_the_key() {
        let k = key(&[Scope::Send]);
        assert!(k.matches("sgk_test"));
        assert!(!k.matches("sgk_tesT"));
        assert!(!k.matches(""));
        assert!(!k.matches("sgk_test "));
        let upper = ApiKey {
            sha256: k.sha256.to_uppercase(),
            ..k.clone()
        };
        assert!(upper.matches("sgk_test"), "hex case does not matter");
        let broken = ApiKey {
            sha256: "zz".into(),
            ..k
        };
        assert!(!broken.matches("sgk_test"));
    }

    #[test]
    fn admin_implies_every_scope() {
        let admin = key(&[Scope::Admin]);
        assert!(Scope::ALL.into_iter().all(|s| admin.allows(s)));
        let send = key(&[Scope::Send, Scope::Read]);
        assert!(send.allows(Scope::Send) && send.allows(Scope::Read));
        assert!(!send.allows(Scope::Otp) && !send.allows(Scope::Admin));
    }

    #[test]
    fn generated_keys_have_the_documented_format_and_hash() {
        let (a, hash) = generate_api_key();
        assert!(a.starts_with("sgk_"), "{a}");
        assert_eq!(a.len(), 4 + 43);
        assert!(a[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(hash.len(), 64);
        assert!(hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(hash, sha256_hex(&a));
        let (b, _) = generate_api_key();
        assert_ne!(a, b);
    }

    #[test]
    fn base64url_follows_rfc4648() {
        // RFC 4648 §10 vectors, unpadded; and the URL-safe characters.
        for (input, out) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), out);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn scopes_parse_from_the_command_line() {
        assert_eq!("read".parse::<Scope>(), Ok(Scope::Read));
        assert!("write"
            .parse::<Scope>()
            .unwrap_err()
            .contains("send, otp, read, admin or metrics"));
    }
}
