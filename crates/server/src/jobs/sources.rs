//! Source supervision as data arrive: a subscriber of the commit feed
//! that keeps every registered outlet's last `window` hours and every
//! firm's meters in memory, judges them with `lantian-sources`, and raises
//! alarms (idempotent by key, so judging the same hours again never makes
//! a second alarm).
//!
//! - An outlet's hour is its device's hourly upload (2061: `-Avg`, the
//!   device's corrected `-ZsAvg`) or, when no hourly upload came for the
//!   hour, the mean of its real-time samples (2011: `-Rtd`, `-ZsRtd`) when
//!   they cover at least `min_valid_minutes` distinct minutes flagged N (HJ
//!   75's 45-minute rule); an hour with fewer is missing, unless most of
//!   its samples carry one flag (M, C, D, …), which the hour then takes. A
//!   later hourly upload replaces an hour made from samples.
//! - Meters are the register's: their device's real-time samples (ST=44,
//!   the meter's factor, `-Rtd` in kW) averaged over the windows of
//!   `PowerSettings`.
//! - "Now", for the trailing missing hours of a silent outlet, is the
//!   latest data hour any outlet sent (so a replay, or a county whose data
//!   runs late, is judged on its own clock).
//! - The register is read again when it changes (`register_stamp`), and
//!   every outlet judged again with its new limits.
//!
//! What the pages show of it (each outlet's recent hours, measured and
//! corrected against its limits; each firm's meter windows) is published
//! in [`Live`] after every round.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use lantian_sources::flags::Flag;
use lantian_sources::judge::{self, Event, Hours, Settings, fmt_label, label_of};
use lantian_sources::limits::Limit;
use lantian_sources::num::{self, Fixed};
use lantian_sources::power::{self, Meter, PowerSettings};
use lantian_sources::register::Firm;
use lantian_store::alarms::NewAlarm;
use lantian_store::enterprises::StoredFirm;
use lantian_store::{Store, StoredUpload};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, watch};

use crate::feed::{self, Committed, Cursor};

/// The judging job's settings (from the server's configuration).
#[derive(Debug, Clone)]
pub struct SupervisorSettings {
    pub rules: Settings,
    pub power: PowerSettings,
    /// Hours kept and judged per outlet.
    pub window_hours: i64,
    /// Distinct valid minutes an hour of real-time samples needs.
    pub min_valid_minutes: u32,
    /// Hours of each outlet the pages are given.
    pub live_hours: usize,
}

impl Default for SupervisorSettings {
    fn default() -> Self {
        SupervisorSettings {
            rules: Settings::default(),
            power: PowerSettings::default(),
            window_hours: 30 * 24,
            min_valid_minutes: 45,
            live_hours: 72,
        }
    }
}

/// One hour of one factor as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LiveValue {
    pub value: String,
    pub flag: String,
    /// Corrected to the limit's reference O2, where it has one.
    pub corrected: Option<String>,
}

/// An outlet's recent hours.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct OutletLive {
    pub outlet: String,
    pub mn: String,
    /// Hour labels (their end, Beijing time), oldest first.
    pub times: Vec<String>,
    /// Per factor code, one entry per time (`null`: no row).
    pub series: BTreeMap<String, Vec<Option<LiveValue>>>,
    /// The limits in force at the last hour: code → limit (mg/m³).
    pub limits: BTreeMap<String, String>,
}

/// A meter's recent windows.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct MeterLive {
    pub meter: String,
    pub name: String,
    pub role: String,
    pub rated_kw: String,
    /// Window starts (Beijing time) and mean kW.
    pub times: Vec<String>,
    pub kw: Vec<String>,
}

/// What the pages see of a firm.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct FirmLive {
    pub outlets: Vec<OutletLive>,
    pub meters: Vec<MeterLive>,
}

/// The live view, per credit code.
pub type Live = Arc<RwLock<HashMap<String, FirmLive>>>;

