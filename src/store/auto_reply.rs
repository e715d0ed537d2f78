//! The automatic-reply tables: the rules created through the API (`auto_reply_rules`), the
//! inbound messages waiting for the worker's decision (`inbound_messages.reply_state`), and
//! the log of automatic replies per remote number (`auto_reply_log`) that the cool-down and
//! the hourly AI caps count.
//!
//! Deciding is not SQL's business: the worker (`crate::inbound::auto_reply`) reads pending
//! messages here, decides, and comes back with [`finish`]. Never imports anything above
//! `message`.
//!
//! Invariants:
//! - **Decided once.** [`finish`] changes a message from `pending` to `done` and writes its
//!   log row in one transaction; finishing a message that is no longer pending changes
//!   nothing and says so (`false`), so a second worker pass cannot log a reply twice.
//! - A rule has exactly one of `template_id` and `reply_text` (a CHECK in the schema too).

use super::sql::{params, Connection, OptionalExtension, Row};
use super::types::StoreError;
use crate::message::Millis;
use serde::Serialize;

/// How a rule's pattern is matched against an inbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The whole trimmed text, case-insensitively.
    Keyword,
    /// The start of the trimmed text, case-insensitively.
    Prefix,
    /// A regular expression (the `regex` crate's syntax, size-limited).
    Regex,
}

impl MatchKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Prefix => "prefix",
            Self::Regex => "regex",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "keyword" => Some(Self::Keyword),
            "prefix" => Some(Self::Prefix),
            "regex" => Some(Self::Regex),
            _ => None,
        }
    }
}

/// A rule as given (created or replaced through the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// A name for people.
    pub name: String,
    /// How `pattern` matches.
    pub match_kind: MatchKind,
    /// The keyword, prefix or regular expression.
    pub pattern: String,
    /// Only for messages this modem or provider received.
    pub route: Option<String>,
    /// Only for messages sent to this local number.
    pub local_number: Option<String>,
    /// Reply with this template…
    pub template_id: Option<String>,
    /// …or with this text.
    pub reply_text: Option<String>,
    /// Lower first; ties by id.
    pub priority: i64,
    /// Whether the rule is applied.
    pub enabled: bool,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its id.
    pub id: i64,
    /// What it says.
    pub rule: NewRule,
    /// When it was created (Unix ms).
    pub created_at: Millis,
    /// When it was last changed (Unix ms).
    pub updated_at: Millis,
}

const RULE_COLUMNS: &str = "id, name, match_kind, pattern, route, local_number, template_id, \
                            reply_text, priority, enabled, created_at, updated_at";

fn rule_row(r: &Row<'_>) -> super::sql::Result<Rule> {
    let kind: String = r.get(2)?;
    Ok(Rule {
        id: r.get(0)?,
        rule: NewRule {
            name: r.get(1)?,
            // The schema's CHECK admits only the three names.
            match_kind: MatchKind::parse(&kind).unwrap_or(MatchKind::Keyword),
            pattern: r.get(3)?,
            route: r.get(4)?,
            local_number: r.get(5)?,
            template_id: r.get(6)?,
            reply_text: r.get(7)?,
            priority: r.get(8)?,
            enabled: r.get(9)?,
        },
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

/// Every stored rule, in the order they are tried.
pub fn rules(conn: &Connection) -> Result<Vec<Rule>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM auto_reply_rules ORDER BY priority, id"
        ))?
        .query_map([], rule_row)?
        .collect::<Result<_, _>>()?)
}

/// One rule.
pub fn rule(conn: &Connection, id: i64) -> Result<Option<Rule>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM auto_reply_rules WHERE id = ?1"
        ))?
        .query_row([id], rule_row)
        .optional()?)
}

/// Stores a new rule.
pub fn insert_rule(conn: &Connection, rule: &NewRule, now: Millis) -> Result<Rule, StoreError> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO auto_reply_rules (name, match_kind, pattern, route, local_number,
             template_id, reply_text, priority, enabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id",
        )?
        .query_row(
            params![
                rule.name,
                rule.match_kind.as_str(),
                rule.pattern,
                rule.route,
                rule.local_number,
                rule.template_id,
                rule.reply_text,
                rule.priority,
                rule.enabled,
                now
            ],
            |r| r.get::<_, i64>(0),
        )?;
    self::rule(conn, id)?.ok_or(StoreError::NotFound)
}

/// Replaces rule `id` (`NotFound` when there is none).
pub fn update_rule(
    conn: &Connection,
    id: i64,
    rule: &NewRule,
    now: Millis,
) -> Result<Rule, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE auto_reply_rules SET name = ?2, match_kind = ?3, pattern = ?4, route = ?5,
                 local_number = ?6, template_id = ?7, reply_text = ?8, priority = ?9,
                 enabled = ?10, updated_at = ?11
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            rule.name,
            rule.match_kind.as_str(),
            rule.pattern,
            rule.route,
            rule.local_number,
            rule.template_id,
            rule.reply_text,
            rule.priority,
            rule.enabled,
            now
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    self::rule(conn, id)?.ok_or(StoreError::NotFound)
}

