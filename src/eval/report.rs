//! The evaluation as one HTML page for people to look at: `evaluate --report
//! FILE.html`.
//!
//! The page is **self-contained**: inline CSS and inline SVG, no script at all, no
//! font, image or style fetched from anywhere (a Content-Security-Policy in the
//! page forbids it), so it opens offline, can be mailed or archived as one file,
//! and prints (colours kept, sections not split across pages). It holds, in order:
//!
//! 1. the headline: data, model, sentences, and macro-F1, accuracy and
//!    claim-detection F1 of the model beside the majority and cue-rule baselines
//!    (with `--cv`, mean ± standard deviation over folds);
//! 2. per-label precision, recall and F1 as bars, model beside baselines;
//! 3. the confusion matrix as a heat map with counts (rows gold, columns
//!    predicted; shade = share of the gold row, blue on the diagonal, red off it);
//! 4. a reliability diagram (probability of the predicted label against observed
//!    accuracy, bin counts) and the expected calibration error
//!    ([`crate::eval::metrics::Calibration`]);
//! 5. the most confident mistakes: gold and predicted label, every label's
//!    probability, and the sentence with its evidence words highlighted by weight;
//! 6. provenance: data files and hashes, training data hash and settings, crate
//!    version, command line. No timestamp, so that the same evaluation gives the
//!    same bytes (as the model file does).
//!
//! # Why the SVG is drawn here
//!
//! The charts are bars, a 5 × 5 grid and one scatter of ten points: a few
//! hundred lines of `<rect>` and `<text>`. A plotting crate (plotters and the
//! like) would bring a dependency tree, fonts or a rasterizer for what is string
//! formatting, and its output would change with its versions; the crate's own code
//! keeps the page small, deterministic and reviewable.
//!
//! # Escaping
//!
//! Every piece of text that comes from data, the model or the command line goes
//! through [`escape`] (`&`, `<`, `>`, `"`, `'`), in element content and in
//! attributes alike: a sentence holding `<script>` is shown as text.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::eval::metrics::{Calibration, LabelScores, Report};
use crate::eval::{Evaluation, Mistake};
use crate::label::Label;
use crate::model::{write_atomically, Evidence};
use crate::tokenize::normalize_into;

/// Mistakes shown in the report (when `--errors` asks for fewer, the report still
/// shows this many; the table and JSON show what `--errors` asks for).
pub const MISTAKES: usize = 12;

/// Colours of the three systems: the model stands out, the baselines recede.
const MODEL_COLOUR: &str = "#1f5fa8";
const MAJORITY_COLOUR: &str = "#a3a8ae";
const CUE_COLOUR: &str = "#e08a1e";

/// What the evaluation itself does not know: how it was asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportContext {
    /// The data paths, as given.
    pub data: Vec<String>,
    /// The model file scored, if a saved model was.
    pub model: Option<String>,
    /// The command line that produced the evaluation.
    pub command_line: String,
}

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element
/// content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report and writes it atomically (temporary file in the same
/// folder, synced, renamed): an existing file is replaced only on success.
pub fn write(path: &Path, evaluation: &Evaluation, context: &ReportContext) -> Result<()> {
    write_atomically(path, render(evaluation, context).as_bytes())
}

/// The report as one HTML document.
pub fn render(e: &Evaluation, context: &ReportContext) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("demarche evaluation: {}", mode_name(&e.mode));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"demarche {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&title),
        CSS
    );
    headline(&mut h, e, context, &title);
    per_label(&mut h, e);
    confusion(&mut h, &e.report);
    reliability(&mut h, &e.calibration);
    mistakes(&mut h, &e.errors);
    provenance(&mut h, e, context);
    h.push_str("</body>\n</html>\n");
    h
}