/// Real-time samples of one factor in one hour.
#[derive(Debug, Clone, Default)]
struct Acc {
    /// Distinct minutes (0–59) with a sample flagged N.
    minutes: u64,
    sum: Decimal,
    n: u32,
    zs_sum: Decimal,
    zs_n: u32,
    /// Samples by flag, for an hour with too few valid minutes.
    flags: BTreeMap<Flag, u32>,
    all_sum: Decimal,
    all_n: u32,
}

/// A registered outlet with a device.
struct Stack {
    credit: String,
    township: String,
    outlet: String,
    sample: bool,
    limits: Vec<Limit>,
    hours: Hours,
    /// Hours made from real-time samples (an hourly upload replaces them).
    from_samples: HashSet<(i64, String)>,
    /// Real-time samples of hours not yet closed: (slot, code).
    open: BTreeMap<(i64, String), Acc>,
    /// The earliest hour changed since it was last judged (`i64::MAX`:
    /// none; `i64::MIN`: judge the whole window — new, or new limits).
    changed_from: i64,
}

/// A firm's meters.
struct MeterGroup {
    credit: String,
    township: String,
    sample: bool,
    catering: bool,
    meters: Vec<(lantian_sources::register::Meter, Windows)>,
}

/// A review mark over an outlet's hours: (factor code or every factor,
/// first slot, end slot exclusive).
type Mark = (Option<String>, i64, i64);

/// A meter's windows: window index → (sum of kW, samples).
type Windows = BTreeMap<i64, (Decimal, u32)>;

/// The job's state.
pub struct Supervisor {
    s: SupervisorSettings,
    settings_json: String,
    stamp: i64,
    /// Device id → MN (of every registered device).
    devices: HashMap<i64, String>,
    /// Site code → the MNs of its devices.
    site_mns: HashMap<String, Vec<String>>,
    /// Active review marks (数据审核) by outlet MN: (code or every
    /// factor, first slot, end slot exclusive); and the ids they came from.
    marks: HashMap<String, Vec<Mark>>,
    mark_ids: Vec<i64>,
    /// Outlet MN → its stack.
    stacks: HashMap<String, Stack>,
    /// Credit code → meters.
    groups: HashMap<String, MeterGroup>,
    /// Meter MN → (credit code, meter index, factor).
    meter_of: HashMap<String, Vec<(String, usize, String)>>,
    now_slot: i64,
    /// What was raised: key → (end, hours).
    raised: HashMap<String, (String, usize)>,
    dirty: HashSet<String>,
    dirty_groups: HashSet<String>,
    cursor: Cursor,
    unknown: Vec<lantian_store::UploadRec>,
    pub live: Live,
}

/// The local hour slot of a UTC instant (hours since 1970-01-01 00:00
/// Beijing time).
fn slot_of_utc(s: i64) -> i64 {
    (s + 8 * 3600).div_euclid(3600)
}

fn parse_flag(f: Option<&str>) -> Flag {
    Flag::parse(f.unwrap_or(""))
}

fn round3(d: Decimal) -> Option<Fixed> {
    Fixed::from_decimal(
        d.round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointNearestEven)
            .normalize(),
    )
}

impl Supervisor {
    pub fn new(s: SupervisorSettings) -> Self {
        let settings_json = serde_json::json!({"rules": s.rules, "power": s.power, "min_valid_minutes": s.min_valid_minutes}).to_string();
        Supervisor {
            s,
            settings_json,
            stamp: -1,
            devices: HashMap::new(),
            site_mns: HashMap::new(),
            marks: HashMap::new(),
            mark_ids: vec![-1],
            stacks: HashMap::new(),
            groups: HashMap::new(),
            meter_of: HashMap::new(),
            now_slot: i64::MIN,
            raised: HashMap::new(),
            dirty: HashSet::new(),
            dirty_groups: HashSet::new(),
            cursor: Cursor::default(),
            unknown: Vec::new(),
            live: Live::default(),
        }
    }

