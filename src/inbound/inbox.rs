//! The inbox (layer 3): inbound SMS-DELIVER events from the modems → parts stored once in
//! the store → messages, reassembled from their parts; and the opt-out keywords (`STOP`,
//! `START`) those messages carry.
//!
//! Owns the rules the store runs inside its transaction ([`Rules`]: joining the parts of a
//! set with the pure [`Reassembler`], and matching a text against the stop and start
//! keywords), the sender's E.164 form, the SCTS in UTC, and the consumer loop
//! ([`consume`]) that acks each event to its modem. Never imports HTTP, the service, the
//! dispatcher or a concrete modem type; talks to modems only through [`ModemEvent`].
//!
//! Invariants:
//! - **Ack after commit.** An event is acked (the modem may delete it from the SIM or
//!   `+CNMA` it) only after the store committed its part; a failed write leaves it on the
//!   modem, which offers it again. Storing a part twice changes nothing, so an offer after
//!   a crash between commit and delete is harmless.
//! - **Reassembly survives restarts**: the state is the store's pending parts, not memory.
//! - **Nothing is lost to a missing part**: a set still incomplete `incomplete_timeout`
//!   after its first part arrived becomes a message flagged incomplete, holding the parts
//!   that did arrive.
//! - **Opt-outs ride with their message**: a complete message whose trimmed text equals a
//!   stop (start) keyword, case-insensitively, puts its sender on (takes it off) the
//!   opt-out list in the same transaction as the message. Only E.164 senders qualify.
//! - Logs name the modem and a masked number, never a message text.

use crate::message::{now_millis, Millis};
use crate::modem::ModemEvent;
use crate::pdu::reassembly::{Accepted, Part};
use crate::pdu::{
    Address, Content, Deliver, PduModePdu, Reassembler, Timestamp, Tpdu, TypeOfNumber,
};
use crate::store::inbox::{
    CreatedMessage, InboundReceipt, InboundRules, Joined, NewInboundPart, OptoutAction,
    OptoutRequest, StoredPart,
};
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use crate::config::{DEFAULT_START_KEYWORDS, DEFAULT_STOP_KEYWORDS};

/// What the inbox needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSettings {
    /// Texts that put the sender on the opt-out list.
    pub stop_keywords: Vec<String>,
    /// Texts that take the sender off it.
    pub start_keywords: Vec<String>,
    /// How long a concatenated message waits for its missing parts.
    pub incomplete_timeout: Duration,
    /// Region of senders written as national numbers (`DE`).
    pub default_region: Option<String>,
}

impl Default for InboxSettings {
    fn default() -> Self {
        Self {
            stop_keywords: DEFAULT_STOP_KEYWORDS.map(String::from).to_vec(),
            start_keywords: DEFAULT_START_KEYWORDS.map(String::from).to_vec(),
            incomplete_timeout: Duration::from_secs(24 * 3600),
            default_region: None,
        }
    }
}

/// The keyword rules and the reassembly the store runs in its transaction.
#[derive(Debug, Clone)]
pub struct Rules {
    stop: Vec<String>,
    start: Vec<String>,
}

impl Rules {
    /// Rules with these keywords (compared trimmed and case-insensitively).
    pub fn new(stop: &[String], start: &[String]) -> Self {
        let fold = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|k| k.trim().to_uppercase())
                .filter(|k| !k.is_empty())
                .collect()
        };
        Self {
            stop: fold(stop),
            start: fold(start),
        }
    }

    /// What `text` asks for: stop or start, with the keyword as configured (upper case).
    pub fn keyword(&self, text: &str) -> Option<(OptoutAction, &str)> {
        let said = text.trim().to_uppercase();
        if said.is_empty() {
            return None;
        }
        if let Some(k) = self.stop.iter().find(|k| **k == said) {
            return Some((OptoutAction::Stop, k));
        }
        self.start
            .iter()
            .find(|k| **k == said)
            .map(|k| (OptoutAction::Start, k.as_str()))
    }
}

impl InboundRules for Rules {
    fn join(&self, parts: &[StoredPart]) -> Joined {
        join_parts(parts)
    }