const CSS: &str = "
:root{color-scheme:light;--ink:#1d232a;--muted:#5d6670;--rule:#d9dde2}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:var(--ink);max-width:1040px;margin:0 auto;padding:24px 28px 48px;background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 10px;padding-bottom:4px;border-bottom:2px solid var(--rule)}
section{margin:28px 0;break-inside:avoid-page}
.setup{color:var(--muted);margin:0 0 14px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0 0 18px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 10px;text-align:left;border-bottom:1px solid var(--rule);vertical-align:middle}
th{font-weight:600;color:var(--muted);font-size:13px}
td.num{text-align:right;white-space:nowrap}
.big{font-size:22px;font-weight:700;color:#1f5fa8}
.cards{display:flex;flex-wrap:wrap;gap:14px}
.card{border:1px solid var(--rule);border-radius:8px;padding:12px 14px;min-width:300px;flex:1}
.card h3{margin:0 0 6px;font-size:14px;color:var(--muted);font-weight:600}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.note{color:var(--muted);font-size:13px}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
article.mistake{border:1px solid var(--rule);border-left:5px solid #c0392b;border-radius:6px;padding:10px 14px;margin:0 0 12px;break-inside:avoid}
article.mistake p{margin:4px 0}
.sentence{font-size:16px;line-height:1.7}
mark{color:inherit;border-radius:3px;padding:0 2px}
.lab{font-weight:700;padding:1px 6px;border-radius:4px;background:#eef1f4}
.meta{color:var(--muted);font-size:13px}
.evidence span{display:inline-block;margin:2px 8px 2px 0;font-size:13px}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:13px;overflow-wrap:anywhere}
@media print{body{padding:0;max-width:none;font-size:12px}section{margin:16px 0}h2{break-after:avoid}}
@page{margin:14mm}
";

fn mode_name(mode: &str) -> &str {
    match mode {
        "model" => "a saved model on labeled data",
        "cv" => "grouped cross-validation",
        "transfer" => "transfer from constructed sentences to real news",
        other => other,
    }
}

/// The three systems: display name, colour, JSON name.
const SYSTEMS: [(&str, &str, &str); 3] = [
    ("model", MODEL_COLOUR, "model"),
    ("majority baseline", MAJORITY_COLOUR, "majority"),
    ("cue-rule baseline", CUE_COLOUR, "cue_rule"),
];

fn system_report<'a>(e: &'a Evaluation, key: &str) -> Option<&'a Report> {
    if key == "model" {
        Some(&e.report)
    } else {
        e.baselines.get(key)
    }
}

fn legend(h: &mut String) {
    h.push_str("<p class=\"note\">");
    for (name, colour, _) in SYSTEMS {
        let _ = write!(
            h,
            "<span class=\"swatch\" style=\"background:{colour}\"></span>{} &nbsp; ",
            escape(name)
        );
    }
    h.push_str("</p>\n");
}

fn headline(h: &mut String, e: &Evaluation, context: &ReportContext, title: &str) {
    let _ = write!(
        h,
        "<header id=\"headline\">\n<h1>{}</h1>\n<p class=\"setup\">{}</p>\n<dl class=\"facts\">\n",
        escape(title),
        escape(&e.setup)
    );
    let data = if context.data.is_empty() {
        "(not given)".to_string()
    } else {
        context.data.join(", ")
    };
    let model = match (&context.model, e.mode.as_str()) {
        (Some(m), _) => m.clone(),
        (None, "cv") => "one model per fold, trained on the other folds".into(),
        (None, "transfer") => "trained on the constructed sentences of the data".into(),
        (None, _) => "(not given)".into(),
    };
    for (term, value) in [
        ("data", data),
        ("model", model),
        ("sentences", e.report.n.to_string()),
    ] {
        let _ = writeln!(h, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    h.push_str("</dl>\n</header>\n<section id=\"summary\">\n<h2>Headline figures</h2>\n");
    let cv = e.cv.is_some();
    if cv {
        h.push_str("<p class=\"note\">Mean ± standard deviation over the folds; the charts below pool the out-of-fold predictions.</p>\n");
    }
    h.push_str("<div class=\"cards\">\n");
    type Pick = fn(&crate::eval::Comparison) -> (f64, Option<f64>);
    let figures: [(&str, Pick); 3] = [
        ("macro-F1", |c| (c.macro_f1, c.macro_f1_std)),
        ("accuracy", |c| (c.accuracy, c.accuracy_std)),
        ("claim-detection F1 (act vs none)", |c| (c.claim_f1, None)),
    ];
    for (name, pick) in figures {
        let _ = write!(h, "<div class=\"card\">\n<h3>{}</h3>\n", escape(name));
        let model = e.comparison.iter().find(|c| c.system == "model");
        if let Some(m) = model {
            let (v, sd) = pick(m);
            let _ = writeln!(h, "<div class=\"big\">{}</div>", figure(v, sd, cv));
        }
        // Room after the bars for "0.924 ± 0.010" (cross-validation).
        let width = 290.0;
        let row = 22.0;
        let _ = write!(
            h,
            "<svg viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"{} of the model and the baselines\">",
            row * 3.0 + 4.0,
            row * 3.0 + 4.0,
            escape(name)
        );
        for (i, (label, colour, key)) in SYSTEMS.iter().enumerate() {
            let Some(c) = e.comparison.iter().find(|c| c.system == *key) else {
                continue;
            };
            let (v, sd) = pick(c);
            let y = i as f64 * row + 2.0;
            let bar = 120.0 * v.clamp(0.0, 1.0);
            let _ = write!(
                h,
                "<text x=\"0\" y=\"{:.1}\" font-size=\"12\" fill=\"#5d6670\">{}</text>\
                 <rect x=\"74\" y=\"{:.1}\" width=\"120\" height=\"14\" fill=\"#f0f2f4\"/>\
                 <rect x=\"74\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"14\" fill=\"{colour}\"/>\
                 <text x=\"200\" y=\"{:.1}\" font-size=\"12\">{}</text>",
                y + 12.0,
                escape(label.trim_end_matches(" baseline")),
                y + 1.0,
                y + 1.0,
                y + 12.0,
                escape(&format!("{v:.3}{}", spread(sd, cv))),
            );
        }
        h.push_str("</svg>\n</div>\n");
    }
    h.push_str("</div>\n");
    if let Some(b) = &e.bootstrap {
        intervals(h, b);
    }
    if !e.report.notes.is_empty() {
        h.push_str("<ul class=\"note\">\n");
        for n in &e.report.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

/// The bootstrap's intervals, as one sentence per system and per difference.
fn intervals(h: &mut String, b: &crate::eval::bootstrap::Bootstrap) {
    let _ = write!(
        h,
        "<p class=\"note\" id=\"intervals\">{:.0} % intervals from {} resamples of the {} articles \
         (how far the figures could move on other articles like these):",
        b.level * 100.0,
        b.resamples,
        b.groups
    );
    for i in &b.systems {
        let _ = write!(
            h,
            " {}: macro-F1 {:.3} to {:.3}, claim F1 {:.3} to {:.3};",
            escape(&i.system),
            i.macro_f1.low,
            i.macro_f1.high,
            i.claim_f1.low,
            i.claim_f1.high
        );
    }
    for d in &b.differences {
        let _ = write!(
            h,
            " {} − {}: macro-F1 {} to {} ({} ahead in {:.1} % of resamples);",
            escape(&d.system),
            escape(&d.versus),
            crate::eval::bootstrap::signed(d.macro_f1.low),
            crate::eval::bootstrap::signed(d.macro_f1.high),
            escape(&d.system),
            d.ahead * 100.0
        );
    }
    h.pop();
    h.push_str(".</p>\n");
}

fn spread(sd: Option<f64>, cv: bool) -> String {
    match sd {
        Some(sd) if cv => format!(" ± {sd:.3}"),
        _ => String::new(),
    }
}

fn figure(v: f64, sd: Option<f64>, cv: bool) -> String {
    escape(&format!("{v:.3}{}", spread(sd, cv)))
}

fn per_label(h: &mut String, e: &Evaluation) {
    h.push_str("<section id=\"per-label\">\n<h2>Per label: precision, recall, F1</h2>\n");
    legend(h);
    let left = 78.0;
    let panel = 296.0;
    let gap = 18.0;
    let bar_h = 11.0;
    let row_h = 3.0 * bar_h + 14.0;
    let top = 26.0;
    let width = left + 3.0 * panel + 2.0 * gap;
    let height = top + Label::COUNT as f64 * row_h + 6.0;
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"precision, recall and F1 per label for the model and the baselines\">"
    );
    type Pick = fn(&LabelScores) -> f64;
    let metrics: [(&str, Pick); 3] = [
        ("precision", |s| s.precision),
        ("recall", |s| s.recall),
        ("F1", |s| s.f1),
    ];
    let scale = panel - 48.0;
    for (p, (name, pick)) in metrics.iter().enumerate() {
        let x0 = left + p as f64 * (panel + gap);
        let _ = write!(
            h,
            "<text x=\"{x0}\" y=\"16\" font-size=\"14\" font-weight=\"600\">{}</text>",
            escape(name)
        );
        // Grid lines at 0, 0.5 and 1.
        for t in [0.0, 0.5, 1.0] {
            let x = x0 + t * scale;
            let _ = write!(
                h,
                "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#d9dde2\" stroke-width=\"1\"/>",
                top - 4.0,
                height - 4.0
            );
        }
        for (l, label) in Label::ALL.iter().enumerate() {
            let y0 = top + l as f64 * row_h;
            for (s, (_, colour, key)) in SYSTEMS.iter().enumerate() {
                let Some(r) = system_report(e, key) else {
                    continue;
                };
                let v = r.per_label.get(label).map(pick).unwrap_or(0.0);
                let y = y0 + s as f64 * bar_h;
                let _ = write!(
                    h,
                    "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9.5\" fill=\"#5d6670\">{v:.2}</text>",
                    scale * v.clamp(0.0, 1.0),
                    bar_h - 2.0,
                    x0 + scale * v.clamp(0.0, 1.0) + 3.0,
                    y + bar_h - 3.0,
                );
            }
        }
    }
    for (l, label) in Label::ALL.iter().enumerate() {
        let y = top + l as f64 * row_h + 1.5 * bar_h + 4.0;
        let support = e.report.per_label.get(label).map_or(0, |s| s.support);
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{y:.1}\" font-size=\"13\" font-weight=\"600\">{}</text>\
             <text x=\"0\" y=\"{:.1}\" font-size=\"10\" fill=\"#5d6670\">n = {support}</text>",
            escape(label.as_str()),
            y + 13.0
        );
    }
    h.push_str("</svg>\n");
    // The same figures as a table: for screen readers, copying, and print.
    h.push_str("<table>\n<thead><tr><th>label</th><th>support</th>");
    for (name, _, _) in SYSTEMS {
        let _ = write!(h, "<th>{} P / R / F1</th>", escape(name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for label in Label::ALL {
        let support = e.report.per_label.get(&label).map_or(0, |s| s.support);
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{support}</td>",
            escape(label.as_str())
        );
        for (_, _, key) in SYSTEMS {
            let cell = system_report(e, key)
                .and_then(|r| r.per_label.get(&label))
                .map_or(String::from("–"), |s| {
                    format!("{:.3} / {:.3} / {:.3}", s.precision, s.recall, s.f1)
                });
            let _ = write!(h, "<td class=\"num\">{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn confusion(h: &mut String, r: &Report) {
    h.push_str("<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n<p class=\"note\">Rows: gold label. Columns: predicted label. Each cell gives the count and its share of the gold row; the shade follows the share, blue for right answers, red for confusions.</p>\n");
    let m = r.matrix();
    let cell_w = 92.0;
    let cell_h = 52.0;
    let left = 110.0;
    let top = 58.0;
    let n = Label::COUNT as f64;
    let width = left + n * cell_w + 70.0;
    let height = top + n * cell_h + 34.0;
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"confusion matrix, rows gold, columns predicted\">\
         <text x=\"{:.1}\" y=\"16\" font-size=\"13\" text-anchor=\"middle\" fill=\"#5d6670\">predicted</text>\
         <text x=\"16\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#5d6670\" transform=\"rotate(-90 16 {:.1})\">gold</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5d6670\">gold total</text>\
         <text x=\"{left}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5d6670\">predicted total</text>",
        left + n * cell_w / 2.0,
        top + n * cell_h / 2.0,
        top + n * cell_h / 2.0,
        left + n * cell_w + 35.0,
        top - 10.0,
        top + n * cell_h + 14.0,
    );
    for (j, label) in Label::ALL.iter().enumerate() {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"600\" text-anchor=\"middle\">{}</text>",
            left + (j as f64 + 0.5) * cell_w,
            top - 10.0,
            escape(label.as_str())
        );
    }
    for (i, gold) in Label::ALL.iter().enumerate() {
        let y = top + i as f64 * cell_h;
        let support = m.support(*gold);
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"600\" text-anchor=\"end\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{support}</text>",
            left - 8.0,
            y + cell_h / 2.0 + 4.0,
            escape(gold.as_str()),
            left + n * cell_w + 35.0,
            y + cell_h / 2.0 + 4.0,
        );
        for (j, _) in Label::ALL.iter().enumerate() {
            let count = m.counts[i][j];
            let share = if support == 0 {
                0.0
            } else {
                count as f64 / support as f64
            };
            let x = left + j as f64 * cell_w;
            let colour = if i == j { "#1f5fa8" } else { "#c0392b" };
            // A faint floor so that empty cells still read as cells.
            let opacity = if count == 0 { 0.0 } else { 0.08 + 0.87 * share };
            let ink = if opacity > 0.5 { "#ffffff" } else { "#1d232a" };
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w}\" height=\"{cell_h}\" fill=\"#f7f8f9\" stroke=\"#ffffff\" stroke-width=\"2\"/>\
                 <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w}\" height=\"{cell_h}\" fill=\"{colour}\" fill-opacity=\"{opacity:.3}\" stroke=\"#ffffff\" stroke-width=\"2\"><title>gold {}, predicted {}: {count} ({:.0}% of the row)</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"16\" font-weight=\"600\" text-anchor=\"middle\" fill=\"{ink}\">{count}</text>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{ink}\">{:.0}%</text>",
                escape(gold.as_str()),
                escape(Label::ALL[j].as_str()),
                share * 100.0,
                x + cell_w / 2.0,
                y + cell_h / 2.0 + 2.0,
                x + cell_w / 2.0,
                y + cell_h / 2.0 + 16.0,
                share * 100.0,
            );
        }
    }
    for (j, label) in Label::ALL.iter().enumerate() {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
            left + (j as f64 + 0.5) * cell_w,
            top + n * cell_h + 28.0,
            m.predicted(*label)
        );
    }
    h.push_str("</svg>\n</section>\n");
}

fn reliability(h: &mut String, c: &Calibration) {
    let _ = write!(
        h,
        "<section id=\"calibration\">\n<h2>Calibration</h2>\n<p>Expected calibration error: <strong>{:.3}</strong> \
         <span class=\"note\">(the gap between how sure the model is of its label and how often that label is right, averaged over the bins, weighted by their sentences; 0 is perfect)</span></p>\n<div class=\"charts\">\n",
        c.ece
    );
    let left = 52.0;
    let top = 16.0;
    let size = 320.0;
    let hist = 56.0;
    let width = left + size + 24.0;
    let height = top + size + 44.0 + hist + 22.0;
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"reliability diagram: probability of the predicted label against observed accuracy\">\
         <rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"#fbfbfc\" stroke=\"#c9ced4\"/>"
    );
    let px = |v: f64| left + v * size;
    let py = |v: f64| top + (1.0 - v) * size;
    for t in [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] {
        let _ = write!(
            h,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eceef1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#5d6670\">{t:.1}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5d6670\">{t:.1}</text>",
            py(t),
            left + size,
            py(t),
            left - 5.0,
            py(t) + 3.5,
            px(t),
            top + size + 14.0,
        );
    }
    let max_count = c.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let hist_top = top + size + 44.0;
    for b in &c.bins {
        let x = px(b.lower) + 2.0;
        let w = (b.upper - b.lower) * size - 4.0;
        if b.count > 0 {
            // Accuracy bar, and the gap to the mean confidence in red.
            let (lo, hi) = if b.accuracy < b.confidence {
                (b.accuracy, b.confidence)
            } else {
                (b.confidence, b.accuracy)
            };
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{MODEL_COLOUR}\" fill-opacity=\"0.85\"><title>{:.1}–{:.1}: {} sentences, mean probability {:.3}, accuracy {:.3}</title></rect>\
                 <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#c0392b\" fill-opacity=\"0.28\" stroke=\"#c0392b\" stroke-width=\"0.8\"/>\
                 <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1d232a\"/>",
                py(b.accuracy),
                b.accuracy * size,
                b.lower,
                b.upper,
                b.count,
                b.confidence,
                b.accuracy,
                py(hi),
                (hi - lo) * size,
                px(b.confidence),
                py(b.accuracy),
            );
        }
        let bh = hist * b.count as f64 / max_count as f64;
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{bh:.1}\" fill=\"#a3a8ae\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            hist_top + hist - bh,
            x + w / 2.0,
            hist_top + hist + 13.0,
            b.count
        );
    }
    let _ = write!(
        h,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d232a\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5d6670\">probability of the predicted label</text>\
         <text x=\"12\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5d6670\" transform=\"rotate(-90 12 {:.1})\">observed accuracy</text>\
         <text x=\"{left}\" y=\"{:.1}\" font-size=\"10\" fill=\"#5d6670\">sentences per bin</text>",
        px(0.0),
        py(0.0),
        px(1.0),
        py(1.0),
        left + size / 2.0,
        top + size + 30.0,
        top + size / 2.0,
        top + size / 2.0,
        hist_top - 4.0,
    );
    h.push_str("</svg>\n");
    h.push_str("<table>\n<thead><tr><th>probability</th><th>sentences</th><th>mean probability</th><th>accuracy</th><th>gap</th></tr></thead>\n<tbody>\n");
    for b in c.bins.iter().filter(|b| b.count > 0) {
        let _ = writeln!(
            h,
            "<tr><td>{:.1}–{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:+.3}</td></tr>",
            b.lower,
            b.upper,
            b.count,
            b.confidence,
            b.accuracy,
            b.accuracy - b.confidence
        );
    }
    h.push_str("</tbody>\n</table>\n</div>\n<p class=\"note\">Blue bars: accuracy of the sentences whose predicted-label probability falls in the bin; dots: their mean probability; red: the gap between the two. On the dashed diagonal, the model is right exactly as often as it is sure. Bins with no sentence are left out of the table.</p>\n</section>\n");
}

