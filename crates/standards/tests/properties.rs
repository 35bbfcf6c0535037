//! Properties the standards imply, checked on arbitrary inputs.

use lantian_standards::Decimal;
use lantian_standards::aqi::{
    Inputs, Lookup, Reading, Report, Standard, breakpoints, compute, lookup,
};
use lantian_standards::pollutant::Indicator;
use lantian_standards::stats::percentile;
use proptest::prelude::*;

fn standard() -> impl Strategy<Value = Standard> {
    prop_oneof![Just(Standard::Hj633_2012), Just(Standard::Hj633_2026)]
}

fn indicator() -> impl Strategy<Value = Indicator> {
    (0usize..12).prop_map(|i| Indicator::ALL[i])
}

/// A concentration with up to 3 decimals in 0 … 4000.
fn conc() -> impl Strategy<Value = Decimal> {
    (0i64..4_000_000, 0u32..=3).prop_map(|(m, s)| Decimal::new(m, s))
}

fn index(l: Lookup) -> u16 {
    match l {
        Lookup::Index(v) => v,
        Lookup::AboveTable => 501,
        Lookup::Negative => panic!("negative"),
    }
}

proptest! {
    #[test]
    fn iaqi_is_monotone_in_concentration(s in standard(), ind in indicator(), a in conc(), b in conc()) {
        let t = breakpoints(s, ind);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(index(lookup(t, lo)) <= index(lookup(t, hi)));
    }

    #[test]
    fn iaqi_is_within_the_bracketing_levels(s in standard(), ind in indicator(), c in conc()) {
        if let Lookup::Index(v) = lookup(breakpoints(s, ind), c) {
            prop_assert!(v <= 500);
            // Zero only for a zero concentration (ceiling).
            prop_assert_eq!(v == 0, c.is_zero());
        }
    }

    #[test]
    fn aqi_is_the_max_of_the_iaqis(
        s in standard(),
        daily in any::<bool>(),
        values in proptest::collection::vec(proptest::option::of(conc()), 12),
    ) {
        let mut inputs = Inputs::new();
        for (ind, v) in Indicator::ALL.iter().zip(&values) {
            inputs.set(*ind, v.map_or(Reading::Missing, Reading::Value));
        }
        let report = if daily { Report::Daily } else { Report::Hourly };
        let r = compute(s, report, &inputs);
        let max = r.iaqi.iter().filter_map(|(_, v)| *v).max();
        prop_assert_eq!(r.max_iaqi, max);
        if let Some(a) = r.aqi {
            prop_assert_eq!(Some(a), max);
            if a > 50 {
                prop_assert!(!r.primary.is_empty());
                for p in &r.primary {
                    prop_assert_eq!(r.iaqi_of(*p), Some(a));
                }
            } else {
                prop_assert!(r.primary.is_empty());
            }
        }
        if r.missing.is_empty() {
            prop_assert_eq!(r.aqi, max);
        }
    }

    #[test]
    fn percentile_is_order_independent_and_bounded(
        mut v in proptest::collection::vec((0i64..100_000, 0u32..=2).prop_map(|(m, s)| Decimal::new(m, s)), 1..400),
        p in 1u32..=99,
        seed in any::<u64>(),
    ) {
        let min = *v.iter().min().unwrap();
        let max = *v.iter().max().unwrap();
        let mut shuffled = v.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut x = seed | 1;
        for i in (1..n).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let a = percentile(&mut v, p).unwrap();
        let b = percentile(&mut shuffled, p).unwrap();
        prop_assert_eq!(a, b);
        prop_assert!(a >= min && a <= max);
    }
}

proptest! {
    /// Any period — days, months, years, before, inside or after the data —
    /// evaluates without a panic, and its short months are whole months of
    /// the period, in order, never more than the data's months plus the
    /// runs between them.
    #[test]
    fn any_period_evaluates(start in -400i64..800, len in 0i64..1500) {
        use chrono::NaiveDate;
        use lantian_standards::evaluate::{daily_records, evaluate, Settings, StationHours};
        use lantian_standards::pollutant::Pollutant;
        let data_start = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
        let mut h = StationHours::new(data_start, 60);
        h.hours[Pollutant::Pm25.index()].iter_mut().step_by(2).for_each(|x| *x = Some(Decimal::from(35)));
        let s = Settings::default();
        let recs = daily_records(&h, &s);
        let from = data_start + chrono::Duration::days(start);
        let to = from + chrono::Duration::days(len);
        let e = evaluate(&recs, from, to, &s);
        let short = &e.pollutant(Pollutant::Pm25).short_months;
        prop_assert!(short.len() <= 2 * 3 + 1, "{short:?}");
        for m in short {
            let first = NaiveDate::from_ymd_opt(m.year, m.month, 1).unwrap();
            prop_assert!(first >= from, "{m:?} before {from}");
        }
    }
}