    fn optout(&self, sender: &str, text: &str) -> Option<OptoutRequest> {
        if !crate::phone::is_e164(sender) {
            return None;
        }
        self.keyword(text).map(|(action, keyword)| OptoutRequest {
            number: sender.to_string(),
            action,
            keyword: keyword.to_string(),
        })
    }
}

/// The text of a set of parts: reassembled with the pure [`Reassembler`] when they form a
/// whole set (so a character split across parts decodes), else each part decoded on its
/// own and the texts put together in order.
pub fn join_parts(parts: &[StoredPart]) -> Joined {
    let delivers: Vec<Deliver> = parts
        .iter()
        .filter_map(|p| match PduModePdu::decode_hex(&p.pdu) {
            Ok(PduModePdu {
                tpdu: Tpdu::Deliver(d),
                ..
            }) => Some(d),
            _ => None,
        })
        .collect();
    let encoding = delivers
        .first()
        .map_or("gsm7", |d| d.user_data.alphabet.name())
        .to_string();
    let mut reassembler = Reassembler::new(Duration::MAX);
    let mut whole = None;
    for deliver in &delivers {
        if let Some(part) = Part::from_deliver(deliver) {
            if let Ok(Accepted::Complete(done)) = reassembler.accept(part, SystemTime::UNIX_EPOCH) {
                whole = Some(done.content);
            }
        }
    }
    let text = match whole {
        Some(content) => text_of(content),
        None => delivers
            .iter()
            .map(|d| text_of(d.user_data.content()))
            .collect(),
    };
    Joined { text, encoding }
}

fn text_of(content: Content) -> String {
    match content {
        Content::Text(text) => text,
        Content::Binary(octets) => hex::encode_upper(octets),
    }
}

/// The sender as stored: E.164 for an international number (and for a national one when
/// `region` reads it as a valid number), else as sent (`MyBank`, a short code).
pub fn sender_number(address: &Address, region: Option<&str>) -> String {
    let digits = !address.value.is_empty() && address.value.bytes().all(|b| b.is_ascii_digit());
    match address.ton {
        TypeOfNumber::International if digits => format!("+{}", address.value),
        TypeOfNumber::National | TypeOfNumber::Unknown if digits => region
            .and_then(|r| {
                crate::phone::E164::parse(&address.value, Some(r))
                    .ok()
                    .map(String::from)
            })
            .unwrap_or_else(|| address.to_string()),
        _ => address.to_string(),
    }
}

/// A number for the logs: the first four and the last two characters.
pub fn mask(number: &str) -> String {
    let count = number.chars().count();
    if count <= 6 {
        return "*".repeat(count);
    }
    let head: String = number.chars().take(4).collect();
    let tail: String = number.chars().skip(count - 2).collect();
    format!("{head}{}{tail}", "*".repeat(count - 6))
}

/// A SCTS in Unix milliseconds (UTC).
pub fn scts_millis(ts: &Timestamp) -> Option<Millis> {
    let month = time::Month::try_from(ts.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(ts.year), month, ts.day).ok()?;
    let local = date.with_hms(ts.hour, ts.minute, ts.second).ok()?;
    let offset = time::UtcOffset::from_whole_seconds(i32::from(ts.zone_quarters) * 15 * 60).ok()?;
    Some(local.assume_offset(offset).unix_timestamp() * 1000)
}

/// Looks up a modem's own number by its name.
pub type MsisdnLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The inbox's stop/start keyword rules, replaceable while it runs (a reload).
#[derive(Clone)]
pub struct InboxKeywords(Arc<std::sync::RwLock<Arc<Rules>>>);

impl InboxKeywords {
    /// From now on, parts are joined and screened with these keywords.
    pub fn replace(&self, stop_keywords: &[String], start_keywords: &[String]) {
        let rules = Arc::new(Rules::new(stop_keywords, start_keywords));
        match self.0.write() {
            Ok(mut r) => *r = rules,
            Err(poisoned) => *poisoned.into_inner() = rules,
        }
    }

