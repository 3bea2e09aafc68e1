//! The browser's entry points into the `analysis` crate.
//!
//! This crate is deliberately thin: every number, every choice of what is shown and
//! every figure comes from `analysis`, exactly as natively. What lives here is only
//! the boundary: a [`Run`] holding one parsed summary (parsed once, drawn many times),
//! bytes and strings in, JSON and SVG strings out, errors converted to one JavaScript
//! `Error` each (see [`to_js`]) and Rust panics routed to the page (see [`init`]).

use std::fmt::Display;

use analysis::capacity::{SWEEP_SCHEMA_VERSION, SweepSummary};
use analysis::figures::{FigureView, HEIGHT, WIDTH};
use analysis::viewtables::TableView;
use analysis::{Paper, ShownMetric, Summary};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `web/js/wasm.js` before the module is initialised; shows the
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

/// The metric menu: JSON `[{"key", "label", "unit"}]` ([`ShownMetric::choices`]).
#[wasm_bindgen]
pub fn metric_choices() -> Result<String, JsError> {
    serde_json::to_string(&ShownMetric::choices()).map_err(to_js)
}

/// A profile's flame graph (`run --profile`'s `profiles/<stack>/<scenario>.txt`,
/// collapsed stacks) as SVG, drawn by `analysis::figures::flame_svg` as the report's.
#[wasm_bindgen]
pub fn flame_graph_svg(collapsed: &str, title: &str) -> Result<String, JsError> {
    let profile = analysis::profile::parse_collapsed(collapsed).map_err(to_js)?;
    Ok(analysis::figures::flame_svg(&profile, title))
}

