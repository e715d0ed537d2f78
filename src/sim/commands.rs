//! The AT command interpreter of a simulated modem: runs every command of a command line
//! against the modem's state and returns the information lines and what comes next (a final
//! result code, the `> ` prompt, or a reboot). General, SIM and network commands are here;
//! the SMS commands are in [`super::sms`]; the shape of an answer is [`super::reply`].
//!
//! Synchronous and free of I/O; never imports `at/`, `modem/` or anything higher.
//! Invariants: any line gives a reply, never a panic; a command line stops at its first
//! error (V.250 §5.2.1); while the SIM is locked, commands that need it answer
//! `+CME ERROR: 11` (`12` for PUK, `10` without SIM).

use super::codes::{
    Final, CME_BAD_PARAMETERS, CME_NOT_ALLOWED, CME_NO_SIM, CME_SIM_PUK, CME_UNKNOWN,
    CME_WRONG_PASSWORD,
};
use super::modem::{ModemState, SimLock};
use super::parse::{parse_line, Arg, Command, Form};
use super::reply::{num, require_sim, text, Info, Next, Outcome, Reply, OK};
use super::sms;

/// Runs a command line. `None`: not a command line (no `AT` prefix), which modems ignore.
pub(crate) fn execute(state: &mut ModemState, line: &str) -> Option<Reply> {
    let commands = match parse_line(line)? {
        Ok(commands) => commands,
        Err(_) => {
            return Some(Reply {
                info: Vec::new(),
                next: Next::Final(Final::Error),
            })
        }
    };
    let mut info = Vec::new();
    for command in commands {
        let outcome = match command {
            Command::Basic { name, value } => basic(state, &name, value.as_deref(), &mut info),
            Command::Extended { name, form } => extended(state, &name, &form, &mut info),
        };
        match outcome {
            Ok(Next::Final(Final::Ok)) => continue,
            Ok(next) => return Some(Reply { info, next }),
            Err(error) => {
                return Some(Reply {
                    info,
                    next: Next::Final(error),
                })
            }
        }
    }
    Some(Reply {
        info,
        next: Next::Final(Final::Ok),
    })
}

fn basic(state: &mut ModemState, name: &str, value: Option<&str>, info: &mut Vec<Info>) -> Outcome {
    let number = match value.map(str::parse::<u32>) {
        None => Ok(0),
        Some(Ok(n)) => Ok(n),
        Some(Err(_)) => Err(Final::Error),
    };
    match (name, number?) {
        ("E", 0) => state.settings.echo = false,
        ("E", 1) => state.settings.echo = true,
        ("Z", 0) | ("&F", 0) => state.reset_settings(),
        ("I", 0) => {
            info.push(Info::line("Manufacturer: smsgate"));
            info.push(Info::line("Model: SimModem"));
            info.push(Info::line(format!("Revision: {}", revision())));
        }
        ("V", 1) | ("Q", 0) | ("&W", 0) | ("H", 0) | ("X", _) | ("&C", _) | ("&D", _) => {}
        (s, _) if s.starts_with('S') => {
            if value == Some("?") {
                info.push(Info::line("000"));
            }
        }
        _ => return Err(Final::Error),
    }
    OK
}

/// What `AT+CLAC` lists: every command the simulator implements.
const COMMANDS: &[&str] = &[
    "AT", "ATE", "ATH", "ATI", "ATQ", "ATV", "ATX", "ATZ", "AT&C", "AT&D", "AT&F", "AT&W", "ATS",
    "AT+CLAC", "AT+GCAP", "AT+CMEE", "AT+CGMI", "AT+GMI", "AT+CGMM", "AT+GMM", "AT+CGMR", "AT+GMR",
    "AT+CGSN", "AT+GSN", "AT+CIMI", "AT+CCID", "AT^ICCID", "AT+ICCID", "AT+CNUM", "AT+CSCS",
    "AT+CFUN", "AT+CPIN", "AT+CSQ", "AT+CREG", "AT+CGREG", "AT+CEREG", "AT+COPS", "AT+CMGF",
    "AT+CSMS", "AT+CPMS", "AT+CSCA", "AT+CSMP", "AT+CSDH", "AT+CNMI", "AT+CMGS", "AT+CMGL",
    "AT+CMGR", "AT+CMGD", "AT+CNMA", "AT+CUSD",
];