/// Removes rule `id`; whether there was one.
pub fn delete_rule(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM auto_reply_rules WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// An inbound message waiting for the worker, with what the decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInbound {
    /// The inbound message's id.
    pub id: i64,
    /// The sender (the number a reply goes to).
    pub sender: String,
    /// The local number it was sent to (its conversation's).
    pub local_number: String,
    /// The modem or provider that received it (a reply leaves by it).
    pub route: String,
    /// Its conversation.
    pub conversation_id: i64,
    /// Its text.
    pub text: String,
    /// Whether every part arrived.
    pub complete: bool,
    /// `stop` / `start` when it was an opt-out keyword.
    pub optout: Option<String>,
    /// When it entered the inbox.
    pub received_at: Millis,
}

/// The oldest `limit` pending inbound messages.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<PendingInbound>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(conn
        .prepare_cached(
            "SELECT m.id, m.sender, c.local_number, COALESCE(m.provider, m.modem),
                    m.conversation_id, m.text, m.complete, m.optout, m.received_at
             FROM inbound_messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.reply_state = 'pending' ORDER BY m.id LIMIT ?1",
        )?
        .query_map([limit], |r| {
            Ok(PendingInbound {
                id: r.get(0)?,
                sender: r.get(1)?,
                local_number: r.get(2)?,
                route: r.get(3)?,
                conversation_id: r.get(4)?,
                text: r.get(5)?,
                complete: r.get(6)?,
                optout: r.get(7)?,
                received_at: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Which automatic system answered (or declined to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// A `[[auto_reply]]` or API rule.
    Rule,
    /// A keyword with a configured answer (HELP).
    Keyword,
    /// The AI.
    Ai,
}

impl ReplyKind {
    /// The name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Keyword => "keyword",
            Self::Ai => "ai",
        }
    }
}

/// What the log records about a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The remote number.
    pub remote_number: String,
    /// Who decided.
    pub kind: ReplyKind,
    /// The reply, when one was queued.
    pub message_id: Option<i64>,
    /// Why nothing was sent, when nothing was.
    pub skip_reason: Option<String>,
}

/// Marks inbound message `id` done with `note` (`replied:<id>`, `skipped:<reason>`) and
/// writes `log`, in one transaction. `false` (and nothing written): it was not pending.
pub fn finish(
    conn: &Connection,
    id: i64,
    note: &str,
    log: Option<&LogEntry>,
    now: Millis,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE inbound_messages SET reply_state = 'done', reply_note = ?2
             WHERE id = ?1 AND reply_state = 'pending'",
        )?
        .execute(params![id, note])?;
    if changed == 0 {
        return Ok(false);
    }
    if let Some(log) = log {
        conn.prepare_cached(
            "INSERT INTO auto_reply_log (remote_number, kind, inbound_id, message_id,
                                         skip_reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            log.remote_number,
            log.kind.as_str(),
            id,
            log.message_id,
            log.skip_reason,
            now
        ])?;
    }
    Ok(true)
}

/// When the newest automatic reply to `number` was queued.
pub fn last_reply_at(conn: &Connection, number: &str) -> Result<Option<Millis>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT max(at) FROM auto_reply_log
             WHERE remote_number = ?1 AND message_id IS NOT NULL",
        )?
        .query_row([number], |r| r.get(0))?)
}

/// Deletes up to 5,000 log rows written before `before` (older than the cool-down and the
/// hourly caps ever look); how many. Walks the `(kind, at)` index, never the table.
pub fn purge_log(conn: &Connection, before: Millis) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM auto_reply_log WHERE id IN (
                 SELECT id FROM auto_reply_log INDEXED BY auto_reply_log_kind
                 WHERE kind IN ('rule', 'keyword', 'ai') AND at < ?1 LIMIT 5000)",
        )?
        .execute([before])?)
}

