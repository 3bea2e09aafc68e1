//! The README's results section from a published run's summary (and, with a k6 run of
//! the same campaign, the comparison of the two load generators): the run beside the
//! paper per figure and stack, the seven figures, the claims' verdicts. Every number of
//! that section comes from here; `pywebbench readme` reads the files, works out the
//! links and writes the result between the README's markers.

use super::Block;
use super::cells::{published, verdict};
use crate::format::{self, MISSING};
use crate::paper::figure_title;
use crate::paper::{Metric, SCENARIOS, numbered};
use crate::summary::{Across, CellSummary, CiMethod, Summary};
use crate::table::{Align, Table};

/// Where the section links to, each relative to the README's folder, `/`-separated.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// The run's folder (raw data).
    pub run: String,
    /// The k6 run's folder, when there is one.
    pub k6: Option<String>,
    pub report_md: String,
    pub report_html: String,
    /// `fig1.png` … `fig7.png` of the run, in order.
    pub figures: Vec<String>,
    /// The run of another campaign on the same procedure (e.g. `modern`: stacks added
    /// after the paper beside three of its stacks), when there is one.
    pub modern: Option<ModernLinks>,
    /// Published capacity sweeps, shown after everything else.
    pub sweeps: Vec<super::capacity::SweepPart>,
    /// The peak-configuration run's folder, when its part follows the section
    /// (`super::peak`; named in the section's command line).
    pub peak: Option<String>,
}

/// Where the modern run's part of the section links to.
#[derive(Debug, Clone, Default)]
pub struct ModernLinks {
    pub run: String,
    pub report_md: String,
    pub report_html: String,
    /// `fig1.png` … `fig7.png` of that run, in order.
    pub figures: Vec<String>,
}

/// Why the section cannot be written.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReadmeError {
    #[error("{0} holds no run (summary without a manifest); pass a published run folder")]
    NoRun(String),
    #[error("{0} was run with the {1} generator, not k6; pass the run made with --loadgen k6")]
    NotK6(String, String),
    #[error("the section needs the 7 figures' files, got {0}")]
    Figures(usize),
    #[error("a modern run needs both its summary and its links; pass both or neither")]
    ModernLinks,
}

/// The results section (between the markers, markers excluded), as Markdown.
pub fn section(
    run: &Summary,
    k6: Option<&Summary>,
    modern: Option<&Summary>,
    links: &Links,
) -> Result<String, ReadmeError> {
    Ok(format!(
        "\n{}",
        super::markdown::render(&document(run, k6, modern, links)?)
    ))
}

/// The results section as blocks.
pub fn document(
    run: &Summary,
    k6: Option<&Summary>,
    modern: Option<&Summary>,
    links: &Links,
) -> Result<Vec<Block>, ReadmeError> {
    if run.manifest.is_none() {
        return Err(ReadmeError::NoRun(links.run.clone()));
    }
    if links.figures.len() != 7 {
        return Err(ReadmeError::Figures(links.figures.len()));
    }
    let k6_link = links.k6.clone().unwrap_or_default();
    let k6 = match k6 {
        None => None,
        Some(k) => match &k.manifest {
            None => return Err(ReadmeError::NoRun(k6_link)),
            Some(km) if km.loadgen != "k6" => {
                return Err(ReadmeError::NotK6(k6_link, km.loadgen.clone()));
            }
            Some(_) => Some(k),
        },
    };
    let mut doc = Vec::new();
    header(&mut doc, run, links);
    beside_the_paper(&mut doc, run);
    doc.push(Block::Heading(3, "Figures".into()));
    for (fig, src) in (1..=7u8).zip(&links.figures) {
        doc.push(Block::Para(format!(
            "**Figure {fig}: {}**",
            figure_title(fig)
        )));
        doc.push(Block::Image {
            alt: format!("Figure {fig}: {}", figure_title(fig)),
            src: src.clone(),
        });
    }
    let mut runs = vec![run];
    runs.extend(k6);
    claims_side_by_side(&mut doc, &runs);
    if let Some(k6) = k6 {
        generators(&mut doc, run, k6, links);
        generators_beside_paper(&mut doc, run, k6);
    }
    match (modern, &links.modern) {
        (Some(m), Some(ml)) => {
            if m.manifest.is_none() {
                return Err(ReadmeError::NoRun(ml.run.clone()));
            }
            if ml.figures.len() != 7 {
                return Err(ReadmeError::Figures(ml.figures.len()));
            }
            super::modern::section(&mut doc, m, run, ml);
        }
        (None, None) => {}
        _ => return Err(ReadmeError::ModernLinks),
    }
    super::capacity::section(&mut doc, &links.sweeps);
    Ok(doc)
}

