//! The run itself: the line that opens the report and the appendix that closes it
//! (host, stacks, repetitions, package versions, campaign settings).

use super::Block;
use crate::format;
use crate::summary::Summary;
use crate::table::Table;

/// The run in one line: host, load generator, date, repetitions and rounds.
pub(super) fn in_one_line(s: &Summary, m: &crate::schema::Manifest) -> String {
    let date = m.started_at.split('T').next().unwrap_or(&m.started_at);
    let per_stack = s
        .repetitions
        .iter()
        .map(|r| r.repetition)
        .max()
        .unwrap_or(0);
    let included = s.repetitions.iter().filter(|r| r.included).count();
    let order = if m.rounds.is_empty() {
        "each stack's repetitions back to back".to_string()
    } else {
        format!("in {} interleaved rounds", m.rounds.len())
    };
    format!(
        "This run: {} ({}, {} cores), load generator {}, {date}; {per_stack} repetition(s) of {} stacks {order} ({included} of {} repetitions in the statistics). Details in the appendix.",
        m.host.hostname,
        m.host.cpu_model,
        m.host.cores,
        m.loadgen,
        s.stacks.len(),
        s.repetitions.len()
    )
}

/// The appendix: the run's host, versions and samples, its repetitions, packages and
/// settings.
pub(super) fn appendix(doc: &mut Vec<Block>, s: &Summary, m: &crate::schema::Manifest) {
    doc.push(Block::Heading(2, "Appendix: the run".into()));
    doc.push(Block::List(vec![
        format!("Run id: {}; load generator: {}", m.run_id, m.loadgen),
        format!(
            "Stacks: {}",
            s.stacks
                .iter()
                .map(|st| s.label(st).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Host: {} — {} ({} cores, {}), {} / kernel {}, Docker {}",
            m.host.hostname,
            m.host.cpu_model,
            m.host.cores,
            format::gib(m.host.memory_bytes),
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
    let rows =
        s.repetitions
            .iter()
            .map(|r| {
                vec![
                    s.short_label(&r.stack).to_string(),
                    r.repetition.to_string(),
                    format!("{:?}", r.status).to_lowercase(),
                    if r.included { "yes" } else { "no" }.into(),
                    format::count(r.samples),
                    r.cause.clone().unwrap_or_else(|| {
                        let profiled = m.repetitions.iter().any(|x| {
                            x.stack == r.stack && x.repetition == r.repetition && x.profiled
                        });
                        if profiled {
                            "profiled (run --profile): not in the statistics".into()
                        } else {
                            String::new()
                        }
                    }),
                ]
            })
            .collect();
    doc.push(Block::Heading(3, "Repetitions".into()));
    doc.push(Block::Table(
        Table::new([
            "Stack",
            "Repetition",
            "Status",
            "In statistics",
            "Samples",
            "Cause",
        ])
        .with_rows(rows),
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
        doc.push(Block::Table(
            Table::new(["Stack", "Packages"]).with_rows(rows),
        ));
    }
    doc.push(Block::Heading(3, "Campaign settings".into()));
    doc.push(Block::Code {
        lang: "json".into(),
        text: serde_json::to_string_pretty(&m.campaign).unwrap_or_default(),
    });
}
