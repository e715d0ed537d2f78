//! The opt-out list through the façade: add, remove, show and list numbers (normalised to
//! E.164 like every recipient), and the two questions the send path asks —
//! [`Service::opted_out_among`] and [`Service::optout_blocks`].
//!
//! Never imports axum, SQL or AT. Invariant: every number reaching the store is E.164
//! (normalised here, or E.164 already for `opted_out_among`): what the normaliser accepts,
//! in its form; else `+` and 7–15 digits as written (a sender the numbering plan does not
//! know may have opted out by SMS); anything else is `Invalid` naming the field `number`.

use super::{Service, ServiceError};
use crate::message::SmsType;
use crate::store::optouts::{Optout, OptoutPage, Source};
use std::collections::HashSet;

/// Longest page of the list.
pub const OPTOUT_LIMIT_MAX: usize = 1000;

impl Service {
    fn optout_number(&self, number: &str) -> Result<String, ServiceError> {
        // A `+` number the numbering plan does not know may still have been put on the
        // list by its own STOP reply (the inbox lists every E.164 sender): it must stay
        // reachable here.
        crate::phone::E164::parse_or_lenient(number, self.settings().default_region.as_deref())
            .map(String::from)
            .map_err(|reason| ServiceError::invalid("number", reason))
    }

    /// Puts `number` on the list (source `api`): its row, and whether it was added (false:
    /// it was already listed and is left as it was).
    pub async fn optout_add(&self, number: &str) -> Result<(Optout, bool), ServiceError> {
        let number = self.optout_number(number)?;
        Ok(self
            .store
            .optout_add(&number, Source::Api, None, self.now())
            .await?)
    }

    /// Takes `number` off the list; `NotFound` when it is not on it.
    pub async fn optout_remove(&self, number: &str) -> Result<(), ServiceError> {
        let number = self.optout_number(number)?;
        if self.store.optout_remove(&number, self.now()).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("opt-out for {number}")))
        }
    }

    /// The list's row for `number`; `NotFound` when it is not on it.
    pub async fn optout(&self, number: &str) -> Result<Optout, ServiceError> {
        let number = self.optout_number(number)?;
        self.store
            .optout_get(&number)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("opt-out for {number}")))
    }

    /// A page of the list, newest first (`limit` 1–1000).
    pub async fn optouts(&self, limit: usize, offset: usize) -> Result<OptoutPage, ServiceError> {
        if limit == 0 || limit > OPTOUT_LIMIT_MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1–{OPTOUT_LIMIT_MAX}"),
            ));
        }
        Ok(self.store.optout_list(limit, offset).await?)
    }

    /// Which of `numbers` (E.164, as the send path holds them) are on the opt-out list, in
    /// one store read. Numbers come back exactly as given.
    pub async fn opted_out_among(
        &self,
        numbers: Vec<String>,
    ) -> Result<HashSet<String>, ServiceError> {
        if numbers.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(self.store.opted_out_among(numbers).await?)
    }

    /// Whether the opt-out list blocks messages of `sms_type` (`[optout] block`; by default
    /// only promotional ones).
    pub fn optout_blocks(&self, sms_type: SmsType) -> bool {
        self.settings().optout_blocks.contains(&sms_type)
    }
}
