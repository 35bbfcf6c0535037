//! `lantian hj212 decode|encode`: the HJ 212 codec on captures and by hand.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lantian_hj212::build::{self, SegmentBuilder};
use lantian_hj212::crc::CrcVariant;
use lantian_hj212::frame::{ErrorKind, Event, Frame, Framer, FramerConfig, Mode};
use lantian_hj212::message;
use lantian_hj212::segment::Packet;
use serde_json::{Map, Value, json};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Decode raw bytes (a capture file, or stdin) into one JSON object per frame.
    Decode(DecodeArgs),
    /// Build a frame from fields (device bring-up, tests).
    Encode(EncodeArgs),
}

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// Capture file; stdin when absent or `-`.
    pub file: Option<PathBuf>,
    /// The standard to the letter: length, 1024-byte limit, CRLF tail, header fields.
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Strict on the CRC, liberal on everything else (default).
    #[arg(long)]
    pub lenient: bool,
    /// Also accept CRC-16/MODBUS (a device dialect).
    #[arg(long)]
    pub modbus: bool,
    /// SM4 key of an HJ 212-2025 device: 16 characters (e.g. the standard's
    /// test key 0000000000000000) or 32 hex digits.
    #[arg(long)]
    pub key: Option<String>,
    /// Largest data segment accepted (bytes, at most 9999).
    #[arg(long, default_value_t = 4096)]
    pub max_segment: usize,
    /// Pretty-print each object over several lines.
    #[arg(long)]
    pub pretty: bool,
}

#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    /// QN (17 digits `YYYYMMDDhhmmsszzz`).
    #[arg(long)]
    pub qn: Option<String>,
    #[arg(long)]
    pub st: String,
    #[arg(long)]
    pub cn: String,
    #[arg(long)]
    pub pw: Option<String>,
    #[arg(long)]
    pub mn: Option<String>,
    /// Flag (0–255), e.g. 4 (2017, no answer) or 5 (answer required).
    #[arg(long)]
    pub flag: Option<u8>,
    #[arg(long, requires = "pno")]
    pub pnum: Option<u16>,
    #[arg(long, requires = "pnum")]
    pub pno: Option<u16>,
    /// The CP body, e.g. `DataTime=20250101080000;a34004-Rtd=35,a34004-Flag=N`.
    #[arg(long, default_value = "")]
    pub cp: String,
    /// Sign with CRC-16/MODBUS instead of the standard's CRC (to imitate such devices).
    #[arg(long)]
    pub modbus_crc: bool,
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Decode(a) => decode(&a),
        Command::Encode(a) => encode(&a),
    }
}

fn encode(a: &EncodeArgs) -> Result<()> {
    let mut b = SegmentBuilder::new();
    if let Some(qn) = &a.qn {
        b = b.qn(qn);
    }
    b = b.st(&a.st).cn(&a.cn);
    if let Some(pw) = &a.pw {
        b = b.pw(pw);
    }
    if let Some(mn) = &a.mn {
        b = b.mn(mn);
    }
    if let Some(f) = a.flag {
        b = b.flag(f);
    }
    if let (Some(n), Some(k)) = (a.pnum, a.pno) {
        b = b.split(n, k);
    }
    let seg = b.cp_raw(&a.cp).build();
    let variant = if a.modbus_crc {
        CrcVariant::Modbus
    } else {
        CrcVariant::Hj212
    };
    let frame = build::frame_with(&seg, variant)?;
    std::io::stdout().write_all(&frame)?;
    Ok(())
}

fn read_input(file: &Option<PathBuf>) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
        }
    }
    Ok(bytes)
}

/// The JSON object of one frame (see `lantian hj212 decode --help`).
pub fn frame_json(f: &Frame<'_>, mode: Mode) -> Value {
    let seg = f.data_segment();
    let (text, utf8_error) = match std::str::from_utf8(seg) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), None),
        Err(e) => (String::from_utf8_lossy(seg), Some(e.valid_up_to())),
    };
    let p = Packet::parse(&text);
    let mut warnings: Vec<String> = f.warnings.names().into_iter().map(String::from).collect();
    let mut problems: Vec<String> = Vec::new();
    if let Some(at) = utf8_error {
        problems.push(ErrorKind::NotUtf8 { at }.to_string());
    }
    let classified = message::classify(&p);
    let kind = match &classified {
        Ok(m) => Some(message_name(m)),
        Err(e) => {
            warnings.push(e.to_string());
            None
        }
    };
    let strict_problems = p.strict_problems();
    let error = match (&f.error, mode) {
        (Some(_), _) => f.to_error().map(|e| e.to_string()),
        (None, Mode::Strict) => problems
            .iter()
            .chain(strict_problems.iter())
            .next()
            .map(|e| {
                let mut msg = format!("{e} at byte {}", f.offset);
                if let Some(mn) = p.mn {
                    msg.push_str(&format!(", MN={mn}"));
                }
                if let Some(qn) = p.qn_any() {
                    msg.push_str(&format!(", QN={qn}"));
                }
                msg
            }),
        (None, Mode::Lenient) => {
            warnings.extend(strict_problems.iter().cloned());
            None
        }
    };
    warnings.extend(problems);
    let mut cp = Map::new();
    for e in &p.cp {
        cp.entry(e.key.to_string())
            .or_insert_with(|| json!(e.value));
    }
    let cp_items: Vec<Value> = p.cp.iter().map(|e| json!([e.key, e.value])).collect();
    let flag: Value = match (p.flag(), p.flag_text) {
        (Some(f), _) => json!(f.0),
        (None, Some(t)) => json!(t),
        _ => Value::Null,
    };
    let reply = if error.is_none() {
        build::platform_reply(&p).map(|r| String::from_utf8_lossy(&r).trim_end().to_string())
    } else {
        None
    };
    json!({
        "ok": error.is_none(),
        "error": error,
        "crc_ok": f.crc_ok(),
        "version": p.version().name(),
        "qn": p.qn_any(),
        "st": p.st,
        "cn": p.cn,
        "pw": p.pw,
        "mn": p.mn,
        "flag": flag,
        "pnum": p.pnum,
        "pno": p.pno,
        "data_time": p.data_time(),
        "cp": cp,
        "cp_items": cp_items,
        "extra": p.extra.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "message": kind,
        "offset": f.offset,
        "len_declared": f.declared_len,
        "len_bytes": f.segment.len(),
        "crc_sent": String::from_utf8_lossy(f.crc_text),
        "crc_computed": format!("{:04X}", f.crc_computed),
        "crc_variant": f.crc_match.map(|v| match v { CrcVariant::Hj212 => "hj212", CrcVariant::Modbus => "modbus" }),
        "tail": f.tail.name(),
        "encrypted": f.wire_form.map(|w| match w { lantian_hj212::crypto::WireForm::Binary => "binary", lantian_hj212::crypto::WireForm::Text => "text" }),
        "warnings": warnings,
        "reply": reply,
    })
}