    fn current(&self) -> Arc<Rules> {
        match self.0.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The inbox: cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    store: Store,
    rules: InboxKeywords,
    settings: Arc<InboxSettings>,
    msisdn: MsisdnLookup,
    /// Told when a message is committed (the automatic-reply worker waits on it).
    committed: Option<Arc<tokio::sync::Notify>>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// An inbox over `store`; `msisdn` names each modem's own number when known.
    pub fn new(store: Store, settings: InboxSettings, msisdn: MsisdnLookup) -> Self {
        Self {
            store,
            rules: InboxKeywords(Arc::new(std::sync::RwLock::new(Arc::new(Rules::new(
                &settings.stop_keywords,
                &settings.start_keywords,
            ))))),
            settings: Arc::new(settings),
            msisdn,
            committed: None,
        }
    }

    /// The handle a reload replaces the stop/start keywords through.
    pub fn keywords(&self) -> InboxKeywords {
        self.rules.clone()
    }

    /// Tells `notify` each time a message is committed (one permit, so a worker busy at
    /// that moment still looks again).
    pub fn notify_on_commit(mut self, notify: Arc<tokio::sync::Notify>) -> Self {
        self.committed = Some(notify);
        self
    }

    fn committed(&self) {
        if let Some(notify) = &self.committed {
            notify.notify_one();
        }
    }

    /// The part `deliver` is, as the store takes it.
    pub fn part(&self, modem: &str, deliver: &Deliver, raw: &str, now: Millis) -> NewInboundPart {
        let concat = deliver
            .user_data
            .header
            .as_ref()
            .and_then(|h| h.concat())
            // A part numbered outside its total cannot join a set: it stands alone.
            .filter(|c| c.total > 1 && c.seq >= 1 && c.seq <= c.total);
        NewInboundPart {
            modem: modem.to_string(),
            modem_msisdn: (self.msisdn)(modem),
            sender: sender_number(&deliver.originator, self.settings.default_region.as_deref()),
            concat_ref: concat.map(|c| c.reference),
            total: concat.map_or(1, |c| c.total),
            seq: concat.map_or(1, |c| c.seq),
            sent_at: scts_millis(&deliver.timestamp),
            pdu: raw.trim().to_string(),
            received_at: now,
        }
    }

    /// Stores one received SMS-DELIVER (durable on return) and logs what it completed.
    pub async fn receive(
        &self,
        modem: &str,
        deliver: &Deliver,
        raw: &str,
        now: Millis,
    ) -> Result<InboundReceipt, StoreError> {
        let part = self.part(modem, deliver, raw, now);
        let from = mask(&part.sender);
        let receipt = self
            .store
            .receive_inbound(part, self.rules.current(), now)
            .await?;
        if receipt.completed.is_some() || receipt.superseded.is_some() {
            self.committed();
        }
        if let Some(old) = &receipt.superseded {
            warn!(%modem, %from, message = old.id, "a concatenation reference was reused before its message completed; the older parts were kept as an incomplete message");
        }
        match &receipt.completed {
            Some(created) => log_created(modem, &from, created, receipt.total),
            None if receipt.duplicate => {
                info!(%modem, %from, "a part already stored was offered again; ignored")
            }
            None => info!(
                %modem,
                %from,
                received = receipt.received,
                total = receipt.total,
                "part of a concatenated message stored; waiting for the rest"
            ),
        }
        Ok(receipt)
    }

    /// Closes sets whose first part is older than the timeout as incomplete messages.
    pub async fn close_stale(&self, now: Millis) -> Result<Vec<CreatedMessage>, StoreError> {
        let timeout =
            i64::try_from(self.settings.incomplete_timeout.as_millis()).unwrap_or(i64::MAX);
        let closed = self
            .store
            .close_stale_inbound(now.saturating_sub(timeout), self.rules.current(), now)
            .await?;
        if !closed.is_empty() {
            self.committed();
        }
        for message in &closed {
            warn!(
                message = message.id,
                "a concatenated message stayed incomplete past the timeout; stored as incomplete"
            );
        }
        Ok(closed)
    }

    /// How often [`consume`] looks for incomplete sets past the timeout.
    pub fn stale_check_interval(&self) -> Duration {
        (self.settings.incomplete_timeout / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(60))
    }

    /// Handles one event: a received message is stored and then acked; anything else is
    /// not the inbox's and is left unacked.
    pub async fn handle(&self, event: ModemEvent) {
        match event {
            ModemEvent::Received {
                modem,
                deliver,
                raw,
                ack,
                ..
            } => match self.receive(&modem, &deliver, &raw, now_millis()).await {
                Ok(_) => ack.done(),
                // Not acked: it stays on the modem and is offered again.
                Err(e) => {
                    warn!(%modem, "storing an inbound message failed; left on the modem: {e}")
                }
            },
            // Not logged in full: an undecodable PDU may carry a code.
            ModemEvent::StatusReport { modem, .. } | ModemEvent::Undecodable { modem, .. } => {
                warn!(%modem, "the inbox got an event that is not an inbound message; left unacked")
            }
        }
    }
}

fn log_created(modem: &str, from: &str, created: &CreatedMessage, parts: u8) {
    info!(%modem, %from, message = created.id, parts, "inbound message stored");
    if let Some(applied) = &created.optout {
        let number = mask(&applied.request.number);
        match (applied.request.action, applied.changed) {
            (OptoutAction::Stop, true) => {
                info!(%modem, %number, keyword = %applied.request.keyword, "opt-out: number added to the list by an inbound stop keyword")
            }
            (OptoutAction::Stop, false) => {
                info!(%modem, %number, "opt-out: stop keyword from a number already on the list")
            }
            (OptoutAction::Start, true) => {
                info!(%modem, %number, keyword = %applied.request.keyword, "opt-out: number removed from the list by an inbound start keyword")
            }
            (OptoutAction::Start, false) => {
                info!(%modem, %number, "opt-out: start keyword from a number not on the list")
            }
        }
    }
}

/// Takes inbound events until the channel closes or `cancel` fires, and closes stale
/// incomplete sets on the way (once at start, then every [`Inbox::stale_check_interval`]).
pub async fn consume(
    inbox: Inbox,
    mut events: mpsc::Receiver<ModemEvent>,
    cancel: CancellationToken,
) {
    let mut stale = tokio::time::interval(inbox.stale_check_interval());
    stale.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // With no modem (providers only) the channel is closed from the start; the stale timer
    // must go on regardless — it also closes providers' unfinished sets — until `cancel`.
    let mut open = true;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            event = events.recv(), if open => match event {
                Some(event) => inbox.handle(event).await,
                None => open = false,
            },
            _ = stale.tick() => {
                if let Err(e) = inbox.close_stale(now_millis()).await {
                    warn!("closing incomplete inbound messages failed: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        let s = InboxSettings::default();
        Rules::new(&s.stop_keywords, &s.start_keywords)
    }

    #[test]
    fn stop_keywords_match_trimmed_and_in_any_case() {
        let r = rules();
        for text in [
            "STOP",
            "stop",
            "  Stop \n",
            "StopAll",
            "unsubscribe",
            "optout",
            "Quit",
        ] {
            assert_eq!(
                r.keyword(text).map(|(a, _)| a),
                Some(OptoutAction::Stop),
                "{text:?}"
            );
        }
        assert_eq!(r.keyword(" Stop "), Some((OptoutAction::Stop, "STOP")));
    }

    #[test]
    fn start_keywords_remove_and_yes_is_not_one() {
        let r = rules();
        assert_eq!(r.keyword("start"), Some((OptoutAction::Start, "START")));
        assert_eq!(r.keyword("Unstop"), Some((OptoutAction::Start, "UNSTOP")));
        assert_eq!(r.keyword("YES"), None, "yes is too common an answer");
    }

    #[test]
    fn a_keyword_inside_a_sentence_or_an_empty_text_is_not_a_keyword() {
        let r = rules();
        for text in [
            "",
            "   ",
            "please stop",
            "STOP!",
            "stopp",
            "don't stop",
            "ST OP",
        ] {
            assert_eq!(r.keyword(text), None, "{text:?}");
        }
    }

    #[test]
    fn configured_keywords_replace_the_defaults_and_fold_case() {
        let r = Rules::new(
            &["  halt ".to_string(), "ÄNDE".to_string()],
            &["weiter".to_string()],
        );
        assert_eq!(r.keyword("HALT"), Some((OptoutAction::Stop, "HALT")));
        assert_eq!(r.keyword("ände"), Some((OptoutAction::Stop, "ÄNDE")));
        assert_eq!(r.keyword("Weiter"), Some((OptoutAction::Start, "WEITER")));
        assert_eq!(r.keyword("stop"), None);
    }

    #[test]
    fn only_e164_senders_can_opt_out() {
        let r = rules();
        assert!(r.optout("+4915112345678", "stop").is_some());
        assert!(r.optout("MyBank", "stop").is_none());
        assert!(r.optout("55555", "stop").is_none());
        assert!(r.optout("+4915112345678", "hello").is_none());
    }

    #[test]
    fn senders_are_e164_when_they_can_be() {
        let international = Address::parse("+4915112345678").unwrap();
        assert_eq!(sender_number(&international, None), "+4915112345678");
        let national = Address {
            ton: TypeOfNumber::National,
            npi: 1,
            value: "015112345678".into(),
        };
        assert_eq!(sender_number(&national, Some("DE")), "+4915112345678");
        assert_eq!(sender_number(&national, None), "015112345678");
        let alpha = Address::parse("MyBank").unwrap();
        assert_eq!(sender_number(&alpha, Some("DE")), "MyBank");
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask("+4915112345678"), "+491********78");
        assert_eq!(mask("12345"), "*****");
        assert!(!mask("+4915112345678").contains("1234567"));
    }

    #[test]
    fn scts_becomes_utc() {
        let ts = Timestamp {
            year: 2024,
            month: 3,
            day: 15,
            hour: 10,
            minute: 20,
            second: 30,
            zone_quarters: 8,
        };
        // 10:20:30+02:00 is 08:20:30Z.
        assert_eq!(
            scts_millis(&ts)
                .map(crate::message::format_millis)
                .as_deref(),
            Some("2024-03-15T08:20:30Z")
        );
    }

    // --- with the store ---------------------------------------------------------------

    use crate::pdu::udh::{Concat, InformationElement, UserDataHeader};
    use crate::pdu::{
        DataCoding, EncodingChoice, Payload, RefWidth, SegmentPlan, SegmentPolicy, UserData,
    };
    use crate::store::StoreOptions;

    const FROM: &str = "+4915112345678";

    /// The PDU lines a modem would print for `text` from `from` (no SMSC), one per part.
    fn pdus(from: &str, text: &str, reference: u16, second: u8) -> Vec<String> {
        let policy = SegmentPolicy {
            encoding: EncodingChoice::Auto,
            national_languages: Vec::new(),
            ref_width: RefWidth::Eight,
        };
        let plan = SegmentPlan::new(Payload::Text(text), &policy).unwrap();
        let total = u8::try_from(plan.segments.len()).unwrap();
        (1..=total)
            .zip(&plan.segments)
            .map(|(seq, units)| {
                let deliver = Deliver {
                    more_messages: false,
                    loop_prevention: false,
                    status_report_indication: false,
                    reply_path: false,
                    originator: Address::parse(from).unwrap(),
                    protocol_id: 0,
                    dcs: DataCoding::new(plan.alphabet, None),
                    timestamp: Timestamp {
                        year: 2024,
                        month: 5,
                        day: 1,
                        hour: 12,
                        minute: 0,
                        second,
                        zone_quarters: 0,
                    },
                    user_data: UserData {
                        header: (total > 1).then(|| UserDataHeader {
                            elements: vec![InformationElement::Concat(Concat {
                                reference,
                                total,
                                seq,
                                wide: false,
                            })],
                        }),
                        alphabet: plan.alphabet,
                        body: units.clone(),
                    },
                };
                format!("00{}", hex::encode_upper(deliver.encode().unwrap()))
            })
            .collect()
    }

    fn deliver_of(pdu: &str) -> Deliver {
        match PduModePdu::decode_hex(pdu).unwrap().tpdu {
            Tpdu::Deliver(d) => d,
            other => panic!("{other:?}"),
        }
    }

    fn inbox(store: &Store) -> Inbox {
        Inbox::new(
            store.clone(),
            InboxSettings {
                incomplete_timeout: Duration::from_secs(600),
                ..InboxSettings::default()
            },
            Arc::new(|name: &str| (name == "m0").then(|| "+12025550101".to_string())),
        )
    }

    async fn give(inbox: &Inbox, pdu: &str, now: Millis) -> InboundReceipt {
        inbox
            .receive("m0", &deliver_of(pdu), pdu, now)
            .await
            .unwrap()
    }

    async fn all(store: &Store) -> Vec<crate::store::inbox::InboundMessage> {
        store
            .inbound_list(crate::store::inbox::InboundFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .messages
    }

    fn long_text() -> String {
        (0..40).map(|i| format!("line {i:02}, ")).collect()
    }

    #[tokio::test]
    async fn a_part_offered_twice_is_stored_once() {
        let store = Store::open_memory().await.unwrap();
        let inbox = inbox(&store);
        let single = pdus(FROM, "hello", 0, 1).remove(0);
        let first = give(&inbox, &single, 1_000).await;
        assert!(!first.duplicate && first.completed.is_some());
        let again = give(&inbox, &single, 2_000).await;
        assert!(again.duplicate && again.completed.is_none());
        let messages = all(&store).await;
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!((m.sender.as_str(), m.text.as_str()), (FROM, "hello"));
        assert_eq!(m.modem_msisdn.as_deref(), Some("+12025550101"));
        assert_eq!(m.sent_at, scts_millis(&deliver_of(&single).timestamp));
        assert!(m.complete && m.parts == 1 && m.parts_received == 1);

        // The same for a part of a concatenated message: still one pending part.
        let parts = pdus(FROM, &long_text(), 9, 1);
        assert_eq!(parts.len(), 3);
        assert!(!give(&inbox, &parts[0], 3_000).await.duplicate);
        let again = give(&inbox, &parts[0], 3_001).await;
        assert!(again.duplicate);
        assert_eq!(store.inbound_pending_parts().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn parts_in_any_order_make_one_message_once() {
        let store = Store::open_memory().await.unwrap();
        let inbox = inbox(&store);
        let parts = pdus(FROM, &long_text(), 200, 7);
        let r = give(&inbox, &parts[2], 1_000).await;
        assert_eq!((r.received, r.total, r.completed.is_none()), (1, 3, true));
        give(&inbox, &parts[0], 1_001).await;
        let done = give(&inbox, &parts[1], 1_002).await;
        let created = done.completed.unwrap();
        assert!(created.complete);
        // A late duplicate of a part of the finished message changes nothing.
        assert!(give(&inbox, &parts[1], 1_003).await.duplicate);
        let messages = all(&store).await;
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].text, long_text());
        assert_eq!(messages[0].encoding, "gsm7");
        assert_eq!(store.inbound_pending_parts().await.unwrap(), 0);
        let detail = store.inbound_get(created.id).await.unwrap().unwrap();
        let seqs: Vec<u8> = detail.segments.iter().map(|s| s.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn reassembly_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let parts = pdus(FROM, &long_text(), 42, 3);
        {
            let store = Store::open(&path, StoreOptions::default()).await.unwrap();
            let inbox = inbox(&store);
            give(&inbox, &parts[0], 1_000).await;
            give(&inbox, &parts[2], 1_001).await;
            assert!(all(&store).await.is_empty());
        } // every handle dropped: the threads end, the file is closed
        let store = Store::open(&path, StoreOptions::default()).await.unwrap();
        let inbox = inbox(&store);
        assert_eq!(store.inbound_pending_parts().await.unwrap(), 2);
        let done = give(&inbox, &parts[1], 5_000).await;
        assert!(done.completed.is_some_and(|c| c.complete));
        let messages = all(&store).await;
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].text, long_text());
        assert_eq!(messages[0].parts_received, 3);
    }

    #[tokio::test]
    async fn an_incomplete_message_is_kept_flagged_after_the_timeout() {
        let store = Store::open_memory().await.unwrap();
        let inbox = inbox(&store); // timeout 600 s
        let parts = pdus(FROM, &long_text(), 5, 1);
        give(&inbox, &parts[0], 1_000).await;
        give(&inbox, &parts[1], 2_000).await;
        assert!(inbox.close_stale(1_000 + 599_999).await.unwrap().is_empty());
        let closed = inbox.close_stale(1_000 + 600_000).await.unwrap();
        assert_eq!(closed.len(), 1);
        assert!(!closed[0].complete);
        let messages = all(&store).await;
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert!(!m.complete);
        assert_eq!((m.parts, m.parts_received), (3, 2));
        assert!(
            long_text().starts_with(&m.text) && m.text.len() > 100,
            "{}",
            m.text
        );
        assert_eq!(store.inbound_pending_parts().await.unwrap(), 0);
        // Closing again finds nothing.
        assert!(inbox.close_stale(10_000_000).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_reused_reference_closes_the_older_set_instead_of_mixing_them() {
        let store = Store::open_memory().await.unwrap();
        let inbox = inbox(&store);
        let old = pdus(FROM, &long_text(), 77, 1);
        let new = pdus(FROM, &long_text().to_uppercase(), 77, 9);
        give(&inbox, &old[0], 1_000).await;
        let r = give(&inbox, &new[0], 2_000).await;
        assert!(r.superseded.as_ref().is_some_and(|m| !m.complete));
        give(&inbox, &new[1], 2_001).await;
        let done = give(&inbox, &new[2], 2_002).await;
        assert!(done.completed.is_some());
        let messages = all(&store).await;
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].text, long_text().to_uppercase());
        assert!(!messages[1].complete);
    }

    #[tokio::test]
    async fn stop_and_start_change_the_list_with_the_message() {
        let store = Store::open_memory().await.unwrap();
        let inbox = inbox(&store);
        let stop = pdus(FROM, " Stop ", 0, 1).remove(0);
        let created = give(&inbox, &stop, 1_000).await.completed.unwrap();
        let applied = created.optout.unwrap();
        assert_eq!(applied.request.action, OptoutAction::Stop);
        assert!(applied.changed);
        let row = store.optout_get(FROM).await.unwrap().unwrap();
        assert_eq!(
            (row.source.as_str(), row.keyword.as_deref(), row.created_at),
            ("sms", Some("STOP"), 1_000)
        );
        assert_eq!(all(&store).await[0].optout, Some(OptoutAction::Stop));
        // A second stop keeps the first row.
        let again = pdus(FROM, "QUIT", 0, 2).remove(0);
        let applied = give(&inbox, &again, 2_000)
            .await
            .completed
            .unwrap()
            .optout
            .unwrap();
        assert!(!applied.changed);
        assert_eq!(
            store.optout_get(FROM).await.unwrap().unwrap().created_at,
            1_000
        );
        let among = store
            .opted_out_among(vec![FROM.into(), "+12025550199".into()])
            .await
            .unwrap();
        assert_eq!(among, [FROM.to_string()].into_iter().collect());

        let start = pdus(FROM, "start", 0, 3).remove(0);
        let applied = give(&inbox, &start, 3_000)
            .await
            .completed
            .unwrap()
            .optout
            .unwrap();
        assert_eq!(
            (applied.request.action, applied.changed),
            (OptoutAction::Start, true)
        );
        assert!(store.optout_get(FROM).await.unwrap().is_none());

        // An alphanumeric sender cannot be put on the list.
        let bank = pdus("MyBank", "STOP", 0, 4).remove(0);
        assert!(give(&inbox, &bank, 4_000)
            .await
            .completed
            .unwrap()
            .optout
            .is_none());
        assert_eq!(store.optout_list(10, 0).await.unwrap().total, 0);
    }
}
