//! The SMS commands of TS 27.005 a simulated modem answers: `+CMGF`, `+CSMS`, `+CPMS`,
//! `+CSCA`, `+CSMP`, `+CNMI`, `+CMGS` (PDU and text mode), `+CMGL`, `+CMGR`, `+CMGD`,
//! `+CNMA`; and the end of a `+CMGS`: checking the body after Ctrl-Z and assigning TP-MR.
//!
//! Synchronous and free of I/O; never imports `at/`, `modem/` or anything higher; PDUs
//! only through `pdu/`. Invariants: a body is accepted only if it decodes as an
//! SMS-SUBMIT whose TPDU length is the announced one (`+CMS ERROR: 304` otherwise); TP-MR
//! is the modem's own counter, assigned once per accepted segment, wrapping 255 → 0.

use super::codes::{
    Final, CME_BAD_PARAMETERS, CMS_BAD_INDEX, CMS_BAD_PDU, CMS_BAD_TEXT, CMS_NOT_ALLOWED,
    CMS_NOT_SUPPORTED, CMS_NO_ACK_EXPECTED, CMS_NO_NETWORK,
};
use super::modem::{pdu_hex, ModemState};
use super::parse::{Arg, Form};
use super::reply::{num, require_sim, text, Info, Next, Outcome, Prompt, OK};
use super::storage::{ListFilter, Memory, Stat, Stored};
use super::text_mode;
use crate::pdu::{
    build_submits, Address, Payload, PduModePdu, SegmentPlan, SegmentPolicy, Submit, SubmitOptions,
    Tpdu,
};
use rand::Rng;

/// Longest body accepted after the prompt, in characters.
pub(crate) const MAX_BODY: usize = 1024;

