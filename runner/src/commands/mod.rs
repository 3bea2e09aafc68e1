//! One module per clap subcommand.

pub mod analyze;
pub mod clean;
pub mod compare;
pub mod load;
pub mod peak;
pub mod publish;
pub mod readme;
pub mod repack;
pub mod reproduce;
pub mod run;
pub mod sweep;

use std::path::PathBuf;

use crate::campaign::PathChoice;
use crate::engine::NativeTarget;

/// `sweep`'s and `peak`'s run folder, load path and contract check (flattened into
/// both commands' arguments).
#[derive(clap::Args, Debug, Clone)]
pub struct TargetArgs {
    /// Run folder [default: data/runs/<UTC timestamp>-<host>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// How the load reaches the server (as `run --path`).
    #[arg(long, value_enum)]
    pub path: Option<PathChoice>,
    /// Host address Docker publishes the server's port on (published-port path only).
    #[arg(long, env = "PYWEBBENCH_PUBLISH_IP", default_value = "127.0.0.1")]
    pub publish_ip: String,
    /// Address the generator sends load to on the published-port path.
    #[arg(long, env = "PYWEBBENCH_TARGET_HOST")]
    pub target_host: Option<String>,
    /// Measure even if a stack's image fails the API contract (recorded in manifest.json).
    #[arg(long)]
    pub skip_contract: bool,
}

impl TargetArgs {
    pub fn target(&self) -> NativeTarget {
        NativeTarget {
            out: self.out.clone(),
            path: self.path,
            publish_ip: self.publish_ip.clone(),
            target_host: self.target_host.clone(),
            skip_contract: self.skip_contract,
        }
    }
}