    /// Loads the register and the devices, then every stored upload of the
    /// window (the start, or a restart).
    pub async fn rebuild(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        self.cursor = Cursor::starting_at(store.last_commit_id().await?);
        self.reload_register(store).await?;
        self.read_devices(store).await?;
        self.reload_marks(store).await?;
        const KINDS: [&str; 5] = ["cems", "fume", "electricity", "vocs", "other"];
        // The window is of the data's own clock: the latest hour any
        // outlet sent (a meter is not an outlet: meters whose clock runs
        // ahead, or hourly loads stored for an alert's compliance, must not
        // push every stack's hours out of the window); the meters' own
        // latest only when no outlet has sent anything.
        let mut latest = i64::MIN;
        for kind in KINDS.iter().filter(|k| **k != "electricity") {
            if let Some(t) = store.latest_data_time(kind).await? {
                latest = latest.max(t);
            }
        }
        if latest == i64::MIN
            && let Some(t) = store.latest_data_time("electricity").await?
        {
            latest = t;
        }
        if latest == i64::MIN {
            return Ok(());
        }
        let since = latest - self.s.window_hours * 3600;
        for kind in KINDS {
            store
                .each_upload_since(kind, &[2061, 2011], since, &mut |u| self.apply(&u))
                .await?;
        }
        Ok(())
    }

    async fn read_devices(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        let devices = store.devices_bulk().await?;
        self.site_mns.clear();
        for d in &devices {
            self.site_mns
                .entry(d.spec.site.code.to_string())
                .or_default()
                .push(d.spec.mn.to_string());
        }
        self.devices = devices
            .into_iter()
            .map(|d| (d.id, d.spec.mn.to_string()))
            .collect();
        Ok(())
    }

    /// Reads the active review marks when they changed: a mark names a
    /// site (the outlet's device's site), so every outlet of that site
    /// whose marks changed is judged again over its whole window. An open
    /// alarm is re-raised by its key (its first hour), narrowed to the
    /// hours still judged; a mark over its first hour leaves it as it was
    /// (closing it is the bureau's act, with its reason).
    pub async fn reload_marks(&mut self, store: &Store) -> Result<bool, lantian_store::Error> {
        let rows = store.reviews(None, true).await?;
        let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        if ids == self.mark_ids {
            return Ok(false);
        }
        self.set_marks(&rows);
        self.mark_ids = ids;
        Ok(true)
    }

    /// Takes the active review marks (see [`Self::reload_marks`]).
    pub fn set_marks(&mut self, rows: &[lantian_store::reviews::ReviewRow]) {
        let mut marks: HashMap<String, Vec<Mark>> = HashMap::new();
        for r in rows.iter().filter(|r| r.restored_ms.is_none()) {
            for mn in self.site_mns.get(&r.site_code).into_iter().flatten() {
                marks.entry(mn.clone()).or_default().push((
                    r.code.clone(),
                    slot_of_utc(r.from_s),
                    slot_of_utc(r.to_s),
                ));
            }
        }
        for v in marks.values_mut() {
            v.sort();
        }
        let old = std::mem::replace(&mut self.marks, marks);
        let changed: HashSet<&String> = old
            .keys()
            .chain(self.marks.keys())
            .filter(|mn| old.get(*mn) != self.marks.get(*mn))
            .collect();
        for mn in changed {
            if let Some(st) = self.stacks.get_mut(mn) {
                st.changed_from = i64::MIN;
                self.dirty.insert(mn.clone());
            }
        }
    }

    /// Reads the register when it changed since the last read; every
    /// outlet is judged again with its limits.
    pub async fn reload_register(&mut self, store: &Store) -> Result<bool, lantian_store::Error> {
        let stamp = store.register_stamp().await?;
        if stamp == self.stamp {
            return Ok(false);
        }
        let firms = store.firms_bulk().await?;
        self.stamp = stamp;
        self.set_register(&firms);
        Ok(true)
    }

