//! HJ 663 evaluation statistics: percentiles, the composite index
//! (城市环境空气质量综合指数) and ranking.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::pollutant::Pollutant;
use crate::rounding::gbt8170;

/// The percentile HJ 663 evaluates each pollutant by: SO2/NO2 98th of daily
/// means, PM10/PM2.5/CO 95th of daily means, O3 90th of the MDA8.
pub const fn evaluation_percentile(p: Pollutant) -> u32 {
    match p {
        Pollutant::So2 | Pollutant::No2 => 98,
        Pollutant::Co | Pollutant::Pm10 | Pollutant::Pm25 => 95,
        Pollutant::O3 => 90,
    }
}

/// The p-th percentile of HJ 663 Appendix A, exactly: sort ascending,
/// `k = 1 + (n−1)·p/100`, `s = ⌊k⌋`, `m = X(s) + (X(s+1) − X(s))·(k − s)`
/// (`X(n)` when `k = n`). Equal to R type 7 / Excel PERCENTILE.INC.
/// Sorts `values` in place; `None` when empty.
///
/// ```
/// use lantian_standards::stats::percentile;
/// let mut v: Vec<_> = [3, 4, 8, 2, 5, 4].into_iter().map(rust_decimal::Decimal::from).collect();
/// assert_eq!(percentile(&mut v, 90).unwrap().to_string(), "6.5");
/// ```
pub fn percentile(values: &mut [Decimal], p: u32) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(percentile_sorted(values, p))
}

/// [`percentile`] on values already sorted ascending (not empty).
pub fn percentile_sorted(sorted: &[Decimal], p: u32) -> Decimal {
    let n = sorted.len() as u64;
    // k − 1 = (n−1)·p/100 = whole + frac/100
    let scaled = (n - 1) * p as u64;
    let whole = (scaled / 100) as usize;
    let frac = scaled % 100;
    let xs = sorted[whole];
    if frac == 0 || whole + 1 >= sorted.len() {
        return xs;
    }
    let xs1 = sorted[whole + 1];
    (xs + (xs1 - xs) * Decimal::new(frac as i64, 2)).normalize()
}

/// The S_i (and optional weights) of the composite index. The ranking rule
/// (环办监测〔2018〕19号) uses the GB 3095-2012 annual grade-II limits for SO2,
/// NO2, PM10, PM2.5 and the 24-h (MDA8) grade-II limits for CO (95th) and O3
/// (90th). No revision for GB 3095-2026 has been published, so the 2012 set is
/// the default; the 2026 transitional set (PM10 60, PM2.5 30) is a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompositeConfig {
    /// S_i in `Pollutant::ALL` order.
    pub s: [u32; 6],
    /// w_i in `Pollutant::ALL` order (1 everywhere in the published rule).
    pub weights: [u32; 6],
}

impl CompositeConfig {
    pub const GB3095_2012: CompositeConfig = CompositeConfig {
        s: [60, 40, 4, 160, 70, 35],
        weights: [1; 6],
    };
    pub const GB3095_2026_TRANSITIONAL: CompositeConfig = CompositeConfig {
        s: [60, 40, 4, 160, 60, 30],
        weights: [1; 6],
    };
}

impl Default for CompositeConfig {
    fn default() -> Self {
        Self::GB3095_2012
    }
}

/// `Σ w_i·C_i/S_i`, summed exactly and rounded to 2 decimals after summing
/// (GB/T 8170). `c` holds, in `Pollutant::ALL` order, the period mean of SO2,
/// NO2, PM10, PM2.5, the CO 95th percentile and the O3-8h 90th percentile, as
/// published. `None` if any is missing.
///
/// ```
/// use lantian_standards::stats::{composite_index, CompositeConfig};
/// use rust_decimal::Decimal;
/// let d = |s: &str| s.parse::<Decimal>().ok();
/// // The published example: 9/60 + 15/40 + 0.7/4 + 192/160 + 39/70 + 21/35
/// // = 3.057… → 3.06 (rounding each term first would give 3.07).
/// let c = [d("9"), d("15"), d("0.7"), d("192"), d("39"), d("21")];
/// let i = composite_index(&c, &CompositeConfig::GB3095_2012).unwrap();
/// assert_eq!(i.to_string(), "3.06");
/// ```
pub fn composite_index(c: &[Option<Decimal>; 6], cfg: &CompositeConfig) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    for ((c, w), s) in c.iter().zip(cfg.weights).zip(cfg.s) {
        sum += (*c)? * Decimal::from(w) / Decimal::from(s);
    }
    Some(gbt8170(sum, 2))
}

