//! pywebbench as a library: campaign → deploy → load → record, the run folder, the
//! analysis and publishing steps. The `pywebbench` binary (`main.rs`) only parses
//! arguments and calls [`commands`], thin adapters from arguments to the config
//! structs of [`engine`] and the other modules.

pub mod analyze;
pub mod campaign;
pub mod commands;
pub mod docker;
pub mod engine;
pub mod load;
pub mod manifest;
pub mod netns;
pub mod profiler;
pub mod progress;
pub mod publish;
pub mod record;
pub mod rundir;
pub mod sampler;
pub mod sweep;
pub mod venv;