    /// Takes the register's outlets and meters (keeping the hours already
    /// read of outlets that stay).
    pub fn set_register(&mut self, firms: &[StoredFirm]) {
        let mut old = std::mem::take(&mut self.stacks);
        let mut old_groups = std::mem::take(&mut self.groups);
        self.meter_of.clear();
        for sf in firms {
            let f: &Firm = &sf.firm;
            for o in &f.outlets {
                let Some(mn) = &o.mn else { continue };
                let mut st = old.remove(mn).unwrap_or_else(|| Stack {
                    credit: String::new(),
                    township: String::new(),
                    outlet: String::new(),
                    sample: false,
                    limits: Vec::new(),
                    hours: Hours::default(),
                    from_samples: HashSet::new(),
                    open: BTreeMap::new(),
                    changed_from: i64::MIN,
                });
                // Its limits may have changed: the whole window again.
                st.changed_from = i64::MIN;
                st.credit = f.credit_code.clone();
                st.township = f.township.clone();
                st.outlet = o.code.clone();
                st.sample = f.sample;
                st.limits = f.limits_of(&o.code);
                self.dirty.insert(mn.clone());
                self.stacks.insert(mn.clone(), st);
            }
            if f.meters.is_empty() {
                continue;
            }
            let mut g = old_groups.remove(&f.credit_code).unwrap_or(MeterGroup {
                credit: f.credit_code.clone(),
                township: String::new(),
                sample: false,
                catering: false,
                meters: Vec::new(),
            });
            let kept: HashMap<String, BTreeMap<i64, (Decimal, u32)>> =
                g.meters.drain(..).map(|(m, w)| (m.code, w)).collect();
            let mut kept = kept;
            g.township = f.township.clone();
            g.sample = f.sample;
            g.catering = f.catering;
            for (i, m) in f.meters.iter().enumerate() {
                let w = kept.remove(&m.code).unwrap_or_default();
                g.meters.push((m.clone(), w));
                if let Some(mn) = &m.mn {
                    self.meter_of.entry(mn.clone()).or_default().push((
                        f.credit_code.clone(),
                        i,
                        m.factor.clone(),
                    ));
                }
            }
            self.dirty_groups.insert(f.credit_code.clone());
            self.groups.insert(f.credit_code.clone(), g);
        }
    }

