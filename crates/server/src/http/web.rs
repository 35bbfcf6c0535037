//! The dashboard's files (`crates/server/web/`: one HTML page, its ES
//! modules and style, ECharts and lit-html from npm), embedded in the
//! binary and served from one wildcard route. Each file is
//! gzipped once, on first request, and sent gzipped to browsers that accept
//! it; the vendored library is cacheable for a day, the page's own files are
//! revalidated so an upgrade shows at once.

use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Assets;

fn gzipped(path: &str, bytes: &[u8]) -> Option<&'static [u8]> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, &'static [u8]>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().ok()?;
    if let Some(z) = c.get(path) {
        return Some(z);
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).ok()?;
    // Leaked once per embedded file: a fixed, small set.
    let z: &'static [u8] = Box::leak(e.finish().ok()?.into_boxed_slice());
    c.insert(path.to_string(), z);
    Some(z)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// One embedded file, gzipped when the browser accepts it.
pub fn asset(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "no such page\n").into_response();
    };
    let cache = if path.starts_with("vendor/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let base = [
        (header::CONTENT_TYPE, content_type(path)),
        (header::CACHE_CONTROL, cache),
        (header::VARY, "accept-encoding"),
    ];
    if gzip_ok && let Some(z) = gzipped(path, &file.data) {
        return (base, [(header::CONTENT_ENCODING, "gzip")], z).into_response();
    }
    (base, file.data.into_owned()).into_response()
}

pub async fn index(headers: HeaderMap) -> Response {
    asset("index.html", &headers)
}

/// Any embedded file by its path (`app.js`, `pages/overview.js`,
/// `vendor/echarts.min.js`, …).
pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    asset(&path, &headers)
}
