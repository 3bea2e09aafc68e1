//! The browser's entry points into the `analysis` crate.
//!
//! This crate is deliberately thin: every number and every figure comes from
//! `analysis`, exactly as natively. What lives here is only the boundary:
//! bytes and strings in, JSON and SVG strings out, errors converted to one
//! JavaScript `Error` each (see [`to_js`]) and Rust panics routed to the page
//! (see [`init`]).

mod view;

use std::fmt::Display;

use analysis::schema::Manifest;
use analysis::{Paper, Summary};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `web/js/app.js` before the module is initialised; shows the
    /// message in the page. `catch`: if it is missing or throws, the panic
    /// hook still returns normally.
    #[wasm_bindgen(catch, js_namespace = globalThis, js_name = __pywebbenchPanic)]
    fn page_panic(message: &str) -> Result<(), JsValue>;
}

/// The one place where Rust errors become JavaScript errors: the message is
/// the error's `Display`, which the analysis crate writes as one line naming
/// the cause and the fix.
fn to_js(e: impl Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Install the panic hook. Called once by the page after the module loads.
#[wasm_bindgen]
pub fn init() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("internal error in the analysis module (please report it): {info}");
        let _ = page_panic(&message);
    }));
}

/// The schema version of the run files this build reads.
#[wasm_bindgen]
pub fn schema_version() -> u32 {
    analysis::schema::SCHEMA_VERSION
}

/// The paper's data: the given `published.toml` and `claims.toml` texts, or
/// the copy compiled into the module when `published` is empty.
fn paper(published: &str, claims: &str) -> Result<Paper, JsError> {
    if published.is_empty() {
        Paper::builtin().map_err(to_js)
    } else {
        Paper::from_toml(published, claims).map_err(to_js)
    }
}

/// The bootstrap seed `pywebbench analyze` uses for a run (the campaign's seed).
fn seed_of(manifest: &Manifest) -> u64 {
    analysis::default_seed(manifest)
}

/// `summary.json` of the paper alone (no run loaded).
#[wasm_bindgen]
pub fn paper_summary(published: &str, claims: &str) -> Result<String, JsError> {
    Ok(analysis::summarize_paper(&paper(published, claims)?).to_json())
}

/// Analyse a run from its files' bytes, as `pywebbench analyze` does natively;
/// returns `summary.json`. `samples` is the run's sample files one after another
/// (`samples/<stack>.parquet`, or the one `samples.parquet` of a schema v1 run) and
/// `sample_lengths` their sizes in bytes, in order. `resources` may be absent (no
/// resource figures).
#[wasm_bindgen]
pub fn analyze_run(
    samples: &[u8],
    sample_lengths: &[u32],
    resources: Option<Vec<u8>>,
    manifest: &[u8],
    published: &str,
    claims: &str,
) -> Result<String, JsError> {
    let paper = paper(published, claims)?;
    let manifest = analysis::parse_manifest(manifest).map_err(to_js)?;
    let files = split_files(samples, sample_lengths).map_err(|e| JsError::new(&e))?;
    let samples = analysis::read_samples_files_for_analysis(&files).map_err(to_js)?;
    let resources = match resources {
        Some(bytes) => analysis::read_resources(&bytes).map_err(to_js)?,
        None => Vec::new(),
    };
    let summary = analysis::summarize(&manifest, &samples, &resources, &paper, seed_of(&manifest))
        .map_err(to_js)?;
    Ok(summary.to_json())
}

/// The files packed one after another in `bytes`, `lengths` long each.
fn split_files<'a>(bytes: &'a [u8], lengths: &[u32]) -> Result<Vec<&'a [u8]>, String> {
    let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
    if total != bytes.len() as u64 {
        return Err(format!(
            "the sample files' lengths add up to {total} bytes but {} were passed; reload the page",
            bytes.len()
        ));
    }
    let mut files = Vec::with_capacity(lengths.len());
    let mut at = 0usize;
    for &l in lengths {
        files.push(&bytes[at..at + l as usize]);
        at += l as usize;
    }
    Ok(files)
}

/// Validate a `summary.json` written by `pywebbench analyze`; returns it re-serialised.
#[wasm_bindgen]
pub fn load_summary(bytes: &[u8]) -> Result<String, JsError> {
    Ok(Summary::from_json(bytes).map_err(to_js)?.to_json())
}

