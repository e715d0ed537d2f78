//! Modem administration state that survives a restart: the operator's disable flag and
//! each SIM's quota use (`migrations/0016_modem_admin.sql`), keyed by modem name.
//!
//! Plain rows in, plain rows out; never imports the modem layer (the daemon converts).

use super::sql::{params, OptionalExtension};
use super::{Store, StoreError};
use crate::message::Millis;

/// A SIM's stored quota use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredQuota {
    /// Start of the quota day (Unix ms).
    pub day_start: Millis,
    /// Segments in that day.
    pub day_used: u64,
    /// Start of the quota month.
    pub month_start: Millis,
    /// Segments in that month.
    pub month_used: u64,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Records whether `modem` is disabled by an operator.
    pub async fn set_modem_disabled(
        &self,
        modem: &str,
        disabled: bool,
        now: Millis,
    ) -> Result<(), StoreError> {
        let modem = modem.to_string();
        super::writer::write(&self.writer, move |c| {
            c.prepare_cached(
                "INSERT INTO modem_admin (modem, disabled, changed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (modem) DO UPDATE SET disabled = ?2, changed_at = ?3",
            )?
            .execute(params![modem, disabled, now])?;
            Ok(())
        })
        .await
    }

    /// The names of the modems an operator disabled.
    pub async fn disabled_modems(&self) -> Result<Vec<String>, StoreError> {
        super::writer::read(&self.reader, |c| {
            let mut stmt = c.prepare_cached("SELECT modem FROM modem_admin WHERE disabled = 1")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .await
    }

    /// Stores `modem`'s quota use.
    pub async fn set_modem_quota(
        &self,
        modem: &str,
        quota: StoredQuota,
        now: Millis,
    ) -> Result<(), StoreError> {
        let modem = modem.to_string();
        super::writer::write(&self.writer, move |c| {
            c.prepare_cached(
                "INSERT INTO modem_quota (modem, day_start, day_used, month_start, month_used, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (modem) DO UPDATE SET day_start = ?2, day_used = ?3,
                     month_start = ?4, month_used = ?5, updated_at = ?6",
            )?
            .execute(params![
                modem,
                quota.day_start,
                to_i64(quota.day_used),
                quota.month_start,
                to_i64(quota.month_used),
                now
            ])?;
            Ok(())
        })
        .await
    }

    /// `modem`'s stored quota use, if any.
    pub async fn modem_quota(&self, modem: &str) -> Result<Option<StoredQuota>, StoreError> {
        let modem = modem.to_string();
        super::writer::read(&self.reader, move |c| {
            Ok(c.prepare_cached(
                "SELECT day_start, day_used, month_start, month_used FROM modem_quota WHERE modem = ?1",
            )?
            .query_row([modem], |r| {
                Ok(StoredQuota {
                    day_start: r.get(0)?,
                    day_used: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    month_start: r.get(2)?,
                    month_used: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                })
            })
            .optional()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn flags_and_quotas_round_trip() {
        let store = Store::open_memory().await.unwrap();
        assert!(store.disabled_modems().await.unwrap().is_empty());
        store.set_modem_disabled("m0", true, 1).await.unwrap();
        store.set_modem_disabled("m1", true, 1).await.unwrap();
        store.set_modem_disabled("m1", false, 2).await.unwrap();
        assert_eq!(
            store.disabled_modems().await.unwrap(),
            vec!["m0".to_string()]
        );
        assert_eq!(store.modem_quota("m0").await.unwrap(), None);
        let q = StoredQuota {
            day_start: 10,
            day_used: 3,
            month_start: 5,
            month_used: 7,
        };
        store.set_modem_quota("m0", q, 11).await.unwrap();
        store.set_modem_quota("m0", q, 12).await.unwrap();
        assert_eq!(store.modem_quota("m0").await.unwrap(), Some(q));
    }
}