/// The sentence as HTML with its evidence words in `<mark>`, shaded by weight.
///
/// Evidence names normalized words (lowercase, NFC; a stem pair names two), so the
/// sentence is cut into runs of letters and digits, each normalized the same way.
/// A one-word feature marks every run equal to its word; a pair marks two adjacent
/// runs equal to its words (not every `de` and `la` of the sentence for `de la`).
/// A run behind several features gets the sum of their weights. Everything else
/// is kept as written, escaped.
pub fn highlight(text: &str, evidence: &[Evidence]) -> String {
    // The sentence as pieces: (text as written, normalized word if a word).
    let mut pieces: Vec<(&str, Option<String>)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let is_word = rest.chars().next().is_some_and(char::is_alphanumeric);
        let end = rest
            .char_indices()
            .find(|&(_, c)| c.is_alphanumeric() != is_word)
            .map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        let normalized = is_word.then(|| {
            let mut n = String::new();
            normalize_into(piece, &mut n);
            n
        });
        pieces.push((piece, normalized));
    }
    let words: Vec<usize> = (0..pieces.len())
        .filter(|&i| pieces[i].1.is_some())
        .collect();
    let word = |k: usize| pieces[words[k]].1.as_deref().unwrap_or_default();
    let mut weight = vec![0.0; pieces.len()];
    for ev in evidence.iter().filter(|ev| ev.weight > 0.0) {
        let parts: Vec<&str> = ev.word.split_whitespace().collect();
        if parts.is_empty() || parts.len() > words.len() {
            continue;
        }
        for k in 0..=words.len() - parts.len() {
            if parts.iter().enumerate().all(|(j, p)| word(k + j) == *p) {
                for j in 0..parts.len() {
                    weight[words[k + j]] += ev.weight;
                }
            }
        }
    }
    let max = weight.iter().copied().fold(0.0, f64::max);
    let mut out = String::with_capacity(text.len() * 2);
    for (i, (piece, _)) in pieces.iter().enumerate() {
        let w = weight[i];
        if w > 0.0 && max > 0.0 {
            let alpha = 0.2 + 0.7 * (w / max);
            let _ = write!(
                out,
                "<mark style=\"background:rgba(255,170,0,{alpha:.2})\" title=\"evidence weight {w:.3}\">{}</mark>",
                escape(piece)
            );
        } else {
            out.push_str(&escape(piece));
        }
    }
    out
}

