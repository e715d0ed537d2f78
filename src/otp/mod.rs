//! One-time codes (layer 3): how codes and backup codes are made, how they are hashed under
//! the server secret, and how an OTP text is written. The sessions themselves live in the
//! store (`store::otp`); the flows (generate, verify, resend, 2FA) in `service::otp` and
//! `service::twofa`.
//!
//! Invariants:
//! - **Codes come from the OS CSPRNG**, drawn uniformly from their alphabet (rejection
//!   sampling, no modulo bias); alphanumeric codes leave out look-alike characters.
//! - **No plain code is kept**: only `HMAC-SHA256(secret, context ‖ code)`, compared in
//!   constant time; the text carrying a code is sealed in the store (`crate::seal`) under a
//!   key derived from the same secret.
//! - Never imports HTTP; never logs a code or the secret.

mod code;
mod secret;

pub use code::{
    backup_code, generate_code, mask_phone, normalise_code, render_message, ALPHANUMERIC, DIGITS,
};
pub use secret::{hashes_equal, load_or_create_secret, OtpKeys, SecretError};
