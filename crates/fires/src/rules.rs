//! The deduction rule table and the merge settings, read from a versioned
//! rule file (`rules/fires-2026-1.tsv` is shipped and is the default).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::ledger::Kind;

/// How a rule charges the points of a township.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every point the amount.
    Flat,
    /// The n-th charged point of a township in a calendar year costs
    /// amount × 2^(n−1) (Zhengzhou's per-township doubling).
    Doubling,
    /// The first charged point of a township in a calendar year the amount,
    /// each later one `then` (Xuchang's "first fire").
    First { then: Decimal },
}

/// One dated deduction rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduct {
    pub from: NaiveDate,
    pub kind: Kind,
    pub mode: Mode,
    pub amount: Decimal,
    pub basis: String,
}

/// When two detections are one fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    pub distance_m: f64,
    pub hours: i64,
}

/// A rule file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub version: String,
    pub deduct: Vec<Deduct>,
    pub merge: Merge,
}

/// The shipped rule file.
pub const DEFAULT: &str = include_str!("../rules/fires-2026-1.tsv");

impl Rules {
    /// The shipped rules.
    pub fn shipped() -> Rules {
        Rules::parse(DEFAULT, "fires-2026-1.tsv").expect("the shipped fire rules are valid")
    }

    /// Reads a rule file; the error names the file, the line and the field.
    pub fn parse(text: &str, file: &str) -> Result<Rules, String> {
        let mut version = None;
        let mut deduct = Vec::new();
        let (mut distance_m, mut hours) = (None, None);
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            let err = |field: &str, why: &str| format!("{file}:{n}: {field}: {why}");
            let get = |k: usize, field: &str| {
                f.get(k)
                    .copied()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| err(field, "missing"))
            };
            match f[0] {
                "version" => version = Some(get(2, "version")?.to_string()),
                "deduct" => {
                    let from = NaiveDate::parse_from_str(get(1, "from")?, "%Y-%m-%d")
                        .map_err(|_| err("from", "not a date (YYYY-MM-DD)"))?;
                    let kind = match get(2, "type")? {
                        "straw" => Kind::Straw,
                        "other" => Kind::Other,
                        t => return Err(err("type", &format!("`{t}`: straw or other"))),
                    };
                    let money = |k: usize, field: &str| -> Result<Decimal, String> {
                        let s = get(k, field)?;
                        // At most a trillion yuan a point: sums stay exact.
                        s.parse::<Decimal>()
                            .ok()
                            .filter(|d| {
                                !d.is_sign_negative() && *d <= Decimal::from(1_000_000_000_000i64)
                            })
                            .ok_or_else(|| err(field, &format!("`{s}` is not an amount in CNY")))
                    };
                    let amount = money(4, "amount")?;
                    let mode = match get(3, "mode")? {
                        "flat" => Mode::Flat,
                        "doubling" => Mode::Doubling,
                        "first" => Mode::First {
                            then: money(5, "then")?,
                        },
                        m => return Err(err("mode", &format!("`{m}`: flat, doubling or first"))),
                    };
                    deduct.push(Deduct {
                        from,
                        kind,
                        mode,
                        amount,
                        basis: f.get(6).copied().unwrap_or_default().to_string(),
                    });
                }
                "merge" => {
                    let key = get(1, "key")?;
                    let v = get(2, "value")?;
                    match key {
                        "distance_m" => {
                            distance_m = Some(
                                v.parse::<f64>()
                                    .ok()
                                    .filter(|x| x.is_finite() && (0.0..=100_000.0).contains(x))
                                    .ok_or_else(|| {
                                        err("value", "not a distance in metres (0–100000)")
                                    })?,
                            )
                        }
                        "hours" => {
                            hours = Some(
                                v.parse::<i64>()
                                    .ok()
                                    .filter(|x| (0..=24 * 366).contains(x))
                                    .ok_or_else(|| {
                                        err("value", "not a whole number of hours (0–8784)")
                                    })?,
                            )
                        }
                        k => return Err(err("key", &format!("`{k}`: distance_m or hours"))),
                    }
                }
                k => return Err(err("kind", &format!("`{k}`: version, deduct or merge"))),
            }
        }
        let version = version.ok_or_else(|| format!("{file}: no version line"))?;
        for kind in [Kind::Straw, Kind::Other] {
            if !deduct.iter().any(|d| d.kind == kind) {
                return Err(format!("{file}: no deduct line for {}", kind.as_str()));
            }
        }
        Ok(Rules {
            version,
            deduct,
            merge: Merge {
                distance_m: distance_m
                    .ok_or_else(|| format!("{file}: no merge distance_m line"))?,
                hours: hours.ok_or_else(|| format!("{file}: no merge hours line"))?,
            },
        })
    }

    /// The rule in force for a point of `kind` on `date`: the latest `from`
    /// on or before it (`None`: no rule yet, nothing charged).
    pub fn in_force(&self, kind: Kind, date: NaiveDate) -> Option<&Deduct> {
        self.deduct
            .iter()
            .filter(|d| d.kind == kind && d.from <= date)
            .max_by_key(|d| d.from)
    }
}