fn mistakes(h: &mut String, mistakes: &[Mistake]) {
    let _ = write!(
        h,
        "<section id=\"mistakes\">\n<h2>The {} most confident mistakes</h2>\n",
        mistakes.len()
    );
    if mistakes.is_empty() {
        h.push_str("<p>The model made no mistake on these sentences.</p>\n</section>\n");
        return;
    }
    h.push_str("<p class=\"note\">Highlighted: the words behind the features that pushed the model towards its (wrong) label, darker for more weight. Bars: the probability of every label, red for the predicted one, green for the gold one.</p>\n");
    for m in mistakes {
        let gold_p = m.probabilities.get(&m.gold).copied().unwrap_or(0.0);
        let _ = write!(
            h,
            "<article class=\"mistake\">\n<p class=\"meta\"><code>{}</code> · gold <span class=\"lab\">{}</span> ({:.3}) · predicted <span class=\"lab\">{}</span> ({:.3})</p>\n<p class=\"sentence\">{}</p>\n",
            escape(&m.id),
            escape(m.gold.as_str()),
            gold_p,
            escape(m.predicted.as_str()),
            m.probability,
            highlight(&m.text, &m.evidence)
        );
        probability_bars(h, m);
        if !m.evidence.is_empty() {
            h.push_str("<p class=\"evidence meta\">evidence: ");
            for ev in &m.evidence {
                let _ = write!(
                    h,
                    "<span><code>{}</code> ({}) +{:.3}</span>",
                    escape(&ev.stem),
                    escape(&ev.word),
                    ev.weight
                );
            }
            h.push_str("</p>\n");
        }
        h.push_str("</article>\n");
    }
    h.push_str("</section>\n");
}

