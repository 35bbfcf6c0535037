//! The device registry's rows as operators write them: one CSV line per
//! device (`lantian device import`, `POST /api/v1/devices/import`) or the
//! same fields as JSON (`POST /api/v1/devices`), checked the same way
//! wherever they come from. Pure: the key sealing is passed in.

use lantian_store::{DeviceSpec, Site};
use lantian_types::{CrcDialect, DeviceKind, Mn, Protocol, SiteCode, SiteKind};

/// Seals a device's SM4 key as given (16 characters or 32 hex digits).
pub type Seal<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// The columns of `lantian device import` (and of `simulate --write-devices`).
pub const DEVICE_CSV_HEADER: &str = "mn,password,site,site_name,site_kind,township,lon,lat,assessment,kind,protocol,crc,units,rtd_interval_s,min_interval_min,sm4_key";

/// One CSV row into a device, or the reason it cannot be.
pub fn device_of_row(
    r: &csv::StringRecord,
    h: &csv::StringRecord,
    seal: Seal<'_>,
) -> Result<DeviceSpec, String> {
    let get = |name: &str| {
        h.iter()
            .position(|x| x.trim() == name)
            .and_then(|i| r.get(i))
            .map(str::trim)
            .unwrap_or("")
    };
    let opt = |name: &str| Some(get(name).to_string()).filter(|s| !s.is_empty());
    let num = |name: &str| -> Result<Option<f64>, String> {
        opt(name)
            .map(|s| {
                s.parse::<f64>()
                    .map_err(|_| format!("{name} `{s}` is not a number"))
            })
            .transpose()
    };
    let int = |name: &str| -> Result<Option<i64>, String> {
        opt(name)
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| format!("{name} `{s}` is not an integer"))
            })
            .transpose()
    };
    let mn = get("mn");
    if mn.is_empty() {
        return Err("empty mn".into());
    }
    let mn = Mn::parse(mn)?;
    let site = SiteCode::parse(&opt("site").ok_or("empty site")?)?;
    let crc = opt("crc").unwrap_or_else(|| "hj212".into());
    let crc = crc
        .parse::<CrcDialect>()
        .map_err(|_| format!("crc `{crc}`: hj212 or modbus"))?;
    let protocol = opt("protocol").unwrap_or_else(|| "auto".into());
    let protocol = protocol
        .parse::<Protocol>()
        .map_err(|_| format!("protocol `{protocol}`: auto, 2005, 2017 or 2025"))?;
    Ok(DeviceSpec {
        mn,
        password: opt("password").ok_or("empty password")?,
        site: Site {
            name: opt("site_name").unwrap_or_else(|| site.to_string()),
            code: site,
            kind: opt("site_kind").map_or(Ok(SiteKind::Ambient), |k| k.parse())?,
            township: opt("township"),
            lon: num("lon")?,
            lat: num("lat")?,
            assessment: !matches!(get("assessment"), "0" | "false" | "no"),
        },
        kind: opt("kind").map_or(Ok(DeviceKind::Ambient), |k| k.parse())?,
        protocol,
        crc,
        unit_overrides: get("units").to_string(),
        rtd_interval_s: int("rtd_interval_s")?,
        min_interval_min: int("min_interval_min")?,
        sm4_key_sealed: opt("sm4_key").map(|k| seal(&k)).transpose()?,
    })
}