pub(crate) fn extended(
    state: &mut ModemState,
    name: &str,
    form: &Form,
    info: &mut Vec<Info>,
) -> Outcome {
    use Form::*;
    let sms_command = matches!(
        name,
        "+CSMS" | "+CPMS" | "+CSCA" | "+CNMI" | "+CMGS" | "+CMGL" | "+CMGR" | "+CMGD" | "+CNMA"
    );
    if sms_command && form != &Test {
        require_sim(state)?;
    }
    match (name, form) {
        ("+CMGF", Set(args)) => {
            state.settings.text_mode = match num(args, 0)? {
                None | Some(0) => false,
                Some(1) => true,
                Some(_) => return Err(Final::Cme(CME_BAD_PARAMETERS)),
            };
        }
        ("+CMGF", Read) => info.push(Info::line(format!(
            "+CMGF: {}",
            u8::from(state.settings.text_mode)
        ))),
        ("+CMGF", Test) => info.push(Info::line("+CMGF: (0-1)")),
        ("+CSMS", Set(args)) => {
            state.settings.csms = match num(args, 0)? {
                Some(0) => 0,
                Some(1) => 1,
                _ => return Err(Final::Cms(CMS_NOT_SUPPORTED)),
            };
            info.push(Info::line("+CSMS: 1,1,1"));
        }
        ("+CSMS", Read) => info.push(Info::line(format!("+CSMS: {},1,1,1", state.settings.csms))),
        ("+CSMS", Test) => info.push(Info::line("+CSMS: (0,1)")),
        ("+CPMS", Set(args)) => {
            let mut chosen = state.settings.cpms;
            for (i, slot) in chosen.iter_mut().enumerate() {
                if let Some(name) = text(args, i) {
                    *slot = Memory::parse(name).ok_or(Final::Cms(CMS_NOT_ALLOWED))?;
                }
            }
            if text(args, 0).is_none() {
                return Err(Final::Cms(CMS_NOT_ALLOWED));
            }
            state.settings.cpms = chosen;
            // A `<mem3>` with room takes what the network held for a full one.
            state.deliver_held();
            let counts: Vec<String> = chosen
                .iter()
                .map(|&m| {
                    let memory = state.memories.get(m);
                    format!("{},{}", memory.used(), memory.capacity())
                })
                .collect();
            info.push(Info::line(format!("+CPMS: {}", counts.join(","))));
        }
        ("+CPMS", Read) => {
            let fields: Vec<String> = state
                .settings
                .cpms
                .iter()
                .map(|&m| {
                    let memory = state.memories.get(m);
                    format!("\"{}\",{},{}", m.name(), memory.used(), memory.capacity())
                })
                .collect();
            info.push(Info::line(format!("+CPMS: {}", fields.join(","))));
        }
        ("+CPMS", Test) => info.push(Info::line(
            "+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")",
        )),
        ("+CSCA", Read) => info.push(Info::line(format!("+CSCA: \"{}\",145", state.smsc))),
        ("+CSCA", Set(args)) => {
            let smsc = text(args, 0).ok_or(Final::Cms(CMS_NOT_ALLOWED))?;
            Address::parse(smsc).map_err(|_| Final::Cms(CMS_NOT_ALLOWED))?;
            state.smsc = smsc.to_string();
        }
        ("+CSMP", Set(args)) => {
            if let Some(fo) = num(args, 0)? {
                state.settings.csmp_fo = u8::try_from(fo).map_err(|_| Final::Cms(CMS_BAD_TEXT))?;
            }
        }
        ("+CSMP", Read) => info.push(Info::line(format!(
            "+CSMP: {},167,0,0",
            state.settings.csmp_fo
        ))),
        ("+CNMI", Set(args)) => set_cnmi(state, args)?,
        ("+CNMI", Read) => {
            let [a, b, c, d, e] = state.settings.cnmi;
            info.push(Info::line(format!("+CNMI: {a},{b},{c},{d},{e}")));
        }
        ("+CNMI", Test) => info.push(Info::line("+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)")),
        ("+CMGS", Set(args)) => return start_send(state, args),
        ("+CMGS", Test) => {}
        ("+CMGL", Set(_) | Action) => {
            let args = match form {
                Set(args) => args.as_slice(),
                _ => &[],
            };
            list(state, args, info)?;
        }
        ("+CMGL", Test) => info.push(Info::line(if state.settings.text_mode {
            "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"
        } else {
            "+CMGL: (0-4)"
        })),
        ("+CMGR", Set(args)) => read(state, args, info)?,
        ("+CMGD", Set(args)) => {
            let index = num(args, 0)?.ok_or(Final::Cms(CMS_BAD_INDEX))? as usize;
            match num(args, 1)? {
                None | Some(0) => state
                    .read_memory()
                    .delete(index)
                    .map_err(|_| Final::Cms(CMS_BAD_INDEX))?,
                Some(flag @ 1..=4) => state.read_memory().delete_by_flag(flag as u8),
                Some(_) => return Err(Final::Cms(CMS_NOT_SUPPORTED)),
            }
            state.deliver_held();
        }
        ("+CMGD", Test) => {
            let used: Vec<String> = state
                .read_memory()
                .used_indices()
                .iter()
                .map(usize::to_string)
                .collect();
            info.push(Info::line(format!("+CMGD: ({}),(0-4)", used.join(","))));
        }
        ("+CNMA", Action | Set(_)) => {
            if !state.acknowledge() {
                return Err(Final::Cms(CMS_NO_ACK_EXPECTED));
            }
        }
        ("+CNMA", Test) => info.push(Info::line("+CNMA: (0-2)")),
        ("+CSDH", Set(args)) => {
            state.settings.csdh = match num(args, 0)? {
                None | Some(0) => false,
                Some(1) => true,
                Some(_) => return Err(Final::Cme(CME_BAD_PARAMETERS)),
            };
        }
        ("+CSDH", Read) => info.push(Info::line(format!(
            "+CSDH: {}",
            u8::from(state.settings.csdh)
        ))),
        ("+CSDH", Test) => info.push(Info::line("+CSDH: (0,1)")),
        ("+CSMP", Test) => info.push(Info::line("+CSMP: (0-255),(0-255),(0-255),(0-255)")),
        // Commands whose test form only says they exist.
        ("+CSCA" | "+CMGR", Test) => {}
        // A command the modem does not have: plain ERROR whatever +CMEE says, at once, as
        // real modems answer (gammu, smstools3 and Kannel probe with such commands).
        _ => return Err(Final::Error),
    }
    OK
}