fn probability_bars(h: &mut String, m: &Mistake) {
    let w = 132.0;
    let width = w * Label::COUNT as f64;
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {width} 20\" width=\"{width}\" height=\"20\" role=\"img\" aria-label=\"probability of every label\">"
    );
    for (i, label) in Label::ALL.iter().enumerate() {
        let p = m.probabilities.get(label).copied().unwrap_or(0.0);
        let x = i as f64 * w;
        let colour = if *label == m.predicted {
            "#c0392b"
        } else if *label == m.gold {
            "#2e8b57"
        } else {
            "#a3a8ae"
        };
        let _ = write!(
            h,
            "<text x=\"{x:.1}\" y=\"13\" font-size=\"11\" fill=\"#5d6670\">{}</text>\
             <rect x=\"{:.1}\" y=\"4\" width=\"50\" height=\"11\" fill=\"#f0f2f4\"/>\
             <rect x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"11\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"13\" font-size=\"10\">{p:.2}</text>",
            escape(label.as_str()),
            x + 48.0,
            x + 48.0,
            50.0 * p.clamp(0.0, 1.0),
            x + 101.0,
        );
    }
    h.push_str("</svg>\n");
}

fn provenance(h: &mut String, e: &Evaluation, context: &ReportContext) {
    h.push_str("<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl class=\"facts\">\n");
    let p = &e.provenance;
    let settings = p
        .settings
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let rows: Vec<(&str, String, bool)> = vec![
        ("evaluation", format!("{}: {}", e.mode, e.setup), false),
        ("data", context.data.join(", "), false),
        ("scored records (SHA-256)", p.test_sha256.clone(), true),
        (
            "model file",
            context
                .model
                .clone()
                .unwrap_or_else(|| "(none saved)".into()),
            false,
        ),
        ("training data (SHA-256)", p.training_sha256.clone(), true),
        (
            "training sentences",
            p.training_sentences.to_string(),
            false,
        ),
        ("training files", p.training_files.join(", "), false),
        ("settings", settings, false),
        (
            "crate version",
            env!("CARGO_PKG_VERSION").to_string(),
            false,
        ),
        ("command line", context.command_line.clone(), true),
    ];
    for (term, value, code) in rows {
        if value.is_empty() {
            continue;
        }
        let value = if code {
            format!("<code>{}</code>", escape(&value))
        } else {
            escape(&value)
        };
        let _ = writeln!(h, "<dt>{}</dt><dd>{value}</dd>", escape(term));
    }
    h.push_str("</dl>\n");
    if let Some(cv) = &e.cv {
        h.push_str("<table>\n<thead><tr><th>fold</th><th>train</th><th>test</th><th>groups</th><th>model accuracy</th><th>model macro-F1</th></tr></thead>\n<tbody>\n");
        for f in &cv.folds {
            let get = |k: &str| f.figures.get("model").and_then(|m| m.get(k)).copied();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td></tr>",
                f.fold,
                f.train,
                f.test,
                f.groups,
                get("accuracy").unwrap_or(0.0),
                get("macro_f1").unwrap_or(0.0)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("déjà vu"), "déjà vu");
    }

    #[test]
    fn highlight_marks_evidence_words_by_weight_and_escapes_the_rest() {
        let evidence = [
            Evidence {
                stem: "exig".into(),
                word: "exige".into(),
                weight: 1.0,
            },
            Evidence {
                stem: "l otan".into(),
                word: "l otan".into(),
                weight: 0.5,
            },
            Evidence {
                stem: "de la".into(),
                word: "de la".into(),
                weight: 0.5,
            },
        ];
        let html = highlight(
            "L’OTAN <b>exige</b> & Moscou exige de la paix, la fin de tout.",
            &evidence,
        );
        // Both occurrences of the word are marked, at full strength (0.2 + 0.7).
        assert_eq!(html.matches("rgba(255,170,0,0.90)").count(), 2, "{html}");
        // The pair marks both its words, case and apostrophe as written.
        assert!(html.starts_with("<mark"), "{html}");
        assert!(html.contains(">L</mark>’<mark"), "{html}");
        assert!(html.contains(">OTAN</mark>"), "{html}");
        assert!(html.contains("&lt;b&gt;<mark"), "{html}");
        assert!(html.contains(" &amp; Moscou "), "{html}");
        assert!(!html.contains("<b>"));
        // A pair marks adjacent words only: `de la` once, not the later `la`, `de`.
        assert_eq!(html.matches("<mark").count(), 6, "{html}");
        assert!(html.ends_with(", la fin de tout."), "{html}");
        // No evidence: the escaped text alone.
        assert_eq!(highlight("a < b", &[]), "a &lt; b");
    }
}