    /// One stored upload.
    pub fn apply(&mut self, u: &StoredUpload<'_>) {
        let Some(mn) = self.devices.get(&u.device_id) else {
            return;
        };
        let slot = slot_of_utc(u.data_time);
        if let Some(targets) = self.meter_of.get(mn) {
            if u.cn != 2011 {
                return;
            }
            for (credit, i, factor) in targets.clone() {
                let Some(g) = self.groups.get_mut(&credit) else {
                    continue;
                };
                let minutes = if g.catering {
                    self.s.power.catering_window_minutes
                } else {
                    self.s.power.window_minutes
                };
                let w = (u.data_time + 8 * 3600).div_euclid(i64::from(minutes.max(1)) * 60);
                for v in &u.values {
                    if v.code != factor || v.field != "Rtd" || !matches!(v.flag, None | Some("N")) {
                        continue;
                    }
                    let Some(kw) = Fixed::parse(v.raw) else {
                        continue;
                    };
                    if let Some((_, windows)) = g.meters.get_mut(i) {
                        let e = windows.entry(w).or_default();
                        e.0 += kw.to_decimal();
                        e.1 += 1;
                    }
                    self.dirty_groups.insert(credit.clone());
                }
            }
            return;
        }
        let Some(st) = self.stacks.get_mut(mn) else {
            return;
        };
        st.changed_from = st.changed_from.min(slot);
        match u.cn {
            2061 => {
                // HJ 212: an hourly upload's DataTime is its hour's start.
                let mut zs: Vec<(&str, Fixed)> = Vec::new();
                for v in &u.values {
                    match v.field {
                        "Avg" => {
                            let flag = parse_flag(v.flag);
                            let Some(x) =
                                Fixed::parse(v.raw).or((flag != Flag::N).then_some(Fixed::ZERO))
                            else {
                                continue;
                            };
                            let key = (slot, v.code.to_string());
                            if st.from_samples.remove(&key) || !st.hours.has(v.code, slot) {
                                st.hours.put(v.code, slot, x, flag);
                            }
                        }
                        "ZsAvg" => {
                            if let Some(x) = Fixed::parse(v.raw) {
                                zs.push((v.code, x));
                            }
                        }
                        _ => {}
                    }
                }
                for (code, x) in zs {
                    st.hours.set_zs(code, slot, x);
                }
            }
            2011 => {
                let minute = ((u.data_time + 8 * 3600).rem_euclid(3600) / 60) as u32;
                for v in &u.values {
                    let key = (slot, v.code.to_string());
                    let flag = parse_flag(v.flag);
                    let Some(x) = Fixed::parse(v.raw) else {
                        continue;
                    };
                    let acc = st.open.entry(key).or_default();
                    match v.field {
                        "Rtd" => {
                            if flag == Flag::N {
                                acc.minutes |= 1u64 << minute.min(59);
                                acc.sum += x.to_decimal();
                                acc.n += 1;
                            }
                            *acc.flags.entry(flag).or_default() += 1;
                            acc.all_sum += x.to_decimal();
                            acc.all_n += 1;
                        }
                        "ZsRtd" if flag == Flag::N => {
                            acc.zs_sum += x.to_decimal();
                            acc.zs_n += 1;
                        }
                        _ => {}
                    }
                }
            }
            _ => return,
        }
        if slot > self.now_slot {
            self.now_slot = slot;
            // Every outlet is judged at a new hour (silent ones go missing).
            self.dirty.extend(self.stacks.keys().cloned());
        }
        self.dirty.insert(mn.clone());
    }

    /// Closes the real-time hours before the current one: each becomes an
    /// hour (or stays missing) by the 45-minute rule.
    fn close_hours(&mut self) {
        let now = self.now_slot;
        let min = self.s.min_valid_minutes;
        for st in self.stacks.values_mut() {
            let closing: Vec<(i64, String)> =
                st.open.keys().filter(|(s, _)| *s < now).cloned().collect();
            for key in closing {
                let Some(acc) = st.open.remove(&key) else {
                    continue;
                };
                let (slot, code) = (key.0, key.1.as_str());
                if st.hours.has(code, slot) {
                    continue; // an hourly upload came: it wins
                }
                st.changed_from = st.changed_from.min(slot);
                if acc.minutes.count_ones() >= min && acc.n > 0 {
                    let Some(mean) = round3(acc.sum / Decimal::from(acc.n)) else {
                        continue;
                    };
                    st.hours.put(code, slot, mean, Flag::N);
                    if acc.zs_n > 0
                        && let Some(z) = round3(acc.zs_sum / Decimal::from(acc.zs_n))
                    {
                        st.hours.set_zs(code, slot, z);
                    }
                    st.from_samples.insert(key.clone());
                } else if let Some((flag, n)) = acc
                    .flags
                    .iter()
                    .filter(|(f, _)| **f != Flag::N)
                    .max_by_key(|(_, n)| **n)
                    && *n * 2 > acc.all_n
                    && acc.all_n > 0
                    && let Some(mean) = round3(acc.all_sum / Decimal::from(acc.all_n))
                {
                    st.hours.put(code, slot, mean, *flag);
                    st.from_samples.insert(key.clone());
                }
            }
        }
    }