/// AI calls made since `since` (answers and fallbacks alike): to `number`, or to anyone.
pub fn ai_calls_since(
    conn: &Connection,
    number: Option<&str>,
    since: Millis,
) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM auto_reply_log
             WHERE kind = 'ai' AND at >= ?2 AND (remote_number = ?1 OR ?1 IS NULL)
               AND (skip_reason IS NULL OR skip_reason NOT LIKE 'ai_cap%')",
        )?
        .query_row(params![number, since], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `reply_state` and `reply_note` of an inbound message.
pub type ReplyState = (Option<String>, Option<String>);

/// An inbound message's automatic-reply state and note.
pub fn reply_state(conn: &Connection, id: i64) -> Result<Option<ReplyState>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT reply_state, reply_note FROM inbound_messages WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

impl super::Store {
    /// Every API rule, in the order they are tried.
    pub async fn auto_reply_rules(&self) -> Result<Vec<Rule>, StoreError> {
        super::writer::read(&self.reader, rules).await
    }

    /// One API rule.
    pub async fn auto_reply_rule(&self, id: i64) -> Result<Option<Rule>, StoreError> {
        super::writer::read(&self.reader, move |c| rule(c, id)).await
    }

    /// Stores a new rule.
    pub async fn auto_reply_rule_insert(
        &self,
        new: NewRule,
        now: Millis,
    ) -> Result<Rule, StoreError> {
        super::writer::write(&self.writer, move |c| insert_rule(c, &new, now)).await
    }

    /// Replaces a rule.
    pub async fn auto_reply_rule_update(
        &self,
        id: i64,
        new: NewRule,
        now: Millis,
    ) -> Result<Rule, StoreError> {
        super::writer::write(&self.writer, move |c| update_rule(c, id, &new, now)).await
    }

    /// Removes a rule; whether there was one.
    pub async fn auto_reply_rule_delete(&self, id: i64) -> Result<bool, StoreError> {
        super::writer::write(&self.writer, move |c| delete_rule(c, id)).await
    }

    /// The oldest pending inbound messages.
    pub async fn auto_reply_pending(
        &self,
        limit: usize,
    ) -> Result<Vec<PendingInbound>, StoreError> {
        let mut pending = super::writer::read(&self.reader, move |c| pending(c, limit)).await?;
        for m in &mut pending {
            m.text = self.reveal(std::mem::take(&mut m.text));
        }
        Ok(pending)
    }

    /// Marks an inbound message done and logs the decision (see [`finish`]).
    pub async fn auto_reply_finish(
        &self,
        id: i64,
        note: String,
        log: Option<LogEntry>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        super::writer::write(&self.writer, move |c| {
            finish(c, id, &note, log.as_ref(), now)
        })
        .await
    }

    /// Deletes old automatic-reply log rows (see [`purge_log`]).
    pub async fn auto_reply_purge_log(&self, before: Millis) -> Result<usize, StoreError> {
        super::writer::write(&self.writer, move |c| purge_log(c, before)).await
    }

    /// When the newest automatic reply to `number` was queued.
    pub async fn auto_reply_last(&self, number: String) -> Result<Option<Millis>, StoreError> {
        super::writer::read(&self.reader, move |c| last_reply_at(c, &number)).await
    }

    /// AI calls since `since`, to `number` or to anyone.
    pub async fn auto_reply_ai_calls(
        &self,
        number: Option<String>,
        since: Millis,
    ) -> Result<u64, StoreError> {
        super::writer::read(&self.reader, move |c| {
            ai_calls_since(c, number.as_deref(), since)
        })
        .await
    }

    /// An inbound message's automatic-reply state and note.
    pub async fn auto_reply_state(&self, id: i64) -> Result<Option<ReplyState>, StoreError> {
        super::writer::read(&self.reader, move |c| reply_state(c, id)).await
    }

    /// The newest `limit` messages of a conversation, oldest first.
    pub async fn auto_reply_context(
        &self,
        conversation_id: i64,
        limit: usize,
    ) -> Result<Vec<super::conversations::HistoryEntry>, StoreError> {
        let entries = super::writer::read(&self.reader, move |c| {
            Ok(super::conversations::history(c, conversation_id, limit)?.unwrap_or_default())
        })
        .await?;
        // Texts sealed at rest are opened for the AI's context.
        Ok(entries
            .into_iter()
            .map(|mut e| {
                e.text = self.reveal(std::mem::take(&mut e.text));
                e
            })
            .collect())
    }

    /// The batch accepted under idempotency key `key` of `scope`: its name and its
    /// messages' ids (none: no such batch).
    pub async fn batch_for_key_with_name(
        &self,
        scope: String,
        key: String,
    ) -> Result<Option<(Option<String>, Vec<i64>)>, StoreError> {
        super::writer::read(&self.reader, move |c| {
            let found: Option<(String, Option<String>)> = c
                .prepare_cached(
                    "SELECT id, name FROM batches
                     WHERE idempotency_scope = ?1 AND idempotency_key = ?2",
                )?
                .query_row([&scope, &key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((batch, name)) = found else {
                return Ok(None);
            };
            let ids = c
                .prepare_cached("SELECT id FROM messages WHERE batch_id = ?1 ORDER BY batch_pos")?
                .query_map([&batch], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(Some((name, ids)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// An inbound message from `sender`, pending, through the inbox's own path.
    fn receive(conn: &Connection, sender: &str, text: &str, now: Millis) -> i64 {
        let id = conn.query_row(
            "INSERT INTO inbound_messages (modem, modem_msisdn, sender, concat_ref, parts_total,
                 parts_received, complete, text, encoding, sent_at, received_at)
             VALUES ('sim0', '+12025550101', ?1, -1, 1, 1, 1, ?2, 'gsm7', NULL, ?3) RETURNING id",
            params![sender, text, now],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
        crate::store::inbox::after_insert(
            conn,
            &crate::store::inbox::ReceivedMessage {
                id,
                from: sender,
                to: "+12025550101",
                text,
                encoding: "gsm7",
                modem: Some("sim0"),
                provider: None,
                parts: 1,
                parts_received: 1,
                complete: true,
                received_at: now,
            },
        )
        .unwrap();
        id
    }

    #[test]
    fn old_log_rows_are_purged_and_recent_ones_kept() {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        let id = receive(&conn, "+4915112345678", "hi", 1_000);
        for (kind, at) in [("rule", 10), ("ai", 20), ("keyword", 5_000)] {
            conn.execute(
                "INSERT INTO auto_reply_log (remote_number, kind, inbound_id, at)
                 VALUES ('+4915112345678', ?1, ?2, ?3)",
                params![kind, id, at],
            )
            .unwrap();
        }
        assert_eq!(purge_log(&conn, 1_000).unwrap(), 2);
        assert_eq!(purge_log(&conn, 1_000).unwrap(), 0);
        let left: i64 = conn
            .query_row("SELECT count(*) FROM auto_reply_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }

    #[tokio::test]
    async fn a_message_is_finished_once_and_the_log_feeds_the_cooldown() {
        let store = Store::open_memory().await.unwrap();
        let id = super::super::writer::write(&store.writer, |c| {
            Ok(receive(c, "+4915112345678", "hi", 1_000))
        })
        .await
        .unwrap();
        let pending = store.auto_reply_pending(10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (
                pending[0].id,
                pending[0].route.as_str(),
                pending[0].local_number.as_str()
            ),
            (id, "sim0", "+12025550101")
        );
        assert_eq!(
            store
                .auto_reply_last("+4915112345678".into())
                .await
                .unwrap(),
            None
        );
        let log = LogEntry {
            remote_number: "+4915112345678".into(),
            kind: ReplyKind::Ai,
            message_id: None,
            skip_reason: Some("ai_failed".into()),
        };
        assert!(store
            .auto_reply_finish(id, "skipped:ai_failed".into(), Some(log.clone()), 2_000)
            .await
            .unwrap());
        // A second finish (a racing pass) changes nothing and logs nothing.
        assert!(!store
            .auto_reply_finish(id, "replied:9".into(), Some(log), 3_000)
            .await
            .unwrap());
        assert_eq!(
            store.auto_reply_state(id).await.unwrap(),
            Some((Some("done".into()), Some("skipped:ai_failed".into())))
        );
        assert!(store.auto_reply_pending(10).await.unwrap().is_empty());
        // An AI call counts for the caps; a skip without a message is not a reply.
        assert_eq!(
            store
                .auto_reply_ai_calls(Some("+4915112345678".into()), 0)
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.auto_reply_ai_calls(None, 2_001).await.unwrap(), 0);
        assert_eq!(
            store
                .auto_reply_last("+4915112345678".into())
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn rules_round_trip_in_priority_order() {
        let store = Store::open_memory().await.unwrap();
        let rule = |name: &str, priority| NewRule {
            name: name.into(),
            match_kind: MatchKind::Prefix,
            pattern: "x".into(),
            route: None,
            local_number: None,
            template_id: None,
            reply_text: Some("y".into()),
            priority,
            enabled: true,
        };
        let late = store
            .auto_reply_rule_insert(rule("late", 5), 1)
            .await
            .unwrap();
        let early = store
            .auto_reply_rule_insert(rule("early", -1), 2)
            .await
            .unwrap();
        let names: Vec<String> = store
            .auto_reply_rules()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.rule.name)
            .collect();
        assert_eq!(names, ["early", "late"]);
        let changed = store
            .auto_reply_rule_update(late.id, rule("later", 9), 3)
            .await
            .unwrap();
        assert_eq!(
            (changed.rule.name.as_str(), changed.updated_at),
            ("later", 3)
        );
        assert!(store.auto_reply_rule_delete(early.id).await.unwrap());
        assert!(!store.auto_reply_rule_delete(early.id).await.unwrap());
        assert!(matches!(
            store
                .auto_reply_rule_update(early.id, rule("gone", 0), 4)
                .await,
            Err(StoreError::NotFound)
        ));
    }
}
