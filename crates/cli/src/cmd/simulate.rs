//! `lantian simulate`: devices that behave as HJ 212 says — every upload asks
//! for an answer (Flag=5), waits 10 s for the 9014, resends up to 3 times —
//! replaying real station hours (2061) or generating CEMS real-time data
//! (2011).

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{Days, NaiveDate, NaiveDateTime};
use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::frame::{Event, Framer, FramerConfig};
use lantian_hj212::segment::Packet;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::cmd::serve::{DEVICE_CSV_HEADER, runtime};
use lantian_assess::input::{self, Format, HourLabel, ReadOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Ambient stations: hourly 2061 uploads (replayed from --from, or generated).
    Ambient,
    /// Flue-gas CEMS: real-time 2011 uploads, generated.
    Cems,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// HOST:PORT of `lantian serve`'s HJ 212 listener.
    #[arg(long, required_unless_present = "write_devices")]
    pub target: Option<String>,
    #[arg(long, default_value_t = 10)]
    pub devices: usize,
    /// Stop after this many seconds (replay also stops when its data ends).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Station data to replay (a file or folder in any `assess` format).
    #[arg(long)]
    pub from: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "ambient")]
    pub kind: Kind,
    /// Total frames per second over all devices (default: as fast as acks come).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Write `MN QN DataTime` for every acknowledged frame.
    #[arg(long)]
    pub ack_log: Option<PathBuf>,
    /// Write the devices as CSV for `lantian device import`, and send nothing.
    #[arg(long)]
    pub write_devices: Option<PathBuf>,
    /// Seconds to wait for an answer before resending (the standard's default).
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Resends before giving up on a frame.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Protocol generation the devices speak: 2017 (Flag=5) or 2025 (Flag=9,
    /// heartbeats, RF=1 on re-sends after a dropped connection).
    #[arg(long, default_value = "2017", value_parser = ["2017", "2025"])]
    pub protocol: String,
    /// HJ 212-2025: encrypt CP bodies with SM4 (`{0x..}` text form), each
    /// device with its own key (written by --write-devices as `sm4_key`).
    #[arg(long, requires = "protocol")]
    pub encrypt: bool,
    /// HJ 212-2025: send a heartbeat (9015) after every N uploads.
    #[arg(long, default_value_t = 10)]
    pub heartbeat_every: u64,
    /// HJ 212-2025: start each device without an MN and announce it (1001)
    /// until the platform assigns one (1002); approve the printed logger ids
    /// with `lantian device approve`.
    #[arg(long)]
    pub activate: bool,
    /// HJ 212-2025 with --encrypt: each device asks for a new key (1014)
    /// before its data and switches to it.
    #[arg(long)]
    pub rotate_key: bool,
    /// Open the connections and hold them without sending (idle devices),
    /// for --duration seconds.
    #[arg(long)]
    pub idle: bool,
    /// MN prefix (keeps runs apart).
    #[arg(long, default_value = "LTSIM")]
    pub prefix: String,
}

/// Ambient devices send every pollutant in µg/m³ except CO (mg/m³, the table's default).
const AMBIENT_UNITS: &str = "a21026=ug/m3;a21004=ug/m3;a05024=ug/m3;a34002=ug/m3;a34004=ug/m3";

fn mn_of(prefix: &str, kind: Kind, i: usize) -> String {
    let k = if kind == Kind::Ambient { "A" } else { "C" };
    format!("{prefix}{k}{i:06}")
}

fn password_of(i: usize) -> String {
    format!("{:06}", (i * 7919 + 104_729) % 1_000_000)
}

/// A device's SM4 key: 16 characters derived from its index (the run must be
/// reproducible: the CSV written by --write-devices carries the same keys).
fn key_of(i: usize) -> [u8; 16] {
    let mut k = *b"LTSIMKEY00000000";
    for (j, b) in format!("{i:08}").bytes().enumerate() {
        k[8 + j] = b;
    }
    k
}

