//! What a run is told: the campaign (chosen as `run` and `reproduce` choose it), the
//! load generator, and how to reach the server. Commands build these from their
//! arguments; nothing here knows about a command line.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Result, anyhow, bail};

use crate::campaign::{self, Campaign, PathChoice};

/// The load generator of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Loadgen {
    /// pywebbench's own generator (tokio + hyper).
    Native,
    /// The k6 binary (`--k6`, `$PYWEBBENCH_K6`, `.venv/bin/k6` or `PATH`), every
    /// request imported from its `--out json` output.
    K6,
}

impl Loadgen {
    pub const ALL: [Loadgen; 2] = [Loadgen::Native, Loadgen::K6];

    /// The name in manifests, run ids and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Loadgen::Native => "native",
            Loadgen::K6 => "k6",
        }
    }
}

impl fmt::Display for Loadgen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Loadgen {
    type Err = anyhow::Error;

    /// Strict: a name other than `native` or `k6` (a hand-edited manifest) is refused.
    fn from_str(s: &str) -> Result<Loadgen> {
        Loadgen::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| anyhow!("unknown load generator {s:?}; expected one of: native, k6"))
    }
}

/// Which campaign a new run runs: a file (or the default or quick one) with the
/// command line's overrides.
#[derive(Clone, Debug, Default)]
pub struct CampaignChoice {
    /// The campaign file [default: paper/campaign.toml, or the quick one].
    pub file: Option<PathBuf>,
    pub quick: bool,
    /// Only these stacks.
    pub stacks: Option<Vec<String>>,
    /// Repetitions per stack.
    pub reps: Option<u32>,
    /// Precision target (a share of the mean, e.g. 0.03).
    pub precision: Option<f64>,
    pub max_rounds: Option<u32>,
    /// Profile one extra repetition per stack (`--profile`), at this rate
    /// (`--profile-rate`) [default: the campaign's `[profile]`, else 100 Hz].
    pub profile: bool,
    pub profile_rate: Option<u32>,
}

impl CampaignChoice {
    /// Read the campaign file and apply the overrides.
    pub fn load(&self) -> Result<Campaign> {
        let path = match (&self.file, self.quick) {
            (Some(p), _) => p.clone(),
            (None, true) => PathBuf::from(campaign::QUICK_FILE),
            (None, false) => PathBuf::from(campaign::DEFAULT_FILE),
        };
        if !path.exists() && self.file.is_none() {
            bail!(
                "{} not found: run pywebbench from the repository root, or pass --campaign FILE",
                path.display()
            );
        }
        let mut c = Campaign::load(&path)?;
        if let Some(stacks) = &self.stacks {
            c.select_stacks(stacks).map_err(|e| anyhow!(e))?;
        }
        if let Some(r) = self.reps {
            c.repetitions = r;
        }
        if self.profile || self.profile_rate.is_some() {
            let mut p = c.profile.unwrap_or_default();
            if let Some(hz) = self.profile_rate {
                p.rate_hz = hz;
            }
            c.profile = Some(p);
        }
        c.precision = match (c.precision, self.precision, self.max_rounds) {
            (None, None, Some(_)) => bail!(
                "--max-rounds needs a precision target: add --precision (e.g. --precision 3%) or a [precision] table to the campaign"
            ),
            (None, None, None) => None,
            (old, target, max) => Some(campaign::Precision {
                target: target.or(old.map(|p| p.target)).unwrap_or_default(),
                max_rounds: max
                    .or(old.map(|p| p.max_rounds))
                    .unwrap_or(campaign::DEFAULT_MAX_ROUNDS),
            }),
        };
        if let Some(p) = c.precision
            && p.max_rounds < c.repetitions
        {
            bail!(
                "--max-rounds {} is below the campaign's {} repetitions: a precision run makes at least `repetitions` rounds; raise --max-rounds or lower --reps",
                p.max_rounds,
                c.repetitions
            );
        }
        Ok(c)
    }
}

/// A new run, or the rest of an interrupted one.
#[derive(Clone, Debug)]
pub enum Start {
    New {
        campaign: Box<Campaign>,
        /// The run folder [default: data/runs/<UTC timestamp>-<host>].
        out: Option<PathBuf>,
        loadgen: Loadgen,
        /// How the load reaches the server [default: the campaign's `[loadgen] path`].
        path: Option<PathChoice>,
    },
    /// Finish the run in this folder (its campaign, generator and path are its manifest's).
    Resume(PathBuf),
}

/// Everything [`crate::engine::run`] needs.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub start: Start,
    /// The k6 binary [default: `$PYWEBBENCH_K6`, `.venv/bin/k6`, `PATH`].
    pub k6: Option<PathBuf>,
    /// Stop at the first failed repetition.
    pub fail_fast: bool,
    /// Measure without checking the API contract first (recorded in the manifest).
    pub skip_contract: bool,
    /// Host address Docker publishes the server's port on (published-port path).
    pub publish_ip: String,
    /// Address the generator sends load to on the published-port path [default:
    /// the publish address, or loopback when that is a wildcard].
    pub target_host: Option<String>,
}

impl RunConfig {
    /// The address the load goes to on the published-port path.
    pub fn target_host(&self) -> String {
        target_host(&self.publish_ip, self.target_host.as_deref())
    }
}

/// The address the load goes to on the published-port path: `target_host`, else the
/// publish address, or loopback when that is a wildcard.
pub fn target_host(publish_ip: &str, target_host: Option<&str>) -> String {
    target_host.map_or_else(
        || match publish_ip {
            "0.0.0.0" | "" => "127.0.0.1".into(),
            "::" => "::1".into(),
            ip => ip.into(),
        },
        str::to_string,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadgen_names_parse_strictly() {
        for l in Loadgen::ALL {
            assert_eq!(l.as_str().parse::<Loadgen>().expect("known"), l);
        }
        let err = "K6".parse::<Loadgen>().expect_err("case matters");
        assert!(err.to_string().contains("native, k6"), "{err}");
        assert!("".parse::<Loadgen>().is_err());
    }
}
