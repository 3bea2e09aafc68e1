//! `pywebbench readme RUN [--k6 RUN]`: the README's results section, written between
//! `<!-- results:begin -->` and `<!-- results:end -->`, from a published run's
//! `report/summary.json` (and its figures): the run beside the paper per figure and
//! stack, the seven figures, the claims' verdicts, and with `--k6` the comparison of
//! the two load generators. The section is rendered by `analysis::report::readme`;
//! this command reads the summaries, checks the figures exist, works out the links
//! relative to the README and writes the section between the markers.

use std::path::{Path, PathBuf};

use analysis::Summary;
use analysis::report::capacity::SweepPart;
use analysis::report::readme::{Links, ModernLinks};
use anyhow::{Context, Result, bail};

use crate::rundir::{report_dir_of, summarize as summarize_run_dir};

pub const BEGIN: &str = "<!-- results:begin -->";
pub const END: &str = "<!-- results:end -->";

#[derive(clap::Args, Debug)]
pub struct ReadmeArgs {
    /// The published run (e.g. data/published/<run-id>), with report/summary.json and figures.
    pub run: PathBuf,
    /// The same campaign run with --loadgen k6: adds the native-vs-k6 comparison.
    #[arg(long)]
    pub k6: Option<PathBuf>,
    /// A run of another campaign on the paper's procedure (e.g. `paper/campaign-modern.toml`):
    /// adds its stacks beside the paper's, each against the stack it varies.
    #[arg(long)]
    pub modern: Option<PathBuf>,
    /// A published capacity sweep (a folder with sweep.json and report/capacity.png);
    /// repeat for several: adds "Capacity curves" with each stack's knee.
    #[arg(long = "sweep")]
    pub sweeps: Vec<PathBuf>,
    /// A peak-configuration run (`pywebbench peak`, with peak.json and its tuned figures):
    /// adds each stack at its best server configuration beside the paper's fixed one.
    #[arg(long)]
    pub peak: Option<PathBuf>,
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

/// A run's seven figures (`report/fig1.png` …), linked relative to `readme`; each must exist.
fn figure_links(run: &Path, readme: &Path) -> Result<Vec<String>> {
    let report = run.join("report");
    let mut figures = Vec::new();
    for fig in 1..=7u8 {
        let png = report.join(format!("fig{fig}.png"));
        if !png.is_file() {
            bail!(
                "{} is missing; run `pywebbench analyze` on the run and publish it again",
                png.display()
            );
        }
        figures.push(link(readme, &png));
    }
    Ok(figures)
}

/// A sweep's `sweep.json` and figure, linked relative to `readme`.
fn sweep_part(dir: &Path, readme: &Path) -> Result<SweepPart> {
    let sweep = crate::rundir::read_sweep(dir)?.with_context(|| {
        format!(
            "{} has no {}; pass a capacity sweep's folder (made by `pywebbench sweep`) to --sweep",
            dir.display(),
            crate::rundir::SWEEP_FILE
        )
    })?;
    let png = report_dir_of(dir)
        .join(crate::rundir::CAPACITY_SVG)
        .with_extension("png");
    if !png.is_file() {
        bail!(
            "{} is missing; finish the sweep with `pywebbench sweep` (it draws the figure at the end)",
            png.display()
        );
    }
    Ok(SweepPart {
        sweep,
        run: link(readme, dir),
        figure: link(readme, &png),
    })
}

/// The section's links, relative to `readme`; the runs' seven figures must exist.
fn links(
    run: &Path,
    k6: Option<&Path>,
    modern: Option<&Path>,
    sweeps: &[PathBuf],
    peak: Option<&Path>,
    readme: &Path,
) -> Result<Links> {
    let report = run.join("report");
    let modern = match modern {
        Some(m) => Some(ModernLinks {
            run: link(readme, m),
            report_md: link(readme, &m.join("report").join("report.md")),
            report_html: link(readme, &m.join("report").join("report.html")),
            figures: figure_links(m, readme)?,
        }),
        None => None,
    };
    Ok(Links {
        run: link(readme, run),
        k6: k6.map(|k| link(readme, k)),
        report_md: link(readme, &report.join("report.md")),
        report_html: link(readme, &report.join("report.html")),
        figures: figure_links(run, readme)?,
        modern,
        sweeps: sweeps
            .iter()
            .map(|s| sweep_part(s, readme))
            .collect::<Result<_>>()?,
        peak: peak.map(|p| link(readme, p)),
    })
}

/// The results section (between the markers, markers excluded): rendered by
/// `analysis::report::readme`, then the part on a peak-configuration run if one is given.
pub fn section(
    run: &Path,
    run_s: &Summary,
    k6: Option<(&Path, &Summary)>,
    modern: Option<(&Path, &Summary)>,
    sweeps: &[PathBuf],
    peak: Option<&Path>,
    readme: &Path,
) -> Result<String> {
    let links = links(
        run,
        k6.map(|(p, _)| p),
        modern.map(|(p, _)| p),
        sweeps,
        peak,
        readme,
    )?;
    let mut text = analysis::report::readme::section(
        run_s,
        k6.map(|(_, s)| s),
        modern.map(|(_, s)| s),
        &links,
    )?;
    if let Some(p) = peak {
        text.push_str(&peak_part(p, readme)?);
    }
    Ok(text)
}

/// The part on a peak-configuration run (appended to the section): rendered by
/// `analysis::report::peak` from the run's `peak.json`; its tuned figures must exist.
pub fn peak_part(run: &Path, readme: &Path) -> Result<String> {
    let file = run.join(crate::rundir::PEAK_FILE);
    let peak = crate::rundir::read_peak(run)?.with_context(|| {
        format!(
            "{} has no {}; pass the folder of a `pywebbench peak` run",
            run.display(),
            crate::rundir::PEAK_FILE
        )
    })?;
    let mut figures = Vec::new();
    for scenario in &peak.scenarios {
        let png = report_dir_of(run).join(analysis::figures::tuned_file(scenario, "png"));
        if !png.is_file() {
            bail!(
                "{} is missing; the peak run did not finish writing its figures (run it again)",
                png.display()
            );
        }
        figures.push(link(readme, &png));
    }
    let links = analysis::report::peak::PeakLinks {
        run: link(readme, run),
        json: link(readme, &file),
        figures,
    };
    Ok(analysis::report::peak::section(&peak, &links))
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
    let modern = match &args.modern {
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
        modern.as_ref().map(|(p, s)| (*p, s)),
        &args.sweeps,
        args.peak.as_deref(),
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
    crate::rundir::write_bytes_atomic(&dir.join(name), new.as_bytes())?;
    println!(
        "readme: wrote the results of {}{}{} into {}",
        args.run.display(),
        args.k6
            .as_ref()
            .map(|p| format!(" and {}", p.display()))
            .unwrap_or_default(),
        args.modern
            .iter()
            .chain(&args.peak)
            .map(|p| format!(" and {}", p.display()))
            .collect::<String>(),
        args.readme.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::format::{ratio as ratio_text, value as num};
    use analysis::paper::Metric;
    use analysis::report::markdown::escape as cell;
    use analysis::report::readme::tails;

    fn verdict(v: Option<analysis::Verdict>) -> &'static str {
        v.map(analysis::report::verdict).unwrap_or("–")
    }

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

    /// The newest published run of the modern campaign (`paper/campaign-modern.toml`), if any.
    fn published_modern() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let index = crate::publish::PublishedIndex::read(&root.join("data/published"))
            .expect("data/published/index.json");
        index
            .runs
            .iter()
            .rev()
            .find(|r| r.campaign == "modern")
            .map(|r| root.join(&r.path))
    }

    /// The published capacity sweeps, oldest first (as `just readme-results` passes them).
    fn published_sweeps() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let index = crate::publish::PublishedIndex::read(&root.join("data/published"))
            .expect("data/published/index.json");
        index
            .runs
            .iter()
            .filter(|r| r.kind == crate::publish::RunKind::Sweep)
            .map(|r| root.join(&r.path))
            .collect()
    }

