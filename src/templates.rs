//! SMS templates, the pure part: parse a template's content once into text and
//! `{{variable}}` placeholders, list its placeholders, render it with a lookup, and check
//! the client-given parts of a template (its id slug, its `variables` list).
//!
//! Syntax: `{{name}}` or `{{ name }}` (spaces or tabs around the name are allowed); a name
//! is `[A-Za-z_][A-Za-z0-9_.-]*`, at most [`MAX_NAME_CHARS`] characters. There is no escape:
//! `{{` always opens a placeholder, and an unclosed `{{` or an empty or malformed name is a
//! [`ParseError`] saying where (in characters from the start). A lone `{`, `}` or `}}` is
//! text. Values are inserted as they are — a value containing `{{x}}` stays literal text,
//! it is never parsed again.
//!
//! Storage lives in `store::templates`, the rules that name request fields in
//! `service::templates`. Never imports the store, the service, HTTP, tokio or any I/O
//! (`.ci/layers` checks): every function here is a function of its arguments.
//!
//! Invariants: parsing and rendering never panic, whatever the input; every placeholder
//! of the content appears in [`Parsed::placeholders`] exactly once, in order of first
//! appearance; rendering substitutes every placeholder or reports every missing name.

use std::collections::BTreeSet;
use thiserror::Error;

/// Longest template content, in characters (Unicode scalar values): ten concatenated GSM
/// 7-bit segments (1530) and a little room for placeholders that render shorter.
pub const MAX_CONTENT_CHARS: usize = 1600;

/// Longest placeholder name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Longest client-given template id.
pub const MAX_ID_CHARS: usize = 64;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (never contains `{{`).
    Text(String),
    /// A `{{name}}` placeholder, by name.
    Placeholder(String),
}

/// Why a template's content does not parse. Positions count characters from 0.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// `{{` without a matching `}}`.
    #[error("unclosed {{{{ at character {at}")]
    Unclosed {
        /// Where the `{{` starts.
        at: usize,
    },
    /// `{{}}` or `{{  }}`.
    #[error("empty placeholder at character {at}")]
    Empty {
        /// Where the `{{` starts.
        at: usize,
    },
    /// A name outside `[A-Za-z_][A-Za-z0-9_.-]*` or longer than [`MAX_NAME_CHARS`].
    #[error("invalid placeholder name {name:?} at character {at}: a name starts with a letter or _ and has only letters, digits, _ . - (at most {MAX_NAME_CHARS})")]
    BadName {
        /// Where the `{{` starts.
        at: usize,
        /// The name as written (trimmed).
        name: String,
    },
}

/// A template's content, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pieces: Vec<Piece>,
}

/// Parses `content` into text and placeholders.
pub fn parse(content: &str) -> Result<Parsed, ParseError> {
    let mut pieces = Vec::new();
    let mut rest = content;
    // Characters consumed so far, for error positions.
    let mut offset = 0usize;
    while let Some((before, after)) = rest.split_once("{{") {
        if !before.is_empty() {
            pieces.push(Piece::Text(before.to_string()));
        }
        let at = offset + before.chars().count();
        let Some((inner, tail)) = after.split_once("}}") else {
            return Err(ParseError::Unclosed { at });
        };
        let name = inner.trim_matches([' ', '\t']);
        if name.is_empty() {
            return Err(ParseError::Empty { at });
        }
        if !is_valid_name(name) {
            return Err(ParseError::BadName {
                at,
                name: name.to_string(),
            });
        }
        pieces.push(Piece::Placeholder(name.to_string()));
        offset = at + 2 + inner.chars().count() + 2;
        rest = tail;
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Ok(Parsed { pieces })
}

/// Whether `name` is a valid placeholder name.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.chars().count() <= MAX_NAME_CHARS
}

