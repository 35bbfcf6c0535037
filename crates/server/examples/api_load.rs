//! Load generator for the dashboard's API (BENCHMARKS.md, `tools/bench-api.sh`):
//! sends the calls the pages make, round robin, at a fixed total rate over
//! keep-alive connections, and prints latency percentiles as JSON.
//!
//! Open model: request i is due at `start + i / rate`, and its latency is
//! counted from when it was due, so a slow server cannot hide its queue by
//! slowing the generator down (no coordinated omission).
//!
//! `cargo run --release -p lantian-server --example api_load -- ADDR TOKEN RATE SECONDS [CONNECTIONS]`
//!
//! `LANTIAN_LOAD_PATHS=/a,/b` replaces the pages' calls with these paths.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// What the pages ask for (overview, targets, station, ranking, public).
const PATHS: [&str; 8] = [
    "/api/v1/overview",
    "/api/v1/targets",
    "/api/v1/stations",
    "/api/v1/stations/Dongsi/hourly?days=7",
    "/api/v1/stations/Dongsi/daily",
    "/api/v1/rankings",
    "/api/v1/public/now",
    "/api/v1/me",
];

/// One request on a keep-alive connection; the status.
async fn call(
    c: &mut BufReader<TcpStream>,
    addr: &str,
    token: &str,
    path: &str,
) -> std::io::Result<u16> {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept-Encoding: identity\r\n\r\n"
    );
    c.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    c.read_line(&mut line).await?;
    let status = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        c.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    c.read_exact(&mut body).await?;
    Ok(status)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: api_load ADDR TOKEN RATE SECONDS [CONNECTIONS]");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let token = args[2].clone();
    let rate: f64 = args[3].parse().expect("RATE");
    let secs: f64 = args[4].parse().expect("SECONDS");
    let conns: usize = args.get(5).map_or(16, |c| c.parse().expect("CONNECTIONS"));
    let total = (rate * secs) as usize;
    let paths: Arc<Vec<String>> = Arc::new(match std::env::var("LANTIAN_LOAD_PATHS") {
        Ok(list) => list.split(',').map(str::to_string).collect(),
        Err(_) => PATHS.iter().map(|p| p.to_string()).collect(),
    });
    let start = Instant::now() + Duration::from_millis(200);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..conns {
        let (addr, token, next, lat, errors, paths) = (
            addr.clone(),
            token.clone(),
            next.clone(),
            lat.clone(),
            errors.clone(),
            paths.clone(),
        );
        set.spawn(async move {
            let mut c = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));
            let _ = c.get_mut().set_nodelay(true);
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                let path = paths[i % paths.len()].as_str();
                match call(&mut c, &addr, &token, path).await {
                    Ok(200) => mine.push(due.elapsed().as_secs_f64() * 1000.0),
                    _ => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        c = BufReader::new(TcpStream::connect(&addr).await.expect("reconnect"));
                    }
                }
            }
            lat.lock().await.extend(mine);
        });
    }
    while set.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = std::mem::take(&mut *lat.lock().await);
    l.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"requests\":{},\"ok\":{},\"errors\":{},\"rate\":{rate},\"achieved_per_s\":{:.1},\"latency_ms\":{{\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{}}}}}",
        total,
        l.len(),
        errors.load(std::sync::atomic::Ordering::Relaxed),
        l.len() as f64 / elapsed,
        pct(&l, 0.5),
        pct(&l, 0.9),
        pct(&l, 0.99),
        pct(&l, 1.0)
    );
}
