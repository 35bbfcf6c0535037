//! The demo's data review: one sample mark (the PM2.5 analyser's
//! calibration, three morning hours at Dongsi the day before the live
//! replay starts), so the station page shows
//! a trail and the reviewed figures differ from the raw ones. The note says
//! it is a sample.

use anyhow::Result;
use chrono::NaiveDate;
use lantian_store::Store;
use lantian_store::reviews::NewReview;
use lantian_types::time::utc_seconds;

/// The station and hours of the sample mark, for the printed line.
pub const STATION: &str = "Dongsi";

/// Marks PM2.5 09:00–12:00 of the day before `live_from` at Dongsi
/// (calibration) unless a mark is there already. (A mark of all pollutants
/// over four hours would cost the day its O3 8-hour maximum and so its AQI.)
pub async fn seed(store: &Store, live_from: NaiveDate) -> Result<()> {
    if !store.reviews(Some(STATION), false).await?.is_empty() {
        return Ok(());
    }
    let Some(day) = live_from.pred_opt() else {
        return Ok(());
    };
    let at = |h: u32| day.and_hms_opt(h, 0, 0).map(utc_seconds);
    let (Some(from_s), Some(to_s)) = (at(9), at(12)) else {
        return Ok(());
    };
    let mark = NewReview {
        site_code: STATION.into(),
        code: Some("a34004".into()),
        from_s,
        to_s,
        reason: "calibration".into(),
        note: "示例标记：PM2.5 分析仪季度校准，校准期间数据无效（样例数据）".into(),
        evidence: "示例-校准记录-001".into(),
    };
    store.mark_review(&mark, "shenhe").await?;
    Ok(())
}