/// Year-on-year change rate in percent, `(now − before)/before × 100`, to
/// 2 decimals; above 0 is worse for an index, below 0 better.
pub fn change_rate(now: Decimal, before: Decimal) -> Option<Decimal> {
    if before.is_zero() {
        return None;
    }
    Some(gbt8170((now - before) / before * Decimal::ONE_HUNDRED, 2))
}

/// Order of a ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smaller is better (composite index, PM2.5).
    Ascending,
    /// Larger is better (good-day ratio).
    Descending,
}

/// Ranks `keys` (1 = best); equal values share a rank ("1, 2, 2, 4");
/// entries without a value are ranked after all others, sharing the last rank.
pub fn rank(keys: &[Option<Decimal>], order: Order) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (Some(x), Some(y)) => match order {
            Order::Ascending => x.cmp(&y),
            Order::Descending => y.cmp(&x),
        },
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut ranks = vec![0; keys.len()];
    for (pos, &i) in idx.iter().enumerate() {
        ranks[i] = if pos > 0 && keys[idx[pos - 1]] == keys[i] {
            ranks[idx[pos - 1]]
        } else {
            pos + 1
        };
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn pct(values: &[&str], p: u32) -> Decimal {
        let mut v: Vec<Decimal> = values.iter().map(|s| d(s)).collect();
        percentile(&mut v, p).unwrap()
    }

    #[test]
    fn reference_percentiles() {
        // P082
        assert_eq!(pct(&["3", "4", "8", "2", "5", "4"], 90), d("6.5"));
        // P083
        let p = pct(
            &[
                "120", "95", "160", "180", "142", "133", "99", "175", "168", "150",
            ],
            90,
        );
        assert_eq!(p, d("175.5"));
        assert_eq!(gbt8170(p, 0), d("176"));
        // P085–P087
        let year: Vec<String> = (1..=365).map(|i| i.to_string()).collect();
        let year: Vec<&str> = year.iter().map(|s| s.as_str()).collect();
        assert_eq!(pct(&year, 90), d("328.6"));
        assert_eq!(pct(&year, 95), d("346.8"));
        assert_eq!(pct(&year, 98), d("357.72"));
        assert_eq!(gbt8170(pct(&year, 98), 0), d("358"));
        // P088
        let co = [
            "0.5", "0.6", "0.6", "0.7", "0.8", "0.8", "0.9", "1.0", "1.1", "1.2", "1.2", "1.3",
            "1.4", "1.5", "1.5", "1.6", "1.8", "2.0", "2.3", "2.9",
        ];
        assert_eq!(pct(&co, 95), d("2.33"));
        assert_eq!(gbt8170(pct(&co, 95), 1), d("2.3"));
    }

    #[test]
    fn composite_sums_before_rounding() {
        let c = [
            Some(d("9")),
            Some(d("15")),
            Some(d("0.7")),
            Some(d("192")),
            Some(d("39")),
            Some(d("21")),
        ];
        let cfg = CompositeConfig::GB3095_2012;
        assert_eq!(composite_index(&c, &cfg), Some(d("3.06")));
        let mut c2 = c;
        c2[3] = None;
        assert_eq!(composite_index(&c2, &cfg), None);
    }

    #[test]
    fn ranks_share_ties() {
        let keys = [Some(d("3")), Some(d("1")), Some(d("3")), None, Some(d("2"))];
        assert_eq!(rank(&keys, Order::Ascending), vec![3, 1, 3, 5, 2]);
        assert_eq!(rank(&keys, Order::Descending), vec![1, 4, 1, 5, 3]);
    }

    #[test]
    fn change_rate_sign() {
        assert_eq!(change_rate(d("4.5"), d("5")), Some(d("-10")));
    }
}