/// A profile's tables: JSON `{"total", "layers", "top"}` (plain tables, numbers
/// formatted): each layer's share of the samples and the top leaf frames.
#[wasm_bindgen]
pub fn profile_tables(collapsed: &str) -> Result<String, JsError> {
    let profile = analysis::profile::parse_collapsed(collapsed).map_err(to_js)?;
    serde_json::to_string(&serde_json::json!({
        "total": profile.total,
        "layers": profile.layer_table(),
        "top": profile.top_frames_table(analysis::report::TOP_FRAMES),
    }))
    .map_err(to_js)
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

/// The page's view (`{"metric": "p95", "stacks": [...]}`; empty = the paper's figure, all stacks).
fn view(json: &str) -> Result<FigureView, JsError> {
    if json.is_empty() {
        return Ok(FigureView::default());
    }
    serde_json::from_str(json).map_err(|e| to_js(format!("bad view {json}: {e}")))
}

/// The page's view of its tables (empty = the paper's metric, everything).
fn table_view(json: &str) -> Result<TableView, JsError> {
    if json.is_empty() {
        return Ok(TableView::default());
    }
    serde_json::from_str(json).map_err(|e| to_js(format!("bad view {json}: {e}")))
}

/// One loaded run (or the paper alone): its summary, parsed or computed once; every
/// figure, table and report of it is drawn from this.
#[wasm_bindgen]
pub struct Run {
    summary: Summary,
    /// A capacity sweep's `sweep.json`, when the run is one ([`Run::set_sweep`]).
    sweep: Option<SweepSummary>,
}

#[wasm_bindgen]
impl Run {
    /// A `summary.json` written by `pywebbench analyze` (validated).
    pub fn from_summary(bytes: &[u8]) -> Result<Run, JsError> {
        Ok(Run {
            summary: Summary::from_json(bytes).map_err(to_js)?,
            sweep: None,
        })
    }

    /// The paper alone (no run loaded).
    pub fn paper(published: &str, claims: &str) -> Result<Run, JsError> {
        Ok(Run {
            summary: analysis::summarize_paper(&paper(published, claims)?),
            sweep: None,
        })
    }

    /// Analyse a run from its files' bytes, as `pywebbench analyze` does natively.
    /// `samples` is the run's sample files one after another (`samples/<stack>.parquet`,
    /// or the one `samples.parquet` of a schema v1 run) and `sample_lengths` their sizes
    /// in bytes, in order. `resources` may be absent (no resource figures).
    pub fn analyze(
        samples: &[u8],
        sample_lengths: &[u32],
        resources: Option<Vec<u8>>,
        manifest: &[u8],
        published: &str,
        claims: &str,
    ) -> Result<Run, JsError> {
        let paper = paper(published, claims)?;
        let manifest = analysis::parse_manifest(manifest).map_err(to_js)?;
        let files = split_files(samples, sample_lengths).map_err(|e| JsError::new(&e))?;
        let samples = analysis::read_samples_files_for_analysis(&files).map_err(to_js)?;
        let resources = match resources {
            Some(bytes) => analysis::read_resources(&bytes).map_err(to_js)?,
            None => Vec::new(),
        };
        let seed = analysis::default_seed(&manifest);
        let summary =
            analysis::summarize(&manifest, &samples, &resources, &paper, seed).map_err(to_js)?;
        Ok(Run {
            summary,
            sweep: None,
        })
    }

    /// Attach the run's `sweep.json` (a capacity sweep's points and knees, written by
    /// `pywebbench sweep`); refuses one of another run or a newer schema.
    pub fn set_sweep(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let sweep = SweepSummary::from_json(bytes).map_err(|e| {
            to_js(format!(
                "sweep.json: {e}; open the sweep.json of this run folder"
            ))
        })?;
        if sweep.schema_version > SWEEP_SCHEMA_VERSION {
            return Err(to_js(format!(
                "sweep.json has schema version {} but this viewer reads up to {SWEEP_SCHEMA_VERSION}; update the viewer",
                sweep.schema_version
            )));
        }
        if let Some(m) = &self.summary.manifest
            && m.run_id != sweep.run_id
        {
            return Err(to_js(format!(
                "sweep.json belongs to run {} but manifest.json to run {}; open the files of one run folder",
                sweep.run_id, m.run_id
            )));
        }
        self.sweep = Some(sweep);
        Ok(())
    }

    /// Whether this run is a capacity sweep (its `sweep.json` attached).
    pub fn has_sweep(&self) -> bool {
        self.sweep.is_some()
    }

    /// The capacity curves of the sweep as SVG (`analysis::figures::capacity_svg`, the
    /// figure `pywebbench sweep` writes to report/capacity.svg).
    pub fn capacity_svg(&self) -> Result<String, JsError> {
        let sweep = self.sweep()?;
        analysis::figures::capacity_svg(sweep, WIDTH, analysis::figures::CAPACITY_HEIGHT)
            .map_err(to_js)
    }

    /// The sweep's knees and steps as a JSON section (see [`Run::tables`]).
    pub fn capacity_table(&self) -> Result<String, JsError> {
        serde_json::to_string(&analysis::viewtables::capacity(self.sweep()?)).map_err(to_js)
    }

    /// `summary.json` (same schema as natively), for the page's raw fields and download.
    pub fn summary_json(&self) -> String {
        self.summary.to_json()
    }

    /// Figure `figure` (1..=7) as SVG text for the page's view, drawn by
    /// `analysis::figures`. Must run on the page's main thread: plotters measures
    /// text through the DOM.
    pub fn figure_svg(&self, figure: u8, view_json: &str) -> Result<String, JsError> {
        analysis::figures::svg_view(&self.summary, figure, &view(view_json)?, WIDTH, HEIGHT)
            .map_err(to_js)
    }

    /// Figure `figure` for the view with its bars' hit boxes and tooltip texts: JSON
    /// `{"svg", "width", "height", "bars": [analysis::figures::BarHit]}`.
    pub fn figure_with_bars(&self, figure: u8, view_json: &str) -> Result<String, JsError> {
        let (svg, bars) = analysis::figures::svg_view_bars(
            &self.summary,
            figure,
            &view(view_json)?,
            WIDTH,
            HEIGHT,
        )
        .map_err(to_js)?;
        serde_json::to_string(&serde_json::json!({
            "svg": svg, "width": WIDTH, "height": HEIGHT, "bars": bars,
        }))
        .map_err(to_js)
    }

    /// The overview: the run in one line and the claims scoreboard (JSON,
    /// `analysis::overview::Overview`).
    pub fn overview(&self) -> Result<String, JsError> {
        serde_json::to_string(&analysis::overview::overview(&self.summary)).map_err(to_js)
    }

    /// The scenarios with pairwise comparisons (JSON array of names).
    pub fn pairwise_scenarios(&self) -> Result<String, JsError> {
        serde_json::to_string(&analysis::figures::pairwise_scenarios_of(&self.summary))
            .map_err(to_js)
    }

    /// The pairwise matrix of `scenario` (stacks × stacks) for the view's stacks, as SVG.
    pub fn pairwise_svg(&self, scenario: &str, view_json: &str) -> Result<String, JsError> {
        analysis::figures::pairwise_svg(&self.summary, scenario, &view(view_json)?).map_err(to_js)
    }

    /// The figure's heading (`scenario: what the bars show`) for the view.
    pub fn figure_heading(&self, figure: u8, view_json: &str) -> Result<String, JsError> {
        analysis::figures::figure_heading(figure, &view(view_json)?).map_err(to_js)
    }

    /// The figure's text alternative (each drawn stack with its value) for the view.
    pub fn figure_alt(&self, figure: u8, view_json: &str) -> Result<String, JsError> {
        analysis::figures::figure_alt(&self.summary, figure, &view(view_json)?).map_err(to_js)
    }

    /// The viewer's tables of this run for the page's view (`{"metric", "stacks",
    /// "scenarios", "name", "suffix"}`): JSON sections of plain tables, numbers
    /// formatted (`analysis::viewtables`). `full` adds the ORM, pairwise and claims tables.
    pub fn tables(&self, view_json: &str, full: bool) -> Result<String, JsError> {
        let view = table_view(view_json)?;
        serde_json::to_string(&analysis::viewtables::sections(&self.summary, &view, full))
            .map_err(to_js)
    }

    /// The latency scenarios with a distribution in the summary (JSON array of names).
    pub fn distribution_scenarios(&self) -> Result<String, JsError> {
        serde_json::to_string(&analysis::figures::distribution_scenarios_of(&self.summary))
            .map_err(to_js)
    }

    /// The latency distribution of `scenario` (ECDF per stack, log-x) as SVG text, for
    /// the view's stacks.
    pub fn distribution_svg(&self, scenario: &str, view_json: &str) -> Result<String, JsError> {
        analysis::figures::distribution_svg_view(
            &self.summary,
            scenario,
            &view(view_json)?,
            WIDTH,
            HEIGHT,
        )
        .map_err(to_js)
    }

    /// `report.md`, as `pywebbench analyze` writes it.
    pub fn report_markdown(&self) -> String {
        analysis::report::markdown(&self.summary)
    }

    /// `report.html` (self-contained, figures inline), as natively.
    pub fn report_html(&self) -> Result<String, JsError> {
        let summary = &self.summary;
        let figures = (1..=7u8)
            .map(|n| analysis::figures::svg(summary, n, WIDTH, HEIGHT))
            .collect::<analysis::Result<Vec<String>>>()
            .map_err(to_js)?;
        let distributions = analysis::figures::distribution_scenarios_of(summary)
            .into_iter()
            .map(|sc| {
                analysis::figures::distribution_svg(summary, sc, WIDTH, HEIGHT)
                    .map(|svg| (sc.to_string(), svg))
            })
            .collect::<analysis::Result<Vec<_>>>()
            .map_err(to_js)?;
        Ok(analysis::report::html(summary, &figures, &distributions))
    }

    /// This run (A, the baseline) against `other` (B) (`analysis::compare`): the
    /// comparison table for the page's view, as a JSON section (see [`Run::tables`]).
    pub fn compare(
        &self,
        other: &Run,
        view_json: &str,
        a_name: &str,
        b_name: &str,
    ) -> Result<String, JsError> {
        let cmp = analysis::compare(&self.summary, &other.summary);
        let section = analysis::viewtables::comparison(
            &cmp,
            &self.summary,
            &table_view(view_json)?,
            a_name,
            b_name,
        );
        serde_json::to_string(&section).map_err(to_js)
    }

    /// This run (A) against `other` (B) as a dot-and-interval plot (SVG) of
    /// `analysis::compare`'s changes, for the view's stacks and scenarios.
    pub fn compare_svg(&self, other: &Run, view_json: &str) -> Result<String, JsError> {
        let cmp = analysis::compare(&self.summary, &other.summary);
        let scenarios = table_view(view_json)?.scenarios;
        analysis::figures::change_svg(&cmp, &view(view_json)?, scenarios.as_deref()).map_err(to_js)
    }
}

/// A peak-configuration run's `peak.json` (`pywebbench peak`), parsed.
fn peak(bytes: &[u8]) -> Result<analysis::peak::PeakSummary, JsError> {
    analysis::peak::PeakSummary::from_json(bytes).map_err(|e| {
        to_js(format!(
            "peak.json is unreadable ({e}); run `pywebbench peak` again"
        ))
    })
}

/// The scenarios of a `peak.json` with a tuned figure each: JSON
/// `[{"scenario", "title"}]`.
#[wasm_bindgen]
pub fn peak_figures(peak_json: &[u8]) -> Result<String, JsError> {
    let p = peak(peak_json)?;
    let list: Vec<serde_json::Value> = p
        .scenarios
        .iter()
        .map(|s| serde_json::json!({"scenario": s, "title": analysis::figures::tuned_title(s)}))
        .collect();
    serde_json::to_string(&list).map_err(to_js)
}

/// The tuned figure of `scenario` (each stack at its fixed and its best grid point,
/// the configuration under each bar) as SVG.
#[wasm_bindgen]
pub fn tuned_svg(peak_json: &[u8], scenario: &str) -> Result<String, JsError> {
    analysis::figures::tuned_svg(&peak(peak_json)?, scenario, WIDTH, HEIGHT).map_err(to_js)
}

/// Every grid point's req/s (the table under the tuned figures), as a `Table`'s JSON.
#[wasm_bindgen]
pub fn peak_table(peak_json: &[u8]) -> Result<String, JsError> {
    let t = analysis::report::peak::grid_table(&peak(peak_json)?, false);
    serde_json::to_string(&t).map_err(to_js)
}

impl Run {
    fn sweep(&self) -> Result<&SweepSummary, JsError> {
        self.sweep
            .as_ref()
            .ok_or_else(|| to_js("this run is not a capacity sweep (it has no sweep.json)"))
    }
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

/// Panics on purpose: the e2e test uses it to check that a Rust panic reaches
/// the page as a message and that the page then loads a fresh module instance.
#[wasm_bindgen]
pub fn debug_panic() {
    panic!("debug_panic was called (this is the panic hook's test)");
}