fn message_name(m: &message::Message<'_>) -> String {
    use message::Message::*;
    match m {
        Data(d) => format!("upload {} ({} factors)", d.kind.cn(), d.factors.len()),
        DataRequest { kind, .. } => format!("request history {}", kind.cn()),
        StartStream { kind } => format!("start {}", kind.cn()),
        StopStream { kind } => format!("stop {}", kind.cn()),
        GetTime { .. } => "get time (1011)".into(),
        DeviceTime { .. } => "device time (1011)".into(),
        SetTime { .. } => "set time (1012)".into(),
        TimeCalibrationRequest => "time calibration request (1013)".into(),
        GetInterval(_) => "get interval".into(),
        IntervalIs { .. } => "interval upload".into(),
        SetInterval { .. } => "set interval".into(),
        SetPassword { .. } => "set password (1072)".into(),
        RequestAnswer { qn_rtn } => format!(
            "request answer 9011 (QnRtn={})",
            qn_rtn.map_or("?".into(), |v| v.to_string())
        ),
        ExecutionResult { exe_rtn } => format!(
            "execution result 9012 (ExeRtn={})",
            exe_rtn.map_or("?".into(), |v| v.to_string())
        ),
        NoticeAnswer => "notice answer 9013".into(),
        DataAnswer => "data answer 9014".into(),
        Heartbeat => "heartbeat (9015)".into(),
        HardwareSerials { logger_id, .. } => format!(
            "hardware serials (1001), logger {}",
            logger_id.unwrap_or("?")
        ),
        AssignMn { .. } => "assign MN (1002)".into(),
        KeyRequest { .. } => "key request (1014)".into(),
        NewKey { .. } => "new key (1014)".into(),
        Calibrate {
            pol_id,
            calibration_type,
        } => format!(
            "calibrate (3011) {} {}",
            pol_id.unwrap_or(""),
            match calibration_type {
                Some(0) => "zero",
                Some(1) => "span",
                _ => "",
            }
        ),
        Other { cn } => format!("command {cn}"),
    }
}

fn decode(a: &DecodeArgs) -> Result<()> {
    if a.max_segment > 9999 {
        bail!(
            "--max-segment {} is above 9999 (the length field has 4 digits)",
            a.max_segment
        );
    }
    let bytes = read_input(&a.file)?;
    let mode = if a.strict {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    let sm4_key = match a.key.as_deref() {
        None => None,
        Some(k) if k.len() == 16 => Some(<[u8; 16]>::try_from(k.as_bytes())?),
        Some(k) if k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let mut key = [0u8; 16];
            for (i, slot) in key.iter_mut().enumerate() {
                *slot = u8::from_str_radix(&k[2 * i..2 * i + 2], 16)?;
            }
            Some(key)
        }
        Some(k) => bail!("--key `{k}`: 16 characters or 32 hex digits"),
    };
    let cfg = FramerConfig {
        mode,
        max_segment: a.max_segment,
        accept_modbus: a.modbus,
        sm4_key,
    };
    let mut framer = Framer::new(cfg);
    framer.push(&bytes);
    framer.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut ok, mut bad) = (0usize, 0usize);
    while let Some(e) = framer.next_event() {
        let v = match e {
            Event::Frame(f) => {
                let v = frame_json(&f, mode);
                if v["ok"] == true {
                    ok += 1;
                } else {
                    bad += 1;
                }
                v
            }
            Event::Skipped {
                offset,
                bytes,
                error,
            } => {
                bad += 1;
                let what =
                    error.map_or_else(|| "not part of any frame".to_string(), |e| e.to_string());
                json!({
                    "ok": false,
                    "error": format!("skipped {} bytes at byte {offset}: {what}", bytes.len()),
                    "offset": offset,
                    "skipped": String::from_utf8_lossy(bytes),
                })
            }
        };
        let line = if a.pretty {
            serde_json::to_string_pretty(&v)?
        } else {
            serde_json::to_string(&v)?
        };
        writeln!(out, "{line}")?;
    }
    eprintln!("{ok} frames accepted, {bad} rejected or skipped");
    Ok(())
}
