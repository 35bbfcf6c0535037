//! Forwarding up (数据转发): every committed upload of the chosen devices is
//! sent to each `[[forward]]` target over HJ 212 and re-sent until the
//! upper platform answers 9014.
//!
//! The durable queue is the commit outbox (`commits`), which every batch
//! writes in its own transaction: a target's forwarder reads the rows above
//! its floor, sends their uploads in order (per device, the order of the
//! outbox), and records each acknowledgement and its new floor in one
//! transaction (`store::forward`). A restart starts again at the floor and
//! skips what was acknowledged; a dropped line or a missing 9014 (after
//! `ack_timeout_s`) sends the unacknowledged frames again, in order. An
//! upload acknowledged but not yet recorded when the county stops is sent
//! once more: the upper platform keeps the first of an (MN, CN, DataTime)
//! and answers the second, so it is stored once.
//!
//! Readings written down here:
//! - A frame is rebuilt from the stored upload (its values as received,
//!   flags with them), with a new QN, the target's MN and PW, and the
//!   protocol's Flag version bits (2005: 0, 2017: 1, 2025: 2) with A = 1;
//!   for 2005 each factor code is the HJ/T 212-2005 code where one exists.
//!   A 2025 frame is sent without SM4 (the upper platform's key is not
//!   configured here).
//! - ST by the device's kind: ambient 22, VOCs 27, CEMS and fume 31, water
//!   32, dust 39, electricity 44, other 31.
//! - `devices = "*"` is every device with a line of its own; a station's
//!   intake device (hours that came from above or from files) is sent only
//!   when listed by MN.
//! - The first start with a target begins at the end of the outbox
//!   (`from_start = true`: at its beginning).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::segment::Packet;
use lantian_store::forward::{Ack, UploadKey};
use lantian_store::{Device, Store, StoredUpload};
use lantian_types::DeviceKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};

use crate::config::{ForwardDevices, ForwardTarget};
use crate::feed::{Committed, Cursor};

/// Outbox rows read per pass.
const ROWS_PER_READ: i64 = 200;

/// What a target's forwarder reports (the metrics, the 设备 page).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    pub name: String,
    pub target: String,
    pub protocol: String,
    pub connected: bool,
    /// Frames sent (re-sends included) and acknowledged.
    pub sent: u64,
    pub acked: u64,
    /// Frames sent again after a dropped line or a missing 9014.
    pub resent: u64,
    /// Uploads given up: never acknowledged after `max_tries` sends, or
    /// not expressible as a frame (logged each).
    pub given_up: u64,
    /// Uploads read from the outbox and not acknowledged yet.
    pub backlog: u64,
    /// Seconds since the oldest unacknowledged upload was received (0: none).
    pub lag_s: i64,
    /// The outbox floor: every row up to it is acknowledged.
    pub floor: i64,
    /// Last acknowledgement, UTC milliseconds.
    pub last_ack_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Lag beyond which the target's data alarm is raised (seconds).
    pub lag_alarm_s: u64,
}

/// Every target's status, shared with `/metrics` and the API.
pub type Statuses = Arc<Mutex<Vec<Status>>>;

/// One upload to send.
#[derive(Debug, Clone)]
struct Item {
    commit: i64,
    key: UploadKey,
    received_ms: i64,
    frame: Vec<u8>,
    qn: String,
    tries: i64,
    sent_at: Option<Instant>,
}

/// The device's kind as an HJ 212 ST.
pub fn st_of(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Ambient => "22",
        DeviceKind::Vocs => "27",
        DeviceKind::Cems | DeviceKind::Fume | DeviceKind::Other => "31",
        DeviceKind::Water => "32",
        DeviceKind::Dust => "39",
        DeviceKind::Electricity => "44",
    }
}

