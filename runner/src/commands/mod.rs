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
