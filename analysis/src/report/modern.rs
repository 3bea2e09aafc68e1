//! The README's part on a run of another campaign on the paper's procedure (the `modern`
//! campaign: stacks added after the paper beside three of the paper's stacks as anchors):
//! every stack's cells, each stack against the one it varies (from the stack registry:
//! `[image] app_from`, `raw_twin`, or one framework and data access with another app),
//! and how far the anchors moved from the paper's-campaign run. The stacks and their
//! relations come from the registry and the run, never from a list here.

use super::Block;
use super::readme::ModernLinks;
use crate::format::{self, MISSING};
use crate::paper::{Metric, SCENARIOS, figure_title, numbered};
use crate::registry::{DataAccess, Registry};
use crate::summary::{PairwiseSummary, Summary};
use crate::table::{Align, Table};

/// The part: heading, the run, the cells, the pairs, the anchors.
pub(super) fn section(doc: &mut Vec<Block>, m: &Summary, paper_run: &Summary, links: &ModernLinks) {
    let Some(man) = &m.manifest else { return };
    let campaign = man.campaign["name"].as_str().unwrap_or("?");
    let anchors: Vec<&String> = m
        .stacks
        .iter()
        .filter(|s| paper_run.stacks.contains(s))
        .collect();
    doc.push(Block::Heading(
        3,
        "Today's frameworks beside the paper's".into(),
    ));
    let figures = links
        .figures
        .iter()
        .enumerate()
        .map(|(i, f)| format!("[{}]({f} \"{}\")", i + 1, figure_title(i as u8 + 1)))
        .collect::<Vec<_>>()
        .join(" · ");
    doc.push(Block::Para(format!(
        "Campaign `{campaign}` ([paper/campaign-{campaign}.toml](paper/campaign-{campaign}.toml)): the paper's procedure — the same seven scenarios, loads, warm-up, pauses and server settings — on {} stacks, {} of them the paper's ({}) run again as anchors. Run `{}` (load generator: {}; {} repetitions in interleaved rounds), {} → {}, on {} ({} CPUs), pywebbench at commit `{}`; {} requests measured. Full report: [report.md]({}) · [report.html]({}) · raw data: [{}]({}) · figures {figures}. Each stack's versions and how it meets the contract: [stacks/README.md](stacks/README.md).",
        m.stacks.len(),
        anchors.len(),
        anchors
            .iter()
            .map(|s| m.short_label(s))
            .collect::<Vec<_>>()
            .join(", "),
        man.run_id,
        man.loadgen,
        man.campaign["repetitions"].as_u64().unwrap_or(0),
        man.started_at,
        man.ended_at.as_deref().unwrap_or("(unfinished)"),
        man.host.cpu_model,
        man.host.cores,
        man.git_commit.as_deref().unwrap_or("unknown"),
        format::count(m.samples.measured),
        links.report_md,
        links.report_html,
        links.run,
        links.run,
    )));
    for w in &m.warnings {
        doc.push(Block::Quote(format!(
            "Warning: {}",
            super::markdown::escape(w)
        )));
    }
    cells(doc, m, paper_run);
    pairs(doc, m);
    anchors_moved(doc, m, paper_run, &anchors);
}

/// One row per stack, one column per scenario: the mean over the repetitions and its
/// interval's half-width as a share of it.
fn cells(doc: &mut Vec<Block>, m: &Summary, paper_run: &Summary) {
    let level = format::setting_percent(m.settings.confidence);
    doc.push(Block::Para(format!(
        "Every stack's mean over its repetitions (req/s for 1–2, higher is better; ms for 3–7, lower is better) and, after ±, the half-width of its {level} Student-t interval as a share of the mean. ◆ = one of the paper's stacks (an anchor)."
    )));
    let mut head = vec!["Stack".to_string(), "Data access".into()];
    head.extend(SCENARIOS.iter().map(|s| numbered(s)));
    let mut align = vec![Align::Left, Align::Left];
    align.extend(SCENARIOS.iter().map(|_| Align::Right));
    let mut t = Table::new(head).with_align(align);
    for stack in &m.stacks {
        let access = match m.stack_info.get(stack).map(|i| i.data_access) {
            Some(DataAccess::Orm) => "ORM",
            Some(DataAccess::Raw) => "raw SQL",
            None => MISSING,
        };
        let anchor = if paper_run.stacks.contains(stack) {
            " ◆"
        } else {
            ""
        };
        let mut row = vec![format!("{}{anchor}", m.label(stack)), access.to_string()];
        for scenario in SCENARIOS {
            row.push(match m.cell(stack, scenario) {
                Some(c) => {
                    let hw = c
                        .estimate
                        .ci
                        .map(|i| (i.high - i.low) / 2.0 / c.estimate.value);
                    format!(
                        "{} {}",
                        format::value(c.estimate.value, c.metric),
                        format::half_width_share(hw)
                    )
                }
                None => MISSING.into(),
            });
        }
        t.push(row);
    }
    doc.push(Block::Table(t));
}

/// What differs between two stacks that the registry relates, or `None`.
fn relation(reg: &Registry, a: &str, b: &str) -> Option<&'static str> {
    let (sa, sb) = (reg.get(a)?, reg.get(b)?);
    if sa.app_from.as_deref() == Some(b) {
        return Some("server or Python (the same app)");
    }
    if sa.info.raw_twin.as_deref() == Some(b) {
        return Some("data access (ORM vs raw SQL)");
    }
    let own_apps = sa.app_from.is_none() && sb.app_from.is_none();
    if own_apps
        && sa.info.framework == sb.info.framework
        && sa.info.data_access == sb.info.data_access
        && sa.order > sb.order
    {
        return Some("the API layer (one framework and data access)");
    }
    None
}

