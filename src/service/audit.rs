//! The audit log through the façade: [`Service::audit`] records an admin action (the HTTP
//! layer after a successful admin call, the reload path, and — to be wired — the modem
//! admin commands), [`Service::audit_log`] reads it with filters and a cursor.
//!
//! Never imports axum, SQL or AT. Invariants: an actor is a name (an API key's name,
//! `signal`, `open-api`), never a key; callers pass details without secrets.

use super::{Service, ServiceError};
use crate::store::audit::NewAuditEntry;
pub use crate::store::audit::{AuditEntry, AuditFilter, AUDIT_LIMIT_MAX};

/// The actor of a SIGHUP reload.
pub const SIGNAL_ACTOR: &str = "signal";

/// The actor of a call on an open API (no key configured).
pub const OPEN_API_ACTOR: &str = "open-api";

impl Service {
    /// Records that `actor` did `action` on `target`; `detail` must hold no secret.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let entry = NewAuditEntry {
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.map(str::to_string),
            detail,
        };
        self.store.audit_record(entry, self.now()).await?;
        Ok(())
    }

    /// [`Service::audit`] where the action already happened and must not be failed by its
    /// record: a failure is logged (with the action, never the detail).
    pub async fn audit_quietly(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) {
        if let Err(e) = self.audit(actor, action, Some(target), detail).await {
            tracing::warn!(actor, action, error = %e, "could not write the audit entry");
        }
    }

    /// A page of the audit log, newest first, and the cursor of the next page.
    pub async fn audit_log(
        &self,
        filter: AuditFilter,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), ServiceError> {
        if filter.limit == 0 || filter.limit > AUDIT_LIMIT_MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1–{AUDIT_LIMIT_MAX}"),
            ));
        }
        if let (Some(since), Some(until)) = (filter.since, filter.until) {
            if since >= until {
                return Err(ServiceError::invalid("until", "must be after since"));
            }
        }
        Ok(self.store.audit_list(filter).await?)
    }

    /// Purges audit entries older than `cutoff` (`[retention] events_days`).
    pub(crate) async fn purge_audit(
        &self,
        cutoff: Option<crate::message::Millis>,
    ) -> Result<usize, ServiceError> {
        match cutoff {
            Some(cutoff) => Ok(self.store.audit_purge(cutoff).await?),
            None => Ok(0),
        }
    }
}
