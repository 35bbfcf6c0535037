//! GB/T 8170 rounding (数值修约规则) and exact integer helpers.
//!
//! GB/T 8170 rounds a discarded 5 followed by nothing (or only zeros) to the
//! even kept digit ("四舍六入五成双"), in one step only. On a decimal value
//! that is exactly `MidpointNearestEven`; we never round an `f64`.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds `value` to `dp` decimal places per GB/T 8170 (half to even).
/// The result carries exactly `dp` decimals (`3` → `3.0` for CO), as published.
pub fn gbt8170(value: Decimal, dp: u32) -> Decimal {
    let mut r = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    r.rescale(dp);
    r
}

/// `ceil(num / den)` for `den > 0`, exact on integers.
pub(crate) const fn ceil_div(num: i128, den: i128) -> i128 {
    let q = num / den;
    if num % den > 0 { q + 1 } else { q }
}

/// Exact mean of decimal values (`None` when empty).
///
/// The quotient is rounded by `rust_decimal` at its 28th significant digit.
/// That never moves a later GB/T 8170 decision: a mean of n values with at
/// most d decimals is p/(n·10^d); if it is not exactly a rounding midpoint it
/// differs from one by at least 1/(2·n·10^d), far above 10^-26 for any n and
/// d that air-quality data have.
pub fn mean(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    let mut n: u32 = 0;
    for v in values {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / Decimal::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn half_even_examples_from_the_reference() {
        assert_eq!(gbt8170(d("34.5"), 0), d("34"));
        assert_eq!(gbt8170(d("35.5"), 0), d("36"));
        assert_eq!(gbt8170(d("2.25"), 1), d("2.2"));
        assert_eq!(gbt8170(d("2.35"), 1), d("2.4"));
        assert_eq!(gbt8170(d("175.5"), 0), d("176"));
        // Only an exact 5 goes to even: 2.2501 is above the midpoint.
        assert_eq!(gbt8170(d("2.2501"), 1), d("2.3"));
    }

    #[test]
    fn ceil_div_is_exact() {
        assert_eq!(ceil_div(10, 5), 2);
        assert_eq!(ceil_div(11, 5), 3);
        assert_eq!(ceil_div(0, 5), 0);
    }
}