/// The pairwise result of `a` against `b` in a scenario, in that orientation:
/// change (a ÷ b − 1, percent), its interval, the Holm p, the better stack.
struct Oriented {
    change: f64,
    ci: Option<crate::stats::Interval>,
    p_holm: Option<f64>,
    significant: Option<bool>,
}

fn oriented(m: &Summary, scenario: &str, a: &str, b: &str) -> Option<Oriented> {
    let find = |x: &str, y: &str| -> Option<&PairwiseSummary> {
        m.pairwise
            .iter()
            .find(|p| p.scenario == scenario && p.a == x && p.b == y)
    };
    let pct = |r: f64| (r - 1.0) * 100.0;
    if let Some(p) = find(a, b) {
        return Some(Oriented {
            change: p
                .paired
                .as_ref()
                .map(|r| pct(r.ratio))
                .unwrap_or(p.diff_percent),
            ci: p.paired.as_ref().map(|r| crate::stats::Interval {
                low: pct(r.ci.low),
                high: pct(r.ci.high),
            }),
            p_holm: p.p_holm,
            significant: p.significant,
        });
    }
    let p = find(b, a)?;
    Some(Oriented {
        change: p
            .paired
            .as_ref()
            .map(|r| pct(1.0 / r.ratio))
            .unwrap_or_else(|| pct(p.b_value / p.a_value)),
        ci: p.paired.as_ref().map(|r| crate::stats::Interval {
            low: pct(1.0 / r.ci.high),
            high: pct(1.0 / r.ci.low),
        }),
        p_holm: p.p_holm,
        significant: p.significant,
    })
}

/// Each stack against the stack it varies, per scenario.
fn pairs(doc: &mut Vec<Block>, m: &Summary) {
    let reg = Registry::builtin();
    let mut related = Vec::new();
    for a in &m.stacks {
        for b in &m.stacks {
            if let Some(what) = relation(reg, a, b) {
                related.push((a, b, what));
            }
        }
    }
    if related.is_empty() {
        return;
    }
    let ci = format::ci_label(m.settings.confidence);
    doc.push(Block::Para(format!(
        "Each stack against the stack it differs from in one thing (from the stacks' `stack.toml`: `[image] app_from`, `raw_twin`, or one framework and data access with another API layer): the change of the mean, first ÷ second − 1 (within-round ratio of the repetitions, its {ci}), the Holm-adjusted p over all of the run's pairwise tests, and which is better where that p < {}. \"~\" = not significant at this run's spread, not \"no difference\".",
        m.settings.alpha
    )));
    let (l, r) = (Align::Left, Align::Right);
    let mut t = Table::new([
        "What differs".to_string(),
        "Stack".into(),
        "vs".into(),
        "Scenario".into(),
        "Change".into(),
        ci,
        "p (Holm)".into(),
        "Better".into(),
    ])
    .with_align(vec![l, l, l, l, r, r, r, l]);
    for (a, b, what) in related {
        for scenario in SCENARIOS {
            let Some(o) = oriented(m, scenario, a, b) else {
                continue;
            };
            let metric = m.cell(a, scenario).map(|c| c.metric);
            let better = match (o.significant, metric) {
                (Some(true), Some(metric)) => {
                    let a_better = match metric {
                        Metric::ReqPerS => o.change > 0.0,
                        Metric::MeanLatencyMs => o.change < 0.0,
                    };
                    m.short_label(if a_better { a } else { b }).to_string()
                }
                (Some(false), _) => "~".into(),
                _ => MISSING.into(),
            };
            t.push(vec![
                what.to_string(),
                m.short_label(a).to_string(),
                m.short_label(b).to_string(),
                numbered(scenario),
                format::signed_percent(o.change),
                format::signed_percent_interval(o.ci),
                format::opt_p_value(o.p_holm),
                better,
            ]);
        }
    }
    doc.push(Block::Table(t));
}

/// The anchors' means in this run ÷ in the paper's-campaign run: how far two runs of
/// the same stacks on the same host kind drift apart (another day, other containers).
fn anchors_moved(doc: &mut Vec<Block>, m: &Summary, paper_run: &Summary, anchors: &[&String]) {
    if anchors.is_empty() {
        return;
    }
    doc.push(Block::Para(format!(
        "The anchors in this run ÷ the same stacks in the paper's-campaign run above (`{}`): a number from this run sits beside the paper's five only through this drift.",
        paper_run
            .manifest
            .as_ref()
            .map(|x| x.run_id.as_str())
            .unwrap_or("?")
    )));
    let mut head = vec!["Anchor".to_string()];
    head.extend(SCENARIOS.iter().map(|s| numbered(s)));
    let mut align = vec![Align::Left];
    align.extend(SCENARIOS.iter().map(|_| Align::Right));
    let mut t = Table::new(head).with_align(align);
    for stack in anchors {
        let mut row = vec![m.short_label(stack).to_string()];
        for scenario in SCENARIOS {
            let r = m
                .cell(stack, scenario)
                .zip(paper_run.cell(stack, scenario))
                .map(|(a, b)| a.estimate.value / b.estimate.value);
            row.push(format::ratio(r));
        }
        t.push(row);
    }
    doc.push(Block::Table(t));
}
