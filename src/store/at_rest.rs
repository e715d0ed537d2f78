//! Encryption at rest, the store's part: the `store_meta` marker (`at_rest_key_id`, the
//! key's fingerprint — never the key) that says the texts are sealed, and
//! [`Store::reveal`], which every read of a text column goes through: a sealed value
//! (`sealed:v1:…`) comes back opened, a clear one (written before encryption was turned on)
//! as it is.
//!
//! What is sealed when `StoreOptions::at_rest` is on: outbound texts (`messages.body`) and
//! their PDUs (`segments.pdu_hex`), written sealed by `queue::enqueue_with`. Never imports
//! anything above layer 1. Invariant: a value that does not open (another key, tampered) is
//! shown as [`UNREADABLE`], never as its ciphertext and never as a panic.

use super::types::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

/// The `store_meta` key of the marker.
const KEY_ID: &str = "at_rest_key_id";

/// What a sealed text that does not open reads as.
pub const UNREADABLE: &str = "[sealed: does not open with this key]";

/// The marker's key id, if the store is encrypted at rest.
pub fn key_id(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM store_meta WHERE key = ?1")?
        .query_row([KEY_ID], |r| r.get(0))
        .optional()?)
}

/// Marks the store encrypted at rest under the key with fingerprint `id`.
pub fn set_key_id(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO store_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![KEY_ID, id])?;
    Ok(())
}

impl super::Store {
    /// The at-rest marker's key id (none: the store is not encrypted at rest).
    pub async fn at_rest_key_id(&self) -> Result<Option<String>, StoreError> {
        super::writer::read(&self.reader, key_id).await
    }

    /// Records that the store is encrypted at rest under the key with fingerprint `id`.
    pub async fn mark_at_rest(&self, id: String) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| set_key_id(c, &id)).await
    }

    /// `text` as stored, opened if it is sealed.
    pub fn reveal(&self, text: String) -> String {
        if !crate::seal::is_sealed(&text) {
            return text;
        }
        match self.sealer.as_ref().map(|s| s.open(&text)) {
            Some(Ok(plain)) => plain,
            _ => UNREADABLE.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_absent_then_set_then_replaced() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&conn).unwrap();
        assert_eq!(key_id(&conn).unwrap(), None);
        set_key_id(&conn, "abc").unwrap();
        assert_eq!(key_id(&conn).unwrap().as_deref(), Some("abc"));
        set_key_id(&conn, "def").unwrap();
        assert_eq!(key_id(&conn).unwrap().as_deref(), Some("def"));
    }
}
