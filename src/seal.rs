//! Sealing secrets at rest (layer 0, pure): authenticated encryption of a message's text and
//! PDUs while an OTP waits in the queue, so the database never holds a plain code.
//!
//! XChaCha20-Poly1305 (RustCrypto) with a fresh random 24-byte nonce per value: random
//! nonces of that size never collide in practice, and the tag makes a tampered or
//! wrongly-keyed value fail to open instead of yielding garbage. A sealed value is text —
//! `sealed:v1:<hex nonce><hex ciphertext+tag>` — so it fits the existing TEXT columns and is
//! recognisable by its prefix.
//!
//! Never imports anything of the crate; holds no I/O. The key comes from whoever builds the
//! [`Sealer`] (the daemon derives it from the OTP secret).

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use thiserror::Error;

/// The prefix of every sealed value.
pub const PREFIX: &str = "sealed:v1:";

const NONCE_LEN: usize = 24;

/// Why a value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    /// Not a sealed value (no prefix, bad hex, too short).
    #[error("not a sealed value")]
    Malformed,
    /// The tag did not verify: another key, or the value was changed.
    #[error("sealed value does not open with this key (another key, or tampered)")]
    Forged,
    /// The plaintext is not UTF-8 (cannot happen for values this module sealed).
    #[error("sealed value is not text")]
    NotText,
}

/// Seals and opens values under one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// A second key values may also open with (never used to seal): the OTP key under an
    /// at-rest key, for values sealed before encryption at rest was turned on.
    fallback: Option<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer under `key`.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
            fallback: None,
        }
    }

    /// This sealer, also opening what `other` sealed (it still seals under its own key).
    pub fn with_fallback(mut self, other: &Sealer) -> Self {
        self.fallback = Some(other.cipher.clone());
        self
    }

    /// A sealer under a fresh random key (tests, throw-away databases).
    pub fn random() -> Self {
        Self::new(rand::random())
    }

    /// `plaintext`, sealed.
    pub fn seal(&self, plaintext: &str) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        // Encryption into a Vec cannot fail for inputs below the cipher's 256 GiB limit.
        let sealed = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .unwrap_or_default();
        format!(
            "{PREFIX}{}{}",
            hex::encode(nonce_bytes),
            hex::encode(sealed)
        )
    }

    /// The plaintext of a value [`Sealer::seal`] made under the same key.
    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let bytes = hex::decode(body).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let nonce = XNonce::from(nonce);
        let plain = self
            .cipher
            .decrypt(&nonce, ciphertext)
            .or_else(|e| match &self.fallback {
                Some(fallback) => fallback.decrypt(&nonce, ciphertext),
                None => Err(e),
            })
            .map_err(|_| SealError::Forged)?;
        String::from_utf8(plain).map_err(|_| SealError::NotText)
    }
}

/// Whether `value` looks sealed.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_to_its_plaintext_and_hides_it() {
        let sealer = Sealer::random();
        let sealed = sealer.seal("Your code is 482913");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("482913"));
        assert_eq!(sealer.open(&sealed).unwrap(), "Your code is 482913");
    }

    #[test]
    fn a_fallback_key_opens_but_never_seals() {
        let old = Sealer::random();
        let new = Sealer::random().with_fallback(&old);
        let before = old.seal("sealed before");
        assert_eq!(new.open(&before).unwrap(), "sealed before");
        let after = new.seal("sealed after");
        assert_eq!(old.open(&after), Err(SealError::Forged));
        assert_eq!(new.open(&after).unwrap(), "sealed after");
        assert_eq!(Sealer::random().open(&after), Err(SealError::Forged));
    }

    #[test]
    fn the_same_plaintext_seals_differently_each_time() {
        let sealer = Sealer::random();
        assert_ne!(sealer.seal("x"), sealer.seal("x"));
    }

    #[test]
    fn another_key_or_a_changed_byte_does_not_open() {
        let sealer = Sealer::random();
        let sealed = sealer.seal("secret");
        assert_eq!(Sealer::random().open(&sealed), Err(SealError::Forged));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(sealer.open(&tampered), Err(SealError::Forged));
    }

    #[test]
    fn malformed_values_are_refused_not_panicked_on() {
        let sealer = Sealer::random();
        for bad in ["", "plain", "sealed:v1:", "sealed:v1:zz", "sealed:v1:00ff"] {
            assert_eq!(sealer.open(bad), Err(SealError::Malformed), "{bad}");
        }
    }
}
