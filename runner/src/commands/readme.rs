//! `pywebbench readme RUN [--k6 RUN]`: the README's results section, written between
//! `<!-- results:begin -->` and `<!-- results:end -->`, from a published run's
//! `report/summary.json` (and its figures): the run beside the paper per figure and
//! stack, the seven figures, the claims' verdicts, and with `--k6` the comparison of
//! the two load generators. Every number in that section comes from here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use analysis::paper::{Metric, SCENARIOS, figure_title};
use analysis::summary::{CellSummary, CiMethod};
use analysis::{Summary, Verdict};
use anyhow::{Context, Result, bail};

use super::analyze::summarize_run_dir;

pub const BEGIN: &str = "<!-- results:begin -->";
pub const END: &str = "<!-- results:end -->";

#[derive(clap::Args, Debug)]
pub struct ReadmeArgs {
    /// The published run (e.g. data/published/<run-id>), with report/summary.json and figures.
    pub run: PathBuf,
    /// The same campaign run with --loadgen k6: adds the native-vs-k6 comparison.
    #[arg(long)]
    pub k6: Option<PathBuf>,
    /// The file whose results section is replaced.
    #[arg(long, default_value = "README.md")]
    pub readme: PathBuf,
    /// Print the section instead of writing it.
    #[arg(long)]
    pub print: bool,
}

/// The run's summary: its `report/summary.json` when there is one, else analysed now.
fn load(run: &Path) -> Result<Summary> {
    let path = run.join("report").join("summary.json");
    if path.is_file() {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        return Summary::from_json(&bytes).with_context(|| format!("in {}", path.display()));
    }
    summarize_run_dir(run, None)
}

fn num(v: f64, m: Metric) -> String {
    match (v.is_finite(), m) {
        (false, _) => "–".into(),
        (true, Metric::ReqPerS) => format!("{v:.0}"),
        (true, Metric::MeanLatencyMs) => format!("{v:.1}"),
    }
}

/// A cell's published value ("~" when read off a figure), "–" when the paper has none.
fn paper_value(c: &CellSummary) -> String {
    match c.published {
        Some(p) if c.published_approximate => format!("~{}", num(p, c.metric)),
        Some(p) => num(p, c.metric),
        None => "–".into(),
    }
}

/// A latency cell's tails: the repetitions' median and p99 (mean [95 % t CI]) and the
/// slowest 1 %'s share of the pooled latency; "–" for throughput cells.
fn tails(c: &CellSummary) -> (String, String, String) {
    let dash = || "–".to_string();
    let Some(d) = c
        .detail
        .as_ref()
        .filter(|_| c.metric == Metric::MeanLatencyMs)
    else {
        return (dash(), dash(), dash());
    };
    let across = |a: Option<&analysis::summary::Across>| match a {
        Some(a) => match a.ci {
            Some(i) => format!(
                "{} [{}, {}]",
                num(a.mean, c.metric),
                num(i.low, c.metric),
                num(i.high, c.metric)
            ),
            None => num(a.mean, c.metric),
        },
        None => dash(),
    };
    (
        across(d.median_ms.as_ref()),
        across(d.p99_ms.as_ref()),
        analysis::distribution::share_text(d.pooled_latency.and_then(|l| l.slowest_1pct_share)),
    )
}

/// A ratio to the paper's value, "–" when there is none.
fn ratio_text(r: Option<f64>) -> String {
    r.filter(|r| r.is_finite())
        .map(|r| format!("{r:.2}"))
        .unwrap_or_else(|| "–".into())
}

fn verdict(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Holds) => "✅ holds",
        Some(Verdict::DoesNotHold) => "❌ does not hold",
        Some(Verdict::Inconclusive) => "❔ inconclusive",
        Some(Verdict::NotTested) => "– not tested",
        None => "–",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A path as the README links it: relative to the README's folder, `/`-separated.
