//! The TPDUs a mobile station sends and receives (3GPP TS 23.040 §9.2.2): SMS-SUBMIT
//! (encode and decode), SMS-DELIVER and SMS-STATUS-REPORT (decode, and encode for the
//! simulated network), and the PDU-mode framing of TS 27.005 §3.1 that puts the SMSC
//! address in front.
//!
//! Flags that are implied by other fields are derived, not stored: TP-UDHI is set exactly
//! when the user data has a header, TP-VPF follows the validity period's format.

use super::address::Address;
use super::dcs::DataCoding;
use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::reader::Reader;
use super::timestamp::Timestamp;
use super::user_data::UserData;
use super::validity::ValidityPeriod;

const MTI_DELIVER: u8 = 0b00;
const MTI_SUBMIT: u8 = 0b01;
const MTI_STATUS_REPORT: u8 = 0b10;
const UDHI: u8 = 0x40;
const REPLY_PATH: u8 = 0x80;

/// An SMS-SUBMIT (mobile station → service centre).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// TP-RD: the SC should reject a duplicate of a message still held.
    pub reject_duplicates: bool,
    /// TP-SRR: ask for a status report.
    pub status_report_request: bool,
    /// TP-RP: reply path.
    pub reply_path: bool,
    /// TP-MR. Modems overwrite it with their own counter and report the value they used.
    pub message_ref: u8,
    /// TP-DA, the destination address.
    pub destination: Address,
    /// TP-PID, the protocol identifier (0: plain SMS).
    pub protocol_id: u8,
    /// TP-DCS, how the user data is coded (alphabet, class, compression).
    pub dcs: DataCoding,
    /// TP-VP, how long the SMSC keeps trying; its format sets TP-VPF.
    pub validity: Option<ValidityPeriod>,
    /// TP-UDL + TP-UD.
    pub user_data: UserData,
}

/// An SMS-DELIVER (service centre → mobile station).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS inverted: more messages are waiting at the SC.
    pub more_messages: bool,
    /// TP-LP: loop prevention.
    pub loop_prevention: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// TP-RP, reply path: the recipient may answer through the sender's SMSC.
    pub reply_path: bool,
    /// TP-OA, the originating address.
    pub originator: Address,
    /// TP-PID, the protocol identifier (0: plain SMS).
    pub protocol_id: u8,
    /// TP-DCS, how the user data is coded (alphabet, class, compression).
    pub dcs: DataCoding,
    /// TP-SCTS, when the SMSC received the message (with its time zone).
    pub timestamp: Timestamp,
    /// TP-UDL + TP-UD.
    pub user_data: UserData,
}

/// An SMS-STATUS-REPORT (service centre → mobile station).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// TP-MMS inverted.
    pub more_messages: bool,
    /// TP-LP, loop prevention: the message was forwarded or spawned by the network.
    pub loop_prevention: bool,
    /// TP-SRQ: this reports on an SMS-COMMAND rather than an SMS-SUBMIT.
    pub for_command: bool,
    /// TP-MR of the message this reports on.
    pub message_ref: u8,
    /// TP-RA: the recipient of that message.
    pub recipient: Address,
    /// TP-SCTS: when the SC received that message.
    pub timestamp: Timestamp,
    /// TP-DT: when it was delivered, or the status last changed.
    pub discharge_time: Timestamp,
    /// TP-ST, the delivery status (see `DeliveryStatus` for what it means).
    pub status: u8,
    /// TP-PID, when TP-PI announces it.
    pub protocol_id: Option<u8>,
    /// TP-DCS, when TP-PI announces it.
    pub dcs: Option<DataCoding>,
    /// TP-UD, when TP-PI announces it.
    pub user_data: Option<UserData>,
}

/// What a TP-ST value means for the message it reports on (TS 23.040 §9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Transaction completed (0x00–0x1F): delivered, forwarded, or replaced.
    Delivered,
    /// Temporary error, the SC is still trying (0x20–0x3F).
    Pending,
    /// Permanent error (0x40–0x5F), or temporary error after which the SC gave up
    /// (0x60–0x7F); reserved values (0x80 and up) are read as failures too.
    Failed,
}

impl DeliveryStatus {
    /// Classifies a TP-ST value.
    pub fn from_tp_st(status: u8) -> Self {
        match status {
            0x00..=0x1F => DeliveryStatus::Delivered,
            0x20..=0x3F => DeliveryStatus::Pending,
            _ => DeliveryStatus::Failed,
        }
    }
}

impl StatusReport {
    /// The delivery status TP-ST stands for.
    pub fn delivery_status(&self) -> DeliveryStatus {
        DeliveryStatus::from_tp_st(self.status)
    }
}

