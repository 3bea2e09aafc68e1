//! `pywebbench`: campaign → deploy → load → record → analyse.

use clap::Parser;

#[derive(Parser)]
#[command(name = "pywebbench", version, about = "Benchmark Python web frameworks as Bednarz & Miłosz (2025) did, and better")]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