fn link(readme: &Path, target: &Path) -> String {
    let base = readme
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (base, target) = (abs(base), abs(target));
    let rel = target.strip_prefix(&base).unwrap_or(&target);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The results section (between the markers, markers excluded).
pub fn section(
    run: &Path,
    run_s: &Summary,
    k6: Option<(&Path, &Summary)>,
    readme: &Path,
) -> Result<String> {
    let Some(m) = &run_s.manifest else {
        bail!(
            "{} holds no run (summary without a manifest); pass a published run folder",
            run.display()
        );
    };
    let report = run.join("report");
    let mut o = String::new();
    let reps = match m
        .precision
        .as_ref()
        .and_then(|p| p.stopped.as_ref().map(|st| (p, st)))
    {
        // A precision run: the rounds it made, its bounds, its target and why it stopped.
        Some((p, st)) => format!(
            "{} rounds (precision run: target ±{}, {}–{} rounds; stopped: {})",
            st.rounds,
            analysis::precision::percent(p.settings.target),
            p.settings.min_rounds,
            p.settings.max_rounds,
            st.reason.describe()
        ),
        None => format!(
            "{} repetitions",
            m.campaign["repetitions"].as_u64().unwrap_or(0)
        ),
    };
    let _ = writeln!(
        o,
        "\n_Generated by `just readme-results {}{}` — do not edit by hand._\n",
        link(readme, run),
        k6.map(|(p, _)| format!(" {}", link(readme, p)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "Run `{}` (load generator: {}; campaign `{}`: {} stacks × {}), {} → {}, on {} ({} CPUs, {:.0} GiB), {}, kernel {}, Docker {}; pywebbench {} at commit `{}`. {} requests measured ({} warm-up, {} in failed repetitions). Full report: [report.md]({}) · [report.html]({}) · raw data: [{}]({}).\n",
        m.run_id,
        m.loadgen,
        m.campaign["name"].as_str().unwrap_or("?"),
        run_s.stacks.len(),
        reps,
        m.started_at,
        m.ended_at.as_deref().unwrap_or("(unfinished)"),
        m.host.cpu_model,
        m.host.cores,
        m.host.memory_bytes as f64 / (1u64 << 30) as f64,
        m.host.os,
        m.host.kernel,
        m.host.docker_version,
        m.pywebbench_version,
        m.git_commit.as_deref().unwrap_or("unknown"),
        run_s.samples.measured,
        run_s.samples.warmup,
        run_s.samples.excluded,
        link(readme, &report.join("report.md")),
        link(readme, &report.join("report.html")),
        link(readme, run),
        link(readme, run),
    );
    if m.campaign["name"].as_str() != Some("paper") {
        let _ = writeln!(
            o,
            "> **Not the paper's campaign** (`{}`): these numbers test the pipeline, not the paper.\n",
            m.campaign["name"].as_str().unwrap_or("?")
        );
    }
    for w in &run_s.warnings {
        let _ = writeln!(o, "> Warning: {}\n", cell(w));
    }

    let _ = writeln!(o, "### This run beside the paper\n");
    let _ = writeln!(
        o,
        "Ours = mean over the repetitions with its 95 % Student-t interval (bootstrap over the pooled requests when a latency cell has one repetition; n = repetitions included); paper = the published value (~ = read off a figure); ratio = ours ÷ paper (req/s: > 1 is faster here; ms: > 1 is slower here). Latency cells (ms) also give the median and the p99: the mean of the repetitions' medians (p99s) with its 95 % Student-t interval; and the share of the summed latency carried by the slowest 1 % of all their requests pooled. The paper reports only means.\n"
    );
    let _ = writeln!(
        o,
        "| Figure | Stack | Ours | 95 % CI | n | Paper | Ratio | Median ms [95 % CI] | p99 ms [95 % CI] | Slowest 1 % share |"
    );
    let _ = writeln!(o, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        let fig = i as u8 + 1;
        for c in run_s.cells_of(scenario) {
            let metric = c.metric;
            let ci = c
                .estimate
                .ci
                .map(|i| {
                    let how = match c.ci_method {
                        CiMethod::Bootstrap => " (bootstrap)",
                        _ => "",
                    };
                    format!("[{}, {}]{how}", num(i.low, metric), num(i.high, metric))
                })
                .unwrap_or_else(|| "–".into());
            let n = c
                .detail
                .as_ref()
                .map(|d| d.included_repetitions.to_string())
                .unwrap_or_else(|| "–".into());
            let paper = paper_value(c);
            let ratio = ratio_text(c.ratio_to_published);
            let (median, p99, share) = tails(c);
            let _ = writeln!(
                o,
                "| {fig}. {scenario} ({}) | {} | {} | {ci} | {n} | {paper} | {ratio} | {median} | {p99} | {share} |",
                metric.unit(),
                run_s.short_label(&c.stack),
                num(c.estimate.value, metric),
            );
        }
    }

    let _ = writeln!(o, "\n### Figures\n");
    for fig in 1..=7u8 {
        let png = report.join(format!("fig{fig}.png"));
        if !png.is_file() {
            bail!(
                "{} is missing; run `pywebbench analyze` on the run and publish it again",
                png.display()
            );
        }
        let _ = writeln!(
            o,
            "**Figure {fig}: {}**\n\n![Figure {fig}: {}]({})\n",
            figure_title(fig),
            figure_title(fig),
            link(readme, &png)
        );
    }

    let mut runs: Vec<&Summary> = vec![run_s];
    if let Some((_, k6_s)) = k6 {
        runs.push(k6_s);
    }
    claims_side_by_side(&mut o, &runs);

    if let Some((k6_path, k6_s)) = k6 {
        let Some(km) = &k6_s.manifest else {
            bail!(
                "{} holds no run; pass a published k6 run folder",
                k6_path.display()
            );
        };
        if km.loadgen != "k6" {
            bail!(
                "{} was run with the {} generator, not k6; pass the run made with --loadgen k6",
                k6_path.display(),
                km.loadgen
            );
        }
        let cmp = analysis::compare(run_s, k6_s);
        let (mut faster, mut slower, mut same, mut untested) = (0, 0, 0, 0);
        for r in &cmp.rows {
            match (r.significant, r.b_better) {
                (Some(true), Some(true)) => faster += 1,
                (Some(true), Some(false)) => slower += 1,
                (Some(_), _) => same += 1,
                (None, _) => untested += 1,
            }
        }
        let _ = writeln!(o, "\n### The paper's instrument: native generator vs k6\n");
        let _ = writeln!(
            o,
            "The same campaign run with `--loadgen k6` (run `{}`, {} → {}): the change from the native generator (A) to k6 (B) per scenario and stack, by `pywebbench compare {} {}`. With k6 the stacks measured significantly better (more req/s, fewer ms) in {faster}, worse in {slower} and not significantly different in {same} of {} cells (Welch's t on the repetition values, α = {}){}.\n",
            km.run_id,
            km.started_at,
            km.ended_at.as_deref().unwrap_or("(unfinished)"),
            link(readme, run),
            link(readme, k6_path),
            cmp.rows.len(),
            cmp.alpha,
            if untested > 0 {
                format!("; {untested} not tested (fewer than two repetitions on a side)")
            } else {
                String::new()
            }
        );
        let _ = writeln!(o, "```text\n{}```", cmp.table());
        generators_beside_paper(&mut o, run_s, k6_s);
    }
    o.push('\n');
    Ok(o)
}

/// The claims, one row each, judged on the paper's numbers and on each run beside it
/// (columns named by the run's load generator, from its manifest); a claim that only
/// some runs judge shows "–" in the others.
fn claims_side_by_side(o: &mut String, runs: &[&Summary]) {
    let name = |s: &Summary| {
        s.manifest
            .as_ref()
            .map(|m| format!("{} run", m.loadgen))
            .unwrap_or_else(|| "run".into())
    };
    let _ = writeln!(o, "### The paper's claims\n");
    let _ = writeln!(
        o,
        "Each claim judged against the paper's own numbers and against each run ({}; inconclusive = the 95 % interval of the comparison does not decide it at this run's spread, not that there is no difference; the unit is the repetition, paired within rounds where a run has them; each claim's exact reading is in [paper/claims.toml](paper/claims.toml)). \"Why\" gives the run's numbers behind its verdict.\n",
        runs.iter()
            .map(|s| {
                format!(
                    "{}: `{}`",
                    name(s),
                    s.manifest
                        .as_ref()
                        .map(|m| m.run_id.as_str())
                        .unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut head = vec!["§".to_string(), "Claim".into(), "Paper's numbers".into()];
    head.extend(runs.iter().map(|s| name(s)));
    head.extend(runs.iter().map(|s| format!("Why ({})", name(s))));
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let _ = writeln!(o, "|{}|", vec!["---"; head.len()].join("|"));
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
            cell(&first.section),
            cell(&first.text),
            verdict(Some(first.paper_verdict)).to_string(),
        ];
        row.extend(
            found
                .iter()
                .map(|c| verdict(c.and_then(|c| c.run_verdict)).to_string()),
        );
        row.extend(
            found
                .iter()
                .map(|c| cell(c.and_then(|c| c.run_detail.as_deref()).unwrap_or("–"))),
        );
        let _ = writeln!(o, "| {} |", row.join(" | "));
    }
}

/// The throughput figures (1–2, where the generator shares the CPUs with the server) of
/// both runs beside the paper: does the paper's own instrument, on this host, land near
/// the paper's numbers?
fn generators_beside_paper(o: &mut String, native: &Summary, k6: &Summary) {
    let _ = writeln!(
        o,
        "\nThroughput (Figures 1–2) of both runs beside the paper: mean over the repetitions; ratio = run ÷ paper.\n"
    );
    let _ = writeln!(
        o,
        "| Figure | Stack | Native | k6 | Paper | Native ÷ paper | k6 ÷ paper |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        for c in native.cells_of(scenario) {
            if c.metric != Metric::ReqPerS {
                continue;
            }
            let k = k6.cell(&c.stack, scenario);
            let paper = paper_value(c);
            let _ = writeln!(
                o,
                "| {}. {scenario} | {} | {} | {} | {paper} | {} | {} |",
                i + 1,
                native.short_label(&c.stack),
                num(c.estimate.value, c.metric),
                k.map(|k| num(k.estimate.value, k.metric))
                    .unwrap_or_else(|| "–".into()),
                ratio_text(c.ratio_to_published),
                ratio_text(k.and_then(|k| k.ratio_to_published)),
            );
        }
    }
}

/// `text` with the part between the markers replaced by `body`.
pub fn splice(text: &str, body: &str, file: &Path) -> Result<String> {
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        bail!(
            "{} has no `{BEGIN}` … `{END}` markers; add them where the results go",
            file.display()
        );
    };
    if e < b {
        bail!(
            "{}: `{END}` comes before `{BEGIN}`; put them in order",
            file.display()
        );
    }
    Ok(format!("{}{BEGIN}\n{body}{}", &text[..b], &text[e..]))
}

pub fn run(args: ReadmeArgs) -> Result<()> {
    let run_s = load(&args.run).with_context(|| format!("loading {}", args.run.display()))?;
    let k6 = match &args.k6 {
        Some(p) => Some((
            p.as_path(),
            load(p).with_context(|| format!("loading {}", p.display()))?,
        )),
        None => None,
    };
    let body = section(
        &args.run,
        &run_s,
        k6.as_ref().map(|(p, s)| (*p, s)),
        &args.readme,
    )?;
    if args.print {
        print!("{body}");
        return Ok(());
    }
    let text = std::fs::read_to_string(&args.readme)
        .with_context(|| format!("cannot read {}", args.readme.display()))?;
    let new = splice(&text, &body, &args.readme)?;
    let dir = match args.readme.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = args
        .readme
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name", args.readme.display()))?;
    super::analyze::write_atomic(&dir, name, new.as_bytes())?;
    println!(
        "readme: wrote the results of {}{} into {}",
        args.run.display(),
        args.k6
            .as_ref()
            .map(|p| format!(" and {}", p.display()))
            .unwrap_or_default(),
        args.readme.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_between_the_markers() {
        let text = format!("a\n{BEGIN}\nold\n{END}\nz\n");
        let out = splice(&text, "new\n", Path::new("R.md")).expect("markers present");
        assert_eq!(out, format!("a\n{BEGIN}\nnew\n{END}\nz\n"));
        // Idempotent: splicing the same body again changes nothing.
        assert_eq!(
            splice(&out, "new\n", Path::new("R.md")).expect("markers"),
            out
        );
    }

    /// The published runs (data/published/index.json): the default native one and the
    /// newest k6 one of the paper's campaign.
    fn published_runs() -> (PathBuf, PathBuf) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let index = crate::commands::reproduce::PublishedIndex::read(&root.join("data/published"))
            .expect("data/published/index.json");
        let native = index
            .runs
            .iter()
            .find(|r| r.default)
            .expect("a default run");
        let k6 = index
            .runs
            .iter()
            .rev()
            .find(|r| r.loadgen == "k6" && r.campaign == "paper")
            .expect("a published k6 run of the paper's campaign");
        (root.join(&native.path), root.join(&k6.path))
    }

    #[test]
    fn section_of_the_published_runs_puts_both_generators_beside_the_paper() {
        let (native, k6) = published_runs();
        let (ns, ks) = (load(&native).expect("native"), load(&k6).expect("k6"));
        let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let text = section(&native, &ns, Some((&k6, &ks)), &readme).expect("section");
        // One row per stack for each throughput figure, with the two runs' own means.
        for scenario in ["hello", "echo"] {
            for c in ns.cells_of(scenario) {
                let k = ks.cell(&c.stack, scenario).expect("k6 cell");
                let row = format!(
                    "| {} | {} | {} |",
                    ns.short_label(&c.stack),
                    num(c.estimate.value, c.metric),
                    num(k.estimate.value, k.metric)
                );
                assert!(text.contains(&row), "missing {row} in\n{text}");
            }
        }
        // The claims side by side: one row per claim with the paper's, the native and the
        // k6 run's verdicts, the columns named by each manifest's generator.
        assert!(
            text.contains("| § | Claim | Paper's numbers | native run | k6 run | Why (native run) | Why (k6 run) |"),
            "claims header in\n{text}"
        );
        for c in &ns.claims {
            let k = ks.claims.iter().find(|k| k.id == c.id).expect("k6 claim");
            let row = format!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&c.section),
                cell(&c.text),
                verdict(Some(c.paper_verdict)),
                verdict(c.run_verdict),
                verdict(k.run_verdict),
                cell(c.run_detail.as_deref().unwrap_or("–")),
                cell(k.run_detail.as_deref().unwrap_or("–")),
            );
            assert!(text.contains(&row), "missing claim row {row}");
        }
        // Latency cells carry their tails (repetitions' median and p99), throughput cells none.
        for c in ns.cells.iter().filter(|c| c.figure.is_some()) {
            let (median, p99, share) = tails(c);
            let row = format!(
                "| {} | {} | {} |",
                ratio_text(c.ratio_to_published),
                median,
                p99
            );
            assert!(text.contains(&row), "missing tails {row}");
            if c.metric == Metric::MeanLatencyMs {
                let d = c.detail.as_ref().expect("detail");
                assert!(
                    median.starts_with(&num(d.median_ms.as_ref().expect("median").mean, c.metric))
                );
                assert!(
                    median.contains('['),
                    "{median}: an interval from the repetitions"
                );
                if d.pooled_latency
                    .and_then(|l| l.slowest_1pct_share)
                    .is_some()
                {
                    assert!(share.ends_with(" %"), "{share}");
                }
            } else {
                assert_eq!((median.as_str(), share.as_str()), ("–", "–"));
            }
        }
        // The k6 slot refuses a native run.
        let e = section(&native, &ns, Some((&native, &ns)), &readme).expect_err("not k6");
        assert!(e.to_string().contains("not k6"), "{e}");
    }

    #[test]
    fn splice_without_markers_names_the_fix() {
        let e = splice("no markers", "x", Path::new("R.md")).expect_err("no markers");
        assert!(e.to_string().contains("add them"), "{e}");
        let e = splice(&format!("{END}{BEGIN}"), "x", Path::new("R.md")).expect_err("order");
        assert!(e.to_string().contains("in order"), "{e}");
    }
}
