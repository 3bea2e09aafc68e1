//! One module per clap subcommand.

pub mod clean;
pub mod load;
pub mod run;
