//! Measures by performance grade and alert level, from the versioned
//! template (`rules/measures.tsv`), and the white list's exceptions.

use std::collections::HashMap;

use crate::classify::Level;

/// What a firm (a line) must do at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "action", content = "percent", rename_all = "snake_case")]
pub enum Action {
    /// No required measure.
    None,
    /// It chooses its own cuts (A, 引领性, white list).
    Voluntary,
    /// Cut this percentage of the basis (output, feed, kilns, load).
    Limit(u8),
    /// Stop (the line, or the processes named).
    Stop,
    /// Run at no more than this percentage (白名单 / 保障类 approved load).
    MaxLoad(u8),
}

impl Action {
    pub fn name_zh(self) -> String {
        match self {
            Action::None => "无强制措施".into(),
            Action::Voluntary => "自主减排".into(),
            Action::Limit(p) => format!("限产 {p}%"),
            Action::Stop => "停产".into(),
            Action::MaxLoad(p) => format!("负荷不高于 {p}%"),
        }
    }
}

/// The template: grade → (yellow, orange, red).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub version: String,
    by_grade: HashMap<String, [Action; 3]>,
}

pub const SHIPPED: &str = include_str!("../rules/measures.tsv");

impl Default for Templates {
    fn default() -> Self {
        Templates::parse(SHIPPED).unwrap_or_else(|e| panic!("the shipped measures: {e}"))
    }
}

fn action(s: &str) -> Option<Action> {
    let s = s.trim();
    match s {
        "none" => Some(Action::None),
        "voluntary" => Some(Action::Voluntary),
        "stop" => Some(Action::Stop),
        _ => s
            .strip_prefix("limit ")
            .and_then(|p| p.trim().parse::<u8>().ok())
            .filter(|p| (1..=100).contains(p))
            .map(Action::Limit),
    }
}

impl Templates {
    pub fn parse(text: &str) -> Result<Templates, String> {
        let mut t = Templates {
            version: String::new(),
            by_grade: HashMap::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f[0] == "version" {
                t.version = f.get(1).unwrap_or(&"").to_string();
                continue;
            }
            if f.len() != 4 {
                return Err(format!(
                    "line {n}: grade, yellow, orange, red separated by tabs"
                ));
            }
            let mut acts = [Action::None; 3];
            for (k, slot) in acts.iter_mut().enumerate() {
                *slot = action(f[k + 1]).ok_or_else(|| {
                    format!("line {n}: `{}`: none, voluntary, limit P or stop", f[k + 1])
                })?;
            }
            t.by_grade.insert(f[0].to_string(), acts);
        }
        if t.version.is_empty() {
            return Err("no `version` line".into());
        }
        if !t.by_grade.contains_key("none") {
            return Err("no line for grade `none` (a firm never graded)".into());
        }
        Ok(t)
    }

    /// The measure for `grade` (`none` for a firm never graded) at `level`.
    pub fn measure(&self, grade: &str, level: Level) -> Action {
        let k = match level {
            Level::Yellow => 0,
            Level::Orange => 1,
            Level::Red => 2,
            _ => return Action::None,
        };
        let g = self
            .by_grade
            .get(grade)
            .or_else(|| self.by_grade.get("none"));
        g.map_or(Action::None, |a| a[k])
    }
}

/// A white-list (保障类) entry: its approved load and the highest level it
/// covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct White {
    /// Approved maximum load, percent (None: voluntary cuts).
    pub max_load: Option<u8>,
    /// The entry holds up to this level (e.g. orange: at red it follows
    /// the list like anyone).
    pub ceiling: Level,
}

impl Action {
    /// The share of its normal load a firm keeps under the action, percent
    /// (what makes one action more lenient than another).
    pub fn share(self) -> u8 {
        match self {
            Action::None | Action::Voluntary => 100,
            Action::Limit(p) => 100u8.saturating_sub(p),
            Action::MaxLoad(p) => p.min(100),
            Action::Stop => 0,
        }
    }
}

/// The measure after the white list: at a coloured level within its
/// ceiling, a white-listed firm runs at its approved load (or cuts
/// voluntarily) — unless its grade's measure is more lenient, which then
/// holds (an exemption never makes a firm cut more).
pub fn with_white(measure: Action, white: Option<White>, level: Level) -> Action {
    match white {
        Some(w) if level.is_coloured() && level <= w.ceiling => {
            let exempt = w.max_load.map_or(Action::Voluntary, Action::MaxLoad);
            if exempt.share() >= measure.share() {
                exempt
            } else {
                measure
            }
        }
        _ => measure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_by_grade_and_level() {
        let t = Templates::default();
        assert_eq!(t.version, "2026-1");
        assert_eq!(t.measure("A", Level::Red), Action::Voluntary);
        assert_eq!(t.measure("B", Level::Yellow), Action::None);
        assert_eq!(t.measure("B", Level::Orange), Action::Limit(10));
        assert_eq!(t.measure("C", Level::Red), Action::Limit(20));
        assert_eq!(t.measure("D", Level::Yellow), Action::Limit(30));
        assert_eq!(t.measure("D", Level::Orange), Action::Stop);
        assert_eq!(
            t.measure("never heard of", Level::Orange),
            Action::Stop,
            "ungraded: the lowest"
        );
        assert_eq!(t.measure("A", Level::Advisory), Action::None);
        let w = Some(White {
            max_load: Some(60),
            ceiling: Level::Orange,
        });
        assert_eq!(
            with_white(Action::Stop, w, Level::Orange),
            Action::MaxLoad(60)
        );
        assert_eq!(with_white(Action::Stop, w, Level::Red), Action::Stop);
        // Never stricter than the grade; nothing outside the colours.
        assert_eq!(with_white(Action::None, w, Level::Yellow), Action::None);
        assert_eq!(
            with_white(Action::Limit(10), w, Level::Orange),
            Action::Limit(10)
        );
        assert_eq!(with_white(Action::None, w, Level::Advisory), Action::None);
        let bad = Some(White {
            max_load: Some(60),
            ceiling: Level::None,
        });
        assert_eq!(with_white(Action::Stop, bad, Level::Yellow), Action::Stop);
        assert!(
            Templates::parse("version\t1\nB\tnone\tlimit 200\tstop\nnone\tstop\tstop\tstop\n")
                .is_err()
        );
    }
}
