//! Retention: the texts of old messages, old inbound texts and old events removed in small
//! batches — each batch its own short write job, so the writer (and sending) is never held
//! for long — while what the counts and analytics need stays: message rows, statuses,
//! times, segments' metadata, costs.
//!
//! Only final messages lose their text (a queued or scheduled one is never touched), and an
//! OTP's sealed text and PDUs are already wiped when it is sent. Never imports anything
//! above layer 1.

use super::sql::{params, Connection};
use super::types::StoreError;
use crate::message::Millis;

/// Rows per batch.
pub const BATCH: usize = 500;

/// What to purge: rows older than each cutoff (`None`: keep).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cutoffs {
    /// Outbound texts of messages final before this time.
    pub message_bodies: Option<Millis>,
    /// Inbound texts (and their parts' PDUs) received before this time.
    pub inbound: Option<Millis>,
    /// Status events of final messages, older than this time.
    pub events: Option<Millis>,
}

/// Rows purged by one batch of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Outbound messages whose text was removed.
    pub message_bodies: usize,
    /// Inbound messages whose text was removed.
    pub inbound: usize,
    /// Events deleted.
    pub events: usize,
}

impl Purged {
    /// Whether a batch was full (another one may find more).
    pub fn more(&self) -> bool {
        self.message_bodies == BATCH || self.inbound == BATCH || self.events == BATCH
    }
}

/// One batch of each kind.
pub fn purge_batch(conn: &Connection, cutoffs: &Cutoffs) -> Result<Purged, StoreError> {
    let limit = i64::try_from(BATCH).unwrap_or(i64::MAX);
    let mut purged = Purged::default();
    if let Some(cutoff) = cutoffs.message_bodies {
        let ids: Vec<i64> = conn
            .prepare_cached(
                "SELECT id FROM messages INDEXED BY messages_unpurged_final
                 WHERE final_at IS NOT NULL AND body <> '' AND final_at < ?1
                 ORDER BY final_at LIMIT ?2",
            )?
            .query_map(params![cutoff, limit], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            conn.prepare_cached("UPDATE messages SET body = '', sealed_body = NULL WHERE id = ?1")?
                .execute([id])?;
            conn.prepare_cached("UPDATE segments SET pdu_hex = '' WHERE message_id = ?1")?
                .execute([id])?;
        }
        purged.message_bodies = ids.len();
    }
    if let Some(cutoff) = cutoffs.inbound {
        let ids: Vec<i64> = conn
            .prepare_cached(
                "SELECT id FROM inbound_messages INDEXED BY inbound_messages_unpurged
                 WHERE text <> '' AND received_at < ?1 ORDER BY received_at LIMIT ?2",
            )?
            .query_map(params![cutoff, limit], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            conn.prepare_cached("UPDATE inbound_messages SET text = '' WHERE id = ?1")?
                .execute([id])?;
            // Each part keeps a distinct value: (modem, sender, ref, total, seq, pdu) is unique.
            conn.prepare_cached(
                "UPDATE inbound_parts SET pdu = 'purged:' || id WHERE message_id = ?1",
            )?
            .execute([id])?;
            conn.prepare_cached(
                "UPDATE provider_inbound_parts SET text = '' WHERE message_id = ?1",
            )?
            .execute([id])?;
        }
        purged.inbound = ids.len();
    }
    if let Some(cutoff) = cutoffs.events {
        purged.events = conn
            .prepare_cached(
                "DELETE FROM events WHERE id IN (
                     SELECT e.id FROM events e JOIN messages m ON m.id = e.message_id
                     WHERE e.at < ?1 AND m.final_at IS NOT NULL
                     ORDER BY e.at LIMIT ?2)",
            )?
            .execute(params![cutoff, limit])?;
    }
    Ok(purged)
}

impl super::Store {
    /// One retention batch of each kind (see [`purge_batch`]).
    pub async fn retention_batch(&self, cutoffs: Cutoffs) -> Result<Purged, StoreError> {
        super::writer::write(&self.writer, move |c| purge_batch(c, &cutoffs)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        conn.execute_batch("INSERT INTO batches (id, created_at) VALUES ('b', 0);")
            .unwrap();
        conn
    }

    fn message(conn: &Connection, id: i64, status: &str, final_at: Option<Millis>) {
        conn.execute(
            "INSERT INTO messages (id, batch_id, batch_pos, recipient, body, message_type, sms_type,
                 encoding, priority, status, segments, created_at, updated_at, final_at)
             VALUES (?1, 'b', ?1, '+4917', 'hello', 'text', 'transactional', 'gsm7', 0, ?2, 1, 0, 0, ?3)",
            params![id, status, final_at],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO segments (message_id, seq, pdu_hex, tpdu_length) VALUES (?1, 1, 'AABB', 2)",
            [id],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events (message_id, at, status) VALUES (?1, 10, ?2)",
            params![id, status],
        )
        .unwrap();
    }

    fn body(conn: &Connection, id: i64) -> (String, String) {
        conn.query_row(
            "SELECT m.body, s.pdu_hex FROM messages m JOIN segments s ON s.message_id = m.id
             WHERE m.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn only_final_messages_older_than_the_cutoff_lose_their_text_and_events() {
        let conn = conn();
        message(&conn, 1, "delivered", Some(100));
        message(&conn, 2, "delivered", Some(5_000));
        message(&conn, 3, "queued", None);
        let cutoffs = Cutoffs {
            message_bodies: Some(1_000),
            inbound: None,
            events: Some(1_000),
        };
        let purged = purge_batch(&conn, &cutoffs).unwrap();
        assert_eq!((purged.message_bodies, purged.events), (1, 2));
        assert_eq!(body(&conn, 1), (String::new(), String::new()));
        assert_eq!(body(&conn, 2), ("hello".into(), "AABB".into()));
        assert_eq!(
            body(&conn, 3),
            ("hello".into(), "AABB".into()),
            "a queued message is never touched"
        );
        let events: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE message_id = 3",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(events, 1, "a message still in flight keeps its events");
        // The message rows stay for the counts; a second pass finds nothing more.
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3);
        assert_eq!(purge_batch(&conn, &cutoffs).unwrap(), Purged::default());
    }

    #[test]
    fn batches_are_bounded() {
        let conn = conn();
        for id in 1..=(i64::try_from(BATCH).unwrap() + 7) {
            message(&conn, id, "failed", Some(1));
        }
        let cutoffs = Cutoffs {
            message_bodies: Some(10),
            ..Cutoffs::default()
        };
        let first = purge_batch(&conn, &cutoffs).unwrap();
        assert_eq!(first.message_bodies, BATCH);
        assert!(first.more());
        let second = purge_batch(&conn, &cutoffs).unwrap();
        assert_eq!(second.message_bodies, 7);
        assert!(!second.more());
    }
}