/// One frame of a device (2025: Flag=9, RF=1 for a re-send, CP encrypted
/// when the device has a key; the CRC is over the plaintext).
#[allow(clippy::too_many_arguments)]
fn device_frame(
    script: &Script,
    qn: &str,
    cn: &str,
    v2025: bool,
    resend: bool,
    dt: Option<&str>,
    cp: &str,
) -> Option<Vec<u8>> {
    let mut b = SegmentBuilder::new()
        .qn(qn)
        .st(script.st)
        .cn(cn)
        .pw(&script.pw)
        .mn(&script.mn)
        .flag(if v2025 { 9 } else { 5 });
    if resend && v2025 {
        b = b.field("RF", "1");
    }
    if let Some(dt) = dt {
        b = b.cp("DataTime", dt);
    }
    let seg = b.cp_raw(cp).build();
    // §6.4.4: data commands 2000–2999, 1014 and 3020 are encrypted.
    let encrypted = cn.parse().is_ok_and(lantian_hj212::crypto::is_encrypted_cn);
    match (&script.key, encrypted) {
        (Some(key), true) => {
            let crc = lantian_hj212::crc::hex4(lantian_hj212::crc::hj212(seg.as_bytes()));
            let enc = lantian_hj212::crypto::encrypt_segment(
                key,
                seg.as_bytes(),
                lantian_hj212::crypto::WireForm::Text,
            )
            .ok()?;
            let mut f = format!("##{:04}", seg.len()).into_bytes();
            f.extend(enc);
            f.extend(crc);
            f.extend(b"\r\n");
            Some(f)
        }
        _ => build::frame(&seg).ok(),
    }
}

/// One device's script: data times and CP bodies.
struct Script {
    mn: String,
    pw: String,
    /// HJ 212-2025 SM4 key when the device encrypts.
    key: Option<[u8; 16]>,
    st: &'static str,
    cn: &'static str,
    rows: VecDeque<(NaiveDateTime, String)>,
    generate: Option<(NaiveDateTime, u64)>,
}

/// A station's name and its hours: (hour start, CP body).
type StationRows = (String, Vec<(NaiveDateTime, String)>);

fn ambient_rows(from: &std::path::Path) -> Result<Vec<StationRows>> {
    let ds = input::read(
        from,
        &ReadOptions {
            format: Format::Auto,
            uci_hours: HourLabel::Start,
            long_co_unit: lantian_standards::pollutant::Unit::MgPerM3,
            progress: false,
            window: None,
        },
    )?;
    let Some((start, hours)) = ds.to_hours() else {
        bail!("no data in {}", from.display());
    };
    let mut out = Vec::new();
    for (st, h) in ds.stations.iter().zip(hours) {
        let mut rows = Vec::new();
        for i in 0..h.hours[0].len() {
            let mut items: Vec<String> = Vec::new();
            for (p, code) in lantian_assess::input::AMBIENT_CODES {
                if let Some(v) = h.hours[p.index()][i] {
                    items.push(format!("{code}-Avg={},{code}-Flag=N", v.normalize()));
                }
            }
            if items.is_empty() {
                continue;
            }
            let hour_start = start
                .checked_add_days(Days::new((i / 24) as u64))
                .and_then(|d| d.and_hms_opt((i % 24) as u32, 0, 0))
                .context("date out of range")?;
            rows.push((hour_start, items.join(";")));
        }
        out.push((st.name.clone(), rows));
    }
    Ok(out)
}

fn generated_cp(kind: Kind, n: u64, i: usize) -> String {
    // Deterministic, plausible values that vary by device and step.
    let x = ((n * 31 + i as u64 * 17) % 100) as f64;
    match kind {
        Kind::Ambient => format!(
            "a21026-Avg={:.0},a21026-Flag=N;a21004-Avg={:.0},a21004-Flag=N;a21005-Avg={:.1},a21005-Flag=N;a05024-Avg={:.0},a05024-Flag=N;a34002-Avg={:.0},a34002-Flag=N;a34004-Avg={:.0},a34004-Flag=N",
            5.0 + x / 10.0,
            20.0 + x / 3.0,
            0.4 + x / 100.0,
            40.0 + x,
            50.0 + x,
            30.0 + x / 2.0
        ),
        Kind::Cems => format!(
            "a00000-Rtd={:.2},a00000-Flag=N;a34013-Rtd={:.2},a34013-ZsRtd={:.2},a34013-Flag=N;a21026-Rtd={:.2},a21026-ZsRtd={:.2},a21026-Flag=N;a21002-Rtd={:.2},a21002-ZsRtd={:.2},a21002-Flag=N;a19001-Rtd={:.1},a19001-Flag=N;a01012-Rtd={:.1},a01012-Flag=N;a01013-Rtd={:.2},a01013-Flag=N;a01014-Rtd={:.1},a01014-Flag=N;a01011-Rtd={:.1},a01011-Flag=N",
            15.0 + x / 10.0,
            2.0 + x / 50.0,
            2.5 + x / 40.0,
            10.0 + x / 5.0,
            13.0 + x / 4.0,
            30.0 + x / 3.0,
            38.0 + x / 2.5,
            11.0 + x / 100.0,
            50.0 + x / 10.0,
            -0.2 + x / 1000.0,
            8.0 + x / 50.0,
            12.0 + x / 20.0
        ),
    }
}

