//! The dashboard's figures, kept up to date from the commit feed. At start
//! a full read of the stored uploads (one row per upload) builds the
//! reader's dataset; from then on each committed batch is applied from
//! memory as the feed delivers it, and the outbox is read only for batches
//! this node did not deliver (another node's, or ones missed while the
//! feed lagged). Every `analysis_every_s`, if anything was applied, the
//! year to date is evaluated again (off the async workers) and the new
//! [`Snapshot`] swapped in.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lantian_assess::input::StoreReader;
use lantian_assess::review::{Mark, ReviewSettings};
use lantian_standards::targets::Targets;
use lantian_store::{Device, Store, StoredUpload};
use lantian_types::DeviceKind;
use tokio::sync::{broadcast, watch};

use crate::feed::{self, Committed, Cursor};
use crate::figures::{self, Snapshot};

/// A site without a township written takes the township its position
/// falls in (a written township always wins; outside every polygon, or
/// without a position, it stays without).
pub fn placed(site: &mut lantian_store::registry::Site, areas: Option<&lantian_fires::Areas>) {
    if site.township.is_some() {
        return;
    }
    if let (Some(a), Some(lon), Some(lat)) = (areas, site.lon, site.lat) {
        site.township = a.name_at(lon, lat).map(String::from);
    }
}

/// What the figures are built from, as far as it has been read.
#[derive(Default)]
pub struct Analyst {
    reader: StoreReader,
    devices: HashMap<i64, Device>,
    cursor: Cursor,
    /// Uploads applied since the last evaluation.
    dirty: bool,
    /// Uploads of devices not known yet (registered after the last
    /// registry read): applied once the registry is read again.
    unknown: Vec<lantian_store::UploadRec>,
    uploads: u64,
    /// The data review's active marks, as last read, and how they apply.
    marks: Vec<Mark>,
    review: ReviewSettings,
    /// The townships' boundaries as last read (their version): a station
    /// registered without a township is placed in the one its position
    /// falls in, for the townships' ranking; outside every one it stays
    /// without (never the nearest).
    places: Option<(i64, std::sync::Arc<lantian_fires::Areas>)>,
}

impl Analyst {
    /// Reads every stored ambient upload (the full rebuild).
    pub async fn rebuild(
        store: &Store,
        review: ReviewSettings,
    ) -> Result<Analyst, lantian_store::Error> {
        let mut a = Analyst {
            review,
            // The outbox's end before the read: any batch after it is
            // caught up, any before it is in the read (applying one twice
            // changes nothing).
            cursor: Cursor::starting_at(store.last_commit_id().await?),
            ..Analyst::default()
        };
        a.read_devices(store).await?;
        a.read_marks(store).await?;
        a.read_places(store).await?;
        let (reader, devices) = (&mut a.reader, &a.devices);
        a.uploads = store
            .each_upload(DeviceKind::Ambient.as_str(), &[2061, 2011], &mut |u| {
                apply_to(reader, devices, &u);
            })
            .await?;
        a.dirty = true;
        Ok(a)
    }

    async fn read_devices(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        self.devices = store
            .devices_bulk()
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        Ok(())
    }

    fn apply(&mut self, u: &StoredUpload<'_>) {
        if apply_to(&mut self.reader, &self.devices, u) {
            self.uploads += 1;
            self.dirty = true;
        }
    }

    /// A batch this node committed, from memory.
    pub fn committed(&mut self, c: &Committed) {
        if !self.cursor.needs(c.id) {
            return;
        }
        for u in &c.uploads {
            if self.devices.contains_key(&u.device_id) {
                self.apply(&feed::stored_of(u));
            } else {
                self.unknown.push(u.clone());
            }
        }
        self.cursor.mark(c.id);
    }

    /// Batches committed elsewhere (or missed), from the outbox; uploads of
    /// devices registered since the last registry read.
    pub async fn catch_up(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        let now = chrono::Utc::now().timestamp_millis();
        let (reader, devices, unknown) = (&mut self.reader, &self.devices, &mut self.unknown);
        let mut applied = 0u64;
        let r = self
            .cursor
            .catch_up(store, now, &mut |u| {
                if devices.contains_key(&u.device_id) {
                    applied += u64::from(apply_to(reader, devices, &u));
                } else {
                    unknown.push(feed::owned_of(&u));
                }
            })
            .await;
        self.uploads += applied;
        self.dirty |= applied > 0;
        if !self.unknown.is_empty() {
            self.read_devices(store).await?;
            for u in std::mem::take(&mut self.unknown) {
                self.apply(&feed::stored_of(&u));
            }
        }
        r.map(|_| ())
    }

    /// Reads the review's active marks; a change (a mark made or restored,
    /// here or on another node) makes the figures due again.
    pub async fn read_marks(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        let marks = lantian_assess::review_marks(store).await?;
        if marks != self.marks {
            self.marks = marks;
            self.dirty = true;
        }
        Ok(())
    }

    /// Reads the townships' boundaries when a new version was uploaded
    /// (the figures are due again: stations may fall in other townships).
    pub async fn read_places(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        let Some(b) = store.township_boundaries().await? else {
            return Ok(());
        };
        if self.places.as_ref().is_some_and(|(v, _)| *v == b.id) {
            return Ok(());
        }
        match lantian_fires::Areas::from_geojson(&b.geojson, &b.name_property) {
            Ok(areas) => {
                self.places = Some((b.id, std::sync::Arc::new(areas)));
                self.dirty = true;
            }
            Err(e) => tracing::warn!(version = b.id, error = %e, "township boundaries do not read"),
        }
        Ok(())
    }

