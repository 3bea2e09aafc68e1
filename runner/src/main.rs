//! `pywebbench`: campaign → deploy → load → record → analyse.

use clap::{Parser, Subcommand};
use runner::commands;

#[derive(Parser)]
#[command(
    name = "pywebbench",
    version,
    about = "Benchmark Python web frameworks as Bednarz & Miłosz (2025) did, and better"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load one URL with the native generator (or k6), like oha/hey; print req/s, latency, errors.
    Load(commands::load::LoadArgs),
    /// Run the campaign: every stack × repetition in a fresh container; write samples, resources, manifest.
    Run(commands::run::RunArgs),
    /// Capacity curves: offer each stack a rising constant arrival rate until p99 or errors pass the SLO; find the knee.
    Sweep(commands::sweep::SweepArgs),
    /// Peak configuration: each stack over a grid of worker class × workers × threads; its best beside the campaign's fixed one.
    Peak(commands::peak::PeakArgs),
    /// Remove every container (and with --images, image and network) labelled `pywebbench`.
    Clean(commands::clean::CleanArgs),
    /// Analyse a run folder: summary.json, report.md, report.html, Figures 1–7 (SVG + PNG).
    Analyze(commands::analyze::AnalyzeArgs),
    /// Compare two runs (or a run and `paper`) per scenario and stack, like benchstat.
    Compare(commands::compare::CompareArgs),
    /// The paper end to end: setup, images, run (resumed if unfinished), analyze, publish, viewer.
    Reproduce(commands::reproduce::ReproduceArgs),
    /// Convert a finished run folder's samples.parquet losslessly to samples/<stack>.parquet (schema v2).
    Repack(commands::repack::RepackArgs),
    /// Write the README's results section (between its markers) from published runs.
    Readme(commands::readme::ReadmeArgs),
    /// Copy a finished run or sweep into data/published/ and update its index.json.
    Publish(commands::publish::PublishArgs),
}

/// Errors are one line (`error: what: why`), with no backtrace even when
/// RUST_BACKTRACE is set: they are messages for the user, not crashes.
fn main() -> std::process::ExitCode {
    // `tracing` warnings and errors (a sampler that cannot read a cgroup, a missing
    // resources file, …) go to stderr; PYWEBBENCH_LOG=info|debug shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PYWEBBENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    match dispatch(Cli::parse().command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Load(args) => commands::load::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Sweep(args) => commands::sweep::run(args),
        Command::Peak(args) => commands::peak::run(args),
        Command::Clean(args) => commands::clean::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Reproduce(args) => commands::reproduce::run(args),
        Command::Readme(args) => commands::readme::run(args),
        Command::Repack(args) => commands::repack::run(args),
        Command::Publish(args) => commands::publish::run(args),
    }
}