/// A decoded TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    /// An SMS-DELIVER: a message received.
    Deliver(Deliver),
    /// An SMS-SUBMIT: a message to send (as stored on a SIM or echoed back).
    Submit(Submit),
    /// An SMS-STATUS-REPORT: the network's word on a message sent earlier.
    StatusReport(StatusReport),
}

/// A PDU as PDU mode carries it: the SMSC address (absent = the modem's default) and the TPDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PduModePdu {
    /// The SMSC address in front of the TPDU.
    pub smsc: Option<Address>,
    /// The TPDU.
    pub tpdu: Tpdu,
}

/// A PDU ready for `AT+CMGS`: the hex to write and the length to announce.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EncodedPdu {
    /// SMSC octets followed by the TPDU, upper-case hex.
    pub hex: String,
    /// TPDU length in octets (SMSC octets excluded): the `<length>` of `AT+CMGS`.
    pub tpdu_length: usize,
}

impl EncodedPdu {
    /// Frames a TPDU with its SMSC prefix (`00` = the modem's default SMSC).
    pub fn new(smsc: Option<&Address>, tpdu: &[u8]) -> Result<Self, EncodeError> {
        let mut bytes = match smsc {
            Some(address) => address.encode_smsc()?,
            None => vec![0],
        };
        bytes.extend_from_slice(tpdu);
        Ok(Self {
            hex: hex::encode_upper(&bytes),
            tpdu_length: tpdu.len(),
        })
    }
}

impl Submit {
    /// Encodes the TPDU (without the SMSC prefix).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let vpf = self.validity.as_ref().map_or(0, ValidityPeriod::vpf);
        let first = MTI_SUBMIT
            | u8::from(self.reject_duplicates) << 2
            | vpf << 3
            | u8::from(self.status_report_request) << 5
            | self.udhi()
            | if self.reply_path { REPLY_PATH } else { 0 };
        let mut out = Vec::with_capacity(160);
        out.extend([first, self.message_ref]);
        out.extend(self.destination.encode_tp()?);
        out.extend([self.protocol_id, self.dcs.encode()]);
        if let Some(vp) = &self.validity {
            vp.encode(&mut out);
        }
        self.user_data.encode(&mut out);
        Ok(out)
    }

    fn udhi(&self) -> u8 {
        if self.user_data.header.is_some() {
            UDHI
        } else {
            0
        }
    }

    fn decode(r: &mut Reader<'_>, first: u8) -> Result<Self, DecodeError> {
        let message_ref = r.u8("TP-MR")?;
        let destination = Address::decode_tp(r, "TP-DA")?;
        let protocol_id = r.u8("TP-PID")?;
        let dcs = DataCoding::decode(r.u8("TP-DCS")?);
        let validity = ValidityPeriod::decode(r, first >> 3)?;
        let user_data = UserData::decode(r, &dcs, first & UDHI != 0)?;
        Ok(Self {
            reject_duplicates: first & 0x04 != 0,
            status_report_request: first & 0x20 != 0,
            reply_path: first & REPLY_PATH != 0,
            message_ref,
            destination,
            protocol_id,
            dcs,
            validity,
            user_data,
        })
    }
}

impl Deliver {
    /// Encodes the TPDU (without the SMSC prefix).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let first = MTI_DELIVER
            | u8::from(!self.more_messages) << 2
            | u8::from(self.loop_prevention) << 3
            | u8::from(self.status_report_indication) << 5
            | if self.user_data.header.is_some() {
                UDHI
            } else {
                0
            }
            | if self.reply_path { REPLY_PATH } else { 0 };
        let mut out = Vec::with_capacity(176);
        out.push(first);
        out.extend(self.originator.encode_tp()?);
        out.extend([self.protocol_id, self.dcs.encode()]);
        out.extend(self.timestamp.encode());
        self.user_data.encode(&mut out);
        Ok(out)
    }

    fn decode(r: &mut Reader<'_>, first: u8) -> Result<Self, DecodeError> {
        let originator = Address::decode_tp(r, "TP-OA")?;
        let protocol_id = r.u8("TP-PID")?;
        let dcs = DataCoding::decode(r.u8("TP-DCS")?);
        let timestamp = Timestamp::decode(r, "TP-SCTS")?;
        let user_data = UserData::decode(r, &dcs, first & UDHI != 0)?;
        Ok(Self {
            more_messages: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            status_report_indication: first & 0x20 != 0,
            reply_path: first & REPLY_PATH != 0,
            originator,
            protocol_id,
            dcs,
            timestamp,
            user_data,
        })
    }
}

const PI_PID: u8 = 0x01;
const PI_DCS: u8 = 0x02;
const PI_UDL: u8 = 0x04;