fn set_cnmi(state: &mut ModemState, args: &[Option<Arg>]) -> Result<(), Final> {
    const MAX: [u32; 5] = [3, 3, 3, 2, 1];
    let mut cnmi = state.settings.cnmi;
    for (i, (slot, max)) in cnmi.iter_mut().zip(MAX).enumerate() {
        match num(args, i).map_err(|_| Final::Cms(CMS_NOT_SUPPORTED))? {
            Some(v) if v > max => return Err(Final::Cms(CMS_NOT_SUPPORTED)),
            Some(v) => *slot = v as u8,
            None => {}
        }
    }
    if args.len() > 5 {
        return Err(Final::Cms(CMS_NOT_SUPPORTED));
    }
    let [_, mt, _, ds, _] = cnmi;
    if state.config.reject_direct_routing && (mt == 2 || ds == 1) {
        return Err(Final::Cms(CMS_NOT_SUPPORTED));
    }
    let was_buffering = state.settings.cnmi[0] == 0;
    state.settings.cnmi = cnmi;
    if was_buffering && cnmi[0] != 0 {
        state.flush_buffered();
    }
    Ok(())
}

fn start_send(state: &mut ModemState, args: &[Option<Arg>]) -> Outcome {
    let first = args.first().and_then(Option::as_ref);
    if state.settings.text_mode {
        let destination = first
            .filter(|a| a.quoted)
            .and_then(|a| text_mode::decode_te_string(&state.settings.cscs, &a.text))
            .ok_or(Final::Cms(CMS_BAD_TEXT))?;
        Address::parse(&destination).map_err(|_| Final::Cms(CMS_BAD_TEXT))?;
        return Ok(Next::Prompt(Prompt::Text { destination }));
    }
    let length = first
        .filter(|a| !a.quoted)
        .and_then(|a| a.text.parse::<usize>().ok())
        .filter(|n| (1..=176).contains(n))
        .ok_or(Final::Cms(CMS_BAD_PDU))?;
    Ok(Next::Prompt(Prompt::Pdu { length }))
}

/// Checks the body typed after the prompt and returns the SMS-SUBMIT it holds.
pub(crate) fn parse_body(state: &ModemState, prompt: &Prompt, body: &str) -> Result<Submit, Final> {
    match prompt {
        Prompt::Pdu { length } => {
            let hex_text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = hex::decode(&hex_text).map_err(|_| Final::Cms(CMS_BAD_PDU))?;
            let smsc_octets = usize::from(*bytes.first().ok_or(Final::Cms(CMS_BAD_PDU))?) + 1;
            if bytes.len().checked_sub(smsc_octets) != Some(*length) {
                return Err(Final::Cms(CMS_BAD_PDU));
            }
            match PduModePdu::decode(&bytes) {
                Ok(PduModePdu {
                    tpdu: Tpdu::Submit(submit),
                    ..
                }) => Ok(submit),
                _ => Err(Final::Cms(CMS_BAD_PDU)),
            }
        }
        Prompt::Text { destination } => {
            let body = text_mode::decode_te_string(&state.settings.cscs, body)
                .ok_or(Final::Cms(CMS_BAD_TEXT))?;
            let plan = SegmentPlan::new(Payload::Text(&body), &SegmentPolicy::default())
                .map_err(|_| Final::Cms(CMS_BAD_TEXT))?;
            if plan.segments.len() > 1 {
                return Err(Final::Cms(CMS_BAD_TEXT));
            }
            let options = SubmitOptions {
                destination: Address::parse(destination).ok(),
                status_report: state.settings.csmp_fo & 0x20 != 0,
                ..SubmitOptions::default()
            };
            let pdus = build_submits(&plan, &options).map_err(|_| Final::Cms(CMS_BAD_TEXT))?;
            let pdu = pdus.first().ok_or(Final::Cms(CMS_BAD_TEXT))?;
            match PduModePdu::decode_hex(&pdu.hex) {
                Ok(PduModePdu {
                    tpdu: Tpdu::Submit(submit),
                    ..
                }) => Ok(submit),
                _ => Err(Final::Cms(CMS_BAD_TEXT)),
            }
        }
    }
}