pub(crate) fn revision() -> String {
    format!("smsgate-sim {}", env!("CARGO_PKG_VERSION"))
}

fn in_range(value: Option<u32>, max: u32) -> Result<Option<u8>, Final> {
    match value {
        Some(v) if v > max => Err(Final::Cme(CME_BAD_PARAMETERS)),
        Some(v) => Ok(Some(v as u8)),
        None => Ok(None),
    }
}

fn extended(state: &mut ModemState, name: &str, form: &Form, info: &mut Vec<Info>) -> Outcome {
    use Form::*;
    match (name, form) {
        ("+CMEE", Set(args)) => {
            state.settings.cmee = in_range(num(args, 0)?, 2)?.unwrap_or(0);
        }
        ("+CMEE", Read) => info.push(Info::line(format!("+CMEE: {}", state.settings.cmee))),
        ("+CMEE", Test) => info.push(Info::line("+CMEE: (0-2)")),
        ("+CLAC", Action) => info.extend(COMMANDS.iter().map(|c| Info::line(*c))),
        ("+GCAP", Action) => info.push(Info::line("+GCAP: +CGSM")),
        ("+CGMI" | "+GMI", Action) => info.push(Info::line("smsgate")),
        ("+CGMM" | "+GMM", Action) => info.push(Info::line("SimModem")),
        ("+CGMR" | "+GMR", Action) => info.push(Info::line(revision())),
        ("+CGSN" | "+GSN", Action) => info.push(Info::line(state.identity.imei.clone())),
        ("+CIMI", Action) => {
            require_sim(state)?;
            info.push(Info::line(state.identity.imsi.clone()));
        }
        ("+CCID" | "^ICCID" | "+ICCID", Action | Read) => {
            if state.config.faults.no_sim {
                return Err(Final::Cme(CME_NO_SIM));
            }
            let prefix = name.trim_start_matches(['+', '^']);
            info.push(Info::line(format!("+{prefix}: {}", state.identity.iccid)));
        }
        ("+CNUM", Action) => {
            require_sim(state)?;
            info.push(Info::line(format!("+CNUM: ,\"{}\",145", state.msisdn)));
        }
        ("+CSCS", Set(args)) => {
            let charset = text(args, 0).unwrap_or_default().to_ascii_uppercase();
            if !matches!(charset.as_str(), "IRA" | "GSM" | "UCS2") {
                return Err(Final::Cme(CME_BAD_PARAMETERS));
            }
            state.settings.cscs = charset;
        }
        ("+CSCS", Read) => info.push(Info::line(format!("+CSCS: \"{}\"", state.settings.cscs))),
        ("+CSCS", Test) => info.push(Info::line("+CSCS: (\"IRA\",\"GSM\",\"UCS2\")")),
        // The test form of an action command says it exists, nothing more.
        (
            "+CGMI" | "+GMI" | "+CGMM" | "+GMM" | "+CGMR" | "+GMR" | "+CGSN" | "+GSN" | "+CIMI"
            | "+CNUM" | "+CPIN" | "+CLAC" | "+GCAP" | "+CCID" | "^ICCID" | "+ICCID",
            Test,
        ) => {}
        ("+CFUN", Read) => info.push(Info::line(format!("+CFUN: {}", state.fun))),
        ("+CFUN", Test) => info.push(Info::line("+CFUN: (0,1,4),(0-1)")),
        ("+CFUN", Set(args)) => {
            let fun = num(args, 0)?.ok_or(Final::Cme(CME_BAD_PARAMETERS))?;
            let reset = in_range(num(args, 1)?, 1)?.unwrap_or(0);
            if !matches!(fun, 0 | 1 | 4) {
                return Err(Final::Cme(CME_BAD_PARAMETERS));
            }
            if reset == 1 {
                return Ok(Next::Reboot);
            }
            let before = state.reg_stat();
            state.fun = fun as u8;
            registration_changed(state, before);
        }
        ("+CPIN", Read) => {
            if state.config.faults.no_sim {
                return Err(Final::Cme(CME_NO_SIM));
            }
            let status = match state.sim {
                SimLock::Ready => "READY",
                SimLock::Pin { .. } => "SIM PIN",
                SimLock::Puk { .. } => "SIM PUK",
            };
            info.push(Info::line(format!("+CPIN: {status}")));
        }
        ("+CPIN", Set(args)) => return enter_pin(state, args),
        ("+CUSD", _) => {
            require_sim(state)?;
            return super::ussd::command(state, form, info);
        }
        ("+CSQ", Action) => info.push(Info::line(format!("+CSQ: {},99", state.config.signal_rssi))),
        ("+CSQ", Test) => info.push(Info::line("+CSQ: (0-31,99),(0-7,99)")),
        ("+CREG" | "+CGREG" | "+CEREG", _) => return registration(state, name, form, info),
        ("+COPS", Set(args)) => {
            require_sim(state)?;
            let mode = in_range(num(args, 0)?, 4)?.unwrap_or(0);
            if let Some(format) = in_range(num(args, 1)?, 2)? {
                state.settings.cops_format = format;
            }
            if mode == 1 || mode == 4 {
                // Manual selection of the only network there is.
                if text(args, 2).is_none() {
                    return Err(Final::Cme(CME_BAD_PARAMETERS));
                }
            }
        }
        ("+COPS", Read) => {
            require_sim(state)?;
            if state.registered() {
                let operator = match state.settings.cops_format {
                    2 => "00101",
                    _ => "SimNet",
                };
                info.push(Info::line(format!(
                    "+COPS: 0,{},\"{operator}\",7",
                    state.settings.cops_format
                )));
            } else {
                info.push(Info::line("+COPS: 0"));
            }
        }
        ("+COPS", Test) => {
            require_sim(state)?;
            info.push(Info::line(
                "+COPS: (2,\"SimNet\",\"SimNet\",\"00101\",7),,(0-4),(0-2)",
            ));
        }
        _ => return sms::extended(state, name, form, info),
    }
    OK
}

