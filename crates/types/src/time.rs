//! Beijing time. Instants are stored as UTC; people read them in
//! Asia/Shanghai, which is UTC+8 all year (no daylight saving since 1991),
//! so a fixed offset is exact for every date lantian handles. Device clocks
//! (HJ 212 DataTime) also run on Beijing time.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

/// Beijing's offset from UTC, seconds.
pub const BEIJING_OFFSET_S: i32 = 8 * 3600;

/// The Asia/Shanghai offset.
pub fn beijing() -> FixedOffset {
    // 8 h is within ±24 h, so this always exists.
    FixedOffset::east_opt(BEIJING_OFFSET_S)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A Unix-ms instant as Beijing wall time.
pub fn beijing_ms(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&beijing()).naive_local())
}

/// A Unix-ms instant as `YYYY-MM-DD HH:MM:SS+08:00`.
pub fn shanghai_ms(ms: i64) -> Option<String> {
    beijing_ms(ms).map(|t| t.format("%Y-%m-%d %H:%M:%S+08:00").to_string())
}

/// A Unix-ms instant as `YYYY-MM-DD HH:MM` (Beijing), for messages people read.
pub fn shanghai_minute(ms: i64) -> String {
    beijing_ms(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Beijing wall time as a UTC instant (Unix seconds).
pub fn utc_seconds(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp() - i64::from(BEIJING_OFFSET_S)
}

/// Now, in Beijing wall time.
pub fn now_beijing() -> NaiveDateTime {
    Utc::now().with_timezone(&beijing()).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_is_utc_plus_eight() {
        // 2016-02-29T16:30:00Z is 2016-03-01 00:30 in Beijing.
        let ms = 1_456_763_400_000;
        assert_eq!(shanghai_ms(ms).unwrap(), "2016-03-01 00:30:00+08:00");
        let local = beijing_ms(ms).unwrap();
        assert_eq!(utc_seconds(local), ms / 1000);
    }
}
