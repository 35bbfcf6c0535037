//! The 137 official AQI values of one CNEMC national release hour
//! (2022-01-01 00:00, first 150 stations; `fixtures/README.md`) reproduced
//! exactly, with their primary pollutants, under HJ 633-2012's real-time
//! report: SO2, NO2, CO, O3 on their 1-h tables, PM10 and PM2.5 1-h values
//! on the 24-h table. The archive's O3 columns are swapped: `o3_24h` holds the
//! latest 1-h O3.

use lantian_standards::Decimal;
use lantian_standards::aqi::{Inputs, Reading, Report, Standard, compute};
use lantian_standards::pollutant::Pollutant;

const CSV: &str = include_str!("fixtures/cnemc-2022-01-01T00.csv");

fn pollutant_of_cnemc_name(name: &str) -> Pollutant {
    match name {
        "细颗粒物(PM2.5)" => Pollutant::Pm25,
        "颗粒物(PM10)" => Pollutant::Pm10,
        "二氧化硫" => Pollutant::So2,
        "二氧化氮" => Pollutant::No2,
        "一氧化碳" => Pollutant::Co,
        n if n.starts_with("臭氧") => Pollutant::O3,
        other => panic!("unknown CNEMC pollutant name {other}"),
    }
}

#[test]
fn official_aqi_of_137_stations() {
    let mut rdr = csv::Reader::from_reader(CSV.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (c_aqi, c_primary, c_code) = (col("aqi"), col("primarypollutant"), col("stationcode"));
    let keys = [
        ("so2", "SO2_1h"),
        ("no2", "NO2_1h"),
        ("co", "CO_1h"),
        ("o3_24h", "O3_1h"),
        ("pm10", "PM10_1h"),
        ("pm2_5", "PM2.5_1h"),
    ];
    let mut checked = 0;
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        rows += 1;
        let official = rec.get(c_aqi).unwrap();
        if official.is_empty() {
            continue;
        }
        let mut inputs = Inputs::new();
        for (column, key) in keys {
            let v = rec.get(col(column)).unwrap();
            let reading = if v.is_empty() {
                Reading::Missing
            } else {
                Reading::Value(v.parse::<Decimal>().unwrap())
            };
            inputs.set(key.parse().unwrap(), reading);
        }
        let r = compute(Standard::Hj633_2012, Report::Hourly, &inputs);
        let code = rec.get(c_code).unwrap();
        assert_eq!(r.aqi, Some(official.parse().unwrap()), "station {code}");
        let mut want: Vec<Pollutant> = rec
            .get(c_primary)
            .unwrap()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(pollutant_of_cnemc_name)
            .collect();
        want.sort();
        let mut got: Vec<Pollutant> = r.primary.iter().map(|i| i.pollutant).collect();
        got.sort();
        assert_eq!(got, want, "primary pollutant of station {code}");
        checked += 1;
    }
    assert_eq!(rows, 150);
    assert_eq!(checked, 137);
}
