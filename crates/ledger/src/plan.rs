//! The plan's measures as data: a reviewed TOML file per county
//! (`plans/biyang.toml` is shipped), and a draft of such a file from a
//! plan's text (`draft`), for another county to review before it loads it.
//!
//! Readings written down here:
//! - A measure is a numbered clause ending with its departments in
//!   parentheses: `（县A牵头，B、C配合）` gives lead [A] and partners [B, C];
//!   `（县A、B按职责分工负责）` and `（县A负责）` give no lead, only
//!   responsible departments. `responsible` is all of them in the plan's
//!   order, each once (the plan names 住房和城乡建设局 twice in (十二)).
//! - Names lose the county's prefix (`县生态环境分局` → `生态环境分局`); a
//!   name with the county inside it (`国家金融监管总局泌阳县监管分局`) is
//!   kept whole.
//! - Clauses (一)(二) (guidance, the overall goals) and (三十二)… (the
//!   safeguards) carry no departments and are not measures.
//! - A quantitative target keeps its words (`text`) beside the figure read
//!   from them; its deadline is the last day of the period the text names
//!   (`到2025年` → 2025-12-31, `2024年6月底前` → 2024-06-30).

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A quantitative target of a measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// What is measured (机械化清扫率, 秸秆综合利用率, …).
    pub indicator: String,
    /// `>=`, `<=`, `reduce` (a cut against `baseline`), or `done` (a task
    /// to finish by the deadline).
    pub op: String,
    /// The figure, as written (`90`, `5`); empty for `done`.
    pub value: String,
    pub unit: String,
    pub deadline: Option<NaiveDate>,
    /// The base year of a cut (`reduce`).
    pub baseline: Option<String>,
    /// The plan's words.
    pub text: String,
}

/// One measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub clause: u32,
    pub title: String,
    pub text: String,
    pub lead: Vec<String>,
    pub partners: Vec<String>,
    pub responsible: Vec<String>,
    pub targets: Vec<Target>,
}

/// A plan file, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub name: String,
    pub county: String,
    /// Who carries every measure locally besides the departments (（三）:
    /// 各乡镇政府（街道办事处）、开发区管委会), if the plan says so.
    pub local: Option<String>,
    pub measures: Vec<Measure>,
}

/// The shipped plan of Biyang County.
pub const BIYANG: &str = include_str!("../plans/biyang.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    plan: RawHead,
    #[serde(default)]
    measure: Vec<RawMeasure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    name: String,
    county: String,
    #[serde(default)]
    local: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    clause: Spanned<i64>,
    title: Spanned<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    lead: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    partners: Option<Spanned<Vec<String>>>,
    responsible: Spanned<Vec<String>>,
    #[serde(default)]
    target: Vec<RawTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    indicator: Spanned<String>,
    op: Spanned<String>,
    #[serde(default)]
    value: Option<Spanned<String>>,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    deadline: Option<Spanned<String>>,
    #[serde(default)]
    baseline: Option<String>,
    text: String,
}

impl Plan {
    /// The shipped plan.
    pub fn biyang() -> Plan {
        Plan::parse(BIYANG, "plans/biyang.toml").expect("the shipped plan is valid")
    }