fn enter_pin(state: &mut ModemState, args: &[Option<Arg>]) -> Outcome {
    if state.config.faults.no_sim {
        return Err(Final::Cme(CME_NO_SIM));
    }
    let first = text(args, 0).ok_or(Final::Cme(CME_BAD_PARAMETERS))?;
    let before = state.reg_stat();
    match state.sim {
        SimLock::Ready => return Err(Final::Cme(CME_NOT_ALLOWED)),
        SimLock::Pin { attempts_left } => {
            if state.pin.as_deref() == Some(first) {
                state.sim = SimLock::Ready;
            } else {
                state.sim = match attempts_left.saturating_sub(1) {
                    0 => SimLock::Puk { attempts_left: 10 },
                    n => SimLock::Pin { attempts_left: n },
                };
                return Err(Final::Cme(CME_WRONG_PASSWORD));
            }
        }
        SimLock::Puk { attempts_left } => {
            let new_pin = text(args, 1).ok_or(Final::Cme(CME_SIM_PUK))?;
            if first == state.puk && !new_pin.is_empty() {
                state.pin = Some(new_pin.to_string());
                state.sim = SimLock::Ready;
            } else {
                state.sim = SimLock::Puk {
                    attempts_left: attempts_left.saturating_sub(1),
                };
                return Err(Final::Cme(CME_WRONG_PASSWORD));
            }
        }
    }
    registration_changed(state, before);
    OK
}

/// Emits `+CREG`/`+CGREG`/`+CEREG` URCs if the reported status changed since `before`.
pub(crate) fn registration_changed(state: &mut ModemState, before: u8) {
    let now = state.reg_stat();
    if now == before {
        return;
    }
    for name in ["+CREG", "+CGREG", "+CEREG"] {
        let mode = registration_mode(state, name);
        if mode > 0 {
            let line = registration_line(state, name, mode, false);
            state.emit_line(&line);
        }
    }
}

fn registration_mode(state: &ModemState, name: &str) -> u8 {
    match name {
        "+CREG" => state.settings.creg,
        "+CGREG" => state.settings.cgreg,
        _ => state.settings.cereg,
    }
}

/// `+CREG: [n,]stat[,"lac","ci"[,act]]`; `read` puts `n` first.
fn registration_line(state: &ModemState, name: &str, mode: u8, read: bool) -> String {
    let stat = state.reg_stat();
    let mut line = if read {
        format!("{name}: {mode},{stat}")
    } else {
        format!("{name}: {stat}")
    };
    if mode >= 2 && matches!(stat, 1 | 5) {
        let (area, cell) = (0x1A2B + state.index, 0x01C3_D4E5 + state.index);
        line.push_str(&format!(",\"{area:04X}\",\"{cell:08X}\""));
        if name != "+CREG" {
            line.push_str(",7");
        }
    }
    line
}

