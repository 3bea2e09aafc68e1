//! `report.md` and a self-contained `report.html` (inline CSS and SVG, works offline)
//! from a [`Summary`]. Both render the same document model, so they say the same.

use std::fmt::Write as _;

use crate::paper::{Metric, Verdict, figure_title};
use crate::stats::Interval;
use crate::summary::{CellSummary, CiMethod, Source, Summary};

enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    Code(String),
    /// Figure n (1..=7): an image in Markdown, the inline SVG in HTML.
    Figure(u8),
    /// The latency distribution of a scenario: `dist-<scenario>.svg` in Markdown, the
    /// inline SVG in HTML.
    Distribution(String),
}

fn num(v: f64, metric: Metric) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match metric {
        Metric::ReqPerS => format!("{v:.0}"),
        Metric::MeanLatencyMs => format!("{v:.2}"),
    }
}

fn ms(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "–".into()
    }
}

fn ci(iv: Option<Interval>, metric: Metric) -> String {
    match iv {
        Some(i) => format!("[{}, {}]", num(i.low, metric), num(i.high, metric)),
        None => "–".into(),
    }
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{v:+.1}%")
    } else {
        "–".into()
    }
}

fn p_value(p: Option<f64>) -> String {
    p.map(crate::stats::format_p).unwrap_or_else(|| "–".into())
}

/// What deciding an inconclusive claim would take, one cell.
fn power(p: Option<&crate::paper::Power>) -> String {
    match p {
        None => String::new(),
        Some(w) => format!(
            "{}: half-width ±{:.1}% needed (now ±{:.1}%); {} {} at sd {:.3} (observed {})",
            w.comparison,
            w.needed_halfwidth * 100.0,
            w.observed_halfwidth * 100.0,
            w.n_needed
                .map(|n| format!("≈{n}"))
                .unwrap_or_else(|| "no number of".into()),
            if w.design == "paired" {
                "rounds"
            } else {
                "repetitions per stack"
            },
            w.sd,
            w.n
        ),
    }
}

fn verdict(v: Option<Verdict>) -> String {
    match v {
        Some(Verdict::Holds) => "✅ holds".into(),
        Some(Verdict::DoesNotHold) => "❌ does not hold".into(),
        Some(Verdict::Inconclusive) => "❔ inconclusive".into(),
        Some(Verdict::NotTested) => "– not tested".into(),
        None => "(no run)".into(),
    }
}

fn bytes_mib(b: f64) -> String {
    format!("{:.1} MiB", b / (1024.0 * 1024.0))
}

/// A statistic across repetitions: `mean [low, high]` (t interval), the mean alone for
/// one repetition.
fn across_ms(a: Option<&crate::summary::Across>) -> String {
    match a {
        Some(a) => match a.ci {
            Some(i) => format!("{} [{}, {}]", ms(a.mean), ms(i.low), ms(i.high)),
            None => ms(a.mean),
        },
        None => "–".into(),
    }
}

/// The slowest 1 %'s share of the pooled latency, with the repetitions' range.
fn slowest_share(d: Option<&crate::summary::CellDetail>) -> String {
    use crate::distribution::share_text;
    let Some(d) = d else {
        return "–".into();
    };
    let pooled = share_text(d.pooled_latency.and_then(|l| l.slowest_1pct_share));
    match &d.slowest_1pct_share {
        Some(a) if a.n >= 2 => {
            let (lo, hi) = a
                .values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(*v), h.max(*v))
                });
            format!(
                "{pooled} ({}–{})",
                share_text(Some(lo)),
                share_text(Some(hi))
            )
        }
        _ => pooled,
    }
}

