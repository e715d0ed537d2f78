//! The store's SQL as PostgreSQL reads it. The statements are written once, in the part of
//! SQL both databases share; this turns SQLite's parameter marks (`?1`, `?`) into
//! PostgreSQL's (`$1`) and drops SQLite's planner hint `INDEXED BY name`, which PostgreSQL
//! has no use for. Quoted text, quoted names and comments are copied as they are.
//!
//! Anything else that differs between the two is chosen where the statement is written
//! (`Connection::is_postgres`), not guessed here.

/// `sql` with PostgreSQL's parameter marks.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next_bare = 1_u32;
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // Until the closing quote; a doubled quote is an escaped one and is copied
                // as two characters by going round again.
                for (_, q) in chars.by_ref() {
                    out.push(q);
                    if q == c {
                        break;
                    }
                }
            }
            '-' if sql[at..].starts_with("--") => {
                out.push(c);
                for (_, q) in chars.by_ref() {
                    out.push(q);
                    if q == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    digits.push(d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            'I' | 'i' if starts_word(sql, at, "INDEXED BY") => {
                // Skip `INDEXED BY` and the index name after it.
                let rest = &sql[at + "INDEXED BY".len()..];
                let name_start = rest.len() - rest.trim_start().len();
                let name_len = rest[name_start..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .unwrap_or(rest.len() - name_start);
                let skip = "INDEXED BY".len() + name_start + name_len;
                while let Some(&(i, _)) = chars.peek() {
                    if i >= at + skip {
                        break;
                    }
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `word` (any case) starts at byte `at` of `sql` as a whole word.
fn starts_word(sql: &str, at: usize, word: &str) -> bool {
    let Some(candidate) = sql.get(at..at + word.len()) else {
        return false;
    };
    let before_ok = sql[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
    candidate.eq_ignore_ascii_case(word) && before_ok
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn numbered_and_bare_marks_become_dollars() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 OR d = $1"
        );
        assert_eq!(
            to_postgres("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)"
        );
    }

    #[test]
    fn quotes_and_comments_are_copied_as_they_are() {
        assert_eq!(
            to_postgres("SELECT '?1', 'it''s ?', \"a?\" -- why ?2\nFROM t WHERE x = ?2"),
            "SELECT '?1', 'it''s ?', \"a?\" -- why ?2\nFROM t WHERE x = $2"
        );
    }

    #[test]
    fn the_planner_hint_goes() {
        assert_eq!(
            to_postgres(
                "SELECT min(created_at) FROM messages INDEXED BY messages_due WHERE x = ?1"
            ),
            "SELECT min(created_at) FROM messages  WHERE x = $1"
        );
        // Not inside a longer word.
        assert_eq!(to_postgres("SELECT reindexed by"), "SELECT reindexed by");
    }
}