fn registration(state: &mut ModemState, name: &str, form: &Form, info: &mut Vec<Info>) -> Outcome {
    let max = if name == "+CEREG" { 5 } else { 2 };
    match form {
        Form::Set(args) => {
            let mode = in_range(num(args, 0)?, max)?.unwrap_or(0);
            match name {
                "+CREG" => state.settings.creg = mode,
                "+CGREG" => state.settings.cgreg = mode,
                _ => state.settings.cereg = mode,
            }
        }
        Form::Read => {
            let mode = registration_mode(state, name);
            info.push(Info::line(registration_line(state, name, mode, true)));
        }
        Form::Test => info.push(Info::line(format!("{name}: (0-{max})"))),
        Form::Action => return Err(Final::Cme(CME_UNKNOWN)),
    }
    OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::SimModemConfig;

    fn run(state: &mut ModemState, line: &str) -> String {
        let reply = execute(state, line).expect("a command line");
        String::from_utf8(reply.render(state.settings.cmee, None)).unwrap()
    }

    #[test]
    fn identity_and_errors() {
        let mut m = ModemState::new(0, SimModemConfig::default(), 3);
        assert_eq!(run(&mut m, "AT"), "\r\nOK\r\n");
        assert!(run(&mut m, "ATI").contains("Manufacturer: smsgate"));
        assert_eq!(run(&mut m, "AT+FOO"), "\r\nERROR\r\n");
        assert_eq!(run(&mut m, "AT+CMEE=1"), "\r\nOK\r\n");
        // Unknown commands: plain ERROR whatever +CMEE says, as real modems answer.
        assert_eq!(run(&mut m, "AT+FOO"), "\r\nERROR\r\n");
        assert_eq!(run(&mut m, "AT+CMEE=2;+FOO"), "\r\nERROR\r\n");
        assert_eq!(
            run(&mut m, "AT+CSCS=?"),
            "\r\n+CSCS: (\"IRA\",\"GSM\",\"UCS2\")\r\n\r\nOK\r\n"
        );
        assert_eq!(
            run(&mut m, "AT+CSCS=\"UCS2\";+CSCS?"),
            "\r\n+CSCS: \"UCS2\"\r\n\r\nOK\r\n"
        );
        assert_eq!(run(&mut m, "AT+CGMI=?"), "\r\nOK\r\n");
        assert_eq!(
            run(&mut m, "AT+CNUM"),
            "\r\n+CNUM: ,\"+12025550101\",145\r\n\r\nOK\r\n"
        );
        assert!(execute(&mut m, "garbage").is_none());
    }

    #[test]
    fn every_listed_command_answers_its_test_form() {
        let mut m = ModemState::new(0, SimModemConfig::default(), 3);
        let clac = run(&mut m, "AT+CLAC");
        let listed: Vec<&str> = clac.lines().filter(|l| l.starts_with("AT")).collect();
        assert_eq!(listed.len(), COMMANDS.len());
        for command in COMMANDS
            .iter()
            .filter(|c| c.starts_with("AT+") || c.starts_with("AT^"))
        {
            let answer = run(&mut m, &format!("{command}=?"));
            assert!(answer.ends_with("OK\r\n"), "{command}=?: {answer:?}");
        }
    }

    #[test]
    fn pin_unlock_and_puk() {
        let config = SimModemConfig {
            pin: Some("1234".into()),
            ..SimModemConfig::default()
        };
        let mut m = ModemState::new(0, config, 3);
        m.settings.cmee = 1;
        assert!(run(&mut m, "AT+CPIN?").contains("+CPIN: SIM PIN"));
        assert!(run(&mut m, "AT+CIMI").contains("+CME ERROR: 11"));
        assert!(run(&mut m, "AT+CREG?").contains("+CREG: 0,0"));
        for _ in 0..3 {
            assert!(run(&mut m, "AT+CPIN=\"0000\"").contains("+CME ERROR: 16"));
        }
        assert!(run(&mut m, "AT+CPIN?").contains("+CPIN: SIM PUK"));
        assert!(run(&mut m, "AT+CPIN=\"12345678\",\"4321\"").ends_with("OK\r\n"));
        assert!(run(&mut m, "AT+CPIN?").contains("READY"));
        assert!(run(&mut m, "AT+CREG=2;+CREG?").contains("+CREG: 2,1,\"1A2B\",\"01C3D4E5\""));
    }
}