impl Parsed {
    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Every placeholder name once, in order of first appearance.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Placeholder(name) if seen.insert(name.as_str()) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Renders with `lookup` giving each placeholder's value; `Err` lists every name it had
    /// no value for (once each, in order of first appearance).
    pub fn render<'v>(
        &self,
        lookup: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, Vec<String>> {
        let mut text = String::new();
        let mut missing: Vec<String> = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Placeholder(name) => match lookup(name) {
                    Some(value) => text.push_str(value),
                    None if missing.iter().any(|m| m == name) => {}
                    None => missing.push(name.clone()),
                },
            }
        }
        if missing.is_empty() {
            Ok(text)
        } else {
            Err(missing)
        }
    }
}

/// Whether `id` is a valid client-given template id: `[A-Za-z0-9_-]{1,64}`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Compares a client-given `variables` list with the placeholders of the content: `Ok`
/// when they are the same set without repeats, else what differs, for the error message.
pub fn check_variables(given: &[String], placeholders: &[&str]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    if let Some(twice) = given.iter().find(|v| !seen.insert(v.as_str())) {
        return Err(format!("lists {twice:?} twice"));
    }
    let unused: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|v| !placeholders.contains(v))
        .collect();
    let undeclared: Vec<&str> = placeholders
        .iter()
        .copied()
        .filter(|p| !seen.contains(p))
        .collect();
    let mut problems = Vec::new();
    if !undeclared.is_empty() {
        problems.push(format!(
            "the content uses {} but variables does not list {}",
            undeclared.join(", "),
            if undeclared.len() == 1 { "it" } else { "them" }
        ));
    }
    if !unused.is_empty() {
        problems.push(format!(
            "variables lists {} which the content does not use",
            unused.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }
    fn var(s: &str) -> Piece {
        Piece::Placeholder(s.into())
    }

    #[test]
    fn placeholders_with_and_without_spaces() {
        let p = parse("Welcome {{name}}! Code {{ code }}, again {{name}}.").unwrap();
        assert_eq!(
            p.pieces(),
            &[
                text("Welcome "),
                var("name"),
                text("! Code "),
                var("code"),
                text(", again "),
                var("name"),
                text(".")
            ]
        );
        assert_eq!(p.placeholders(), vec!["name", "code"]);
        let values = BTreeMap::from([("name".to_string(), "Ann".to_string())]);
        assert_eq!(
            p.render(|k| values.get(k).map(String::as_str)),
            Err(vec!["code".to_string()])
        );
        let values = BTreeMap::from([
            ("name".to_string(), "Ann".to_string()),
            ("code".to_string(), "{{name}}".to_string()),
        ]);
        // A value is inserted literally, never parsed again.
        assert_eq!(
            p.render(|k| values.get(k).map(String::as_str)).unwrap(),
            "Welcome Ann! Code {{name}}, again Ann."
        );
    }

    #[test]
    fn names_allow_dots_dashes_and_underscores() {
        let p = parse("{{_a.b-c_9}}{{\tx }}").unwrap();
        assert_eq!(p.placeholders(), vec!["_a.b-c_9", "x"]);
    }

    #[test]
    fn text_without_placeholders_and_lone_braces_are_text() {
        for c in ["", "plain", "a { b } c }} d", "{", "}", "{ {x} }"] {
            let p = parse(c).unwrap();
            assert!(p.placeholders().is_empty(), "{c}");
            assert_eq!(p.render(|_| None).unwrap(), c);
        }
    }

    #[test]
    fn malformed_content_says_what_and_where() {
        assert_eq!(parse("Hi {{name"), Err(ParseError::Unclosed { at: 3 }));
        assert_eq!(parse("ä {{x}} {{"), Err(ParseError::Unclosed { at: 8 }));
        assert_eq!(parse("{{}}"), Err(ParseError::Empty { at: 0 }));
        assert_eq!(parse("ab{{   }}"), Err(ParseError::Empty { at: 2 }));
        assert_eq!(
            parse("{{9lives}}"),
            Err(ParseError::BadName {
                at: 0,
                name: "9lives".into()
            })
        );
        assert_eq!(
            parse("{{first name}}"),
            Err(ParseError::BadName {
                at: 0,
                name: "first name".into()
            })
        );
        // `{{{x}}}` is `{{` + `{x` : no escapes.
        assert!(matches!(parse("{{{x}}}"), Err(ParseError::BadName { .. })));
        let long = format!("{{{{{}}}}}", "a".repeat(MAX_NAME_CHARS + 1));
        assert!(matches!(parse(&long), Err(ParseError::BadName { .. })));
        let longest = format!("{{{{{}}}}}", "a".repeat(MAX_NAME_CHARS));
        assert!(parse(&longest).is_ok());
        assert!(ParseError::Unclosed { at: 3 }
            .to_string()
            .contains("unclosed {{ at character 3"));
    }

    #[test]
    fn ids_are_slugs() {
        for ok in ["promo_template", "otp-template", "A9", &"x".repeat(64)] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in ["", "has space", "slash/", "é", &"x".repeat(65), "a.b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn variables_must_match_the_placeholders_exactly() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(check_variables(&s(&["b", "a"]), &["a", "b"]), Ok(()));
        assert_eq!(check_variables(&s(&[]), &[]), Ok(()));
        let e = check_variables(&s(&["a"]), &["a", "b"]).unwrap_err();
        assert!(e.contains("uses b"), "{e}");
        let e = check_variables(&s(&["a", "c"]), &["a"]).unwrap_err();
        assert!(e.contains("lists c"), "{e}");
        let e = check_variables(&s(&["a", "a"]), &["a"]).unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    /// Content built from known pieces: literal text that cannot open a placeholder, and
    /// valid names with optional spaces.
    fn built_content() -> impl Strategy<Value = (String, Vec<String>)> {
        let piece = prop_oneof![
            "[^{]{0,12}".prop_map(|t| (t, None)),
            ("[A-Za-z_][A-Za-z0-9_.-]{0,8}", " {0,2}", " {0,2}")
                .prop_map(|(n, l, r)| (format!("{{{{{l}{n}{r}}}}}"), Some(n))),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| {
            let mut content = String::new();
            let mut names = Vec::new();
            for (text, name) in pieces {
                content.push_str(&text);
                names.extend(name);
            }
            (content, names)
        })
    }

    proptest! {
        #[test]
        fn parse_and_render_never_panic(content in any::<String>(), value in any::<String>()) {
            if let Ok(p) = parse(&content) {
                let _ = p.render(|_| None);
                let all = p.render(|_| Some(value.as_str()));
                prop_assert!(all.is_ok());
            }
        }

        #[test]
        fn braces_heavy_input_never_panics(content in "[{} a-z0-9.ä]{0,40}") {
            if let Ok(p) = parse(&content) {
                for piece in p.pieces() {
                    if let Piece::Text(t) = piece {
                        prop_assert!(!t.contains("{{"));
                    }
                }
                let missing = p.render(|_| None).err().unwrap_or_default();
                prop_assert_eq!(missing, p.placeholders().iter().map(|s| s.to_string()).collect::<Vec<_>>());
            }
        }

        #[test]
        fn every_placeholder_is_listed_once_in_order((content, names) in built_content()) {
            let p = parse(&content).unwrap();
            let mut expected: Vec<&str> = Vec::new();
            for n in &names {
                if !expected.contains(&n.as_str()) {
                    expected.push(n);
                }
            }
            prop_assert_eq!(p.placeholders(), expected.clone());
            // Without values, every placeholder is reported missing, once.
            let missing = p.render(|_| None).err().unwrap_or_default();
            prop_assert_eq!(missing, expected.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            // With every value, nothing is missing and no `{{` of a placeholder survives.
            let rendered = p.render(|_| Some("v")).unwrap();
            prop_assert!(!rendered.contains("{{"));
        }
    }
}
