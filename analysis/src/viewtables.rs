//! Why this file is long: one function per viewer table, each listing its columns cell by cell.
//!
//! The viewer's tables (reproduced vs published, ORM overhead, pairwise, claims, host,
//! A vs B) as plain [`Table`]s for a page view: the numbers already formatted
//! ([`crate::format`]), the metric chosen ([`crate::shown`]), the view's stacks and
//! scenarios applied. Each number cell may carry a [`Mark`]: its key and exact value
//! (for copy-paste and the end-to-end test), a tooltip, a class. The page renders
//! every [`Section`] with one generic function; it formats and chooses nothing.

use serde::{Deserialize, Serialize};

use crate::compare::Comparison;
use crate::figures::FigureView;
use crate::format;
use crate::limiter::CellLimiter;
use crate::paper::{Metric, Verdict};
use crate::schema::RepetitionStatus;
use crate::shown::ShownMetric;
use crate::summary::{CellSummary, Source, Summary};
use crate::table::{Align, Table};

mod capacity;
pub use capacity::capacity;

/// What the page shows: the metric, the stacks and scenarios (`None` = all), the
/// run's name in the titles and the suffix of the element ids (`-a`, `-b` beside
/// another run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TableView {
    #[serde(default)]
    pub metric: ShownMetric,
    #[serde(default)]
    pub stacks: Option<Vec<String>>,
    #[serde(default)]
    pub scenarios: Option<Vec<String>>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub suffix: String,
}

impl TableView {
    fn figure(&self) -> FigureView {
        FigureView {
            metric: self.metric,
            stacks: self.stacks.clone(),
        }
    }

    fn shows_scenario(&self, scenario: &str) -> bool {
        self.scenarios
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == scenario))
    }

    fn shows_stack(&self, stack: &str) -> bool {
        self.figure().shows(stack)
    }
}

/// What the page attaches to a cell (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Mark {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The exact value behind the text (a number as Rust's `{:?}` writes it, which
    /// parses back to the same `f64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `text` (left-aligned words) or `verdict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
}

/// A table with its element id, class and per-cell marks (`marks[row][column]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewTable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
    pub table: Table,
    pub marks: Vec<Vec<Mark>>,
}

/// A titled group of tables with an optional note under the title.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub tables: Vec<ViewTable>,
}

type Cell = (String, Mark);

fn text(s: impl Into<String>) -> Cell {
    (s.into(), Mark::default())
}

fn words(s: impl Into<String>) -> Cell {
    (
        s.into(),
        Mark {
            class: Some("text"),
            ..Mark::default()
        },
    )
}

fn verdict(s: impl Into<String>, key: String) -> Cell {
    (
        s.into(),
        Mark {
            key: Some(key),
            class: Some("verdict"),
            ..Mark::default()
        },
    )
}

/// A number cell: its text, key and exact value.
fn num(s: String, key: String, value: Option<f64>) -> Cell {
    (
        s,
        Mark {
            key: Some(key),
            value: value.filter(|v| v.is_finite()).map(|v| format!("{v:?}")),
            ..Mark::default()
        },
    )
}

fn keyed(s: String, key: String) -> Cell {
    (
        s,
        Mark {
            key: Some(key),
            ..Mark::default()
        },
    )
}

impl ViewTable {
    fn new<S: Into<String>>(
        caption: impl Into<String>,
        headers: impl IntoIterator<Item = S>,
        rows: Vec<Vec<Cell>>,
    ) -> ViewTable {
        let (rows, marks): (Vec<Vec<String>>, Vec<Vec<Mark>>) =
            rows.into_iter().map(|r| r.into_iter().unzip()).unzip();
        let headers: Vec<String> = headers.into_iter().map(Into::into).collect();
        let mut align = vec![Align::Right; headers.len()];
        if let Some(first) = align.first_mut() {
            *first = Align::Left;
        }
        ViewTable {
            id: None,
            class: None,
            table: Table::new(headers)
                .with_caption(caption)
                .with_rows(rows)
                .with_align(align),
            marks,
        }
    }

    fn with_id(mut self, id: String, class: Option<&'static str>) -> ViewTable {
        self.id = Some(id);
        self.class = class;
        self
    }
}

fn yes_no(b: Option<bool>, no: &str) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => no.into(),
        None => format::MISSING.into(),
    }
}