#[derive(Default)]
struct Totals {
    activated: AtomicU64,
    keys_rotated: AtomicU64,
    heartbeats: AtomicU64,
    heartbeats_answered: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    values: AtomicU64,
}

/// Reads until the answer (`cn`, 9014 or 9013) to `qn` arrives (other frames are ignored).
async fn await_answer(
    stream: &mut TcpStream,
    framer: &mut Framer,
    buf: &mut [u8],
    qn: &str,
    cn: &str,
) -> Result<()> {
    loop {
        while let Some(ev) = framer.next_event() {
            if let Event::Frame(f) = ev
                && f.is_ok()
            {
                let s = String::from_utf8_lossy(f.segment);
                let p = Packet::parse(&s);
                if p.cn == Some(cn) && p.qn_any() == Some(qn) {
                    return Ok(());
                }
            }
        }
        let n = stream.read(buf).await?;
        if n == 0 {
            bail!("connection closed");
        }
        framer.push(&buf[..n]);
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_device(
    target: String,
    mut script: Script,
    kind: Kind,
    index: usize,
    deadline: Instant,
    interval: Option<Duration>,
    timeout: Duration,
    retries: u32,
    totals: Arc<Totals>,
    latencies: Arc<Mutex<Vec<u32>>>,
    ack_log: Option<Arc<Mutex<std::io::BufWriter<std::fs::File>>>>,
    v2025: bool,
    heartbeat_every: u64,
    prelude_flags: (String, bool, bool),
) {
    let mut stream: Option<TcpStream> = None;
    if prelude_flags.1 || prelude_flags.2 {
        let flags = (prelude_flags.0.as_str(), prelude_flags.1, prelude_flags.2);
        stream = prelude(&target, &mut script, index, flags, deadline, &totals).await;
    }
    let mut framer = Framer::new(FramerConfig::default());
    let mut buf = vec![0u8; 4096];
    let mut seq: u64 = 0;
    // Devices are not in step: each starts at its own phase of the interval.
    let mut next_send = Instant::now()
        + interval.map_or(Duration::ZERO, |iv| {
            iv.mul_f64((index % 997) as f64 / 997.0)
        });
    let mut my_lat = Vec::new();
    while Instant::now() < deadline {
        let (t, cp) = if let Some(row) = script.rows.pop_front() {
            row
        } else if let Some((start, step)) = script.generate {
            let t = start + chrono::Duration::seconds((seq * step) as i64);
            (t, generated_cp(kind, seq, index))
        } else {
            break;
        };
        seq += 1;
        if let Some(iv) = interval {
            let now = Instant::now();
            if next_send > now {
                tokio::time::sleep(next_send - now).await;
            }
            next_send += iv;
        }
        let dt = t.format("%Y%m%d%H%M%S").to_string();
        let qn = format!("{}{:03}", t.format("%Y%m%d%H%M%S"), seq % 1000);
        let Some(mut frame) = device_frame(&script, &qn, script.cn, v2025, false, Some(&dt), &cp)
        else {
            continue;
        };
        let mut reconnected = false;
        let values = cp.matches('=').count() as u64 - cp.matches("-Flag=").count() as u64;
        let mut acked = false;
        for attempt in 0..=retries {
            if Instant::now() >= deadline + timeout * (retries + 1) {
                break;
            }
            if stream.is_none() {
                match TcpStream::connect(&target).await {
                    Ok(s) => {
                        let _ = s.set_nodelay(true);
                        stream = Some(s);
                        framer = Framer::new(FramerConfig::default());
                        if seq > 1 || attempt > 0 {
                            reconnected = true;
                        }
                    }
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                }
            }
            let Some(s) = stream.as_mut() else { continue };
            if attempt > 0 {
                totals.retried.fetch_add(1, Relaxed);
                // HJ 212-2025: data re-sent after a dropped line carries RF=1.
                if v2025
                    && reconnected
                    && let Some(f) =
                        device_frame(&script, &qn, script.cn, v2025, true, Some(&dt), &cp)
                {
                    frame = f;
                }
            }
            let sent_at = Instant::now();
            totals.sent.fetch_add(1, Relaxed);
            if s.write_all(&frame).await.is_err() {
                stream = None;
                continue;
            }
            match tokio::time::timeout(timeout, await_answer(s, &mut framer, &mut buf, &qn, "9014"))
                .await
            {
                Ok(Ok(())) => {
                    my_lat.push(sent_at.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    acked = true;
                    break;
                }
                Ok(Err(_)) => stream = None,
                Err(_) => {}
            }
        }
        if acked
            && v2025
            && heartbeat_every > 0
            && seq.is_multiple_of(heartbeat_every)
            && let Some(s) = stream.as_mut()
        {
            // HJ 212-2025 heartbeat, answered 9013.
            let hq = format!("{}{:03}", t.format("%Y%m%d%H%M%S"), (seq + 500) % 1000);
            if let Some(hb) = device_frame(&script, &hq, "9015", true, false, None, "")
                && s.write_all(&hb).await.is_ok()
            {
                totals.heartbeats.fetch_add(1, Relaxed);
                if let Ok(Ok(())) = tokio::time::timeout(
                    timeout,
                    await_answer(s, &mut framer, &mut buf, &hq, "9013"),
                )
                .await
                {
                    totals.heartbeats_answered.fetch_add(1, Relaxed);
                }
            }
        }
        if acked {
            totals.acked.fetch_add(1, Relaxed);
            totals.values.fetch_add(values, Relaxed);
            if let Some(log) = &ack_log {
                let mut w = log.lock().await;
                let _ = writeln!(w, "{} {} {}", script.mn, qn, dt);
            }
        } else {
            totals.failed.fetch_add(1, Relaxed);
        }
    }
    latencies.lock().await.extend(my_lat);
}

/// Opens `n` connections, holds them `secs` seconds, reports how many stayed up.
fn hold_idle(target: &str, n: usize, secs: u64) -> Result<()> {
    runtime()?.block_on(async {
        let mut conns = Vec::with_capacity(n);
        let mut refused = 0;
        for _ in 0..n {
            match TcpStream::connect(target).await {
                Ok(s) => conns.push(s),
                Err(_) => refused += 1,
            }
        }
        eprintln!("holding {} idle connections for {secs} s", conns.len());
        tokio::time::sleep(Duration::from_secs(secs)).await;
        // Still open? A read that would block means the server kept it.
        let mut open = 0;
        for s in &conns {
            let mut b = [0u8; 1];
            if let Err(e) = s.try_read(&mut b)
                && e.kind() == std::io::ErrorKind::WouldBlock
            {
                open += 1;
            }
        }
        println!(
            "{}",
            json!({"connected": conns.len(), "refused": refused, "still_open": open})
        );
        anyhow::Ok(())
    })
}

/// The logger id (i23005-Info) a simulated 2025 device announces.
pub fn logger_id_of(prefix: &str, i: usize) -> String {
    let base: String = prefix.bytes().map(|b| format!("{b:02X}")).collect();
    let id = format!("{base}{i:08X}");
    id[id.len().saturating_sub(24)..].to_string()
}

/// Reads frames for `wait` (decrypting with the device's key) and returns
/// their data segments.
async fn read_frames(s: &mut TcpStream, key: Option<[u8; 16]>, wait: Duration) -> Vec<String> {
    let mut framer = Framer::new(FramerConfig {
        sm4_key: key,
        ..FramerConfig::default()
    });
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + wait;
    while let Ok(Ok(n)) = tokio::time::timeout_at(until, s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        framer.push(&buf[..n]);
        while let Some(ev) = framer.next_event() {
            if let Event::Frame(f) = ev
                && f.is_ok()
            {
                out.push(String::from_utf8_lossy(f.data_segment()).to_string());
            }
        }
    }
    out
}

/// Answers a platform command: 9011 (QnRtn=1) then 9012 (ExeRtn=1), 2025 flags.
async fn answer_command(s: &mut TcpStream, cmd: &str) {
    let p = Packet::parse(cmd);
    for seg in [build::request_answer(&p, 1), build::execution_result(&p, 1)] {
        if let Ok(f) = build::frame(&seg) {
            let _ = s.write_all(&f).await;
        }
    }
}

/// HJ 212-2025 prelude of a device: activation (1001 until a 1002 assigns
/// the MN) and a key exchange (1014). Returns the open connection.
async fn prelude(
    target: &str,
    script: &mut Script,
    index: usize,
    a: (&str, bool, bool),
    deadline: Instant,
    totals: &Totals,
) -> Option<TcpStream> {
    let (prefix, activate, rotate) = a;
    let mut s = TcpStream::connect(target).await.ok()?;
    if activate {
        let logger = logger_id_of(prefix, index);
        let assigned = std::mem::take(&mut script.mn);
        let mut n = 0u32;
        loop {
            if Instant::now() >= deadline {
                script.mn = assigned;
                return Some(s);
            }
            n += 1;
            let qn = format!("20250601085857{:03}", n % 1000);
            let cp = format!("i23005-Info={logger};i23006-Info=CPU{index:09}");
            let hello = device_frame(script, &qn, "1001", true, false, None, &cp)?;
            s.write_all(&hello).await.ok()?;
            let got = read_frames(&mut s, script.key, Duration::from_millis(1500)).await;
            if let Some(cmd) = got.iter().find(|g| g.contains(";CN=1002;")) {
                let p = Packet::parse(cmd);
                script.mn = p.mn.unwrap_or_default().to_string();
                if let Some(pw) = p.pw {
                    script.pw = pw.to_string();
                }
                answer_command(&mut s, cmd).await;
                totals.activated.fetch_add(1, Relaxed);
                break;
            }
        }
    }
    if rotate && let Some(old) = script.key {
        let hello = device_frame(
            script,
            "20250601085859000",
            "1014",
            true,
            false,
            None,
            "SKCreateTime=20250601085859000",
        )?;
        s.write_all(&hello).await.ok()?;
        let got = read_frames(&mut s, Some(old), Duration::from_millis(1500)).await;
        if let Some(cmd) = got.iter().find(|g| g.contains(";CN=1014;")) {
            let p = Packet::parse(cmd);
            if let Some(k) = p
                .cp_get("NewSK")
                .and_then(|k| <[u8; 16]>::try_from(k.as_bytes()).ok())
            {
                answer_command(&mut s, cmd).await;
                script.key = Some(k);
                totals.keys_rotated.fetch_add(1, Relaxed);
            }
        }
    }
    Some(s)
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[k] as f64 / 1000.0
}

/// Station data as the replayed devices send it: (name, hours).
pub(crate) fn station_rows(from: &std::path::Path) -> Result<Vec<StationRows>> {
    ambient_rows(from)
}

/// The MN and password of replayed ambient device `i` under `prefix`, and
/// the units its values come in.
pub(crate) fn ambient_device(prefix: &str, i: usize) -> (String, String, &'static str) {
    (
        mn_of(prefix, Kind::Ambient, i),
        password_of(i),
        AMBIENT_UNITS,
    )
}

/// Plays station `i`'s rows as device `i` (2061 every `every`, HJ 212-2017,
/// answers awaited as the standard says) until `deadline` or the rows end.
pub(crate) async fn replay_live(
    target: String,
    stations: Vec<StationRows>,
    prefix: String,
    every: Duration,
    deadline: Instant,
) {
    let totals = Arc::new(Totals::default());
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut set = tokio::task::JoinSet::new();
    for (i, (_, rows)) in stations.into_iter().enumerate() {
        let script = Script {
            mn: mn_of(&prefix, Kind::Ambient, i),
            pw: password_of(i),
            key: None,
            st: "22",
            cn: "2061",
            rows: rows.into(),
            generate: None,
        };
        set.spawn(run_device(
            target.clone(),
            script,
            Kind::Ambient,
            i,
            deadline,
            Some(every),
            Duration::from_secs(10),
            3,
            totals.clone(),
            latencies.clone(),
            None,
            false,
            10,
            (prefix.clone(), false, false),
        ));
    }
    while set.join_next().await.is_some() {}
}

pub fn run(a: Args) -> Result<()> {
    if a.devices == 0 {
        bail!("--devices must be at least 1");
    }
    let stations = match (&a.from, a.kind) {
        (Some(p), Kind::Ambient) => Some(ambient_rows(p)?),
        (Some(_), Kind::Cems) => {
            bail!("--from replays station data (ambient); CEMS data is generated")
        }
        (None, _) => None,
    };
    let scripts: Vec<Script> = (0..a.devices)
        .map(|i| {
            let (st, cn) = if a.kind == Kind::Ambient {
                ("22", "2061")
            } else {
                ("31", "2011")
            };
            let rows = stations
                .as_ref()
                .map(|s| s[i % s.len()].1.iter().cloned().collect())
                .unwrap_or_default();
            let start = NaiveDate::from_ymd_opt(2025, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default();
            let generate = stations.is_none().then(|| {
                let step = if a.kind == Kind::Ambient { 3600 } else { 30 };
                // Devices start at different offsets so their DataTimes never collide across runs of one prefix.
                (start, step)
            });
            Script {
                mn: mn_of(&a.prefix, a.kind, i),
                pw: password_of(i),
                key: a.encrypt.then(|| key_of(i)),
                st,
                cn,
                rows,
                generate,
            }
        })
        .collect();

    if let Some(path) = &a.write_devices {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        writeln!(w, "{DEVICE_CSV_HEADER}")?;
        for (i, s) in scripts.iter().enumerate() {
            let (site, site_name) = match &stations {
                Some(st) => {
                    let name = &st[i % st.len()].0;
                    let code = if i < st.len() {
                        name.clone()
                    } else {
                        format!("{name}-{i}")
                    };
                    (code, name.clone())
                }
                None => (format!("SIM{i:06}"), format!("simulated {i}")),
            };
            let (site_kind, kind, units) = match a.kind {
                Kind::Ambient => ("ambient", "ambient", AMBIENT_UNITS),
                Kind::Cems => ("outlet", "cems", ""),
            };
            // Dingling is Beijing's background site: out of area values.
            let assessment = if site_name.eq_ignore_ascii_case("Dingling") {
                0
            } else {
                1
            };
            let key = s
                .key
                .map(|k| String::from_utf8_lossy(&k).to_string())
                .unwrap_or_default();
            writeln!(
                w,
                "{},{},{site},{site_name},{site_kind},,,,{assessment},{kind},{},hj212,{units},,,{key}",
                s.mn, s.pw, a.protocol
            )?;
        }
        w.flush()?;
        eprintln!("wrote {} devices to {}", scripts.len(), path.display());
        return Ok(());
    }

    let target = a.target.clone().context("--target HOST:PORT is required")?;
    if a.idle {
        return hold_idle(&target, a.devices, a.duration);
    }
    let ack_log = match &a.ack_log {
        Some(p) => Some(Arc::new(Mutex::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )))),
        None => None,
    };
    let interval = a
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(a.devices as f64 / r));
    let totals = Arc::new(Totals::default());
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    runtime()?.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(a.duration);
        let mut set = tokio::task::JoinSet::new();
        for (i, s) in scripts.into_iter().enumerate() {
            set.spawn(run_device(
                target.clone(),
                s,
                a.kind,
                i,
                deadline,
                interval,
                Duration::from_secs(a.timeout),
                a.retries,
                totals.clone(),
                latencies.clone(),
                ack_log.clone(),
                a.protocol == "2025",
                a.heartbeat_every,
                (a.prefix.clone(), a.activate, a.rotate_key),
            ));
        }
        while set.join_next().await.is_some() {}
        if let Some(log) = &ack_log {
            let _ = log.lock().await.flush();
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = std::mem::take(&mut *latencies.blocking_lock());
    lat.sort_unstable();
    let acked = totals.acked.load(Relaxed);
    let values = totals.values.load(Relaxed);
    let summary = json!({
        "devices": a.devices,
        "sent": totals.sent.load(Relaxed),
        "acked": acked,
        "retried": totals.retried.load(Relaxed),
        "failed": totals.failed.load(Relaxed),
        "values_acked": values,
        "activated": totals.activated.load(Relaxed),
        "keys_rotated": totals.keys_rotated.load(Relaxed),
        "heartbeats": totals.heartbeats.load(Relaxed),
        "heartbeats_answered": totals.heartbeats_answered.load(Relaxed),
        "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
        "frames_per_s": (acked as f64 / elapsed).round(),
        "values_per_s": (values as f64 / elapsed).round(),
        "ack_latency_ms": {"p50": percentile_ms(&lat, 0.50), "p99": percentile_ms(&lat, 0.99), "max": percentile_ms(&lat, 1.0)},
    });
    println!("{summary}");
    Ok(())
}