/// The target's frame of a stored upload: its values grouped per factor
/// (`code-Field=raw,…;`), DataTime in Beijing time.
pub fn frame_of(u: &StoredUpload<'_>, d: &Device, t: &ForwardTarget, qn: &str) -> Option<Vec<u8>> {
    let mn =
        t.mn.get(d.spec.mn.as_str())
            .map_or(d.spec.mn.as_str(), String::as_str);
    let pw = t.pw.as_deref().unwrap_or(&d.spec.password);
    let (bits, v2005) = match t.protocol.as_str() {
        "2005" => (0u8, true),
        "2025" => (2, false),
        _ => (1, false),
    };
    let local = chrono::DateTime::from_timestamp(u.data_time, 0)?
        .with_timezone(&lantian_types::time::beijing())
        .format("%Y%m%d%H%M%S")
        .to_string();
    // Values grouped by factor, in the order stored.
    let mut items: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for v in &u.values {
        let code = if v2005 {
            lantian_hj212::codes::factor(v.code)
                .and_then(|f| f.code_2005)
                .unwrap_or(v.code)
        } else {
            v.code
        };
        let pos = match items.iter().position(|(c, _)| c == code) {
            Some(p) => p,
            None => {
                items.push((code.to_string(), Vec::new()));
                items.len() - 1
            }
        };
        let fields = &mut items[pos].1;
        fields.push((format!("{code}-{}", v.field), v.raw.to_string()));
        if let Some(f) = v.flag
            && !fields.iter().any(|(k, _)| k.ends_with("-Flag"))
        {
            fields.push((format!("{code}-Flag"), f.to_string()));
        }
    }
    let mut b = SegmentBuilder::new()
        .qn(qn)
        .st(st_of(d.spec.kind))
        .cn(&u.cn.to_string())
        .pw(pw)
        .mn(mn)
        .flag((bits << 2) | 1)
        .cp("DataTime", &local);
    for (_, fields) in &items {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        b = b.item(&refs);
    }
    build::frame(&b.build()).ok()
}

/// Whether the target takes the device's uploads.
pub fn takes(t: &ForwardTarget, d: &Device) -> bool {
    match &t.devices {
        ForwardDevices::All(_) => !d.intake,
        ForwardDevices::List(mns) => mns.iter().any(|m| m == d.spec.mn.as_str()),
    }
}

/// QNs: Beijing milliseconds, strictly increasing within the process.
struct Qn(i64);

impl Qn {
    fn next(&mut self) -> String {
        let now = chrono::Utc::now().timestamp_millis();
        self.0 = (self.0 + 1).max(now);
        crate::qn_at(self.0)
    }
}

struct Forwarder {
    store: Store,
    t: ForwardTarget,
    statuses: Statuses,
    index: usize,
    cursor: Cursor,
    devices: HashMap<i64, Device>,
    devices_read: Option<Instant>,
    /// Uploads not sent yet (in order) and sent, awaiting 9014 (in order).
    queue: VecDeque<Item>,
    inflight: VecDeque<Item>,
    /// Outbox rows read, with their uploads not yet acknowledged.
    left: HashMap<i64, usize>,
    queued: BTreeSet<i64>,
    /// Acknowledgements not yet recorded; whether the floor moved since.
    acks: Vec<Ack>,
    /// Uploads given up (never acknowledged), not yet recorded.
    gave_up: Vec<Ack>,
    floor_moved: bool,
    qn: Qn,
    status: Status,
}

impl Forwarder {
    fn publish(&mut self) {
        self.status.backlog = (self.queue.len() + self.inflight.len()) as u64;
        self.status.floor = self.cursor.floor();
        let now = chrono::Utc::now().timestamp_millis();
        self.status.lag_s = self
            .inflight
            .iter()
            .chain(self.queue.iter())
            .map(|i| i.received_ms)
            .min()
            .map_or(0, |r| ((now - r) / 1000).max(0));
        let mut g = match self.statuses.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(s) = g.get_mut(self.index) {
            *s = self.status.clone();
        }
    }

    async fn read_devices(&mut self) -> Result<(), lantian_store::Error> {
        self.devices = self
            .store
            .devices_bulk()
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        self.devices_read = Some(Instant::now());
        Ok(())
    }