/// The run's numbers' width: its repetitions, or for a precision run the rounds it
/// made, its bounds, its target and why it stopped.
fn repetitions(m: &crate::schema::Manifest) -> String {
    match m
        .precision
        .as_ref()
        .and_then(|p| p.stopped.as_ref().map(|st| (p, st)))
    {
        Some((p, st)) => format!(
            "{} rounds (precision run: target ±{}, {}–{} rounds; stopped: {})",
            st.rounds,
            format::setting_percent(p.settings.target),
            p.settings.min_rounds,
            p.settings.max_rounds,
            st.reason.describe()
        ),
        None => format!(
            "{} repetitions",
            m.campaign["repetitions"].as_u64().unwrap_or(0)
        ),
    }
}

/// Who generated the section, the run, its host and versions, and its warnings.
fn header(doc: &mut Vec<Block>, s: &Summary, links: &Links) {
    let Some(m) = &s.manifest else { return };
    doc.push(Block::Para(format!(
        "_Generated by `just readme-results {}{}{}{}{}` — do not edit by hand._",
        links.run,
        links
            .k6
            .as_ref()
            .map(|k| format!(" {k}"))
            .unwrap_or_default(),
        links
            .modern
            .as_ref()
            .map(|m| format!(" {}", m.run))
            .unwrap_or_default(),
        links
            .peak
            .as_ref()
            .map(|p| format!(" {p}"))
            .unwrap_or_default(),
        links
            .sweeps
            .iter()
            .map(|w| format!(" --sweep {}", w.run))
            .collect::<String>()
    )));
    let campaign = m.campaign["name"].as_str().unwrap_or("?");
    doc.push(Block::Para(format!(
        "Run `{}` (load generator: {}; campaign `{campaign}`: {} stacks × {}), {} → {}, on {} ({} CPUs, {}), {}, kernel {}, Docker {}; pywebbench {} at commit `{}`. {} requests measured ({} warm-up, {} in failed repetitions). Full report: [report.md]({}) · [report.html]({}) · raw data: [{}]({}).",
        m.run_id,
        m.loadgen,
        s.stacks.len(),
        repetitions(m),
        m.started_at,
        m.ended_at.as_deref().unwrap_or("(unfinished)"),
        m.host.cpu_model,
        m.host.cores,
        format::gib(m.host.memory_bytes),
        m.host.os,
        m.host.kernel,
        m.host.docker_version,
        m.pywebbench_version,
        m.git_commit.as_deref().unwrap_or("unknown"),
        s.samples.measured,
        s.samples.warmup,
        s.samples.excluded,
        links.report_md,
        links.report_html,
        links.run,
        links.run,
    )));
    if campaign != "paper" {
        doc.push(Block::Quote(format!(
            "**Not the paper's campaign** (`{campaign}`): these numbers test the pipeline, not the paper."
        )));
    }
    for w in &s.warnings {
        doc.push(Block::Quote(format!(
            "Warning: {}",
            super::markdown::escape(w)
        )));
    }
}

/// A statistic across repetitions: `mean [low, high]`, the mean alone without an interval.
fn across(a: Option<&Across>) -> String {
    match a {
        Some(a) => match a.ci {
            Some(i) => format!(
                "{} {}",
                format::ms(a.mean),
                format::interval(Some(i), Metric::MeanLatencyMs)
            ),
            None => format::ms(a.mean),
        },
        None => MISSING.into(),
    }
}