    /// Judges what changed; the alarms to raise (new events, and events
    /// that grew).
    pub fn judge(&mut self) -> Vec<NewAlarm> {
        self.close_hours();
        let now = self.now_slot;
        let window_from = now.saturating_sub(self.s.window_hours - 1);
        let mut out = Vec::new();
        let dirty: Vec<String> = self.dirty.drain().collect();
        let mut live_updates: Vec<(String, OutletLive)> = Vec::new();
        for mn in dirty {
            let Some(st) = self.stacks.get_mut(&mn) else {
                continue;
            };
            st.hours.drop_before(window_from);
            st.from_samples.retain(|(s, _)| *s >= window_from);
            let Some((first, _)) = st.hours.span() else {
                continue;
            };
            let span = (first, now.max(first));
            st.hours.cover(span.0, span.1);
            // Only the days that changed are judged again (older events
            // were raised when they happened); see `judge::judge_since`.
            let recent = std::mem::replace(&mut st.changed_from, i64::MAX).min(now);
            // Hours a data review marked invalid are judged as such.
            let reviewed = self.marks.get(&mn).map(|marks| {
                let mut h = st.hours.clone();
                for (code, from, to) in marks {
                    h.mark_reviewed(code.as_deref(), *from, *to);
                }
                h
            });
            let hours = reviewed.as_ref().unwrap_or(&st.hours);
            let events = if recent == i64::MIN {
                judge::judge(hours, &st.limits, &self.s.rules, span)
            } else {
                judge::judge_since(hours, &st.limits, &self.s.rules, span, recent)
            };
            let owner = format!("{}/{}", st.credit, st.outlet);
            for e in events {
                push_alarm(
                    &mut out,
                    &mut self.raised,
                    &owner,
                    st,
                    &e,
                    &self.settings_json,
                );
            }
            live_updates.push((
                st.credit.clone(),
                outlet_live(&mn, st, hours, self.s.live_hours, now),
            ));
        }
        let groups: Vec<String> = self.dirty_groups.drain().collect();
        let mut meter_updates: Vec<(String, Vec<MeterLive>)> = Vec::new();
        for credit in groups {
            let Some(g) = self.groups.get_mut(&credit) else {
                continue;
            };
            let minutes = if g.catering {
                self.s.power.catering_window_minutes
            } else {
                self.s.power.window_minutes
            };
            // Windows older than the outlets' window go.
            let keep_from = (window_from * 60).div_euclid(i64::from(minutes.max(1)));
            for (_, w) in g.meters.iter_mut() {
                w.retain(|k, _| now == i64::MIN || *k >= keep_from);
            }
            let meters: Vec<Meter> = g
                .meters
                .iter()
                .map(|(m, w)| Meter {
                    name: m.code.clone(),
                    role: m.role,
                    rated_kw: m.rated_kw,
                    windows: w
                        .iter()
                        .map(|(k, (s, n))| (*k, *s / Decimal::from(*n)))
                        .collect(),
                })
                .collect();
            let owner = format!("{credit}/meters");
            for e in power::judge(&meters, &self.s.power, g.catering) {
                let key = judge::alarm_key(&owner, &e);
                let end = fmt_label(e.end);
                if self
                    .raised
                    .get(&key)
                    .is_some_and(|(x, h)| *x == end && *h == e.minutes as usize)
                {
                    continue;
                }
                self.raised
                    .insert(key.clone(), (end.clone(), e.minutes as usize));
                out.push(NewAlarm {
                    key,
                    credit_code: g.credit.clone(),
                    township: g.township.clone(),
                    outlet: "meters".into(),
                    rule: e.rule.name().into(),
                    rule_version: e.rule.version().into(),
                    code: e.code.clone(),
                    start_label: fmt_label(e.start),
                    end_label: end,
                    hours: e.hours as i64,
                    minutes: i64::from(e.minutes),
                    max_value: None,
                    limit_value: None,
                    settings: self.settings_json.clone(),
                    evidence: serde_json::to_string(&e.evidence).unwrap_or_default(),
                    sample: g.sample,
                });
            }
            let live: Vec<MeterLive> = g
                .meters
                .iter()
                .map(|(m, w)| {
                    let recent: Vec<(&i64, &(Decimal, u32))> = w
                        .iter()
                        .rev()
                        .take(24 * 60 / minutes.max(1) as usize)
                        .collect();
                    let at = |k: i64| {
                        chrono::DateTime::from_timestamp(k * i64::from(minutes) * 60, 0)
                            .map_or(String::new(), |t| fmt_label(t.naive_utc()))
                    };
                    MeterLive {
                        meter: m.code.clone(),
                        name: m.name.clone(),
                        role: m.role.as_str().into(),
                        rated_kw: m.rated_kw.to_string(),
                        times: recent.iter().rev().map(|(k, _)| at(**k)).collect(),
                        kw: recent
                            .iter()
                            .rev()
                            .map(|(_, (s, n))| (*s / Decimal::from(*n)).round_dp(2).to_string())
                            .collect(),
                    }
                })
                .collect();
            meter_updates.push((credit, live));
        }
        let mut live = match self.live.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut touched: HashSet<String> = HashSet::new();
        for (credit, o) in live_updates {
            let f = live.entry(credit.clone()).or_default();
            if touched.insert(credit) {
                // Outlets that left the register go from the view.
            }
            match f.outlets.iter_mut().find(|x| x.outlet == o.outlet) {
                Some(x) => *x = o,
                None => {
                    f.outlets.push(o);
                    f.outlets.sort_by(|a, b| a.outlet.cmp(&b.outlet));
                }
            }
        }
        for (credit, m) in meter_updates {
            live.entry(credit).or_default().meters = m;
        }
        out
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

    /// Batches committed elsewhere (or missed), and uploads of devices
    /// registered since the registry was read.
    pub async fn catch_up(&mut self, store: &Store) -> Result<(), lantian_store::Error> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut got: Vec<lantian_store::UploadRec> = Vec::new();
        let r = self
            .cursor
            .catch_up(store, now, &mut |u| got.push(feed::owned_of(&u)))
            .await;
        for u in &got {
            if self.devices.contains_key(&u.device_id) {
                self.apply(&feed::stored_of(u));
            } else {
                self.unknown.push(u.clone());
            }
        }
        if !self.unknown.is_empty() {
            self.read_devices(store).await?;
            // New devices may be the sites of marks already read.
            self.mark_ids = vec![-1];
            for u in std::mem::take(&mut self.unknown) {
                self.apply(&feed::stored_of(&u));
            }
        }
        r.map(|_| ())
    }