/// After the latency: the network accepts the segment (its TP-MR) or refuses it.
pub(crate) fn accept_submit(state: &mut ModemState) -> Result<u8, Final> {
    if !state.registered() {
        state.counters.send_failures += 1;
        return Err(Final::Cms(CMS_NO_NETWORK));
    }
    let faults = &state.config.faults;
    let attempt = state.counters.segments_sent + state.counters.send_failures + 1;
    if faults.fail_submits.contains(&attempt) {
        let code = faults.failure_codes.first().copied().unwrap_or(500);
        state.counters.send_failures += 1;
        return Err(Final::Cms(code));
    }
    if faults.failure_rate > 0.0 && state.rng.random_bool(faults.failure_rate.clamp(0.0, 1.0)) {
        let codes = state.config.faults.failure_codes.clone();
        let code = match codes.len() {
            0 => 500,
            n => codes
                .get(state.rng.random_range(0..n))
                .copied()
                .unwrap_or(500),
        };
        state.counters.send_failures += 1;
        return Err(Final::Cms(code));
    }
    let mr = state.next_mr;
    state.next_mr = state.next_mr.wrapping_add(1);
    state.counters.segments_sent += 1;
    Ok(mr)
}

fn list_filter(state: &ModemState, args: &[Option<Arg>]) -> Result<ListFilter, Final> {
    let arg = args.first().and_then(Option::as_ref);
    if state.settings.text_mode {
        return match arg.map(|a| (a.quoted, a.text.to_ascii_uppercase())) {
            None => Ok(ListFilter::Unread),
            Some((true, t)) => match t.as_str() {
                "REC UNREAD" => Ok(ListFilter::Unread),
                "REC READ" => Ok(ListFilter::Read),
                "STO UNSENT" | "STO SENT" => Ok(ListFilter::Sent),
                "ALL" => Ok(ListFilter::All),
                _ => Err(Final::Cms(CMS_BAD_TEXT)),
            },
            Some((false, _)) => Err(Final::Cms(CMS_BAD_TEXT)),
        };
    }
    match arg {
        None => Ok(ListFilter::Unread),
        Some(a) if a.quoted => Err(Final::Cms(CMS_BAD_PDU)),
        Some(a) => match a.text.as_str() {
            "0" => Ok(ListFilter::Unread),
            "1" => Ok(ListFilter::Read),
            "2" | "3" => Ok(ListFilter::Sent),
            "4" => Ok(ListFilter::All),
            _ => Err(Final::Cms(CMS_BAD_PDU)),
        },
    }
}

fn list(state: &mut ModemState, args: &[Option<Arg>], info: &mut Vec<Info>) -> Result<(), Final> {
    let filter = list_filter(state, args)?;
    let listed = state.read_memory().list(filter);
    for (index, stat, message) in listed {
        let prefix = format!("+CMGL: {index},");
        info.push(entry(state, &prefix, text_mode::Form::List, stat, &message));
    }
    Ok(())
}

fn read(state: &mut ModemState, args: &[Option<Arg>], info: &mut Vec<Info>) -> Result<(), Final> {
    let index = num(args, 0)?.ok_or(Final::Cms(CMS_BAD_INDEX))? as usize;
    match state.read_memory().read(index) {
        Ok(Some((stat, message))) => {
            info.push(entry(
                state,
                "+CMGR: ",
                text_mode::Form::Read,
                stat,
                &message,
            ));
            Ok(())
        }
        _ => Err(Final::Cms(CMS_BAD_INDEX)),
    }
}

/// One listed or read message: `<prefix><stat>,,<len>` + PDU, or the text-mode form.
fn entry(
    state: &ModemState,
    prefix: &str,
    form: text_mode::Form,
    stat: Stat,
    message: &Stored,
) -> Info {
    if state.settings.text_mode {
        let rendered = text_mode::render(
            message.kind,
            &message.tpdu,
            Some(stat.name()),
            form,
            state.text_view(),
        );
        if let Some((header, body)) = rendered {
            return match body {
                Some(body) => Info::with_body(format!("{prefix}{header}"), body),
                None => Info::line(format!("{prefix}{header}")),
            };
        }
    }
    Info::with_body(
        format!("{prefix}{},,{}", stat.code(), message.tpdu.len()),
        pdu_hex(&message.tpdu),
    )
}