/// A latency cell's tails: the repetitions' median and p99 (mean [t CI]) and the
/// slowest 1 %'s share of the pooled latency; "–" for throughput cells.
pub fn tails(c: &CellSummary) -> (String, String, String) {
    let Some(d) = c
        .detail
        .as_ref()
        .filter(|_| c.metric == Metric::MeanLatencyMs)
    else {
        return (MISSING.into(), MISSING.into(), MISSING.into());
    };
    (
        across(d.median_ms.as_ref()),
        across(d.p99_ms.as_ref()),
        format::share(d.pooled_latency.and_then(|l| l.slowest_1pct_share)),
    )
}

/// Each cell of the run beside the paper's value, with its tails.
fn beside_the_paper(doc: &mut Vec<Block>, s: &Summary) {
    let level = format::setting_percent(s.settings.confidence);
    let ci = format::ci_label(s.settings.confidence);
    doc.push(Block::Heading(3, "This run beside the paper".into()));
    doc.push(Block::Para(format!(
        "Ours = mean over the repetitions with its {level} Student-t interval (bootstrap over the pooled requests when a latency cell has one repetition; n = repetitions included); paper = the published value (~ = read off a figure); ratio = ours ÷ paper (req/s: > 1 is faster here; ms: > 1 is slower here). Latency cells (ms) also give the median and the p99: the mean of the repetitions' medians (p99s) with its {level} Student-t interval; and the share of the summed latency carried by the slowest 1 % of all their requests pooled. The paper reports only means."
    )));
    let (l, r) = (Align::Left, Align::Right);
    let mut t = Table::new([
        "Figure".to_string(),
        "Stack".into(),
        "Ours".into(),
        ci.clone(),
        "n".into(),
        "Paper".into(),
        "Ratio".into(),
        format!("Median ms [{ci}]"),
        format!("p99 ms [{ci}]"),
        "Slowest 1 % share".into(),
    ])
    .with_align(vec![l, l, r, l, r, r, r, r, r, r]);
    for scenario in SCENARIOS {
        for c in s.cells_of(scenario) {
            let how = match c.ci_method {
                CiMethod::Bootstrap => " (bootstrap)",
                _ => "",
            };
            let interval = match c.estimate.ci {
                Some(iv) => format!("{}{how}", format::interval(Some(iv), c.metric)),
                None => MISSING.into(),
            };
            let (median, p99, share) = tails(c);
            t.push(vec![
                format!("{} ({})", numbered(scenario), c.metric.unit()),
                s.short_label(&c.stack).to_string(),
                format::value(c.estimate.value, c.metric),
                interval,
                c.detail
                    .as_ref()
                    .map(|d| format::count(d.included_repetitions.into()))
                    .unwrap_or_else(|| MISSING.into()),
                published(c),
                format::ratio(c.ratio_to_published),
                median,
                p99,
                share,
            ]);
        }
    }
    doc.push(Block::Table(t));
}

/// A run's column name: its load generator's, from its manifest.
fn run_name(s: &Summary) -> String {
    s.manifest
        .as_ref()
        .map(|m| format!("{} run", m.loadgen))
        .unwrap_or_else(|| "run".into())
}