    /// Reads a plan file; an error names the file, the line and the field.
    pub fn parse(text: &str, file: &str) -> Result<Plan, String> {
        let line_of = |at: usize| {
            text.as_bytes()[..at.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        };
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let Some(span) = e.span() else {
                return format!("{file}: {}", e.message());
            };
            // A value of the wrong type: its key is the field (the text
            // before `=` on the value's line), named as the other errors do.
            // By bytes: the parser's offset need not fall on a character.
            let bytes = text.as_bytes();
            let start = bytes[..span.start.min(bytes.len())]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let line = String::from_utf8_lossy(&bytes[start..]);
            let key = line
                .split_once('=')
                .map(|(k, _)| k.trim())
                .filter(|k| !k.is_empty() && !k.contains(['\n', '[', '"']));
            match key {
                Some(k) => format!("{file}:{}: {k}: {}", line_of(span.start), e.message()),
                None => format!("{file}:{}: {}", line_of(span.start), e.message()),
            }
        })?;
        let err =
            |at: usize, field: &str, why: String| format!("{file}:{}: {field}: {why}", line_of(at));
        let mut seen = HashSet::new();
        let mut measures = Vec::with_capacity(raw.measure.len());
        for m in raw.measure {
            let at = m.clause.span().start;
            let clause = u32::try_from(*m.clause.get_ref())
                .ok()
                .filter(|c| (1..=99).contains(c))
                .ok_or_else(|| {
                    err(
                        at,
                        "clause",
                        format!("{} is not a clause number", m.clause.get_ref()),
                    )
                })?;
            if !seen.insert(clause) {
                return Err(err(at, "clause", format!("({}) twice", numeral(clause))));
            }
            if m.title.get_ref().trim().is_empty() {
                return Err(err(m.title.span().start, "title", "empty".into()));
            }
            let names =
                |s: Option<&Spanned<Vec<String>>>, field: &str| -> Result<Vec<String>, String> {
                    let Some(s) = s else { return Ok(Vec::new()) };
                    let mut once = HashSet::new();
                    for n in s.get_ref() {
                        if n.trim().is_empty() || n.trim() != n {
                            return Err(err(
                                s.span().start,
                                field,
                                format!("`{n}` is not a department's name"),
                            ));
                        }
                        if !once.insert(n.as_str()) {
                            return Err(err(s.span().start, field, format!("{n} twice")));
                        }
                    }
                    Ok(s.get_ref().clone())
                };
            let (lead, partners) = (
                names(m.lead.as_ref(), "lead")?,
                names(m.partners.as_ref(), "partners")?,
            );
            let responsible = names(Some(&m.responsible), "responsible")?;
            if responsible.is_empty() {
                return Err(err(
                    m.responsible.span().start,
                    "responsible",
                    "no department".into(),
                ));
            }
            for n in lead.iter().chain(&partners) {
                if !responsible.contains(n) {
                    return Err(err(
                        m.responsible.span().start,
                        "responsible",
                        format!("{n} leads or partners but is not responsible"),
                    ));
                }
            }
            let mut targets = Vec::new();
            for t in m.target {
                let op = t.op.get_ref().as_str();
                if ![">=", "<=", "reduce", "done"].contains(&op) {
                    return Err(err(
                        t.op.span().start,
                        "op",
                        format!("`{op}`: >=, <=, reduce or done"),
                    ));
                }
                let value = t
                    .value
                    .as_ref()
                    .map_or("", |v| v.get_ref().trim())
                    .to_string();
                if op != "done" && !value.parse::<f64>().is_ok_and(f64::is_finite) {
                    let at = t
                        .value
                        .as_ref()
                        .map_or(t.op.span().start, |v| v.span().start);
                    return Err(err(at, "value", format!("`{value}` is not a figure")));
                }
                let deadline = match &t.deadline {
                    None => None,
                    Some(d) => Some(NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d").map_err(
                        |_| {
                            err(
                                d.span().start,
                                "deadline",
                                format!("`{}` is not a date (YYYY-MM-DD)", d.get_ref()),
                            )
                        },
                    )?),
                };
                if t.indicator.get_ref().trim().is_empty() {
                    return Err(err(t.indicator.span().start, "indicator", "empty".into()));
                }
                targets.push(Target {
                    indicator: t.indicator.into_inner(),
                    op: op.to_string(),
                    value,
                    unit: t.unit,
                    deadline,
                    baseline: t.baseline,
                    text: t.text,
                });
            }
            measures.push(Measure {
                clause,
                title: m.title.into_inner(),
                text: m.text,
                lead,
                partners,
                responsible,
                targets,
            });
        }
        measures.sort_by_key(|m| m.clause);
        Ok(Plan {
            name: raw.plan.name,
            county: raw.plan.county,
            local: raw.plan.local,
            measures,
        })
    }
}

/// A clause's number in Chinese (1 → 一, 14 → 十四, 31 → 三十一).
pub fn numeral(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10 % 10) as usize], D[(n % 10) as usize]),
    }
}

/// The number a Chinese numeral of 1–99 writes.
pub fn parse_numeral(s: &str) -> Option<u32> {
    (1..=99).find(|n| numeral(*n) == s)
}