    /// Reads outbox rows above the floor into the queue (while the queue is short).
    async fn fill(&mut self) -> Result<(), lantian_store::Error> {
        if self.queue.len() + self.inflight.len() >= self.t.window * 4 {
            return Ok(());
        }
        if self
            .devices_read
            .is_none_or(|at| at.elapsed() > Duration::from_secs(10))
        {
            self.read_devices().await?;
        }
        let rows = self
            .store
            .commits_since(self.cursor.floor(), ROWS_PER_READ)
            .await?;
        for row in rows {
            if !self.cursor.needs(row.id) || self.queued.contains(&row.id) {
                continue;
            }
            let keys = row.keys();
            if keys.iter().any(|k| !self.devices.contains_key(&k.0)) {
                self.read_devices().await?;
            }
            let mine: Vec<UploadKey> = keys
                .into_iter()
                .filter(|k| self.devices.get(&k.0).is_some_and(|d| takes(&self.t, d)))
                .collect();
            let acked = self.store.forward_acked(&self.t.name, &mine).await?;
            let todo: Vec<UploadKey> = mine.into_iter().filter(|k| !acked.contains(k)).collect();
            let mut items = Vec::new();
            if !todo.is_empty() {
                let (devices, t, qn, unframed) = (
                    &self.devices,
                    &self.t,
                    &mut self.qn,
                    &mut self.status.given_up,
                );
                self.store
                    .uploads_by_keys(&todo, &mut |u| {
                        let Some(d) = devices.get(&u.device_id) else {
                            return;
                        };
                        let q = qn.next();
                        let Some(frame) = frame_of(&u, d, t, &q) else {
                            tracing::error!(target = %t.name, mn = d.spec.mn.as_str(), cn = u.cn, data_time = u.data_time,
                                "this upload cannot be written as one HJ 212 frame (too long); not forwarded");
                            *unframed += 1;
                            return;
                        };
                        {
                            items.push(Item {
                                commit: row.id,
                                key: (u.device_id, u.cn, u.data_time),
                                received_ms: u.received_ms,
                                frame,
                                qn: q,
                                tries: 0,
                                sent_at: None,
                            });
                        }
                    })
                    .await?;
                // The outbox order (the rows' keys), not the query's.
                let order: HashMap<UploadKey, usize> =
                    todo.iter().enumerate().map(|(i, k)| (*k, i)).collect();
                items.sort_by_key(|i| order.get(&i.key).copied());
            }
            if items.is_empty() {
                self.cursor.mark(row.id);
                self.floor_moved = true;
            } else {
                self.left.insert(row.id, items.len());
                self.queued.insert(row.id);
                self.queue.extend(items);
            }
        }
        let before = self.cursor.floor();
        self.cursor.settle(chrono::Utc::now().timestamp_millis());
        self.floor_moved |= self.cursor.floor() != before;
        Ok(())
    }

    /// A 9014 for `qn`.
    fn acked(&mut self, qn: &str) {
        let Some(pos) = self.inflight.iter().position(|i| i.qn == qn) else {
            return;
        };
        let Some(item) = self.inflight.remove(pos) else {
            return;
        };
        self.status.acked += 1;
        self.status.last_ack_ms = Some(chrono::Utc::now().timestamp_millis());
        self.acks.push(Ack {
            key: item.key,
            tries: item.tries,
        });
        self.done_with(item.commit);
    }

    /// An upload sent `max_tries` times without a 9014 (the upper platform
    /// does not know the device, or refuses the frame): logged, counted,
    /// recorded with `acked_ms` 0, and no longer holding the others up.
    fn give_up(&mut self, item: Item) {
        let mn = self
            .devices
            .get(&item.key.0)
            .map_or("?", |d| d.spec.mn.as_str());
        tracing::error!(target = %self.t.name, mn, cn = item.key.1, data_time = item.key.2, tries = item.tries,
            "the upper platform never acknowledged this upload; given up (check the device is registered there)");
        self.status.given_up += 1;
        self.gave_up.push(Ack {
            key: item.key,
            tries: item.tries,
        });
        self.done_with(item.commit);
    }

    /// One upload of outbox row `commit` is done with (acknowledged or given up).
    fn done_with(&mut self, commit: i64) {
        if let Some(n) = self.left.get_mut(&commit) {
            *n -= 1;
            if *n == 0 {
                self.left.remove(&commit);
                self.queued.remove(&commit);
                self.cursor.mark(commit);
                self.floor_moved = true;
            }
        }
    }

    /// The line is gone: what was in flight goes back to the front, in order.
    fn dropped(&mut self, why: String) {
        tracing::warn!(target = %self.t.name, error = %why, unacknowledged = self.inflight.len(), "forwarding line dropped; sending again after reconnecting");
        self.status.connected = false;
        self.status.last_error = Some(why);
        while let Some(mut i) = self.inflight.pop_back() {
            i.sent_at = None;
            self.queue.push_front(i);
        }
    }

    async fn record(&mut self) {
        if !self.gave_up.is_empty() {
            match self
                .store
                .record_forward_given_up(&self.t.name, &self.gave_up)
                .await
            {
                Ok(()) => self.gave_up.clear(),
                Err(e) => {
                    tracing::warn!(target = %self.t.name, error = %e, "recording given-up uploads failed; retrying")
                }
            }
        }
        if self.acks.is_empty() && !self.floor_moved {
            return;
        }
        // The floor kept is below every row still queued: the cursor may
        // have passed a queued row as a gap (a line down for minutes), and
        // a restart must read it again.
        let floor = match self.queued.first() {
            Some(&q) => self.cursor.floor().min(q - 1),
            None => self.cursor.floor(),
        };
        match self
            .store
            .record_forward(&self.t.name, &self.acks, floor)
            .await
        {
            Ok(()) => {
                self.acks.clear();
                self.floor_moved = false;
            }
            Err(e) => {
                tracing::warn!(target = %self.t.name, error = %e, "recording forwarded acknowledgements failed; retrying")
            }
        }
    }
}