    /// The figures of what was read, if anything changed since the last
    /// call (CPU work, off the async workers).
    pub async fn evaluate(&mut self, targets: Targets) -> Option<Snapshot> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        let places = self.places.as_ref().map(|(_, a)| a.clone());
        let sites = self
            .devices
            .values()
            .filter(|d| d.spec.kind == DeviceKind::Ambient)
            .map(|d| {
                let mut site = d.spec.site.clone();
                placed(&mut site, places.as_deref());
                (site.code.to_string(), site)
            })
            .collect();
        let reader = self.reader.clone();
        let uploads = self.uploads;
        let marks = self.marks.clone();
        let review = self.review;
        let built = tokio::task::spawn_blocking(move || {
            let (dataset, _) = reader.finish();
            if marks.is_empty() {
                return Snapshot::build(
                    figures::evaluate(dataset, targets, &[], &review),
                    sites,
                    uploads,
                );
            }
            let raw = Snapshot::build(
                figures::evaluate(dataset.clone(), targets, &[], &review),
                sites.clone(),
                uploads,
            );
            let mut snap = Snapshot::build(
                figures::evaluate(dataset, targets, &marks, &review),
                sites,
                uploads,
            );
            snap.raw = Some(Arc::new(raw));
            snap
        })
        .await;
        match built {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "evaluating the dashboard's figures failed; the last ones stay");
                None
            }
        }
    }
}

/// Feeds an ambient device's upload to the reader; false for other
/// devices (and unknown ones).
fn apply_to(
    reader: &mut StoreReader,
    devices: &HashMap<i64, Device>,
    u: &StoredUpload<'_>,
) -> bool {
    match devices.get(&u.device_id) {
        Some(d) if d.spec.kind == DeviceKind::Ambient => {
            reader.upload(lantian_assess::site_of(d), u);
            true
        }
        _ => false,
    }
}

fn publish(shared: &figures::Shared, snap: Snapshot) {
    let snap = Some(Arc::new(snap));
    match shared.write() {
        Ok(mut g) => *g = snap,
        Err(p) => *p.into_inner() = snap,
    }
}

/// Keeps `shared` fresh until `stop` says so.
pub async fn run(
    store: Store,
    mut feed: broadcast::Receiver<Arc<Committed>>,
    shared: figures::Shared,
    targets: Targets,
    review: ReviewSettings,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let t0 = std::time::Instant::now();
    let mut analyst = loop {
        match Analyst::rebuild(&store, review).await {
            Ok(a) => break a,
            Err(e) => {
                tracing::warn!(error = %e, "reading the stored data failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    let read_ms = t0.elapsed().as_millis() as u64;
    if let Some(snap) = analyst.evaluate(targets).await {
        tracing::info!(
            read_ms,
            ms = t0.elapsed().as_millis() as u64,
            uploads = snap.values,
            "dashboard figures built from the database"
        );
        publish(&shared, snap);
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            m = feed.recv() => match m {
                Ok(c) => analyst.committed(&c),
                // Fell behind: the outbox has what was missed.
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(batches = n, "figures fell behind the feed; reading the outbox");
                }
                Err(broadcast::error::RecvError::Closed) => {}
            },
            _ = tick.tick() => {
                if let Err(e) = analyst.catch_up(&store).await {
                    tracing::warn!(error = %e, "reading the commit outbox failed");
                }
                if let Err(e) = analyst.read_marks(&store).await {
                    tracing::warn!(error = %e, "reading the data review's marks failed");
                }
                if let Err(e) = analyst.read_places(&store).await {
                    tracing::warn!(error = %e, "reading the township boundaries failed");
                }
                let t = std::time::Instant::now();
                if let Some(snap) = analyst.evaluate(targets).await {
                    tracing::debug!(ms = t.elapsed().as_millis() as u64, uploads = snap.values, "dashboard figures rebuilt");
                    publish(&shared, snap);
                }
            }
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A written township wins; a position in a polygon takes its name;
    /// outside every polygon, or without a position, none.
    #[test]
    fn stations_without_a_township_are_placed_by_position() {
        let areas = lantian_fires::Areas::from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"羊册镇"},
              "geometry":{"type":"Polygon","coordinates":[[[113.0,32.0],[113.2,32.0],[113.2,32.2],[113.0,32.2],[113.0,32.0]]]}}]}"#,
            "name",
        )
        .unwrap();
        let site = |township: Option<&str>, at: Option<(f64, f64)>| lantian_store::registry::Site {
            code: lantian_types::SiteCode::parse("S1").unwrap(),
            name: "站".into(),
            kind: "ambient".parse().unwrap(),
            township: township.map(String::from),
            lon: at.map(|p| p.0),
            lat: at.map(|p| p.1),
            assessment: true,
        };
        let town = |mut s: lantian_store::registry::Site| {
            placed(&mut s, Some(&areas));
            s.township
        };
        assert_eq!(
            town(site(None, Some((113.1, 32.1)))).as_deref(),
            Some("羊册镇")
        );
        assert_eq!(
            town(site(Some("泌水街道"), Some((113.1, 32.1)))).as_deref(),
            Some("泌水街道")
        );
        assert_eq!(town(site(None, Some((114.0, 33.0)))), None);
        assert_eq!(town(site(None, None)), None);
        let mut s = site(None, Some((113.1, 32.1)));
        placed(&mut s, None);
        assert_eq!(s.township, None, "no boundaries: not placed");
    }
}