fn verdict_text(v: Verdict) -> String {
    let symbol = match v {
        Verdict::Holds => "✓",
        Verdict::DoesNotHold => "✗",
        Verdict::Inconclusive => "?",
        Verdict::NotTested => "–",
    };
    format!("{symbol} {}", v.label())
}

/// What limited the cell (`analysis/README.md`, "The limiter"): the most common limiter
/// over its repetitions, "(k/n)" when they disagree, "⚠ n disturbed" when foreign load
/// took ≥ 0.25 core; the mean cores per process group as the tooltip.
fn limiter_cell(c: &CellSummary) -> Cell {
    let key = format!("limiter:{}:{}", c.stack, c.scenario);
    let Some(l) = &c.limiter else {
        return keyed(format::MISSING.into(), key);
    };
    let included: Vec<_> = l.repetitions.iter().filter(|r| r.included).collect();
    let same = included
        .iter()
        .filter(|r| r.limiter == l.most_common)
        .count();
    let mut shown = l.most_common.as_str().to_string();
    if same < included.len() {
        shown += &format!(" ({same}/{})", included.len());
    }
    if !l.disturbed.is_empty() {
        shown += &format!(" ⚠ {} disturbed", l.disturbed.len());
    }
    (
        shown,
        Mark {
            key: Some(key),
            value: Some(l.most_common.as_str().to_string()),
            title: Some(limiter_title(l)),
            ..Mark::default()
        },
    )
}

fn limiter_title(l: &CellLimiter) -> String {
    let Some(u) = &l.mean else {
        return "no sampler readings (Docker stats only, or a run made before the sampler)".into();
    };
    format::usage(u)
}

/// Reproduced vs published, one table per scenario (figure), in the view's metric.
pub fn results(summary: &Summary, view: &TableView) -> Section {
    let is_run = summary.source == Source::Run;
    let figure_view = view.figure();
    let mut tables = Vec::new();
    for scenario in summary.scenarios.iter().filter(|s| view.shows_scenario(s)) {
        let cells: Vec<&CellSummary> = summary
            .cells_of(scenario)
            .into_iter()
            .filter(|c| figure_view.shows(&c.stack))
            .collect();
        let Some(first) = cells.first() else {
            continue;
        };
        let label = view.metric.axis_label(first.metric);
        let headers = [
            "Stack".to_string(),
            "Published (paper)".into(),
            if is_run {
                format!("Reproduced: {label}")
            } else {
                label.to_string()
            },
            format::ci_label(summary.settings.confidence),
            "Ratio to published".into(),
            "Repetitions".into(),
            "Requests".into(),
            "Error rate".into(),
            "Limited by".into(),
        ];
        let metric_key = view.metric.key();
        let rows = cells
            .iter()
            .map(|c| {
                let at = format!("{}:{}", c.stack, c.scenario);
                let v = view.metric.value(c);
                let unit: Metric = view.metric.resolve(c.metric).unit_metric();
                let value = v.as_ref().map(|v| v.value);
                let published = v.as_ref().and_then(|v| v.published);
                let ratio = value
                    .zip(published)
                    .filter(|(_, p)| is_run && *p != 0.0)
                    .map(|(v, p)| v / p);
                let n = v.as_ref().and_then(|v| v.n).filter(|_| is_run);
                vec![
                    text(summary.label(&c.stack)),
                    num(
                        format::opt_value(published, unit),
                        format!("published:{at}"),
                        published,
                    ),
                    num(
                        format::opt_value(value, unit),
                        format!("value:{at}:{metric_key}"),
                        value,
                    ),
                    keyed(
                        format::interval(v.as_ref().and_then(|v| v.ci), unit),
                        format!("ci:{at}:{metric_key}"),
                    ),
                    num(format::ratio(ratio), format!("ratio:{at}"), ratio),
                    num(
                        n.map(|n| format::count(n.into()))
                            .unwrap_or_else(|| format::MISSING.into()),
                        format!("n:{at}"),
                        n.map(f64::from),
                    ),
                    num(
                        if is_run {
                            format::count(c.requests)
                        } else {
                            format::MISSING.into()
                        },
                        format!("requests:{at}"),
                        is_run.then_some(c.requests as f64),
                    ),
                    text(if is_run {
                        format::error_rate(c.error_rate)
                    } else {
                        format::MISSING.into()
                    }),
                    limiter_cell(c),
                ]
            })
            .collect();
        let figure = first
            .figure
            .map(|f| format!("Figure {f}: "))
            .unwrap_or_default();
        tables.push(
            ViewTable::new(format!("{figure}{scenario} — {}", view.name), headers, rows)
                .with_id(format!("table-{scenario}{}", view.suffix), Some("results")),
        );
    }
    Section {
        id: format!("results{}", view.suffix),
        title: format!("Reproduced vs published ({})", view.name),
        note: None,
        tables,
    }
}