impl Deduct {
    /// What the `n`-th charged point (from 1) of a township in the year
    /// costs under this rule.
    pub fn charge(&self, n: u32) -> Decimal {
        match self.mode {
            Mode::Flat => self.amount,
            Mode::Doubling => {
                let mut x = self.amount;
                for _ in 1..n.min(64) {
                    x = x.checked_mul(Decimal::TWO).unwrap_or(Decimal::MAX);
                }
                x
            }
            Mode::First { then } => {
                if n <= 1 {
                    self.amount
                } else {
                    then
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_the_plan() {
        let r = Rules::shipped();
        assert_eq!(r.version, "2026-1");
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(
            r.in_force(Kind::Straw, d).unwrap().charge(3),
            Decimal::from(500_000)
        );
        assert_eq!(
            r.in_force(Kind::Other, d).unwrap().charge(1),
            Decimal::from(100_000)
        );
        assert!(
            r.in_force(Kind::Straw, NaiveDate::from_ymd_opt(2015, 6, 1).unwrap())
                .is_none()
        );
        assert_eq!(
            r.merge,
            Merge {
                distance_m: 750.0,
                hours: 3
            }
        );
    }

    #[test]
    fn modes_and_dates() {
        let text = "version\tfires\tt\n\
                    deduct\t2016-01-01\tstraw\tdoubling\t1000000\t-\tZhengzhou\n\
                    deduct\t2016-01-01\tother\tfirst\t100000\t10000\tXuchang\n\
                    deduct\t2020-01-01\tstraw\tflat\t500000\t-\tlater\n\
                    merge\tdistance_m\t0\nmerge\thours\t0\n";
        let r = Rules::parse(text, "t.tsv").unwrap();
        let day = |y| NaiveDate::from_ymd_opt(y, 5, 1).unwrap();
        let zz = r.in_force(Kind::Straw, day(2019)).unwrap();
        assert_eq!(
            (1..=4).map(|n| zz.charge(n)).collect::<Vec<_>>(),
            [1_000_000, 2_000_000, 4_000_000, 8_000_000].map(Decimal::from)
        );
        assert_eq!(
            r.in_force(Kind::Straw, day(2020)).unwrap().charge(4),
            Decimal::from(500_000)
        );
        let xc = r.in_force(Kind::Other, day(2020)).unwrap();
        assert_eq!(
            (xc.charge(1), xc.charge(2)),
            (Decimal::from(100_000), Decimal::from(10_000))
        );
    }

    #[test]
    fn a_bad_file_is_named_by_line_and_field() {
        let bad =
            |body: &str| Rules::parse(&format!("version\tfires\tt\n{body}"), "r.tsv").unwrap_err();
        assert_eq!(
            bad("deduct\t2016-13-01\tstraw\tflat\t1"),
            "r.tsv:2: from: not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            bad("deduct\t2016-01-01\tgrass\tflat\t1"),
            "r.tsv:2: type: `grass`: straw or other"
        );
        assert_eq!(
            bad("deduct\t2016-01-01\tstraw\tflat\t-5"),
            "r.tsv:2: amount: `-5` is not an amount in CNY"
        );
        assert_eq!(
            bad("deduct\t2016-01-01\tstraw\tfirst\t5"),
            "r.tsv:2: then: missing"
        );
        assert_eq!(
            bad("merge\tspeed\t3"),
            "r.tsv:2: key: `speed`: distance_m or hours"
        );
        // Bounded, so no sum can overflow: at most 10^12 CNY a point, a
        // year of hours, 100 km.
        assert!(bad("deduct\t2016-01-01\tstraw\tflat\t5e28").contains("not an amount"));
        assert!(bad("merge\thours\t9223372036854775807").contains("0–8784"));
        assert_eq!(
            bad("deduct\t2016-01-01\tstraw\tflat\t1\nmerge\tdistance_m\t1\nmerge\thours\t1"),
            "r.tsv: no deduct line for other"
        );
    }
}
