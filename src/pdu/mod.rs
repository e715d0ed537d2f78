//! The SMS PDU codec: 3GPP TS 23.038 alphabets and TS 23.040 TPDUs, with the PDU-mode
//! framing of TS 27.005.
//!
//! Layer 0 and pure: no I/O, no tokio, no AT syntax. Everything here is a function of its
//! inputs (even reassembly takes the time as an argument), so it is tested with tables of
//! real vectors and property tests, and fuzzed.
//!
//! Map:
//! - [`gsm7`] — default alphabet, extension table, national language tables, septet packing;
//!   [`ucs2`] — UTF-16BE with surrogate pairs.
//! - [`address`], [`timestamp`], [`validity`], [`dcs`], [`udh`], [`user_data`] — one TPDU
//!   field each.
//! - [`tpdu`] — SMS-SUBMIT, SMS-DELIVER, SMS-STATUS-REPORT and the PDU-mode wrapper.
//! - [`split`] — encoding choice, segmentation, the segment calculator, building the
//!   SMS-SUBMITs of a message.
//! - [`reassembly`] — the pure [`Reassembler`] for inbound concatenated messages.
//! - [`summary`] — the flat JSON view of a decoded PDU.
//!
//! Invariants: malformed input is a [`DecodeError`] naming the field and octet offset,
//! never a panic (all reads go through a bounds-checked reader); encoding never splits an
//! escape sequence or a surrogate pair; what is encoded decodes back to the same text.

pub mod address;
pub mod dcs;
pub mod error;
pub mod gsm7;
mod reader;
pub mod reassembly;
pub mod split;
pub mod summary;
pub mod timestamp;
pub mod tpdu;
pub mod ucs2;
pub mod udh;
pub mod user_data;
pub mod ussd;
pub mod validity;

pub use address::{Address, TypeOfNumber};
pub use dcs::{Alphabet, DataCoding};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use gsm7::{Charset, NationalLanguage};
pub use reassembly::{Accepted, Reassembler};
pub use split::{
    build_submits, segment_info, EncodingChoice, Payload, RefWidth, SegmentInfo, SegmentPlan,
    SegmentPolicy, SubmitOptions,
};
pub use summary::PduSummary;
pub use timestamp::Timestamp;
pub use tpdu::{Deliver, DeliveryStatus, EncodedPdu, PduModePdu, StatusReport, Submit, Tpdu};
pub use user_data::{Content, UserData};
pub use validity::ValidityPeriod;