/// The claims, one row each, judged on the paper's numbers and on each run beside it;
/// a claim that only some runs judge shows "–" in the others.
fn claims_side_by_side(doc: &mut Vec<Block>, runs: &[&Summary]) {
    let level = runs
        .first()
        .map(|s| format::setting_percent(s.settings.confidence))
        .unwrap_or_default();
    doc.push(Block::Heading(3, "The paper's claims".into()));
    doc.push(Block::Para(format!(
        "Each claim judged against the paper's own numbers and against each run ({}; inconclusive = the {level} interval of the comparison does not decide it at this run's spread, not that there is no difference; the unit is the repetition, paired within rounds where a run has them; each claim's exact reading is in [paper/claims.toml](paper/claims.toml)). \"Why\" gives the run's numbers behind its verdict.",
        runs.iter()
            .map(|s| {
                format!(
                    "{}: `{}`",
                    run_name(s),
                    s.manifest.as_ref().map(|m| m.run_id.as_str()).unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    )));
    let mut head = vec!["§".to_string(), "Claim".into(), "Paper's numbers".into()];
    head.extend(runs.iter().map(|s| run_name(s)));
    head.extend(runs.iter().map(|s| format!("Why ({})", run_name(s))));
    let mut t = Table::new(head);
    // Every claim any run judged, in the first run's order, then the others' new ones.
    let mut ids: Vec<&str> = Vec::new();
    for s in runs {
        for c in &s.claims {
            if !ids.contains(&c.id.as_str()) {
                ids.push(&c.id);
            }
        }
    }
    for id in ids {
        let found: Vec<_> = runs
            .iter()
            .map(|s| s.claims.iter().find(|c| c.id == id))
            .collect();
        let Some(first) = found.iter().flatten().next() else {
            continue;
        };
        let mut row = vec![
            first.section.clone(),
            first.text.clone(),
            verdict(first.paper_verdict).to_string(),
        ];
        row.extend(found.iter().map(|c| {
            c.and_then(|c| c.run_verdict)
                .map(verdict)
                .unwrap_or(MISSING)
                .to_string()
        }));
        row.extend(found.iter().map(|c| {
            c.and_then(|c| c.run_detail.clone())
                .unwrap_or_else(|| MISSING.into())
        }));
        t.push(row);
    }
    doc.push(Block::Table(t));
}

/// The native run against the k6 run, cell by cell (`pywebbench compare`).
fn generators(doc: &mut Vec<Block>, run: &Summary, k6: &Summary, links: &Links) {
    let Some(km) = &k6.manifest else { return };
    let cmp = crate::compare(run, k6);
    let (mut faster, mut slower, mut same, mut untested) = (0, 0, 0, 0);
    for r in &cmp.rows {
        match (r.significant, r.b_better) {
            (Some(true), Some(true)) => faster += 1,
            (Some(true), Some(false)) => slower += 1,
            (Some(_), _) => same += 1,
            (None, _) => untested += 1,
        }
    }
    doc.push(Block::Heading(
        3,
        "The paper's instrument: native generator vs k6".into(),
    ));
    doc.push(Block::Para(format!(
        "The same campaign run with `--loadgen k6` (run `{}`, {} → {}): the change from the native generator (A) to k6 (B) per scenario and stack, by `pywebbench compare {} {}`. With k6 the stacks measured significantly better (more req/s, fewer ms) in {faster}, worse in {slower} and not significantly different in {same} of {} cells (Welch's t on the repetition values, α = {}){}.",
        km.run_id,
        km.started_at,
        km.ended_at.as_deref().unwrap_or("(unfinished)"),
        links.run,
        links.k6.as_deref().unwrap_or_default(),
        cmp.rows.len(),
        cmp.alpha,
        if untested > 0 {
            format!("; {untested} not tested (fewer than two repetitions on a side)")
        } else {
            String::new()
        }
    )));
    doc.push(Block::Code {
        lang: "text".into(),
        text: cmp.table(),
    });
}

/// The throughput figures (1–2, where the generator shares the CPUs with the server) of
/// both runs beside the paper: does the paper's own instrument, on this host, land near
/// the paper's numbers?
fn generators_beside_paper(doc: &mut Vec<Block>, native: &Summary, k6: &Summary) {
    doc.push(Block::Para(
        "Throughput (Figures 1–2) of both runs beside the paper: mean over the repetitions; ratio = run ÷ paper.".into(),
    ));
    let (l, r) = (Align::Left, Align::Right);
    let mut t = Table::new([
        "Figure",
        "Stack",
        "Native",
        "k6",
        "Paper",
        "Native ÷ paper",
        "k6 ÷ paper",
    ])
    .with_align(vec![l, l, r, r, r, r, r]);
    for scenario in SCENARIOS {
        for c in native.cells_of(scenario) {
            if c.metric != Metric::ReqPerS {
                continue;
            }
            let k = k6.cell(&c.stack, scenario);
            t.push(vec![
                numbered(scenario),
                native.short_label(&c.stack).to_string(),
                format::value(c.estimate.value, c.metric),
                k.map(|k| format::value(k.estimate.value, k.metric))
                    .unwrap_or_else(|| MISSING.into()),
                published(c),
                format::ratio(c.ratio_to_published),
                format::ratio(k.and_then(|k| k.ratio_to_published)),
            ]);
        }
    }
    doc.push(Block::Table(t));
}