/// The departments of a clause's closing parentheses: (lead, partners,
/// responsible), or `None` if the text is not such a list.
pub fn departments(list: &str, county: &str) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
    let strip = |s: &str| -> String {
        let s = s.trim();
        s.strip_prefix(county)
            .or_else(|| s.strip_prefix('县'))
            .unwrap_or(s)
            .to_string()
    };
    let split = |s: &str| -> Vec<String> {
        s.split(['、', '，', ','])
            .map(strip)
            .filter(|x| !x.is_empty())
            .collect()
    };
    let once = |v: Vec<String>| -> Vec<String> {
        let mut seen = HashSet::new();
        v.into_iter().filter(|x| seen.insert(x.clone())).collect()
    };
    let (lead, partners, all) = if let Some((lead, rest)) = list.split_once("牵头") {
        let rest = rest.trim_start_matches(['，', ',']);
        let partners = rest.strip_suffix("配合").unwrap_or(rest);
        (once(split(lead)), once(split(partners)), Vec::new())
    } else {
        let all = list
            .strip_suffix("按职责分工负责")
            .or_else(|| list.strip_suffix("负责"))?;
        (Vec::new(), Vec::new(), once(split(all)))
    };
    let responsible = once(lead.iter().chain(&partners).chain(&all).cloned().collect());
    (!responsible.is_empty()).then_some((lead, partners, responsible))
}

/// Where the parentheses closing `body` open (matching nested ones), if
/// `body` ends with `）`.
fn closing_parens(body: &str) -> Option<usize> {
    if !body.ends_with('）') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in body.char_indices().rev() {
        match c {
            '）' => depth += 1,
            '（' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// What a plan's text says every township carries (（三）: `各乡镇政府
/// （街道办事处）、开发区管委会负责落实，以下均需…不再列出`), if it says so.
pub fn local_units(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let at = l.find("负责落实")?;
        let head = &l[..at];
        let from = head.rfind('，')? + '，'.len_utf8();
        l.contains("不再列出").then(|| head[from..].to_string())
    })
}

/// The measures of a plan's text: every numbered clause `（N）title。text`
/// that closes with a department list. Targets are left for the reviewer.
pub fn draft(text: &str, county: &str) -> Vec<Measure> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('（') else {
            continue;
        };
        let Some((num, body)) = rest.split_once('）') else {
            continue;
        };
        let Some(clause) = parse_numeral(num) else {
            continue;
        };
        let Some(open) = closing_parens(body) else {
            continue;
        };
        let list = &body[open + '（'.len_utf8()..body.len() - '）'.len_utf8()];
        // The departments are the list's first part (up to 配合 or 负责);
        // what follows (（三）'s 各乡镇政府…负责落实) is for every measure.
        let mut spec = String::new();
        for seg in list.split('，') {
            if !spec.is_empty() {
                spec.push('，');
            }
            spec.push_str(seg);
            if seg.ends_with("配合") || seg.ends_with("负责") {
                break;
            }
        }
        let Some((lead, partners, responsible)) = departments(&spec, county) else {
            continue;
        };
        let body = &body[..open];
        let (title, text) = body.split_once('。').unwrap_or((body, ""));
        out.push(Measure {
            clause,
            title: title.trim().to_string(),
            text: text.trim().to_string(),
            lead,
            partners,
            responsible,
            targets: Vec::new(),
        });
    }
    out
}