fn cell_row(s: &Summary, c: &CellSummary) -> Vec<String> {
    let m = c.metric;
    let d = c.detail.as_ref();
    let n = d
        .map(|d| d.included_repetitions.to_string())
        .unwrap_or_else(|| "–".into());
    let method = match c.ci_method {
        CiMethod::StudentT => "t",
        CiMethod::Bootstrap => "bootstrap",
        CiMethod::Published => "paper",
        CiMethod::None => "none",
    };
    let published = match c.published {
        Some(p) if c.published_approximate => format!("~{}", num(p, m)),
        Some(p) => num(p, m),
        None => "–".into(),
    };
    let pooled = d.and_then(|d| d.pooled_latency);
    let outliers = d
        .and_then(|d| d.outliers)
        .map(|o| format!("{} / {}", o.beyond_1_5_iqr, o.beyond_3_iqr))
        .unwrap_or_else(|| "–".into());
    let boot = d
        .and_then(|d| d.bootstrap_mean_ms)
        .map(|b| format!("[{}, {}]", ms(b.ci.low), ms(b.ci.high)))
        .unwrap_or_else(|| "–".into());
    let excluded = d
        .filter(|d| !d.excluded_repetitions.is_empty())
        .map(|d| {
            format!(
                " (excluded: {})",
                d.excluded_repetitions
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default();
    vec![
        s.short_label(&c.stack).to_string(),
        num(c.estimate.value, m),
        format!("{} ({method})", ci(c.estimate.ci, m)),
        format!("{n}{excluded}"),
        published,
        c.ratio_to_published
            .filter(|r| r.is_finite())
            .map(|r| format!("{r:.3}"))
            .unwrap_or_else(|| "–".into()),
        if c.source_is_run() {
            format!("{:.3}% ({}/{})", c.error_rate * 100.0, c.errors, c.requests)
        } else {
            "–".into()
        },
        limited_by(c),
        pooled.map(|l| ms(l.mean_ms)).unwrap_or_else(|| "–".into()),
        pooled
            .map(|l| ms(l.median_ms))
            .unwrap_or_else(|| "–".into()),
        across_ms(d.and_then(|d| d.median_ms.as_ref())),
        pooled.map(|l| ms(l.p95_ms)).unwrap_or_else(|| "–".into()),
        pooled.map(|l| ms(l.p99_ms)).unwrap_or_else(|| "–".into()),
        across_ms(d.and_then(|d| d.p99_ms.as_ref())),
        slowest_share(d),
        pooled.map(|l| ms(l.max_ms)).unwrap_or_else(|| "–".into()),
        d.and_then(|d| d.pooled_ttfb)
            .map(|l| ms(l.mean_ms))
            .unwrap_or_else(|| "–".into()),
        outliers,
        boot,
    ]
}

/// The cell's most common limiter, with the count when the repetitions disagree and
/// a mark when some were disturbed: `server-cpu`, `generator-cpu (3/5) ⚠ 2 disturbed`.
fn limited_by(c: &CellSummary) -> String {
    let Some(l) = &c.limiter else {
        return "–".into();
    };
    let included: Vec<_> = l.repetitions.iter().filter(|r| r.included).collect();
    let same = included
        .iter()
        .filter(|r| r.limiter == l.most_common)
        .count();
    let mut out = l.most_common.as_str().to_string();
    if same < included.len() {
        out.push_str(&format!(" ({same}/{})", included.len()));
    }
    if !l.disturbed.is_empty() {
        out.push_str(&format!(" ⚠ {} disturbed", l.disturbed.len()));
    }
    out
}

/// `server 1.20, generator 0.45, proxy 0.30, others 0.05 cores; iowait 0.00, steal 0.00`.
fn usage_text(u: &crate::limiter::Usage) -> String {
    format!(
        "server {:.2}, generator {:.2}, proxy {}, others {:.2} cores; iowait {:.2}, steal {:.2}; generator's CPUs {:.0}% busy, server's {:.0}%",
        u.server_cores,
        u.generator_cores,
        u.proxy_cores
            .map(|p| format!("{p:.2}"))
            .unwrap_or_else(|| "none".into()),
        u.others_cores,
        u.iowait_cores,
        u.steal_cores,
        u.generator_set_busy * 100.0,
        u.server_set_busy * 100.0
    )
}

impl CellSummary {
    fn source_is_run(&self) -> bool {
        self.detail.is_some()
    }
}

fn document(s: &Summary) -> Vec<Block> {
    let mut doc = Vec::new();
    let is_run = s.source == Source::Run;
    let title = match (&s.manifest, is_run) {
        (Some(m), true) => format!("pywebbench report — run {}", m.run_id),
        _ => "pywebbench — the paper's published numbers (no run loaded)".to_string(),
    };
    doc.push(Block::Heading(1, title));
    doc.push(Block::Para(format!(
        "Reproduction of {} ({}, {}). Generated by {} (summary schema v{}, seed {}).",
        s.paper.title, s.paper.authors, s.paper.year, s.generator, s.schema_version, s.seed
    )));

    if let Some(m) = &s.manifest {
        doc.push(Block::Heading(2, "The run".into()));
        doc.push(Block::List(vec![
            format!("Run id: {}; load generator: {}", m.run_id, m.loadgen),
            format!(
                "Host: {} — {} ({} cores, {:.1} GiB), {} / kernel {}, Docker {}",
                m.host.hostname,
                m.host.cpu_model,
                m.host.cores,
                m.host.memory_bytes as f64 / (1u64 << 30) as f64,
                m.host.os,
                m.host.kernel,
                m.host.docker_version
            ),
            format!(
                "pywebbench {} (commit {}); started {}, ended {}",
                m.pywebbench_version,
                m.git_commit.as_deref().unwrap_or("unknown"),
                m.started_at,
                m.ended_at.as_deref().unwrap_or("— (not finished)")
            ),
            format!(
                "Samples: {} in total, {} measured, {} warm-up (not in the statistics), {} from failed/interrupted repetitions (not in the statistics)",
                s.samples.total, s.samples.measured, s.samples.warmup, s.samples.excluded
            ),
        ]));
        let rows: Vec<Vec<String>> = s
            .repetitions
            .iter()
            .map(|r| {
                vec![
                    s.short_label(&r.stack).to_string(),
                    r.repetition.to_string(),
                    format!("{:?}", r.status).to_lowercase(),
                    if r.included {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    r.samples.to_string(),
                    r.cause.clone().unwrap_or_default(),
                ]
            })
            .collect();
        doc.push(Block::Heading(3, "Repetitions".into()));
        doc.push(Block::Table(
            [
                "Stack",
                "Repetition",
                "Status",
                "In statistics",
                "Samples",
                "Cause",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ));
        if !m.packages.is_empty() {
            let rows = m
                .packages
                .iter()
                .map(|(stack, pkgs)| {
                    vec![
                        s.short_label(stack).to_string(),
                        pkgs.iter()
                            .map(|(p, v)| format!("{p} {v}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            doc.push(Block::Heading(3, "Package versions".into()));
            doc.push(Block::Table(vec!["Stack".into(), "Packages".into()], rows));
        }
        doc.push(Block::Heading(3, "Campaign settings".into()));
        doc.push(Block::Code(
            serde_json::to_string_pretty(&m.campaign).unwrap_or_default(),
        ));
    }
    if !s.warnings.is_empty() {
        doc.push(Block::Heading(2, "Warnings".into()));
        doc.push(Block::List(s.warnings.clone()));
    }

    doc.push(Block::Heading(2, "How to read the numbers".into()));
    let n_reps = s
        .cells
        .iter()
        .filter_map(|c| c.detail.as_ref().map(|d| d.included_repetitions))
        .max()
        .unwrap_or(0);
    let mut notes = vec![
        "Figures 1–2: req/s = completed requests (successful or not) ÷ the scenario's active time (from its time zero until its last request ended). k6 divides by the whole test run instead, so k6's own rate is lower.".to_string(),
        "Figures 3–7: mean response time = mean of k6's http_req_duration (sending + waiting + receiving) over successful requests; failed requests are excluded from every latency statistic and counted in the error rate.".to_string(),
        "Percentiles use k6's rule: linear interpolation between the closest ranks (rank p·(n−1)).".to_string(),
        format!(
            "Intervals are {:.0}% confidence intervals of the mean across repetitions (Student's t); the bootstrap column is over the pooled requests ({} resamples, seeded ChaCha8, m-out-of-n above {} requests).",
            s.settings.confidence * 100.0,
            s.settings.bootstrap_resamples,
            s.settings.bootstrap_max_resample
        ),
        "Warm-up requests (scenarios named warmup*) and failed or interrupted repetitions are excluded from the statistics and listed above, never silently averaged.".to_string(),
        "Tails: Mean, Median, p95, p99 and Max ms are over all successful requests of the included repetitions pooled. \"repetitions [95% CI]\" is the mean of the per-repetition medians (or p99s) with its Student-t interval across repetitions (the repetition is the unit of replication; no interval comes from pooled requests). \"Slowest 1% share\" is the fraction of the summed latency carried by the slowest ⌈1%⌉ of the pooled requests, with the range over the repetitions in brackets.".to_string(),
        "Outliers: Tukey fences, counted as beyond 1.5×IQR / beyond 3×IQR of the pooled latencies; none are dropped.".to_string(),
        format!(
            "Significance: Welch's t on repetition values (Mann–Whitney U on the pooled latencies when a stack has fewer than two repetitions); p < {} is significant, otherwise \"~\" as benchstat prints. p values are not adjusted for multiple comparisons.",
            s.settings.alpha
        ),
    ];
    if is_run && n_reps > 0 && n_reps <= 5 {
        notes.push(format!(
            "With n = {n_reps} repetition(s) (the paper used {}) the t interval is wide: its half-width is t(0.975, n−1) = {} standard errors. Treat overlapping intervals as no evidence either way.",
            s.paper.repetitions,
            match n_reps {
                1 => "undefined (one value)".to_string(),
                2 => "12.71".into(),
                3 => "4.30".into(),
                4 => "3.18".into(),
                _ => "2.78".into(),
            }
        ));
    }
    doc.push(Block::List(notes));

    for (i, scenario) in crate::paper::SCENARIOS.iter().enumerate() {
        let fig = i as u8 + 1;
        let cells = s.cells_of(scenario);
        if cells.is_empty() {
            continue;
        }
        let metric = Metric::of_scenario(scenario);
        doc.push(Block::Heading(
            2,
            format!("Figure {fig}: {} (`{scenario}`)", figure_title(fig)),
        ));
        doc.push(Block::Figure(fig));
        let unit = metric.unit();
        doc.push(Block::Table(
            vec![
                "Stack".into(),
                format!("Reproduced ({unit})"),
                "95% CI (method)".into(),
                "n".into(),
                format!("Published ({unit})"),
                "Ratio".into(),
                "Error rate".into(),
                "Limited by".into(),
                "Mean ms".into(),
                "Median ms".into(),
                "Median ms, repetitions [95% CI]".into(),
                "p95 ms".into(),
                "p99 ms".into(),
                "p99 ms, repetitions [95% CI]".into(),
                "Slowest 1% share (repetitions)".into(),
                "Max ms".into(),
                "TTFB ms".into(),
                "Outliers 1.5/3 IQR".into(),
                "Bootstrap CI of mean ms".into(),
            ],
            cells.iter().map(|c| cell_row(s, c)).collect(),
        ));
    }

    let with_distribution: Vec<&str> = crate::figures::distribution_scenarios()
        .filter(|sc| s.cell_has_distribution(sc))
        .collect();
    if is_run && !with_distribution.is_empty() {
        doc.push(Block::Heading(2, "Latency distributions".into()));
        doc.push(Block::Para(
            "Means hide tails: per latency scenario, the ECDF of each stack's successful requests on a log-scale time axis (thick: all included repetitions pooled; faint: each repetition). The legend gives the pooled median, p99 and the slowest 1%'s share of the summed latency.".into(),
        ));
        for sc in with_distribution {
            doc.push(Block::Heading(3, crate::figures::distribution_title(sc)));
            doc.push(Block::Distribution(sc.to_string()));
        }
    }

    if is_run && s.cells.iter().any(|c| c.limiter.is_some()) {
        doc.push(Block::Heading(2, "What limited each cell".into()));
        doc.push(Block::Para(format!(
            "\"Limited by\" names, per cell, the most common limiter over its repetitions, from the sampler's CPU readings of the scenario (analysis/README.md, \"The limiter\"): server-cpu, generator-cpu (the load generator ran out of CPU: the cell measures the client), host-contended (other processes took the CPU), io-wait, not-cpu-bound (the server waited: locks, I/O or the client's concurrency), unknown (no sampler readings, e.g. Docker stats only). A repetition is disturbed when other processes and steal took ≥ {} core; it is flagged here, never dropped.",
            crate::limiter::DISTURBED_CORES
        )));
        let disturbed: Vec<String> = s
            .cells
            .iter()
            .filter_map(|c| c.limiter.as_ref().map(|l| (c, l)))
            .flat_map(|(c, l)| {
                l.repetitions
                    .iter()
                    .filter(|r| r.included && r.disturbed)
                    .map(move |r| {
                        format!(
                            "{} {} repetition {}: {} — {}",
                            s.short_label(&c.stack),
                            c.scenario,
                            r.repetition,
                            r.limiter.as_str(),
                            r.usage.as_ref().map(usage_text).unwrap_or_default()
                        )
                    })
            })
            .collect();
        if disturbed.is_empty() {
            doc.push(Block::Para("Disturbed repetitions: none.".into()));
        } else {
            doc.push(Block::Para(format!(
                "Disturbed repetitions ({}), kept in the statistics:",
                disturbed.len()
            )));
            doc.push(Block::List(disturbed));
        }
    }

    if !s.orm_overhead.is_empty() {
        doc.push(Block::Heading(
            2,
            "ORM overhead (ORM vs raw SQL of the same framework)".into(),
        ));
        doc.push(Block::Para(
            "Cost of an ORM stack against the raw-SQL stack of the same framework (its raw_twin in stacks/<stack>/stack.toml): positive = the ORM is slower (req/s: raw/ORM − 1; ms: ORM/raw − 1). The paper discusses this in §4.1, §4.2 and §5 without intervals.".into(),
        ));
        let rows = s
            .orm_overhead
            .iter()
            .map(|o| {
                vec![
                    o.framework.clone(),
                    o.scenario.clone(),
                    num(o.orm, o.metric),
                    num(o.raw, o.metric),
                    format!("{} {}", num(o.diff, o.metric), o.metric.unit()),
                    ci(o.diff_ci, o.metric),
                    pct(o.overhead_percent),
                    o.overhead_ci_percent
                        .map(|i| format!("[{}, {}]", pct(i.low), pct(i.high)))
                        .unwrap_or_else(|| "–".into()),
                    p_value(o.p),
                    match o.significant {
                        Some(true) => "yes".into(),
                        Some(false) => "~".into(),
                        None => "–".into(),
                    },
                    o.basis.clone(),
                ]
            })
            .collect();
        doc.push(Block::Table(
            [
                "Framework",
                "Scenario",
                "ORM",
                "raw SQL",
                "ORM − raw",
                "95% CI",
                "ORM cost",
                "95% CI",
                "p (Welch)",
                "Significant",
                "Basis",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ));
    }

    if !s.pairwise.is_empty() {
        doc.push(Block::Heading(2, "Pairwise comparison of stacks".into()));
        doc.push(Block::Para(
            "Each pair of stacks in each scenario: difference of the figure's metric and a repetition-level test (the unit of replication is the repetition): the paired t on the within-round log-ratios for a run made in interleaved rounds, else Welch's t on the repetition values (Hedges' g). p (Holm) is adjusted over all pairwise tests of the run; \"Better\" names the better stack where the Holm-adjusted p < alpha, \"~\" means no significant difference (not: no difference), \"?\" untested.".into(),
        ));
        let rows = s
            .pairwise
            .iter()
            .map(|p| {
                vec![
                    p.scenario.clone(),
                    format!("{} vs {}", s.short_label(&p.a), s.short_label(&p.b)),
                    format!(
                        "{} vs {}",
                        num(p.a_value, p.metric),
                        num(p.b_value, p.metric)
                    ),
                    pct(p.diff_percent),
                    p.test.clone(),
                    p_value(p.p),
                    p_value(p.p_holm),
                    p.hedges_g
                        .map(|g| format!("{g:.2}"))
                        .unwrap_or_else(|| "–".into()),
                    if p.verdict == "~" || p.verdict == "?" {
                        p.verdict.clone()
                    } else {
                        s.short_label(&p.verdict).to_string()
                    },
                ]
            })
            .collect();
        doc.push(Block::Table(
            [
                "Scenario",
                "Pair",
                "Values",
                "Difference",
                "Test",
                "p",
                "p (Holm)",
                "Hedges' g",
                "Better",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ));
    }

    doc.push(Block::Heading(2, "The paper's claims".into()));
    doc.push(Block::Para(
        "Each claim is judged against the paper's own published numbers and against this run: holds, does not hold, or inconclusive when the data cannot decide (see paper/claims.toml for each claim's exact reading and analysis/README.md for the rules). A claim about a run is decided by repetition-level intervals: paired within rounds when the run has them, else Welch or interval arithmetic (\"Basis\"); \"equal\" claims by two one-sided tests. \"Holm\" is the verdict after Holm's adjustment over the run's decided claims; \"To decide\" gives, for an inconclusive claim, the interval half-width it would need and the rounds that would take at the observed spread.".into(),
    ));
    let rows = s
        .claims
        .iter()
        .map(|c| {
            vec![
                format!("§{}", c.section),
                c.text.clone(),
                verdict(Some(c.paper_verdict)),
                c.paper_detail.clone(),
                verdict(c.run_verdict),
                c.run_detail.clone().unwrap_or_default(),
                c.run_basis.clone().unwrap_or_default(),
                match (c.run_verdict_holm, c.run_p_holm) {
                    (None, _) => String::new(),
                    (Some(v), q) => format!("{} ({})", verdict(Some(v)), p_value(q)),
                },
                power(c.run_power.as_ref()),
            ]
        })
        .collect();
    doc.push(Block::Table(
        [
            "§",
            "Claim",
            "Paper's own numbers",
            "Why",
            "This run",
            "Why",
            "Basis",
            "Holm",
            "To decide",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ));

    if !s.resources.is_empty() {
        doc.push(Block::Heading(2, "Server resource use".into()));
        let rows = s
            .resources
            .iter()
            .map(|r| {
                vec![
                    s.short_label(&r.stack).to_string(),
                    r.phase.clone(),
                    r.readings.to_string(),
                    format!("{:.1}%", r.cpu_mean_percent),
                    format!("{:.1}%", r.cpu_peak_percent),
                    bytes_mib(r.mem_mean_bytes),
                    bytes_mib(r.mem_peak_bytes as f64),
                ]
            })
            .collect();
        doc.push(Block::Table(
            [
                "Stack",
                "Phase",
                "Readings",
                "CPU mean",
                "CPU peak",
                "Memory mean",
                "Memory peak",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ));
    }
    if !s.warmup.is_empty() {
        let total: u64 = s.warmup.iter().map(|w| w.requests).sum();
        let errors: u64 = s.warmup.iter().map(|w| w.errors).sum();
        doc.push(Block::Para(format!(
            "Warm-up: {total} requests ({errors} failed) over {} stack × repetition × warm-up scenario groups, excluded from the statistics.",
            s.warmup.len()
        )));
    }
    doc
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `report.md`: figures referenced as `figN.svg` beside it.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    for b in document(s) {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(out, "{} {t}\n", "#".repeat(l as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "{t}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(out, "- {i}");
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    out,
                    "| {} |",
                    head.iter()
                        .map(|h| md_escape(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(out, "|{}|", vec!["---"; head.len()].join("|"));
                for r in rows {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        r.iter()
                            .map(|c| md_escape(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                }
                out.push('\n');
            }
            Block::Code(t) => {
                let _ = writeln!(out, "```json\n{t}\n```\n");
            }
            Block::Figure(n) => {
                let _ = writeln!(out, "![Figure {n}](fig{n}.svg)\n");
            }
            Block::Distribution(sc) => {
                let _ = writeln!(
                    out,
                    "![{}]({})\n",
                    crate::figures::distribution_title(&sc),
                    distribution_file(&sc)
                );
            }
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#212121;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f5f5f5}
tr:nth-child(even) td{background:#fafafa}pre{background:#f5f5f5;padding:1em;overflow-x:auto;font-size:.85em}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

/// The file name of a scenario's latency distribution figure beside `report.md`.
pub fn distribution_file(scenario: &str) -> String {
    format!("dist-{scenario}.svg")
}

/// `report.html`: self-contained (inline CSS, the figures inline as SVG, no scripts,
/// no external resources). `figures_svg[i]` is Figure i + 1; `distributions` holds
/// (scenario, SVG) of the latency distribution figures.
pub fn html(s: &Summary, figures_svg: &[String], distributions: &[(String, String)]) -> String {
    let mut out = String::new();
    let title = match &s.manifest {
        Some(m) => format!("pywebbench report — {}", m.run_id),
        None => "pywebbench — the paper's numbers".into(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
        html_escape(&title)
    );
    for b in document(s) {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(out, "<h{l}>{}</h{l}>", html_escape(&t).replace('`', ""));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "<p>{}</p>", html_escape(&t));
            }
            Block::List(items) => {
                out.push_str("<ul>");
                for i in items {
                    let _ = write!(out, "<li>{}</li>", html_escape(&i));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                out.push_str("<table><thead><tr>");
                for h in head {
                    let _ = write!(out, "<th>{}</th>", html_escape(&h));
                }
                out.push_str("</tr></thead><tbody>");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        let _ = write!(out, "<td>{}</td>", html_escape(&c));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>\n");
            }
            Block::Code(t) => {
                let _ = writeln!(out, "<pre>{}</pre>", html_escape(&t));
            }
            Block::Figure(n) => match figures_svg.get(n as usize - 1) {
                Some(svg) => {
                    let _ = writeln!(out, "<figure>{svg}</figure>");
                }
                None => {
                    let _ = writeln!(out, "<p><em>Figure {n} not drawn.</em></p>");
                }
            },
            Block::Distribution(sc) => match distributions.iter().find(|(d, _)| *d == sc) {
                Some((_, svg)) => {
                    let _ = writeln!(out, "<figure>{svg}</figure>");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "<p><em>{} not drawn.</em></p>",
                        html_escape(&crate::figures::distribution_title(&sc))
                    );
                }
            },
        }
    }
    out.push_str("</body></html>\n");
    out
}