    /// Outlets and meter groups held.
    pub fn size(&self) -> (usize, usize) {
        (self.stacks.len(), self.groups.len())
    }
}

fn push_alarm(
    out: &mut Vec<NewAlarm>,
    raised: &mut HashMap<String, (String, usize)>,
    owner: &str,
    st: &Stack,
    e: &Event,
    settings: &str,
) {
    let key = judge::alarm_key(owner, e);
    let end = fmt_label(e.end);
    if raised
        .get(&key)
        .is_some_and(|(x, h)| *x == end && *h == e.hours)
    {
        return;
    }
    raised.insert(key.clone(), (end.clone(), e.hours));
    out.push(NewAlarm {
        key,
        credit_code: st.credit.clone(),
        township: st.township.clone(),
        outlet: st.outlet.clone(),
        rule: e.rule.name().into(),
        rule_version: e.rule.version().into(),
        code: e.code.clone(),
        start_label: fmt_label(e.start),
        end_label: end,
        hours: e.hours as i64,
        minutes: i64::from(e.minutes),
        max_value: e.max.map(|m| m.normalize().to_string()),
        limit_value: e.limit.map(|l| l.normalize().to_string()),
        settings: settings.to_string(),
        evidence: serde_json::to_string(&e.evidence).unwrap_or_default(),
        sample: st.sample,
    });
}

