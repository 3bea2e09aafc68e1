//! The text of single table cells of the report: a figure's row per stack, a cell's
//! limiter, a claim's verdict and what would decide it. Numbers through [`format`].

use crate::format::{self, MISSING};
use crate::paper::{Power, Verdict};
use crate::summary::{Across, CellDetail, CellSummary, CiMethod, Summary};

/// A verdict with its mark: `✅ holds`.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "✅ holds",
        Verdict::DoesNotHold => "❌ does not hold",
        Verdict::Inconclusive => "❔ inconclusive",
        Verdict::NotTested => "– not tested",
    }
}

/// What deciding an inconclusive claim would take, one cell.
pub(super) fn power(p: Option<&Power>) -> String {
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

/// A statistic across repetitions: `mean [low, high]` (t interval), the mean alone for
/// one repetition.
fn across_ms(a: Option<&Across>) -> String {
    match a {
        Some(a) => match a.ci {
            Some(i) => format!(
                "{} [{}, {}]",
                format::ms(a.mean),
                format::ms(i.low),
                format::ms(i.high)
            ),
            None => format::ms(a.mean),
        },
        None => MISSING.into(),
    }
}

/// The slowest 1 %'s share of the pooled latency, with the repetitions' range.
fn slowest_share(d: Option<&CellDetail>) -> String {
    let Some(d) = d else {
        return MISSING.into();
    };
    let pooled = format::share(d.pooled_latency.and_then(|l| l.slowest_1pct_share));
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
                format::share(Some(lo)),
                format::share(Some(hi))
            )
        }
        _ => pooled,
    }
}

/// A cell's published value ("~" when read off a figure), "–" when the paper has none.
pub fn published(c: &CellSummary) -> String {
    match c.published {
        Some(p) if c.published_approximate => format!("~{}", format::value(p, c.metric)),
        Some(p) => format::value(p, c.metric),
        None => MISSING.into(),
    }
}

/// Whether a figure's table has its bootstrap column: only when one of its cells has a
/// pooled-request bootstrap (a cell with one included repetition), not a column of dashes.
pub(super) fn has_bootstrap(cells: &[&CellSummary]) -> bool {
    cells.iter().any(|c| {
        c.detail
            .as_ref()
            .is_some_and(|d| d.bootstrap_mean_ms.is_some())
    })
}

/// The headers of a figure's table, `unit` its metric's, `ci` the interval label; the last
/// column (the bootstrap) only `with_bootstrap` ([`has_bootstrap`]).
pub(super) fn cell_headers(unit: &str, ci: &str, with_bootstrap: bool) -> Vec<String> {
    let mut headers: Vec<String> = vec![
        "Stack".into(),
        format!("Reproduced ({unit})"),
        format!("{ci} (method)"),
        "n".into(),
        format!("Published ({unit})"),
        "Ratio".into(),
        "Error rate".into(),
        "Limited by".into(),
        "Mean ms".into(),
        "Median ms".into(),
        format!("Median ms, repetitions [{ci}]"),
        "p95 ms".into(),
        "p99 ms".into(),
        format!("p99 ms, repetitions [{ci}]"),
        "Slowest 1% share (repetitions)".into(),
        "Max ms".into(),
        "TTFB ms".into(),
        "Outliers 1.5/3 IQR".into(),
    ];
    if with_bootstrap {
        headers.push("Bootstrap CI of mean ms".into());
    }
    headers
}

/// A stack's row in a figure's table (the columns of [`cell_headers`]).
pub(super) fn cell_row(s: &Summary, c: &CellSummary, with_bootstrap: bool) -> Vec<String> {
    let m = c.metric;
    let d = c.detail.as_ref();
    let n = d
        .map(|d| format::count(d.included_repetitions.into()))
        .unwrap_or_else(|| MISSING.into());
    let method = match c.ci_method {
        CiMethod::StudentT => "t",
        CiMethod::Bootstrap => "bootstrap",
        CiMethod::Published => "paper",
        CiMethod::None => "none",
    };
    let pooled = d.and_then(|d| d.pooled_latency);
    let pooled_ms = |f: fn(&crate::summary::LatencySummary) -> f64| {
        pooled
            .map(|l| format::ms(f(&l)))
            .unwrap_or_else(|| MISSING.into())
    };
    let outliers = d
        .and_then(|d| d.outliers)
        .map(|o| format!("{} / {}", o.beyond_1_5_iqr, o.beyond_3_iqr))
        .unwrap_or_else(|| MISSING.into());
    let boot = d
        .and_then(|d| d.bootstrap_mean_ms)
        .map(|b| format::interval(Some(b.ci), crate::paper::Metric::MeanLatencyMs))
        .unwrap_or_else(|| MISSING.into());
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
    let mut row = vec![
        s.short_label(&c.stack).to_string(),
        format::value(c.estimate.value, m),
        format!("{} ({method})", format::interval(c.estimate.ci, m)),
        format!("{n}{excluded}"),
        published(c),
        format::ratio(c.ratio_to_published),
        if c.detail.is_some() {
            format!(
                "{} ({}/{})",
                format::error_rate(c.error_rate),
                c.errors,
                c.requests
            )
        } else {
            MISSING.into()
        },
        limited_by(c),
        pooled_ms(|l| l.mean_ms),
        pooled_ms(|l| l.median_ms),
        across_ms(d.and_then(|d| d.median_ms.as_ref())),
        pooled_ms(|l| l.p95_ms),
        pooled_ms(|l| l.p99_ms),
        across_ms(d.and_then(|d| d.p99_ms.as_ref())),
        slowest_share(d),
        pooled_ms(|l| l.max_ms),
        d.and_then(|d| d.pooled_ttfb)
            .map(|l| format::ms(l.mean_ms))
            .unwrap_or_else(|| MISSING.into()),
        outliers,
    ];
    if with_bootstrap {
        row.push(boot);
    }
    row
}

/// The cell's most common limiter, with the count when the repetitions disagree and
/// a mark when some were disturbed: `server-cpu`, `generator-cpu (3/5) ⚠ 2 disturbed`.
fn limited_by(c: &CellSummary) -> String {
    let Some(l) = &c.limiter else {
        return MISSING.into();
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