impl StatusReport {
    /// Encodes the TPDU (without the SMSC prefix). TP-PI is written only when a PID, DCS
    /// or user data is present.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let has_header = self
            .user_data
            .as_ref()
            .is_some_and(|ud| ud.header.is_some());
        let first = MTI_STATUS_REPORT
            | u8::from(!self.more_messages) << 2
            | u8::from(self.loop_prevention) << 3
            | u8::from(self.for_command) << 5
            | if has_header { UDHI } else { 0 };
        let mut out = Vec::with_capacity(32);
        out.extend([first, self.message_ref]);
        out.extend(self.recipient.encode_tp()?);
        out.extend(self.timestamp.encode());
        out.extend(self.discharge_time.encode());
        out.push(self.status);
        let pi = if self.protocol_id.is_some() {
            PI_PID
        } else {
            0
        } | if self.dcs.is_some() { PI_DCS } else { 0 }
            | if self.user_data.is_some() { PI_UDL } else { 0 };
        if pi != 0 {
            out.push(pi);
            out.extend(self.protocol_id);
            out.extend(self.dcs.map(|d| d.encode()));
            if let Some(ud) = &self.user_data {
                ud.encode(&mut out);
            }
        }
        Ok(out)
    }

    fn decode(r: &mut Reader<'_>, first: u8) -> Result<Self, DecodeError> {
        let message_ref = r.u8("TP-MR")?;
        let recipient = Address::decode_tp(r, "TP-RA")?;
        let timestamp = Timestamp::decode(r, "TP-SCTS")?;
        let discharge_time = Timestamp::decode(r, "TP-DT")?;
        let status = r.u8("TP-ST")?;
        let mut report = Self {
            more_messages: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            for_command: first & 0x20 != 0,
            message_ref,
            recipient,
            timestamp,
            discharge_time,
            status,
            protocol_id: None,
            dcs: None,
            user_data: None,
        };
        // TP-PI and what it announces are optional (23.040 §9.2.2.3): many SCs end the
        // report at TP-ST. What firmwares put after it is read the way libgammu and the
        // handsets read it — a report that cannot be read is a message its sender thinks
        // failed — so what is reserved or optional is taken as absent, never an error:
        // a TP-PI of 0xFF is a fill octet (no SC sends "every parameter and an extension");
        // an extension bit with no octet after it announces nothing; reserved bits (3–6) are
        // ignored; an announced parameter that is not there, or user data that does not
        // decode, is absent; octets after the last field are fill.
        if r.is_empty() {
            return Ok(report);
        }
        let pi = r.u8("TP-PI")?;
        if pi == 0xFF {
            return Ok(report);
        }
        let mut extension = pi;
        while extension & 0x80 != 0 && !r.is_empty() {
            // Further TP-PI octets carry nothing defined yet: skip them.
            extension = r.u8("TP-PI")?;
        }
        if pi & PI_PID != 0 {
            if r.is_empty() {
                return Ok(report);
            }
            report.protocol_id = Some(r.u8("TP-PID")?);
        }
        if pi & PI_DCS != 0 {
            if r.is_empty() {
                return Ok(report);
            }
            report.dcs = Some(DataCoding::decode(r.u8("TP-DCS")?));
        }
        if pi & PI_UDL != 0 && !r.is_empty() {
            let dcs = report.dcs.unwrap_or_else(|| DataCoding::decode(0));
            report.user_data = UserData::decode(r, &dcs, first & UDHI != 0).ok();
        }
        Ok(report)
    }
}

impl Tpdu {
    /// Decodes a TPDU (no SMSC prefix). Offsets in errors count from `base`.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_at(&mut Reader::new(bytes))
    }

    fn decode_at(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let first = r.u8("first octet")?;
        Ok(match first & 0b11 {
            MTI_DELIVER => Tpdu::Deliver(Deliver::decode(r, first)?),
            MTI_SUBMIT => Tpdu::Submit(Submit::decode(r, first)?),
            MTI_STATUS_REPORT => Tpdu::StatusReport(StatusReport::decode(r, first)?),
            _ => {
                return Err(DecodeError::new(
                    "TP-MTI",
                    r.offset() - 1,
                    DecodeErrorKind::InvalidValue {
                        value: first,
                        why: "message type 11 is reserved",
                    },
                ))
            }
        })
    }
}

impl PduModePdu {
    /// Decodes PDU-mode octets: SMSC address, then the TPDU.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let smsc = Address::decode_smsc(&mut r)?;
        let tpdu = Tpdu::decode_at(&mut r)?;
        Ok(Self { smsc, tpdu })
    }

    /// Decodes PDU-mode hex as a modem prints it (surrounding white space is ignored).
    pub fn decode_hex(text: &str) -> Result<Self, DecodeError> {
        let text = text.trim();
        let bytes = hex::decode(text).map_err(|e| {
            let offset = match e {
                hex::FromHexError::InvalidHexCharacter { index, .. } => index / 2,
                _ => text.len() / 2,
            };
            DecodeError::new("hex", offset, DecodeErrorKind::Hex(e.to_string()))
        })?;
        Self::decode(&bytes)
    }
}