fn outlet_live(mn: &str, st: &Stack, h: &Hours, hours: usize, now: i64) -> OutletLive {
    let from = now.saturating_sub(hours as i64 - 1).max(h.start);
    let to = now.min(h.start + h.len as i64 - 1);
    let mut o = OutletLive {
        outlet: st.outlet.clone(),
        mn: mn.to_string(),
        ..OutletLive::default()
    };
    if from > to {
        return o;
    }
    let last = label_of(to);
    for l in &st.limits {
        if l.applies(last) {
            o.limits.insert(l.code.clone(), l.limit.to_string());
        }
    }
    let o2 = h.codes.get(judge::O2_CODE);
    for slot in from..=to {
        o.times.push(fmt_label(label_of(slot)));
    }
    for (code, col) in &h.codes {
        let limit = st
            .limits
            .iter()
            .find(|l| &l.code == code && l.applies(last));
        let series = (from..=to)
            .map(|slot| {
                let i = usize::try_from(slot - h.start).ok()?;
                let flag = *col.flags.get(i)?;
                if !flag.is_present() {
                    return None;
                }
                let v = col.val(i);
                let corrected = match (limit.and_then(|l| l.ref_o2), o2) {
                    (Some(r), Some(oc)) if oc.flags.get(i).is_some_and(|f| f.is_present()) => {
                        num::corrected(v, oc.val(i), r)
                            .map(|d| d.round_dp(3).normalize().to_string())
                    }
                    _ => None,
                };
                Some(LiveValue {
                    value: v.to_string(),
                    flag: flag.letter().to_string(),
                    corrected,
                })
            })
            .collect();
        o.series.insert(code.clone(), series);
    }
    o
}

/// Keeps judging until `stop` says so.
pub async fn run(
    store: Store,
    mut feed: broadcast::Receiver<Arc<Committed>>,
    mut sup: Supervisor,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match sup.rebuild(&store).await {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, "source supervision: reading the register and data failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            m = feed.recv() => match m {
                Ok(c) => sup.committed(&c),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(batches = n, "source supervision fell behind the feed; reading the outbox");
                }
                Err(broadcast::error::RecvError::Closed) => {}
            },
            _ = tick.tick() => {
                if let Err(e) = sup.reload_register(&store).await {
                    tracing::warn!(error = %e, "source supervision: reading the register failed");
                }
                if let Err(e) = sup.catch_up(&store).await {
                    tracing::warn!(error = %e, "source supervision: reading the commit outbox failed");
                }
                // After the catch-up: a device it met for the first time
                // may be the site of a mark.
                if let Err(e) = sup.reload_marks(&store).await {
                    tracing::warn!(error = %e, "source supervision: reading the review marks failed");
                }
                let t = std::time::Instant::now();
                let alarms = sup.judge();
                let judged_ms = t.elapsed().as_millis() as u64;
                if !alarms.is_empty() {
                    match store.raise_alarms(&alarms).await {
                        Ok(r) => tracing::info!(opened = r.opened, extended = r.extended, judged_ms, "source supervision raised alarms"),
                        Err(e) => {
                            tracing::warn!(error = %e, "source supervision: storing alarms failed; they are raised again next round");
                            for a in &alarms {
                                sup.raised.remove(&a.key);
                            }
                        }
                    }
                }
            }
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_local_hours() {
        // 2026-01-05 03:00 Beijing = 2026-01-04 19:00 UTC.
        let utc = chrono::NaiveDate::from_ymd_opt(2026, 1, 4)
            .unwrap()
            .and_hms_opt(19, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let local = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(4, 0, 0)
            .unwrap();
        assert_eq!(
            label_of(slot_of_utc(utc)),
            local,
            "the hour starting 03:00 ends 04:00"
        );
        use lantian_sources::power::MeterRole;
        assert_eq!(MeterRole::parse("治污"), Ok(MeterRole::Treatment));
    }
}
