//! Parsing one AT command line (V.250 §5.2) into the commands it holds: basic commands
//! (`E0`, `Z`, `I`, `&F`, `S0=0`), and extended commands (`+CMGF=0`, `^CURC?`) separated by
//! `;`, in the four syntax forms action, read (`?`), test (`=?`) and set (`=args`).
//!
//! Pure, no I/O; never imports `at/`, `modem/` or anything higher. Invariant: any input
//! gives a value or `Err(Syntax)`, never a panic; characters before `AT` mean the line is
//! not a command line (`None`).

/// One argument of a set command: its text, and whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    pub text: String,
    pub quoted: bool,
}

/// The syntax form of an extended command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form {
    Action,
    Read,
    Test,
    /// `None` stands for an omitted argument (`AT+CNMI=2,,0`).
    Set(Vec<Option<Arg>>),
}

/// One command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// A basic command: name (`E`, `&F`, `S7`) and its number, or `?` for `S7?`.
    Basic { name: String, value: Option<String> },
    /// An extended command: upper-case name with its prefix (`+CMGS`) and form.
    Extended { name: String, form: Form },
}

/// A syntax error: the modem answers `ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax;

/// Splits a command line. `None`: the line does not start with `AT` (ignored by modems).
pub(crate) fn parse_line(line: &str) -> Option<Result<Vec<Command>, Syntax>> {
    let line = line.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let mut chars = line.char_indices();
    let a = chars.next()?.1;
    let t = chars.next()?.1;
    if !a.eq_ignore_ascii_case(&'A') || !t.eq_ignore_ascii_case(&'T') {
        return None;
    }
    Some(parse_body(line.get(2..).unwrap_or("")))
}

fn parse_body(body: &str) -> Result<Vec<Command>, Syntax> {
    let mut commands = Vec::new();
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        match c {
            ';' | ' ' => rest = rest.get(1..).unwrap_or(""),
            '+' | '^' | '$' | '%' | '#' => {
                let end = unquoted_semicolon(rest).unwrap_or(rest.len());
                let text = rest.get(..end).ok_or(Syntax)?;
                commands.push(parse_extended(text)?);
                rest = rest.get(end..).unwrap_or("");
            }
            '&' => {
                let letter = rest.get(1..2).ok_or(Syntax)?;
                if !letter.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(Syntax);
                }
                let digits = leading_digits(rest.get(2..).unwrap_or(""));
                commands.push(Command::Basic {
                    name: format!("&{}", letter.to_ascii_uppercase()),
                    value: (!digits.is_empty()).then(|| digits.to_string()),
                });
                rest = rest.get(2 + digits.len()..).unwrap_or("");
            }
            's' | 'S' => {
                let digits = leading_digits(rest.get(1..).unwrap_or(""));
                if digits.is_empty() {
                    return Err(Syntax);
                }
                let after = rest.get(1 + digits.len()..).unwrap_or("");
                let (value, used) = if let Some(v) = after.strip_prefix('=') {
                    let d = leading_digits(v);
                    (Some(d.to_string()), 1 + d.len())
                } else if after.starts_with('?') {
                    (Some("?".to_string()), 1)
                } else {
                    (None, 0)
                };
                commands.push(Command::Basic {
                    name: format!("S{digits}"),
                    value,
                });
                rest = after.get(used..).unwrap_or("");
            }
            c if c.is_ascii_alphabetic() => {
                let digits = leading_digits(rest.get(1..).unwrap_or(""));
                commands.push(Command::Basic {
                    name: c.to_ascii_uppercase().to_string(),
                    value: (!digits.is_empty()).then(|| digits.to_string()),
                });
                rest = rest.get(1 + digits.len()..).unwrap_or("");
            }
            _ => return Err(Syntax),
        }
    }
    Ok(commands)
}

fn leading_digits(s: &str) -> &str {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.get(..end).unwrap_or("")
}

fn unquoted_semicolon(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_extended(text: &str) -> Result<Command, Syntax> {
    let name_end = text.find(['=', '?']).unwrap_or(text.len());
    let name = text
        .get(..name_end)
        .ok_or(Syntax)?
        .trim()
        .to_ascii_uppercase();
    let valid = name
        .get(1..)
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()));
    if !valid {
        return Err(Syntax);
    }
    let suffix = text.get(name_end..).unwrap_or("").trim();
    let form = if suffix.is_empty() {
        Form::Action
    } else if suffix == "?" {
        Form::Read
    } else if suffix == "=?" {
        Form::Test
    } else if let Some(args) = suffix.strip_prefix('=') {
        Form::Set(parse_args(args)?)
    } else {
        return Err(Syntax);
    };
    Ok(Command::Extended { name, form })
}

/// Splits `a,"b,c",,d` into arguments; quotes are removed, empty ones are `None`.
fn parse_args(args: &str) -> Result<Vec<Option<Arg>>, Syntax> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in args.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => {
                out.push(finish(&mut current, &mut was_quoted));
            }
            c if quoted => current.push(c),
            c if c.is_whitespace() => {}
            c => current.push(c),
        }
    }
    if quoted {
        return Err(Syntax);
    }
    out.push(finish(&mut current, &mut was_quoted));
    Ok(out)
}

fn finish(current: &mut String, was_quoted: &mut bool) -> Option<Arg> {
    let text = std::mem::take(current);
    let quoted = std::mem::replace(was_quoted, false);
    (quoted || !text.is_empty()).then_some(Arg { text, quoted })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, form: Form) -> Command {
        Command::Extended {
            name: name.into(),
            form,
        }
    }

    fn arg(text: &str, quoted: bool) -> Option<Arg> {
        Some(Arg {
            text: text.into(),
            quoted,
        })
    }

    #[test]
    fn prefixes_and_forms() {
        assert_eq!(parse_line("hello"), None);
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("at"), Some(Ok(vec![])));
        assert_eq!(
            parse_line("at+cmgf?"),
            Some(Ok(vec![ext("+CMGF", Form::Read)]))
        );
        assert_eq!(
            parse_line("AT+CNMI=?"),
            Some(Ok(vec![ext("+CNMI", Form::Test)]))
        );
        assert_eq!(
            parse_line("AT+CPMS=\"SM\",\"ME\",,\"MT\""),
            Some(Ok(vec![ext(
                "+CPMS",
                Form::Set(vec![
                    arg("SM", true),
                    arg("ME", true),
                    None,
                    arg("MT", true)
                ])
            )]))
        );
    }

    #[test]
    fn concatenated_commands() {
        let parsed = parse_line("ATE0V1&FS0=0;+CMGF=0;+CSCA=\"+1;2\",145")
            .unwrap()
            .unwrap();
        assert_eq!(parsed.len(), 6);
        assert_eq!(
            parsed[0],
            Command::Basic {
                name: "E".into(),
                value: Some("0".into())
            }
        );
        assert_eq!(
            parsed[3],
            Command::Basic {
                name: "S0".into(),
                value: Some("0".into())
            }
        );
        assert_eq!(
            parsed[5],
            ext(
                "+CSCA",
                Form::Set(vec![arg("+1;2", true), arg("145", false)])
            )
        );
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(parse_line("AT+CMGF=\"0"), Some(Err(Syntax)));
        assert_eq!(parse_line("AT!"), Some(Err(Syntax)));
        assert_eq!(parse_line("AT+"), Some(Err(Syntax)));
        assert_eq!(parse_line("AT+CMGF!"), Some(Err(Syntax)));
        assert_eq!(parse_line("ATé"), Some(Err(Syntax)));
    }
}
