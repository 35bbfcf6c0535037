//! One connection: bytes in, frames judged, a job for the writer, replies out
//! after the commit.
//!
//! Per read, every complete frame is judged ([`judge`]) into journal rows,
//! upload rows and the reply it is owed. They go to the writer as one job;
//! the connection waits for the commit, then sends the replies (9014/9013),
//! in order. A failed commit sends nothing: the device resends. While the
//! writer's queue is full the connection does not read (back-pressure).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use lantian_hj212::build;
use lantian_hj212::crc::CrcVariant;
use lantian_hj212::frame::{Event, Framer, FramerConfig, Mode};
use lantian_hj212::message::{self, DataTime, Message, Suffix};
use lantian_hj212::reassembly::{Assembly, Reassembler};
use lantian_hj212::segment::Packet;
use lantian_hj212::segment::Version;
use lantian_store::{Batch, Device, FrameRec, QuarantineRec, UploadRec, ValueRec, Verdict};
use lantian_types::{CrcDialect, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::Config;
use crate::metrics::Metrics;

/// Device clocks run on Beijing time.
const DEVICE_UTC_OFFSET_S: i64 = 8 * 3600;

/// The registry as the connections see it (reloaded periodically).
pub type Registry = Arc<RwLock<RegistryView>>;

/// Registered devices by MN, and approved data loggers (logger id → MN).
#[derive(Debug, Default)]
pub struct RegistryView {
    pub devices: HashMap<String, Device>,
    pub approved: HashMap<String, String>,
}

/// What a connection hands to the writer.
pub struct Job {
    pub batch: Batch,
    /// After the commit: the final verdict of each of the job's frames.
    pub done: oneshot::Sender<Result<Vec<Verdict>, String>>,
}

/// State shared by every connection.
pub struct Shared {
    pub cfg: Config,
    /// Opens the sealed SM4 keys of HJ 212-2025 devices.
    pub master: Option<[u8; 16]>,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    pub writer: mpsc::Sender<Job>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A frame turned into rows and a reply.
#[derive(Debug, Default)]
pub struct Judged {
    pub batch: Batch,
    pub reply: Option<Vec<u8>>,
    /// The device's SM4 key as registered.
    pub key: Option<[u8; 16]>,
    /// A key this frame's 1014 just issued: the connection uses it from now
    /// on (the registry learns it at its next reload).
    pub rotated_key: Option<[u8; 16]>,
}

/// A frame as the framer cut it.
pub struct FrameIn<'a> {
    pub raw: &'a [u8],
    /// The data segment (decrypted if the framer already had the key).
    pub segment: &'a [u8],
    pub error: Option<String>,
    pub crc: Option<CrcVariant>,
    pub crc_sent: Option<u16>,
    /// How the framer found the ciphertext, if it decrypted.
    pub wire_form: Option<lantian_hj212::crypto::WireForm>,
}

/// The SM4 key of a registered device, opened with the master key.
fn key_of(device: &Device, master: Option<&[u8; 16]>) -> Option<[u8; 16]> {
    let sealed = device.spec.sm4_key_sealed.as_deref()?;
    let key = crate::keys::open(master?, sealed);
    if key.is_none() {
        tracing::error!(mn = %device.spec.mn, "the device's SM4 key does not open with the master key");
    }
    key
}

/// The values of an upload packet (classified as `m`).
fn upload_of(
    p: &Packet<'_>,
    m: &Message<'_>,
    device: &Device,
    received_ms: i64,
) -> Option<UploadRec> {
    let Message::Data(up) = m else {
        return None;
    };
    if !matches!(up.kind.cn(), 2011 | 2051 | 2061 | 2031) {
        return None;
    }
    let data_time: DataTime = up.data_time?;
    let mut values = Vec::new();
    for f in &up.factors {
        let flag = f.get(Suffix::Flag).map(str::to_string);
        for (suffix, raw) in &f.fields {
            if matches!(suffix, Suffix::Flag | Suffix::EFlag) {
                continue;
            }
            values.push(ValueRec {
                code: f.code.to_string(),
                field: suffix.as_str().to_string(),
                raw: raw.to_string(),
                num: raw.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
                flag: flag.clone(),
            });
        }
    }
    Some(UploadRec {
        device_id: device.id,
        mn: device.spec.mn.to_string(),
        cn: up.kind.cn() as i64,
        data_time: data_time.unix_seconds(DEVICE_UTC_OFFSET_S),
        qn: p.qn_any().map(str::to_string),
        received_ms,
        // HJ 212-2025 RF=1: data re-sent after a gap, kept apart for data-quality review.
        late: p.is_resend(),
        values,
    })
}

/// Judges one frame (pure but for the registry read): what to journal, what
/// to store, what to answer.
pub fn judge(
    f: FrameIn<'_>,
    peer: &str,
    reg: &RegistryView,
    master: Option<&[u8; 16]>,
    reasm: &mut Reassembler,
    strict: bool,
) -> Judged {
    let received_ms = now_ms();
    let FrameIn {
        raw,
        segment,
        error: mut frame_error,
        crc,
        crc_sent,
        mut wire_form,
    } = f;
    // HJ 212-2025: a device with a key whose frame did not pass as is may
    // have encrypted its CP body (the header, with the MN, stays clear).
    let (known_mn, _) = lantian_hj212::frame::peek_mn_qn(segment);
    let key = known_mn
        .and_then(|mn| reg.devices.get(mn))
        .and_then(|d| key_of(d, master));
    let mut decrypted = None;
    if frame_error.is_some()
        && let Some(k) = &key
        && let Ok((plain, form)) = lantian_hj212::crypto::decrypt_segment(k, segment)
        && crc_sent == Some(lantian_hj212::crc::hj212(&plain))
    {
        frame_error = None;
        decrypted = Some(plain);
        wire_form = Some(form);
    }
    let segment = decrypted.as_deref().unwrap_or(segment);
    let text = String::from_utf8_lossy(segment);
    let p = Packet::parse(&text);
    // Classified once; every decision below reads this.
    let msg = message::classify(&p);
    let mut rec = FrameRec {
        received_ms,
        peer: peer.to_string(),
        mn: p.mn.map(str::to_string),
        qn: p.qn_any().map(str::to_string),
        cn: p.cn.map(str::to_string),
        device_id: p
            .mn
            .or(known_mn)
            .and_then(|mn| reg.devices.get(mn))
            .map(|d| d.id),
        verdict: Verdict::Rejected,
        reason: None,
        raw: raw.to_vec(),
        upload: None,
    };
    // Say which ciphertext form the device used (the standard leaves it open).
    if let Some(form) = wire_form {
        rec.reason = Some(format!("SM4-encrypted CP ({form:?} form)"));
    }
    let mut j = Judged {
        key,
        ..Judged::default()
    };
    let reject = |mut rec: FrameRec, j: &mut Judged, reason: String| {
        rec.reason = Some(reason);
        j.batch.frames.push(rec);
    };
    if let Some(e) = frame_error {
        reject(rec, &mut j, e);
        return j;
    }
    if strict && let Some(problem) = p.strict_problems().into_iter().next() {
        reject(rec, &mut j, problem);
        return j;
    }
    let quarantine = |rec: FrameRec, j: &mut Judged, reason: String| {
        tracing::warn!(peer, mn = rec.mn.as_deref().unwrap_or(""), reason = %reason, "frame quarantined");
        j.batch.quarantine.push(QuarantineRec {
            received_ms: rec.received_ms,
            peer: rec.peer.clone(),
            mn: rec.mn.clone(),
            reason: reason.clone(),
            raw: rec.raw.clone(),
        });
        let mut rec = rec;
        rec.verdict = Verdict::Quarantine;
        rec.reason = Some(reason);
        j.batch.frames.push(rec);
    };
    // HJ 212-2025 activation: a logger without an MN announces its serials.
    if let Ok(Message::HardwareSerials {
        logger_id,
        cpu_id,
        mac1,
        mac2,
    }) = &msg
        && p.mn.is_none_or(|mn| !reg.devices.contains_key(mn))
    {
        let Some(logger_id) = logger_id.filter(|l| !l.is_empty()) else {
            quarantine(rec, &mut j, "1001 without a logger id (i23005-Info)".into());
            return j;
        };
        j.batch.pending.push(lantian_store::PendingLogger {
            logger_id: logger_id.to_string(),
            cpu_id: cpu_id.map(str::to_string),
            mac1: mac1.map(str::to_string),
            mac2: mac2.map(str::to_string),
            peer: peer.to_string(),
            first_ms: received_ms,
            last_ms: received_ms,
            approved_mn: None,
        });
        let mut reply = msg
            .as_ref()
            .ok()
            .and_then(|m| build::platform_reply_to(&p, m, p.version()))
            .unwrap_or_default();
        match reg
            .approved
            .get(logger_id)
            .and_then(|mn| reg.devices.get(mn))
        {
            Some(dev) => {
                // Approved: assign the MN (1002); the logger answers 9011/9012.
                let st = p.st.unwrap_or("22");
                if let Ok(f) = build::assign_mn(
                    &crate::qn_now(),
                    st,
                    &dev.spec.password,
                    dev.spec.mn.as_str(),
                    logger_id,
                ) {
                    reply.extend(f);
                }
                tracing::info!(peer, logger_id, mn = %dev.spec.mn, "activation: MN assigned (1002)");
                rec.reason = Some(format!("logger {logger_id} assigned MN {}", dev.spec.mn));
            }
            None => {
                tracing::info!(peer, logger_id, "activation: logger waits for approval");
                rec.reason = Some(format!("logger {logger_id} waits for approval"));
            }
        }
        rec.verdict = Verdict::Activation;
        j.batch.frames.push(rec);
        j.reply = (!reply.is_empty()).then_some(reply);
        return j;
    }
    let Some(device) = p.mn.and_then(|mn| reg.devices.get(mn)) else {
        let reason = match p.mn {
            Some(mn) => format!("unknown MN {mn}"),
            None => "no MN".to_string(),
        };
        quarantine(rec, &mut j, reason);
        return j;
    };
    if device.intake {
        quarantine(
            rec,
            &mut j,
            format!(
                "device {} is an intake device (HTTP push and import only)",
                device.spec.mn
            ),
        );
        return j;
    }
    if !device.enabled {
        quarantine(
            rec,
            &mut j,
            format!("device {} is disabled", device.spec.mn),
        );
        return j;
    }
    if p.pw != Some(device.spec.password.as_str()) {
        quarantine(
            rec,
            &mut j,
            format!("wrong password for MN {}", device.spec.mn),
        );
        return j;
    }
    if crc == Some(CrcVariant::Modbus) && device.spec.crc != CrcDialect::Modbus {
        reject(
            rec,
            &mut j,
            format!("CRC-16/MODBUS is not configured for MN {}", device.spec.mn),
        );
        return j;
    }
    // Answered in the device's configured protocol; `auto` (or anything
    // else) answers in the packet's own.
    let dialect = match device.spec.protocol {
        Protocol::V2005 => Version::V2005,
        Protocol::V2017 => Version::V2017,
        Protocol::V2025 => Version::V2025,
        Protocol::Auto => p.version(),
    };
    if dialect != p.version() {
        tracing::debug!(mn = %device.spec.mn, packet = p.version().name(), device = dialect.name(), "packet version differs from the device's protocol; answering in the device's");
    }
    let mut reply = msg
        .as_ref()
        .ok()
        .and_then(|m| build::platform_reply_to(&p, m, dialect));
    // HJ 212-2025 key exchange: the device asks (1014); the platform answers
    // 9013, seals the new key into this batch, and sends it (1014, encrypted
    // with the key in use) once the batch has committed.
    if let Ok(Message::KeyRequest { .. }) = &msg {
        match (j.key, master) {
            (Some(old), Some(m)) => match crate::keys::new_key() {
                Ok(new) => {
                    // Answer in the ciphertext form the device used.
                    let form = wire_form.unwrap_or(lantian_hj212::crypto::WireForm::Text);
                    let now = crate::qn_now();
                    let st = p.st.unwrap_or("22");
                    match build::new_key_frame(
                        &old,
                        form,
                        &now,
                        st,
                        &device.spec.password,
                        device.spec.mn.as_str(),
                        &now,
                        &new,
                    ) {
                        Ok(frame) => {
                            reply.get_or_insert_with(Vec::new).extend(frame);
                            j.batch
                                .keys
                                .push((device.spec.mn.to_string(), crate::keys::seal(m, &new)));
                            j.rotated_key = Some(new);
                            rec.reason = Some("SM4 key rotated".into());
                            tracing::info!(mn = %device.spec.mn, "SM4 key rotated (1014)");
                        }
                        Err(e) => {
                            tracing::error!(mn = %device.spec.mn, error = %e, "the new key's frame cannot be built")
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(mn = %device.spec.mn, error = %e, "no randomness for a new key")
                }
            },
            _ => {
                tracing::warn!(mn = %device.spec.mn, "1014 key request from a device without a key (or no master key): not rotated")
            }
        }
    }
    // Heard from: heartbeats count as much as data for online state.
    j.batch.seen.push((device.id, received_ms));
    if matches!(msg, Ok(Message::Heartbeat)) {
        rec.verdict = Verdict::Heartbeat;
        j.batch.frames.push(rec);
        j.reply = reply;
        return j;
    }
    match reasm.push(&p) {
        Assembly::Single => match msg
            .as_ref()
            .ok()
            .and_then(|m| upload_of(&p, m, device, received_ms))
        {
            Some(up) => {
                rec.verdict = Verdict::Stored;
                rec.upload = Some(j.batch.uploads.len());
                j.batch.uploads.push(up);
            }
            None => {
                rec.verdict = if matches!(
                    msg,
                    Ok(Message::DataAnswer
                        | Message::NoticeAnswer
                        | Message::RequestAnswer { .. }
                        | Message::ExecutionResult { .. })
                ) {
                    Verdict::Answer
                } else {
                    Verdict::Other
                };
            }
        },
        Assembly::Pending { .. } => rec.verdict = Verdict::Part,
        Assembly::Complete(whole) => {
            // The whole packet is a packet of its own, classified once.
            let wp = Packet::parse(&whole);
            rec.verdict = Verdict::Other;
            if let Some(up) = message::classify(&wp)
                .ok()
                .and_then(|m| upload_of(&wp, &m, device, received_ms))
            {
                rec.verdict = Verdict::Stored;
                rec.upload = Some(j.batch.uploads.len());
                j.batch.uploads.push(up);
            }
        }
        Assembly::BadParts { pnum, pno } => {
            reject(
                rec,
                &mut j,
                format!("bad split packet: PNUM={pnum} PNO={pno}"),
            );
            return j;
        }
    }
    j.batch.frames.push(rec);
    j.reply = reply;
    j
}

/// Serves one connection until it closes, idles out, misbehaves or the
/// server shuts down.
pub async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let m = &shared.metrics;
    let cfg = &shared.cfg;
    let peer_s = peer.to_string();
    let mut framer = Framer::new(FramerConfig {
        mode: if cfg.strict {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        max_segment: cfg.max_segment,
        // Whether MODBUS is allowed is a per-device setting, decided in judge().
        accept_modbus: true,
        // HJ 212-2025 SM4 keys per device: not configured yet (issue 6).
        sm4_key: None,
    });
    let mut reasm = Reassembler::new(64);
    // Small per-connection buffers: 10,000 idle devices must fit in memory.
    let mut buf = vec![0u8; 4096];
    let idle = Duration::from_secs(cfg.idle_timeout_s.max(1));
    let mut garbage_since_frame = 0usize;
    let mut line_key: Option<[u8; 16]> = None;
    let mut last_mn: Option<String> = None;
    loop {
        let n = tokio::select! {
            r = tokio::time::timeout(idle, stream.read(&mut buf)) => match r {
                Err(_) => {
                    m.connections_idle_closed.fetch_add(1, Relaxed);
                    tracing::info!(peer = %peer_s, mn = last_mn.as_deref().unwrap_or(""), "idle timeout; closing");
                    break;
                }
                Ok(Ok(0)) | Ok(Err(_)) => 0,
                Ok(Ok(n)) => n,
            },
            _ = shutdown.changed() => break,
        };
        if n == 0 {
            framer.finish();
        } else {
            framer.push(&buf[..n]);
        }
        let mut batch = Batch::default();
        let mut replies: Vec<Vec<u8>> = Vec::new();
        {
            let registry = match shared.registry.read() {
                Ok(r) => r,
                Err(p) => p.into_inner(),
            };
            while let Some(ev) = framer.next_event() {
                match ev {
                    Event::Skipped { bytes, .. } => {
                        garbage_since_frame += bytes.len();
                        m.bytes_skipped.fetch_add(bytes.len() as u64, Relaxed);
                    }
                    Event::Frame(f) => {
                        let err = f.to_error().map(|e| e.to_string());
                        if err.is_none() {
                            garbage_since_frame = 0;
                        } else {
                            garbage_since_frame += f.raw.len();
                        }
                        let j = judge(
                            FrameIn {
                                raw: f.raw,
                                segment: f.data_segment(),
                                error: err,
                                crc: f.crc_match,
                                crc_sent: f.crc_sent,
                                wire_form: f.wire_form,
                            },
                            &peer_s,
                            &registry,
                            shared.master.as_ref(),
                            &mut reasm,
                            cfg.strict,
                        );
                        // The line's key: a key just issued wins over the
                        // registry's (which still holds the old one until it
                        // reloads; the judge falls back to it for frames in flight).
                        if j.rotated_key.is_some() {
                            line_key = j.rotated_key;
                        } else if line_key.is_none() {
                            line_key = j.key;
                        }
                        if framer.config().sm4_key != line_key {
                            framer.set_sm4_key(line_key);
                        }
                        if let Some(mn) = j.batch.frames.first().and_then(|r| r.mn.clone()) {
                            if last_mn.as_deref() != Some(mn.as_str()) {
                                tracing::Span::current().record("mn", mn.as_str());
                            }
                            last_mn = Some(mn);
                        }
                        batch.append(j.batch);
                        if let Some(r) = j.reply {
                            replies.push(r);
                        }
                    }
                }
            }
        }
        if !batch.is_empty() {
            let (tx, rx) = oneshot::channel();
            m.queue_depth.fetch_add(1, Relaxed);
            let sent = shared.writer.send(Job { batch, done: tx }).await;
            if sent.is_err() {
                break;
            }
            match rx.await {
                Ok(Ok(verdicts)) => {
                    for v in verdicts {
                        m.frame(v);
                    }
                    for r in &replies {
                        if stream.write_all(r).await.is_err() {
                            break;
                        }
                        m.replies_sent.fetch_add(1, Relaxed);
                    }
                }
                _ => {
                    tracing::error!(peer = %peer_s, mn = last_mn.as_deref().unwrap_or(""), "commit failed; nothing acknowledged");
                    break;
                }
            }
        }
        if n == 0 {
            break;
        }
        if garbage_since_frame > cfg.max_garbage_bytes {
            m.connections_garbage_closed.fetch_add(1, Relaxed);
            tracing::warn!(peer = %peer_s, bytes = garbage_since_frame, "only garbage; closing");
            break;
        }
    }
    tracing::debug!(mn = last_mn.as_deref().unwrap_or(""), "connection closed");
    let _ = stream.shutdown().await;
}