/// Forwards to one target until `stop` says so.
pub async fn run(
    store: Store,
    t: ForwardTarget,
    index: usize,
    statuses: Statuses,
    mut feed: broadcast::Receiver<Arc<Committed>>,
    mut stop: watch::Receiver<bool>,
) {
    let floor = loop {
        let r = async {
            match store.forward_floor(&t.name).await? {
                Some(f) => Ok::<i64, lantian_store::Error>(f),
                None => {
                    let f = if t.from_start {
                        0
                    } else {
                        store.last_commit_id().await?
                    };
                    store.record_forward(&t.name, &[], f).await?;
                    Ok(f)
                }
            }
        }
        .await;
        match r {
            Ok(f) => break f,
            Err(e) => {
                tracing::warn!(target = %t.name, error = %e, "reading the forwarding floor failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    let status = Status {
        name: t.name.clone(),
        target: t.target.clone(),
        protocol: t.protocol.clone(),
        lag_alarm_s: t.lag_alarm_s,
        ..Status::default()
    };
    let mut f = Forwarder {
        store,
        cursor: Cursor::starting_at(floor),
        t,
        statuses,
        index,
        devices: HashMap::new(),
        devices_read: None,
        queue: VecDeque::new(),
        inflight: VecDeque::new(),
        left: HashMap::new(),
        queued: BTreeSet::new(),
        acks: Vec::new(),
        gave_up: Vec::new(),
        floor_moved: false,
        qn: Qn(0),
        status,
    };
    tracing::info!(target = %f.t.name, address = %f.t.target, floor, "forwarding started");
    let ack_timeout = Duration::from_secs(f.t.ack_timeout_s.max(1));
    let mut backoff = Duration::from_millis(250);
    let mut line: Option<TcpStream> = None;
    let mut framer = Framer::new(FramerConfig::default());
    let mut buf = vec![0u8; 8192];
    let mut last_record = Instant::now();
    loop {
        // The feed only wakes the forwarder; what to send is in the outbox.
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = feed.try_recv() {}
        if let Err(e) = f.fill().await {
            tracing::warn!(target = %f.t.name, error = %e, "reading the outbox failed");
        }
        // Connect when there is something to send.
        if line.is_none() && !f.queue.is_empty() {
            let c =
                tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&f.t.target)).await;
            match c {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    line = Some(s);
                    framer = Framer::new(FramerConfig::default());
                    f.status.connected = true;
                    f.status.last_error = None;
                    backoff = Duration::from_millis(250);
                }
                Ok(Err(e)) => f.status.last_error = Some(format!("connect {}: {e}", f.t.target)),
                Err(_) => f.status.last_error = Some(format!("connect {}: timed out", f.t.target)),
            }
            if line.is_none() {
                f.publish();
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        }
        // Send up to the window.
        if let Some(s) = line.as_mut() {
            let mut burst = Vec::new();
            while f.inflight.len() < f.t.window {
                let Some(mut i) = f.queue.pop_front() else {
                    break;
                };
                if f.t.max_tries > 0 && i.tries >= i64::from(f.t.max_tries) {
                    f.give_up(i);
                    continue;
                }
                if i.tries > 0 {
                    f.status.resent += 1;
                }
                i.tries += 1;
                i.sent_at = Some(Instant::now());
                burst.extend_from_slice(&i.frame);
                f.status.sent += 1;
                f.inflight.push_back(i);
            }
            if !burst.is_empty()
                && let Err(e) = s.write_all(&burst).await
            {
                line = None;
                f.dropped(format!("write: {e}"));
                continue;
            }
        }
        f.publish();
        // Wait for replies, new commits, a tick or the stop.
        let oldest = f.inflight.front().and_then(|i| i.sent_at);
        let wait = oldest.map_or(Duration::from_millis(500), |at| {
            (at + ack_timeout)
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(500))
        });
        let read = async {
            match line.as_mut() {
                Some(s) => s.read(&mut buf).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = tokio::time::timeout(wait, read) => match r {
                Ok(Ok(0)) => { line = None; f.dropped("closed by the upper platform".into()); }
                Ok(Err(e)) => { line = None; f.dropped(format!("read: {e}")); }
                Ok(Ok(n)) => {
                    framer.push(&buf[..n]);
                    let mut qns = Vec::new();
                    while let Some(ev) = framer.next_event() {
                        if let Event::Frame(fr) = ev
                            && fr.is_ok()
                            && let Ok(seg) = std::str::from_utf8(fr.data_segment())
                        {
                            let p = Packet::parse(seg);
                            if p.cn == Some("9014") && let Some(q) = p.qn_any() {
                                qns.push(q.to_string());
                            }
                        }
                    }
                    for q in qns {
                        f.acked(&q);
                    }
                }
                Err(_) => {
                    if oldest.is_some_and(|at| at.elapsed() >= ack_timeout) {
                        line = None;
                        f.dropped(format!("no 9014 within {} s", ack_timeout.as_secs()));
                    }
                }
            },
            m = feed.recv(), if f.queue.is_empty() && f.inflight.is_empty() => {
                // Something committed (or the feed lagged): read the outbox.
                let _ = m;
            }
            _ = stop.changed() => break,
        }
        if f.inflight.is_empty()
            || last_record.elapsed() > Duration::from_millis(200)
            || f.acks.len() >= 500
        {
            f.record().await;
            last_record = Instant::now();
        }
    }
    f.record().await;
    f.status.connected = false;
    f.publish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantian_store::PackedValue;

    fn target(protocol: &str) -> ForwardTarget {
        ForwardTarget {
            name: "city".into(),
            target: "127.0.0.1:1".into(),
            protocol: protocol.into(),
            devices: ForwardDevices::default(),
            mn: [("MN100".to_string(), "CITY100".to_string())].into(),
            pw: Some("654321".into()),
            from_start: false,
            window: 64,
            ack_timeout_s: 10,
            lag_alarm_s: 900,
            max_tries: 20,
        }
    }

    fn device() -> Device {
        let spec = lantian_store::testing::ambient_spec("MN100", "DS");
        Device {
            id: 7,
            spec,
            enabled: true,
            intake: false,
            last_seen_ms: None,
            latest_data_s: None,
        }
    }

    #[test]
    fn a_stored_upload_becomes_the_targets_frame() {
        let u = StoredUpload {
            device_id: 7,
            cn: 2061,
            data_time: 1_735_689_600, // 2025-01-01 08:00 +08:00
            received_ms: 0,
            values: vec![
                PackedValue {
                    code: "a34004",
                    field: "Avg",
                    raw: "35",
                    flag: Some("N"),
                },
                PackedValue {
                    code: "a21026",
                    field: "Avg",
                    raw: "8.5",
                    flag: Some("N"),
                },
            ],
        };
        let f = frame_of(&u, &device(), &target("2017"), "20250101080501000").unwrap();
        let text = String::from_utf8(f).unwrap();
        assert!(text.starts_with("##"), "{text}");
        assert!(
            text.contains("QN=20250101080501000;ST=22;CN=2061;PW=654321;MN=CITY100;Flag=5;CP=&&DataTime=20250101080000;a34004-Avg=35,a34004-Flag=N;a21026-Avg=8.5,a21026-Flag=N&&"),
            "{text}"
        );
        // 2005: version bits 0 and the old code of SO2 (02); PM2.5 has none.
        let text =
            String::from_utf8(frame_of(&u, &device(), &target("2005"), "1").unwrap()).unwrap();
        assert!(
            text.contains("Flag=1;") && text.contains("a34004-Avg=35") && !text.contains("a21026"),
            "{text}"
        );
        // What lantian's own framer reads back, CRC and all.
        let mut fr = Framer::new(FramerConfig::strict());
        fr.push(&frame_of(&u, &device(), &target("2025"), "2").unwrap());
        let Some(Event::Frame(x)) = fr.next_event() else {
            panic!("no frame")
        };
        assert!(x.is_ok());
        let p = Packet::parse(std::str::from_utf8(x.data_segment()).unwrap());
        assert_eq!(
            (p.cn, p.mn, p.flag().map(|f| f.0)),
            (Some("2061"), Some("CITY100"), Some(9))
        );
    }

    #[test]
    fn intake_devices_go_up_only_when_listed() {
        let mut d = device();
        let all = target("2017");
        assert!(takes(&all, &d));
        d.intake = true;
        assert!(!takes(&all, &d));
        let listed = ForwardTarget {
            devices: ForwardDevices::List(vec!["MN100".into()]),
            ..target("2017")
        };
        assert!(takes(&listed, &d));
    }
}
