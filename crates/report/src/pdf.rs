//! A report as PDF: the model's JSON and its SVG charts handed to one typst
//! template (`templates/report.typ`, compiled in), typeset with a CJK font
//! found on the machine and embedded as a subset.
//!
//! The font: `LANTIAN_REPORT_FONT` (a .ttf/.otf/.ttc file) when set, else
//! the first of [`FONT_FILES`] present — Debian's `fonts-noto-cjk` first
//! (SIL OFL 1.1), then WenQuanYi. Nothing is downloaded; without a font
//! the error says what to install.

use std::path::{Path, PathBuf};

use typst::foundations::{Dict, IntoValue};
use typst_as_lib::TypstEngine;

use crate::charts;
use crate::model::Report;

const TEMPLATE: &str = include_str!("../templates/report.typ");

/// Where a CJK font is looked for, in order.
pub const FONT_FILES: [&str; 6] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
];

/// Bold faces tried beside a regular one (same folder).
const BOLD_OF: [(&str, &str); 2] = [
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"),
];

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no CJK font for the report: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) or set LANTIAN_REPORT_FONT to a .ttf/.otf/.ttc file; looked for {0}"
    )]
    NoFont(String),
    #[error("cannot read the font {0}: {1}")]
    Font(PathBuf, std::io::Error),
    #[error("the font file {0} holds no font typst can use")]
    BadFont(PathBuf),
    #[error("typesetting the report failed: {0}")]
    Typst(String),
}

/// A loaded font: its files' bytes and the family name the template and
/// the charts ask for.
pub struct Fonts {
    faces: Vec<Vec<u8>>,
    pub family: String,
    pub files: Vec<PathBuf>,
}

impl Fonts {
    /// The font named by `LANTIAN_REPORT_FONT`, or the first found.
    pub fn find() -> Result<Fonts, PdfError> {
        if let Some(p) = std::env::var_os("LANTIAN_REPORT_FONT") {
            return Fonts::load(&[PathBuf::from(p)]);
        }
        let Some(regular) = FONT_FILES.iter().map(Path::new).find(|p| p.is_file()) else {
            return Err(PdfError::NoFont(FONT_FILES.join(", ")));
        };
        let mut files = vec![regular.to_path_buf()];
        if let Some(name) = regular.file_name().and_then(|n| n.to_str())
            && let Some((_, bold)) = BOLD_OF.iter().find(|(r, _)| *r == name)
        {
            let b = regular.with_file_name(bold);
            if b.is_file() {
                files.push(b);
            }
        }
        Fonts::load(&files)
    }

    pub fn load(files: &[PathBuf]) -> Result<Fonts, PdfError> {
        let mut faces = Vec::new();
        let mut family = None;
        for f in files {
            let bytes = std::fs::read(f).map_err(|e| PdfError::Font(f.clone(), e))?;
            let fonts: Vec<typst::text::Font> =
                typst::text::Font::iter(typst::foundations::Bytes::new(bytes.clone())).collect();
            // A collection's first face is the one it is named by (for
            // Noto Sans CJK: the Japanese face; prefer the SC one).
            let sc = fonts
                .iter()
                .map(|x| x.info().family.clone())
                .find(|n| n.ends_with(" SC"))
                .or_else(|| fonts.first().map(|x| x.info().family.clone()));
            match sc {
                Some(n) => family = family.or(Some(n)),
                None => return Err(PdfError::BadFont(f.clone())),
            }
            faces.push(bytes);
        }
        Ok(Fonts {
            faces,
            family: family.ok_or_else(|| PdfError::NoFont("(no file given)".into()))?,
            files: files.to_vec(),
        })
    }
}

/// The report's charts, by the file name the template reads.
pub fn charts_of(r: &Report, family: &str) -> Vec<(&'static str, String)> {
    match r {
        Report::Monthly(m) => {
            let mut v = vec![
                ("calendar.svg", charts::calendar(&m.calendar, family)),
                (
                    "months.svg",
                    charts::months(&m.months, m.meta.from.year(), family),
                ),
            ];
            if let Some(rose) = &m.rose {
                v.push(("rose.svg", charts::rose(rose, family)));
            }
            v
        }
        Report::Annual(a) => vec![
            ("calendar.svg", charts::calendar(&a.calendar, family)),
            (
                "months.svg",
                charts::months(&a.months, a.meta.from.year(), family),
            ),
        ],
        Report::Daily(_) | Report::Episode(_) => Vec::new(),
    }
}

use chrono::Datelike;

/// The report as PDF bytes.
pub fn render(r: &Report, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let model = serde_json::to_value(r).map_err(|e| PdfError::Typst(e.to_string()))?;
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    for (name, svg) in charts_of(r, &fonts.family) {
        files.push((name, svg.into_bytes()));
    }
    let source = typst::syntax::Source::new(
        typst::syntax::RootedPath::new(
            typst::syntax::VirtualRoot::Project,
            typst::syntax::VirtualPath::new("report.typ")
                .map_err(|e| PdfError::Typst(format!("{e:?}")))?,
        )
        .intern(),
        TEMPLATE.to_string(),
    );
    let engine = TypstEngine::builder()
        .main_file(source.clone())
        .fonts(fonts.faces.iter().map(|f| f.as_slice()))
        .with_static_file_resolver(files)
        .build();
    let mut inputs = Dict::new();
    inputs.insert("font".into(), fonts.family.as_str().into_value());
    inputs.insert("model".into(), to_typst(&model));
    let doc: typst_layout::PagedDocument = engine
        .compile_with_input(inputs)
        .output
        .map_err(|e| PdfError::Typst(describe(&e, &source)))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| PdfError::Typst(format!("{e:?}")))
}

/// The model as typst values. Numbers become their exact text (as GB/T
/// 8170 published them: `0.80` stays `0.80`), never a float: the template
/// prints them as they are.
fn to_typst(v: &serde_json::Value) -> typst::foundations::Value {
    use typst::foundations::{Array, Str, Value};
    match v {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Str(Str::from(n.to_string())),
        serde_json::Value::String(s) => Value::Str(Str::from(s.as_str())),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(to_typst).collect::<Array>()),
        serde_json::Value::Object(o) => {
            let mut d = Dict::new();
            for (k, x) in o {
                d.insert(k.as_str().into(), to_typst(x));
            }
            Value::Dict(d)
        }
    }
}

fn describe(e: &typst_as_lib::TypstAsLibError, source: &typst::syntax::Source) -> String {
    match e {
        typst_as_lib::TypstAsLibError::TypstSource(diags) => diags
            .iter()
            .map(|d| {
                let start = match d.span.get() {
                    typst::syntax::DiagSpanKind::Number { num, sub_range, .. } => {
                        source.range(num, sub_range).map(|r| r.start)
                    }
                    typst::syntax::DiagSpanKind::Range { range, .. } => Some(range.start),
                    typst::syntax::DiagSpanKind::Detached => None,
                };
                let line = start.and_then(|b| source.lines().byte_to_line(b));
                match line {
                    Some(l) => format!("templates/report.typ:{}: {}", l + 1, d.message),
                    None => d.message.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