    /// The newest published peak-configuration run (one with peak.json), if any.
    fn published_peak() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let index = crate::publish::PublishedIndex::read(&root.join("data/published"))
            .expect("data/published/index.json");
        index
            .runs
            .iter()
            .rev()
            .map(|r| root.join(&r.path))
            .find(|p| p.join(crate::rundir::PEAK_FILE).exists())
    }

    /// The published runs (data/published/index.json): the default native one and the
    /// newest k6 one of the paper's campaign.
    fn published_runs() -> (PathBuf, PathBuf) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let index = crate::publish::PublishedIndex::read(&root.join("data/published"))
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
        let text =
            section(&native, &ns, Some((&k6, &ks)), None, &[], None, &readme).expect("section");
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
        let e = section(&native, &ns, Some((&native, &ns)), None, &[], None, &readme)
            .expect_err("not k6");
        assert!(e.to_string().contains("not k6"), "{e}");
    }

    /// The README's results section is what `pywebbench readme` makes of the published
    /// runs it names: regenerating it changes nothing (`just readme-results` after a
    /// change to how results are shown).
    #[test]
    fn the_readme_section_regenerates_identically() {
        let (native, k6) = published_runs();
        let (ns, ks) = (load(&native).expect("native"), load(&k6).expect("k6"));
        let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let text = std::fs::read_to_string(&readme).expect("README.md");
        let modern = published_modern().map(|p| {
            let s = load(&p).expect("modern");
            (p, s)
        });
        let peak = published_peak();
        let body = section(
            &native,
            &ns,
            Some((&k6, &ks)),
            modern.as_ref().map(|(p, s)| (p.as_path(), s)),
            &published_sweeps(),
            peak.as_deref(),
            &readme,
        )
        .expect("section");
        let new = splice(&text, &body, &readme).expect("markers");
        if new != text {
            let (a, b) = (text.lines(), new.lines());
            let first = a
                .zip(b)
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("README: {x}\nnow:    {y}"))
                .unwrap_or_else(|| "the section's length differs".into());
            panic!(
                "README.md's results section is out of date; run `just readme-results`\n{first}"
            );
        }
    }

    /// The modern campaign's run beside the paper's: every stack of it in the cells
    /// table, each stack the registry relates to another (server or Python variant, ORM
    /// vs raw SQL, another API layer) against it in all seven scenarios, and the anchors'
    /// drift from the paper's-campaign run.
    #[test]
    fn the_modern_run_sits_beside_the_paper_with_each_variant_against_its_stack() {
        let (native, k6) = published_runs();
        let mp = published_modern().expect("a published run of the modern campaign");
        let (ns, ks, ms) = (
            load(&native).expect("native"),
            load(&k6).expect("k6"),
            load(&mp).expect("modern"),
        );
        let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let text = section(
            &native,
            &ns,
            Some((&k6, &ks)),
            Some((&mp, &ms)),
            &[],
            None,
            &readme,
        )
        .expect("section");
        let part = &text[text.find("Today's frameworks").expect("the modern part")..];
        for stack in &ms.stacks {
            let c = ms.cell(stack, "hello").expect("hello cell");
            let row = format!("| {}", cell(ms.label(stack)));
            assert!(part.contains(&row), "no row for {stack}");
            assert!(
                part.contains(&num(c.estimate.value, c.metric)),
                "{stack} hello"
            );
        }
        let reg = analysis::registry::Registry::builtin();
        for stack in &ms.stacks {
            let s = reg.get(stack).expect("registered");
            let Some(base) = s.app_from.as_ref().or(s.info.raw_twin.as_ref()) else {
                continue;
            };
            if !ms.stacks.contains(base) {
                continue;
            }
            let pair = format!(
                "| {} | {} | 1. hello |",
                ms.short_label(stack),
                ms.short_label(base)
            );
            assert!(part.contains(&pair), "missing {pair}");
        }
        let anchors = ms.stacks.iter().filter(|s| ns.stacks.contains(s)).count();
        assert!(
            anchors >= 1,
            "the modern run shares no stack with the paper's run"
        );
        assert!(part.contains("| Anchor |"), "anchors table");
    }

    #[test]
    fn splice_without_markers_names_the_fix() {
        let e = splice("no markers", "x", Path::new("R.md")).expect_err("no markers");
        assert!(e.to_string().contains("add them"), "{e}");
        let e = splice(&format!("{END}{BEGIN}"), "x", Path::new("R.md")).expect_err("order");
        assert!(e.to_string().contains("in order"), "{e}");
    }
}
