//! Candidate ports from `[discovery] ports` globs: `*` and `?` in the last path component
//! (the config checks that), listed from the parent directory, sorted, and each real device
//! once (a `/dev/serial/by-id/…` link and the `/dev/ttyUSB…` it points at are one port).
//!
//! Only reads directories and metadata: never opens a port. Imports nothing of the crate.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Whether `name` matches `pattern` (`*`: any run of characters, `?`: one character).
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with one backtrack point (the last `*`).
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// The directory a glob lists and the pattern of the names in it.
pub fn split(pattern: &str) -> (PathBuf, String) {
    match pattern.rsplit_once('/') {
        Some(("", name)) => (PathBuf::from("/"), name.to_string()),
        Some((dir, name)) => (PathBuf::from(dir), name.to_string()),
        None => (PathBuf::from("."), pattern.to_string()),
    }
}

/// The directories the globs list (what the file-system watch looks at).
pub fn parent_dirs(patterns: &[String]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = patterns.iter().map(|p| split(p).0).collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// The paths matching the globs now, in glob order then name order; a device reached by
/// several paths is listed once, by the first.
pub fn candidates(patterns: &[String]) -> Vec<PathBuf> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::new();
    for pattern in patterns {
        let (dir, name_pattern) = split(pattern);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|name| matches(&name_pattern, name))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(name);
            let real = canonical(&path).unwrap_or_else(|| path.clone());
            if seen.insert(real) {
                out.push(path);
            }
        }
    }
    out
}

/// The real path behind links, or `None` when nothing is there (the port vanished).
pub fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Whether the path is a character device (a tty); regular files, directories and dangling
/// links are never opened as ports.
pub fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(matches("ttyUSB*", "ttyUSB0"));
        assert!(matches("ttyUSB*", "ttyUSB"));
        assert!(matches("ttyUSB*", "ttyUSB12"));
        assert!(!matches("ttyUSB*", "ttyACM0"));
        assert!(matches("tty???", "ttyS10"));
        assert!(!matches("tty?", "ttyS10"));
        assert!(matches("*", "usb-Quectel_EC25-if02-port0"));
        assert!(matches("*-if0?-port0", "usb-Quectel_EC25-if02-port0"));
        assert!(!matches("*-if0?-port0", "usb-Quectel_EC25-if02-port1"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(!matches("", "x"));
    }

    #[test]
    fn globs_split_into_a_directory_and_a_name_pattern() {
        assert_eq!(
            split("/dev/serial/by-id/*"),
            (PathBuf::from("/dev/serial/by-id"), "*".to_string())
        );
        assert_eq!(split("/ttyX*"), (PathBuf::from("/"), "ttyX*".to_string()));
        assert_eq!(
            parent_dirs(&["/dev/ttyUSB*".into(), "/dev/ttyACM*".into(), "/x/*".into()]),
            vec![PathBuf::from("/dev"), PathBuf::from("/x")]
        );
    }

    #[test]
    fn candidates_are_sorted_and_each_device_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("port2"), b"").unwrap();
        std::fs::write(d.join("port1"), b"").unwrap();
        std::fs::write(d.join("other"), b"").unwrap();
        std::os::unix::fs::symlink(d.join("port1"), d.join("port9")).unwrap();
        let found = candidates(&[format!("{}/port*", d.display())]);
        assert_eq!(found, vec![d.join("port1"), d.join("port2")]);
        assert!(!is_char_device(&d.join("port1")));
        assert!(is_char_device(Path::new("/dev/null")));
        assert!(candidates(&["/nonexistent-dir-for-smsgate/*".into()]).is_empty());
    }
}