/// ORM overhead: each ORM stack against the raw sqlite3 stack of its framework.
pub fn orm(summary: &Summary, view: &TableView) -> Option<Section> {
    let rows: Vec<Vec<Cell>> = summary
        .orm_overhead
        .iter()
        .filter(|o| {
            view.shows_scenario(&o.scenario)
                && view.shows_stack(&o.orm_stack)
                && view.shows_stack(&o.raw_stack)
        })
        .map(|o| {
            let at = format!("{}:{}", o.framework, o.scenario);
            vec![
                text(format!("{}: {}", o.framework, o.scenario)),
                num(
                    format::value(o.orm, o.metric),
                    format!("orm:{at}"),
                    Some(o.orm),
                ),
                num(
                    format::value(o.raw, o.metric),
                    format!("raw:{at}"),
                    Some(o.raw),
                ),
                num(
                    format::signed_percent(o.overhead_percent),
                    format!("overhead:{at}"),
                    Some(o.overhead_percent),
                ),
                text(format::signed_percent_interval(o.overhead_ci_percent)),
                num(format::opt_p_value(o.p), format!("orm-p:{at}"), o.p),
                words(yes_no(o.significant, "no")),
                words(o.basis.clone()),
            ]
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Section {
        id: format!("orm{}", view.suffix),
        title: "ORM overhead (ORM stack vs raw sqlite3 of the same framework)".into(),
        note: Some("Overhead: how much worse the ORM variant is, in percent of the raw variant (positive = the ORM costs).".into()),
        tables: vec![ViewTable::new(
            "ORM deltas",
            ["Framework: scenario", "ORM", "raw SQL", "Overhead", "CI of overhead", "p", "Significant", "Basis"],
            rows,
        )],
    })
}

/// Pairwise significance between stacks, per scenario.
pub fn pairwise(summary: &Summary, view: &TableView) -> Option<Section> {
    let rows: Vec<Vec<Cell>> = summary
        .pairwise
        .iter()
        .filter(|p| {
            view.shows_scenario(&p.scenario) && view.shows_stack(&p.a) && view.shows_stack(&p.b)
        })
        .map(|p| {
            let at = format!("{}:{}:{}", p.scenario, p.a, p.b);
            let welch = p.welch.as_ref().map(|w| w.p);
            let mw = p.mann_whitney.as_ref().map(|m| m.p);
            vec![
                text(p.scenario.clone()),
                words(format!(
                    "{} vs {}",
                    summary.label(&p.a),
                    summary.label(&p.b)
                )),
                num(
                    format::signed_percent(p.diff_percent),
                    format!("diff:{at}"),
                    Some(p.diff_percent),
                ),
                num(format::opt_p_value(welch), format!("welch:{at}"), welch),
                num(
                    format::effect_size(p.hedges_g),
                    format!("g:{at}"),
                    p.hedges_g,
                ),
                num(format::opt_p_value(mw), format!("mw:{at}"), mw),
                words(yes_no(p.significant, "no (~)")),
                words(p.verdict.clone()),
            ]
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Section {
        id: format!("pairwise{}", view.suffix),
        title: "Significance between stacks".into(),
        note: Some(format!(
            "Welch's t-test over repetitions, Hedges' g, Mann–Whitney U over pooled samples; α = {}. \"~\" = no significant difference.",
            summary.settings.alpha
        )),
        tables: vec![ViewTable::new(
            "Pairwise comparisons",
            [
                "Scenario",
                "Stacks (a vs b)",
                "a vs b",
                "Welch p",
                "Hedges' g",
                "Mann–Whitney p",
                "Significant",
                "Verdict",
            ],
            rows,
        )],
    })
}

/// The paper's claims, judged on the paper's own numbers and on the run's.
pub fn claims(summary: &Summary, view: &TableView) -> Option<Section> {
    let is_run = summary.source == Source::Run;
    let rows: Vec<Vec<Cell>> = summary
        .claims
        .iter()
        .map(|c| {
            let run = match c.run_verdict {
                Some(v) if is_run => verdict_text(v),
                _ => format::MISSING.into(),
            };
            let detail = if is_run {
                c.run_detail.clone().unwrap_or_default()
            } else {
                c.paper_detail.clone()
            };
            vec![
                text(c.id.clone()),
                words(format!("§{}", c.section)),
                words(c.text.clone()),
                verdict(
                    verdict_text(c.paper_verdict),
                    format!("claim-paper:{}", c.id),
                ),
                verdict(run, format!("claim-run:{}", c.id)),
                words(detail),
            ]
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Section {
        id: format!("claims{}", view.suffix),
        title: "The paper’s claims".into(),
        note: Some("Verdicts use the intervals: overlapping intervals make a comparison inconclusive. Symbols (✓ ✗ ? –) repeat the words.".into()),
        tables: vec![ViewTable::new(
            "Claim verdicts",
            ["Claim", "Section", "Claim", "On the paper’s numbers", "On this run", "Numbers behind the verdict"],
            rows,
        )],
    })
}

/// Host, versions, repetitions and container resources of a run.
pub fn host(summary: &Summary, view: &TableView) -> Option<Section> {
    let m = summary.manifest.as_ref()?;
    let h = &m.host;
    let s = &summary.samples;
    let rows = [
        ("Run", m.run_id.clone()),
        ("Load generator", m.loadgen.clone()),
        ("Started", m.started_at.clone()),
        (
            "Ended",
            m.ended_at.clone().unwrap_or_else(|| format::MISSING.into()),
        ),
        ("Host", h.hostname.clone()),
        ("CPU", format!("{} ({} cores)", h.cpu_model, h.cores)),
        ("Memory", format::gib(h.memory_bytes)),
        ("OS", format!("{}, kernel {}", h.os, h.kernel)),
        ("Docker", h.docker_version.clone()),
        (
            "pywebbench",
            match &m.git_commit {
                Some(c) => format!("{} ({c})", m.pywebbench_version),
                None => m.pywebbench_version.clone(),
            },
        ),
        (
            "Analysis",
            format!("{}, seed {}", summary.generator, summary.seed),
        ),
        (
            "Samples",
            format!(
                "{} measured, {} warm-up, {} excluded",
                s.measured, s.warmup, s.excluded
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| vec![text(k), words(v)])
    .collect();
    let mut tables = vec![ViewTable::new("Host and versions", ["", "Value"], rows)];
    let stacks: Vec<&String> = m.packages.keys().filter(|s| view.shows_stack(s)).collect();
    if !stacks.is_empty() {
        let mut packages: Vec<&String> =
            stacks.iter().flat_map(|s| m.packages[*s].keys()).collect();
        packages.sort();
        packages.dedup();
        let headers = std::iter::once("Package".to_string())
            .chain(stacks.iter().map(|s| summary.label(s).to_string()));
        let rows = packages
            .iter()
            .map(|p| {
                std::iter::once(text(p.as_str()))
                    .chain(stacks.iter().map(|s| {
                        text(
                            m.packages[*s]
                                .get(*p)
                                .cloned()
                                .unwrap_or_else(|| format::MISSING.into()),
                        )
                    }))
                    .collect()
            })
            .collect();
        tables.push(ViewTable::new("Package versions per stack", headers, rows));
    }
    let reps: Vec<Vec<Cell>> = summary
        .repetitions
        .iter()
        .filter(|r| view.shows_stack(&r.stack))
        .map(|r| {
            let status = match r.status {
                RepetitionStatus::Ok => "ok",
                RepetitionStatus::Failed => "failed",
                RepetitionStatus::Interrupted => "interrupted",
            };
            vec![
                text(summary.label(&r.stack)),
                text(format::count(r.repetition.into())),
                words(status),
                words(if r.included { "yes" } else { "no" }),
                text(format::count(r.samples)),
                words(r.cause.clone().unwrap_or_default()),
            ]
        })
        .collect();
    if !reps.is_empty() {
        tables.push(ViewTable::new(
            "Repetitions",
            [
                "Stack",
                "Repetition",
                "Status",
                "In the statistics",
                "Samples",
                "Cause",
            ],
            reps,
        ));
    }
    let resources: Vec<Vec<Cell>> = summary
        .resources
        .iter()
        .filter(|r| {
            view.shows_stack(&r.stack)
                && (view.shows_scenario(&r.phase) || !summary.scenarios.contains(&r.phase))
        })
        .map(|r| {
            vec![
                text(summary.label(&r.stack)),
                words(r.phase.clone()),
                text(format::count(r.readings)),
                text(format::cpu_percent(r.cpu_mean_percent)),
                text(format::cpu_percent(r.cpu_peak_percent)),
                text(format::mib(r.mem_mean_bytes)),
                text(format::mib(r.mem_peak_bytes as f64)),
            ]
        })
        .collect();
    if !resources.is_empty() {
        tables.push(ViewTable::new(
            "Container resources (docker stats)",
            [
                "Stack",
                "Phase",
                "Readings",
                "CPU mean",
                "CPU peak",
                "Memory mean",
                "Memory peak",
            ],
            resources,
        ));
    }
    Some(Section {
        id: format!("host{}", view.suffix),
        title: "Host, versions and repetitions".into(),
        note: None,
        tables,
    })
}

/// Every table of one run for the view, in the page's order; `full` adds the ORM,
/// pairwise and claims tables (shown for run A only beside another run).
pub fn sections(summary: &Summary, view: &TableView, full: bool) -> Vec<Section> {
    let mut out = vec![results(summary, view)];
    if full {
        out.extend(orm(summary, view));
        out.extend(pairwise(summary, view));
        out.extend(claims(summary, view));
    }
    out.extend(host(summary, view));
    out
}

/// The stacks only one run holds, as sentences appended to the comparison's note.
fn unshared(cmp: &Comparison) -> String {
    let mut out = String::new();
    for (side, stacks) in [("A", &cmp.only_in_a), ("B", &cmp.only_in_b)] {
        if !stacks.is_empty() {
            out.push_str(&format!(
                " Only in {side} (not compared): {}.",
                cmp.labels(stacks)
            ));
        }
    }
    if cmp.shared.is_empty() {
        out.push_str(" No stack is in both runs: nothing to compare.");
    }
    out
}

/// Two runs side by side ([`crate::compare`]): the change from A to B per cell.
/// `a_name` and `b_name` are the runs' names in the title.
pub fn comparison(
    cmp: &Comparison,
    a: &Summary,
    view: &TableView,
    a_name: &str,
    b_name: &str,
) -> Section {
    let rows = cmp
        .rows
        .iter()
        .filter(|r| view.shows_scenario(&r.scenario) && view.shows_stack(&r.stack))
        .map(|r| {
            let at = format!("{}:{}", r.scenario, r.stack);
            let better = match (r.significant, r.b_better) {
                (Some(true), Some(true)) => "B better",
                (Some(true), _) => "A better",
                (Some(false), _) => "~ (no significant change)",
                (None, _) => format::MISSING,
            };
            vec![
                text(r.scenario.clone()),
                words(a.label(&r.stack)),
                num(format::opt_value(r.a, r.metric), format!("cmp-a:{at}"), r.a),
                num(format::opt_value(r.b, r.metric), format!("cmp-b:{at}"), r.b),
                num(
                    r.delta_percent
                        .map(format::signed_percent)
                        .unwrap_or_else(|| format::MISSING.into()),
                    format!("cmp-delta:{at}"),
                    r.delta_percent,
                ),
                text(format::signed_percent_interval(r.delta_ci_percent)),
                num(format::opt_p_value(r.p), format!("cmp-p:{at}"), r.p),
                words(r.test.clone()),
                verdict(better, format!("cmp-verdict:{at}")),
            ]
        })
        .collect();
    Section {
        id: "compare".into(),
        title: format!("Comparison: A = {a_name}, B = {b_name}"),
        note: Some(format!(
            "Change = (B − A) / A. Welch's t-test over repetitions (one-sample t against a published value); α = {}; \"~\" = no significant change. Values in each figure's metric (req/s for hello and echo, mean ms otherwise).{}",
            cmp.alpha,
            unshared(cmp)
        )),
        tables: vec![ViewTable::new(
            "A vs B",
            [
                "Scenario".to_string(),
                "Stack".into(),
                "A".into(),
                "B".into(),
                "Change".into(),
                format!("{} of change", format::ci_label(cmp.confidence)),
                "p".into(),
                "Test".into(),
                "Verdict".into(),
            ],
            rows,
        )],
    }
}
