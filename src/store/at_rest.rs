//! Encryption at rest, the store's part: the `store_meta` marker (`at_rest_key_id`, the
//! key's fingerprint — never the key) that says the texts are sealed, and
//! [`Store::reveal`], which every read of a text column goes through: a sealed value
//! (`sealed:v1:…`) comes back opened, a clear one (written before encryption was turned on)
//! as it is.
//!
//! What is sealed when `StoreOptions::at_rest` is on: outbound texts (`messages.body`) and
//! their PDUs (`segments.pdu_hex`), written sealed by `queue::enqueue_with`; inbound texts
//! (`inbound_messages.text`), the PDUs of modem parts (`inbound_parts.pdu`), the texts of
//! provider parts and every webhook event payload (`webhook_events.payload`), written
//! through [`seal_for_storage`]. That one runs inside write jobs, which all run on the one
//! writer thread: `Store::start` installs the sealer there ([`install`]), so the functions
//! that write texts need no extra parameter; a thread without one (unit tests, readers)
//! stores clear text. Reads open through [`Store::reveal`] (async wrappers, any thread) or
//! [`open_stored`] (inside write jobs).
//!
//! Never imports anything above layer 1. Invariant: a value that does not open (another
//! key, tampered) is shown as [`UNREADABLE`], never as its ciphertext and never as a panic.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::seal::Sealer;
use std::cell::RefCell;

thread_local! {
    /// The at-rest sealer of the store whose writer thread this is (see the module comment).
    static WRITER_SEALER: RefCell<Option<Sealer>> = const { RefCell::new(None) };
}

/// Installs `sealer` as this (writer) thread's at-rest sealer.
pub(super) fn install(sealer: Sealer) {
    WRITER_SEALER.with(|s| *s.borrow_mut() = Some(sealer));
}

/// `text` as a write job stores it: sealed when this thread has an at-rest sealer.
pub(super) fn seal_for_storage(text: &str) -> String {
    WRITER_SEALER.with(|s| match s.borrow().as_ref() {
        Some(sealer) if !text.is_empty() => sealer.seal(text),
        _ => text.to_string(),
    })
}

/// A stored value as a write job reads it: opened when sealed.
pub(super) fn open_stored(value: String) -> String {
    if !crate::seal::is_sealed(&value) {
        return value;
    }
    WRITER_SEALER.with(|s| match s.borrow().as_ref().map(|k| k.open(&value)) {
        Some(Ok(plain)) => plain,
        _ => UNREADABLE.to_string(),
    })
}

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
    fn a_thread_with_a_sealer_seals_and_opens_and_others_store_clear_text() {
        let sealer = Sealer::random();
        let other = sealer.clone();
        std::thread::spawn(move || {
            install(other);
            let stored = seal_for_storage("hello");
            assert!(crate::seal::is_sealed(&stored));
            assert_eq!(open_stored(stored), "hello");
            assert_eq!(seal_for_storage(""), "", "purged texts stay empty");
            assert_eq!(open_stored("clear".into()), "clear");
            assert_eq!(open_stored(Sealer::random().seal("x")), UNREADABLE);
        })
        .join()
        .unwrap();
        assert_eq!(seal_for_storage("hello"), "hello");
        assert_eq!(open_stored(sealer.seal("x")), UNREADABLE);
    }

    #[test]
    fn the_marker_is_absent_then_set_then_replaced() {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        assert_eq!(key_id(&conn).unwrap(), None);
        set_key_id(&conn, "abc").unwrap();
        assert_eq!(key_id(&conn).unwrap().as_deref(), Some("abc"));
        set_key_id(&conn, "def").unwrap();
        assert_eq!(key_id(&conn).unwrap().as_deref(), Some("def"));
    }
}