/// Figure `figure` (1..=7) of a summary as SVG text, drawn by
/// `analysis::figures` for the page's view (`{"stacks": [...], "metric": "p95"}`).
/// Must run on the page's main thread: plotters measures text through the DOM.
#[wasm_bindgen]
pub fn figure_svg(summary_json: &str, figure: u8, view_json: &str) -> Result<String, JsError> {
    let summary = Summary::from_json(summary_json.as_bytes()).map_err(to_js)?;
    let view: view::View = if view_json.is_empty() {
        view::View::default()
    } else {
        serde_json::from_str(view_json).map_err(|e| to_js(format!("bad view {view_json}: {e}")))?
    };
    let (summary, relabel) = view::apply(summary, &view, figure).map_err(to_js)?;
    let svg = analysis::figures::svg(
        &summary,
        figure,
        analysis::figures::WIDTH,
        analysis::figures::HEIGHT,
    )
    .map_err(to_js)?;
    Ok(view::relabel_svg(&svg, &relabel))
}

/// The latency scenarios with a distribution in the summary (JSON array of names).
#[wasm_bindgen]
pub fn distribution_scenarios(summary_json: &str) -> Result<String, JsError> {
    let summary = Summary::from_json(summary_json.as_bytes()).map_err(to_js)?;
    let list: Vec<&str> = analysis::figures::distribution_scenarios()
        .filter(|sc| summary.cell_has_distribution(sc))
        .collect();
    serde_json::to_string(&list).map_err(to_js)
}

/// The latency distribution of `scenario` (ECDF per stack, log-x) as SVG text, for the
/// stacks in `stacks_json` (a JSON array; empty = all), drawn by `analysis::figures`.
#[wasm_bindgen]
pub fn distribution_svg(
    summary_json: &str,
    scenario: &str,
    stacks_json: &str,
) -> Result<String, JsError> {
    let mut summary = Summary::from_json(summary_json.as_bytes()).map_err(to_js)?;
    if !stacks_json.is_empty() {
        let stacks: Vec<String> = serde_json::from_str(stacks_json)
            .map_err(|e| to_js(format!("bad stack list {stacks_json}: {e}")))?;
        summary.cells.retain(|c| stacks.contains(&c.stack));
    }
    analysis::figures::distribution_svg(
        &summary,
        scenario,
        analysis::figures::WIDTH,
        analysis::figures::HEIGHT,
    )
    .map_err(to_js)
}

/// `report.md` of a summary, as `pywebbench analyze` writes it.
#[wasm_bindgen]
pub fn report_markdown(summary_json: &str) -> Result<String, JsError> {
    let summary = Summary::from_json(summary_json.as_bytes()).map_err(to_js)?;
    Ok(analysis::report::markdown(&summary))
}

/// `report.html` of a summary (self-contained, figures inline), as natively.
#[wasm_bindgen]
pub fn report_html(summary_json: &str) -> Result<String, JsError> {
    let summary = Summary::from_json(summary_json.as_bytes()).map_err(to_js)?;
    let figures = (1..=7u8)
        .map(|n| {
            analysis::figures::svg(
                &summary,
                n,
                analysis::figures::WIDTH,
                analysis::figures::HEIGHT,
            )
        })
        .collect::<analysis::Result<Vec<String>>>()
        .map_err(to_js)?;
    let distributions = analysis::figures::distribution_scenarios()
        .filter(|sc| summary.cell_has_distribution(sc))
        .map(|sc| {
            analysis::figures::distribution_svg(
                &summary,
                sc,
                analysis::figures::WIDTH,
                analysis::figures::HEIGHT,
            )
            .map(|svg| (sc.to_string(), svg))
        })
        .collect::<analysis::Result<Vec<_>>>()
        .map_err(to_js)?;
    Ok(analysis::report::html(&summary, &figures, &distributions))
}

/// Two summaries side by side (`analysis::compare`, A the baseline); returns JSON.
#[wasm_bindgen]
pub fn compare(a_json: &str, b_json: &str) -> Result<String, JsError> {
    let a = Summary::from_json(a_json.as_bytes()).map_err(to_js)?;
    let b = Summary::from_json(b_json.as_bytes()).map_err(to_js)?;
    serde_json::to_string(&analysis::compare(&a, &b)).map_err(to_js)
}

/// Panics on purpose: the e2e test uses it to check that a Rust panic reaches
/// the page as a message and that the page then loads a fresh module instance.
#[wasm_bindgen]
pub fn debug_panic() {
    panic!("debug_panic was called (this is the panic hook's test)");
}
