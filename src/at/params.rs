//! The parameter lists of information responses and URCs (V.250 §5.7): comma-separated
//! values that are numbers, quoted strings or empty, e.g. `"SM",3` or `2,1,"00A1","0123ABCD"`
//! or `,23`. Parsed with nom; anything the grammar does not cover is kept as a raw token
//! rather than rejected, because modems bend the grammar (unquoted strings, stray spaces).

use nom::branch::alt;
use nom::bytes::complete::{is_not, take_while};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{all_consuming, map, map_res, opt, recognize};
use nom::multi::separated_list0;
use nom::sequence::{delimited, pair, terminated};
use nom::IResult;

/// One parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// A decimal number.
    Int(i64),
    /// A quoted string, without its quotes.
    Str(String),
    /// Nothing between two commas.
    Empty,
    /// An unquoted token that is not a number (kept as written).
    Raw(String),
}

impl Param {
    /// The number, if this is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Param::Int(n) => Some(*n),
            Param::Raw(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The value as written, whatever its kind: `"SM"` → `SM`, `8931…` → `8931…`
    /// (identifiers such as ICCIDs arrive unquoted and parse as numbers).
    pub fn value(&self) -> Option<String> {
        match self {
            Param::Int(n) => Some(n.to_string()),
            Param::Str(s) | Param::Raw(s) => Some(s.clone()),
            Param::Empty => None,
        }
    }

    /// The text of a string or raw token.
    pub fn text(&self) -> Option<&str> {
        match self {
            Param::Str(s) | Param::Raw(s) => Some(s),
            _ => None,
        }
    }
}

fn int(input: &str) -> IResult<&str, Param> {
    map_res(recognize(pair(opt(char('-')), digit1)), |s: &str| {
        s.parse().map(Param::Int)
    })(input)
}

fn quoted(input: &str) -> IResult<&str, Param> {
    map(
        delimited(char('"'), take_while(|c| c != '"'), char('"')),
        |s: &str| Param::Str(s.to_string()),
    )(input)
}

fn raw(input: &str) -> IResult<&str, Param> {
    map(is_not(","), |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            Param::Empty
        } else {
            Param::Raw(s.to_string())
        }
    })(input)
}

fn param(input: &str) -> IResult<&str, Param> {
    let value = alt((
        terminated(quoted, space0),
        terminated(
            int,
            nom::combinator::peek(alt((
                nom::combinator::eof,
                recognize(pair(space0, char(','))),
            ))),
        ),
        raw,
    ));
    map(delimited(space0, opt(value), space0), |p| {
        p.unwrap_or(Param::Empty)
    })(input)
}

/// Parses a parameter list. Never fails: unparseable input comes back as raw tokens.
pub fn parse(input: &str) -> Vec<Param> {
    let input = input.trim();
    if input.is_empty() {
        return Vec::new();
    }
    match all_consuming(separated_list0(char(','), param))(input) {
        Ok((_, params)) => params,
        Err(_) => input
            .split(',')
            .map(|s| raw(s).map_or(Param::Empty, |(_, p)| p))
            .collect(),
    }
}

/// Splits an information line `+NAME: params` into the name (with `+`/`^`) and parameters.
pub fn split_info(line: &str) -> Option<(&str, Vec<Param>)> {
    let (name, rest) = line.split_once(':')?;
    if !(name.starts_with('+') || name.starts_with('^')) || name.contains(' ') {
        return None;
    }
    Some((name, parse(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Param::*;

    #[test]
    fn typical_lists() {
        assert_eq!(parse("\"SM\",3"), vec![Str("SM".into()), Int(3)]);
        assert_eq!(parse(",23"), vec![Empty, Int(23)]);
        assert_eq!(
            parse("2,1,\"00A1\",\"0123ABCD\",7"),
            vec![
                Int(2),
                Int(1),
                Str("00A1".into()),
                Str("0123ABCD".into()),
                Int(7)
            ]
        );
        assert_eq!(parse(" 20, 99"), vec![Int(20), Int(99)]);
        assert_eq!(
            parse("0,0,\"Sim, Net\",7"),
            vec![Int(0), Int(0), Str("Sim, Net".into()), Int(7)]
        );
    }

    #[test]
    fn bent_grammar_is_kept_raw() {
        assert_eq!(parse("SM,3"), vec![Raw("SM".into()), Int(3)]);
        assert_eq!(parse("READY"), vec![Raw("READY".into())]);
        assert_eq!(parse("\"unterminated"), vec![Raw("\"unterminated".into())]);
        assert_eq!(parse("12ab,3").first().and_then(Param::text), Some("12ab"));
    }

    #[test]
    fn unquoted_identifiers_keep_their_digits() {
        // A 19-digit ICCID fits an i64, a 20-digit one does not: both come back as written.
        assert_eq!(
            parse("8931440301234567890")[0].value().as_deref(),
            Some("8931440301234567890")
        );
        assert_eq!(
            parse("89314403012345678901")[0].value().as_deref(),
            Some("89314403012345678901")
        );
        assert_eq!(parse("\"SM\"")[0].value().as_deref(), Some("SM"));
        assert_eq!(Param::Empty.value(), None);
    }

    #[test]
    fn info_lines() {
        let (name, params) = split_info("+CMTI: \"SM\",4").unwrap();
        assert_eq!((name, params), ("+CMTI", vec![Str("SM".into()), Int(4)]));
        assert_eq!(split_info("^RSSI:17").map(|(n, _)| n), Some("^RSSI"));
        assert!(split_info("OK").is_none());
        assert!(split_info("Manufacturer: X").is_none());
    }
}
