//! A TOML or type error → a [`ConfigError`] naming the dotted key path (`modems[1].baud`)
//! and the line. The `toml` crate reports only a byte span; the path is found by walking
//! the spans of the parsed document down to the innermost key or value holding it.

use super::ConfigError;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub(super) fn to_config_error(text: &str, err: &toml::de::Error) -> ConfigError {
    let message = err.message().trim().replace('\n', "; ");
    let Some(span) = err.span() else {
        return ConfigError::new("config", message);
    };
    let (line, column) = line_and_column(text, span.start);
    let mut path = String::new();
    if let Ok(doc) = DeTable::parse(text) {
        locate_in_table(doc.get_ref(), &span, &mut path);
    }
    // A missing key has no span of its own: the error points at its table.
    if let Some(field) = backticked_after(&message, "missing field ") {
        push_key(&mut path, field);
    }
    if path.is_empty() {
        // A syntax error: no key to name, only where.
        return ConfigError::new(format!("line {line}, column {column}"), message);
    }
    ConfigError::new(path, format!("{message} (line {line})"))
}

fn locate_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut String) {
    for (key, value) in table.iter() {
        if contains(&key.span(), span) {
            push_key(path, key.get_ref());
            return;
        }
        if contains(&value.span(), span) {
            push_key(path, key.get_ref());
            locate_in_value(value.get_ref(), span, path);
            return;
        }
    }
    // Tables declared with a header (`[server]`, `[[modems]]`) may span only the header;
    // look inside them for the key all the same.
    for (key, value) in table.iter() {
        let mut inner = String::new();
        locate_in_value(value.get_ref(), span, &mut inner);
        if !inner.is_empty() {
            push_key(path, key.get_ref());
            if !inner.starts_with('[') {
                path.push('.');
            }
            path.push_str(&inner);
            return;
        }
    }
}

fn locate_in_value(value: &DeValue<'_>, span: &Range<usize>, path: &mut String) {
    match value {
        DeValue::Table(table) => {
            let mut inner = String::new();
            locate_in_table(table, span, &mut inner);
            if !inner.is_empty() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&inner);
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut inner = String::new();
                locate_in_value(item.get_ref(), span, &mut inner);
                if contains(&item.span(), span) || !inner.is_empty() {
                    path.push_str(&format!("[{i}]"));
                    if !inner.is_empty() {
                        path.push('.');
                        path.push_str(&inner);
                    }
                    return;
                }
            }
        }
        _ => {}
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// `x` in "…{prefix}`x`…".
fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.split_once(prefix)?.1.strip_prefix('`')?;
    Some(rest.split_once('`')?.0)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