/// A plan file of `measures` (targets included), for a reviewer to edit.
pub fn to_toml(
    name: &str,
    county: &str,
    local: Option<&str>,
    source: &str,
    measures: &[Measure],
) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    let mut s = format!(
        "# {name}: the plan's measures as data (clause, title, text, departments, targets).\n\
         # Drafted from the plan's text by `lantian plan draft`, then reviewed.\n\n\
         [plan]\nname = {}\ncounty = {}\nsource = {}\n",
        q(name),
        q(county),
        q(source)
    );
    if let Some(l) = local {
        s.push_str(&format!("local = {}\n", q(l)));
    }
    for m in measures {
        s.push_str(&format!(
            "\n[[measure]]\nclause = {}  # （{}）\ntitle = {}\ntext = {}\nlead = {}\npartners = {}\nresponsible = {}\n",
            m.clause,
            numeral(m.clause),
            q(&m.title),
            q(&m.text),
            list(&m.lead),
            list(&m.partners),
            list(&m.responsible)
        ));
        for t in &m.targets {
            s.push_str(&format!(
                "\n[[measure.target]]\nindicator = {}\nop = {}\nvalue = {}\nunit = {}\n",
                q(&t.indicator),
                q(&t.op),
                q(&t.value),
                q(&t.unit)
            ));
            if let Some(d) = t.deadline {
                s.push_str(&format!("deadline = \"{d}\"\n"));
            }
            if let Some(b) = &t.baseline {
                s.push_str(&format!("baseline = {}\n", q(b)));
            }
            s.push_str(&format!("text = {}\n", q(&t.text)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        for (n, s) in [
            (1, "一"),
            (10, "十"),
            (14, "十四"),
            (20, "二十"),
            (31, "三十一"),
        ] {
            assert_eq!(numeral(n), s);
            assert_eq!(parse_numeral(s), Some(n));
        }
        assert_eq!(parse_numeral("百"), None);
    }

    #[test]
    fn department_lists() {
        let d = |s| departments(s, "泌阳县").unwrap();
        assert_eq!(
            d("县农业农村局牵头，财政局、生态环境分局配合"),
            (
                vec!["农业农村局".to_string()],
                vec!["财政局".to_string(), "生态环境分局".to_string()],
                vec![
                    "农业农村局".to_string(),
                    "财政局".to_string(),
                    "生态环境分局".to_string()
                ]
            )
        );
        let (l, p, r) = d(
            "县生态环境分局、工业信息化局、住房和城乡建设局、住房和城乡建设局、交通运输局按职责分工负责",
        );
        assert!(l.is_empty() && p.is_empty());
        assert_eq!(
            r,
            [
                "生态环境分局",
                "工业信息化局",
                "住房和城乡建设局",
                "交通运输局"
            ]
        );
        assert_eq!(d("县生态环境分局负责").2, ["生态环境分局"]);
        // The 县 of every name goes, a county inside a name stays.
        assert_eq!(
            d("县生态环境分局牵头，县发展改革委、国家金融监管总局泌阳县监管分局配合").1,
            ["发展改革委", "国家金融监管总局泌阳县监管分局"]
        );
        assert!(departments("以上措施", "泌阳县").is_none());
    }

    #[test]
    fn bad_plan_files_are_named_by_line_and_field() {
        let head = "[plan]\nname = \"p\"\ncounty = \"c\"\n";
        let bad = |body: &str| Plan::parse(&format!("{head}{body}"), "p.toml").unwrap_err();
        assert_eq!(
            bad("[[measure]]\nclause = \"十六\"\ntitle = \"t\"\nresponsible = [\"乙\"]\n"),
            "p.toml:5: clause: invalid type: string \"十六\", expected i64"
        );
        assert_eq!(
            bad("[[measure]]\nclause = 3\ntitle = \"t\"\nresponsible = []\n"),
            "p.toml:7: responsible: no department"
        );
        assert_eq!(
            bad(
                "[[measure]]\nclause = 3\ntitle = \"t\"\nlead = [\"甲\"]\nresponsible = [\"乙\"]\n"
            ),
            "p.toml:8: responsible: 甲 leads or partners but is not responsible"
        );
        assert_eq!(
            bad(
                "[[measure]]\nclause = 3\ntitle = \"t\"\nresponsible = [\"乙\"]\n[[measure.target]]\nindicator = \"x\"\nop = \">=\"\nvalue = \"多\"\ntext = \"\"\n"
            ),
            "p.toml:11: value: `多` is not a figure"
        );
        assert_eq!(
            bad(
                "[[measure]]\nclause = 3\ntitle = \"t\"\nresponsible = [\"乙\"]\n[[measure.target]]\nindicator = \"x\"\nop = \"done\"\ndeadline = \"2025-13-01\"\ntext = \"\"\n"
            ),
            "p.toml:11: deadline: `2025-13-01` is not a date (YYYY-MM-DD)"
        );
        assert!(
            bad("[[measure]]\nclause = 3\ntitel = \"t\"\n")
                .starts_with("p.toml:6: titel: unknown field `titel`"),
            "{}",
            bad("[[measure]]\nclause = 3\ntitel = \"t\"\n")
        );
        let twice = "[[measure]]\nclause = 3\ntitle = \"t\"\nresponsible = [\"乙\"]\n";
        assert_eq!(
            bad(&format!("{twice}{twice}")),
            "p.toml:9: clause: (三) twice"
        );
    }
}
