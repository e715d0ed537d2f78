//! `smsgate pdu encode|decode|count`: the PDU codec as a field tool. The JSON shapes printed
//! here are a contract (see README.md): external tools and tests depend on them exactly.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use smsgate::pdu::{
    build_submits, segment_info, Address, EncodingChoice, NationalLanguage, Payload, PduModePdu,
    PduSummary, RefWidth, SegmentPlan, SegmentPolicy, SubmitOptions, ValidityPeriod,
};

#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Encode a message as SMS-SUBMIT PDUs, one per segment, ready for AT+CMGS.
    Encode(EncodeArgs),
    /// Decode a PDU-mode PDU (SMSC prefix first) as printed by AT+CMGR / +CMT / +CDS.
    Decode {
        /// The PDU in hex.
        hex: String,
    },
    /// Show encoding, segment count and free space for a text (the segment calculator).
    Count {
        /// The text.
        #[arg(long)]
        text: String,
        #[command(flatten)]
        coding: CodingArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EncodingArg {
    Auto,
    Gsm7,
    Ucs2,
    #[value(name = "8bit")]
    Eight,
}

#[derive(Debug, Args)]
pub struct CodingArgs {
    /// Alphabet: auto picks GSM 7-bit when every character fits, else UCS-2.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// National language tables auto may use when they save segments over UCS-2
    /// (comma separated: tr, es, pt, bn, gu, hi, kn, ml, or, pa, ta, te, ur).
    #[arg(long, value_delimiter = ',')]
    national: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Destination: +international, national digits.
    #[arg(long)]
    to: String,
    /// SMSC address to put in front (default: 00, the modem's configured SMSC).
    #[arg(long)]
    smsc: Option<String>,
    #[command(flatten)]
    coding: CodingArgs,
    /// Message class; 0 is a flash message.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=3))]
    class: Option<u8>,
    /// Request a status report (TP-SRR) on every segment.
    #[arg(long)]
    status_report: bool,
    /// Relative validity period in minutes, rounded to the nearest representable value.
    #[arg(long)]
    validity: Option<u32>,
    /// Concatenation reference: up to 255 uses the 8-bit IE, above it the 16-bit IE.
    /// Default: a random 16-bit reference.
    #[arg(long = "ref", value_parser = clap::value_parser!(u16))]
    reference: Option<u16>,
    /// The text to send.
    #[arg(long, conflicts_with = "hex", required_unless_present = "hex")]
    text: Option<String>,
    /// 8-bit data to send, in hex.
    #[arg(long)]
    hex: Option<String>,
}

pub fn run(command: PduCommand) -> anyhow::Result<()> {
    let output = match command {
        PduCommand::Encode(args) => encode(args)?,
        PduCommand::Decode { hex } => {
            let pdu = PduModePdu::decode_hex(&hex)?;
            serde_json::to_value(PduSummary::from(&pdu))?
        }
        PduCommand::Count { text, coding } => {
            let policy = coding.policy(RefWidth::Sixteen)?;
            serde_json::to_value(segment_info(Payload::Text(&text), &policy)?)?
        }
    };
    println!("{output}");
    Ok(())
}

impl CodingArgs {
    fn policy(&self, ref_width: RefWidth) -> anyhow::Result<SegmentPolicy> {
        let national_languages = self
            .national
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                NationalLanguage::parse(s.trim())
                    .ok_or_else(|| anyhow!("--national: unknown language {s:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(SegmentPolicy {
            encoding: match self.encoding {
                EncodingArg::Auto => EncodingChoice::Auto,
                EncodingArg::Gsm7 => EncodingChoice::Gsm7,
                EncodingArg::Ucs2 => EncodingChoice::Ucs2,
                EncodingArg::Eight => EncodingChoice::Eight,
            },
            national_languages,
            ref_width,
        })
    }
}

fn encode(args: EncodeArgs) -> anyhow::Result<serde_json::Value> {
    let destination = Address::parse(&args.to).context("--to")?;
    let smsc = args
        .smsc
        .as_deref()
        .map(Address::parse)
        .transpose()
        .context("--smsc")?;
    // An explicit reference picks the IE that can carry it; without one, a random 16-bit
    // reference, so that two messages to the same handset never merge.
    let (reference, ref_width) = match args.reference {
        Some(r) if r <= 255 => (r, RefWidth::Eight),
        Some(r) => (r, RefWidth::Sixteen),
        None => (rand::random::<u16>(), RefWidth::Sixteen),
    };
    let policy = args.coding.policy(ref_width)?;
    let data;
    let payload = match (&args.text, &args.hex) {
        (Some(text), _) => Payload::Text(text),
        (None, Some(hex_data)) => {
            data = hex::decode(hex_data.trim()).map_err(|e| anyhow!("--hex: {e}"))?;
            Payload::Binary(&data)
        }
        (None, None) => bail!("one of --text or --hex is required"),
    };
    let plan = SegmentPlan::new(payload, &policy)?;
    let options = SubmitOptions {
        destination: Some(destination),
        smsc,
        class: args.class,
        status_report: args.status_report,
        validity: args.validity.map(ValidityPeriod::from_minutes),
        reject_duplicates: false,
        reference,
    };
    let pdus = build_submits(&plan, &options)?;
    Ok(json!({ "pdus": pdus }))
}
