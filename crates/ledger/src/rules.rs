//! Reading a versioned rule file of whole numbers: `key<TAB>value[<TAB>basis]`
//! lines, `#` comments, a `version` line; every key known, every value a
//! whole number within its bounds, none missing. An error names the file,
//! the line and the key.

use std::collections::HashMap;

/// `(key, lowest, highest)` of each number the file must give.
pub type Keys<'a> = &'a [(&'a str, i64, i64)];

/// The version and the numbers of a rule file.
pub fn read(
    text: &str,
    file: &str,
    keys: Keys<'_>,
) -> Result<(String, HashMap<String, i64>), String> {
    let mut version = None;
    let mut got = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        let err = |why: &str| format!("{file}:{}: {}: {why}", i + 1, f[0]);
        let v = f.get(1).copied().unwrap_or("");
        if f[0] == "version" {
            version = Some(v.to_string()).filter(|s| !s.is_empty());
            continue;
        }
        let Some((k, lo, hi)) = keys.iter().find(|(k, ..)| *k == f[0]) else {
            return Err(err("unknown key"));
        };
        let n = v
            .parse::<i64>()
            .ok()
            .filter(|x| (*lo..=*hi).contains(x))
            .ok_or_else(|| err(&format!("`{v}` is not a whole number {lo}–{hi}")))?;
        got.insert((*k).to_string(), n);
    }
    let version = version.ok_or_else(|| format!("{file}: no version line"))?;
    if let Some((k, ..)) = keys.iter().find(|(k, ..)| !got.contains_key(*k)) {
        return Err(format!("{file}: no {k} line"));
    }
    Ok((version, got))
}
