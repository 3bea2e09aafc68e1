//! The measured scenarios, the paper's figures and the metric each plots.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Paper;

/// The seven measured scenarios, in figure order (Figure n = `SCENARIOS[n - 1]`).
pub const SCENARIOS: [&str; 7] = [
    "hello", "echo", "get_all", "get_one", "create", "update", "delete",
];

/// The figure (1..=7) of a measured scenario.
pub fn figure_of(scenario: &str) -> Option<u8> {
    SCENARIOS
        .iter()
        .position(|s| *s == scenario)
        .map(|i| i as u8 + 1)
}

/// A scenario as tables head it: its figure's number and its name, e.g. `3. get_all`.
pub fn numbered(scenario: &str) -> String {
    match figure_of(scenario) {
        Some(n) => format!("{n}. {scenario}"),
        None => scenario.to_string(),
    }
}

/// A figure's title as the paper words it (`[[figure]] title` in
/// `paper/published.toml`); empty for a number the paper has no figure for.
pub fn figure_title(figure: u8) -> &'static str {
    static TITLES: std::sync::OnceLock<BTreeMap<u8, String>> = std::sync::OnceLock::new();
    TITLES
        .get_or_init(|| {
            // The compiled-in paper is checked by the tests; unreadable, it has no titles.
            Paper::builtin()
                .map(|p| p.figures.into_iter().map(|f| (f.number, f.title)).collect())
                .unwrap_or_default()
        })
        .get(&figure)
        .map_or("", String::as_str)
}

/// What a figure plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Completed requests per second of active time; higher is better.
    ReqPerS,
    /// Mean response time (k6 `http_req_duration`) in ms; lower is better.
    MeanLatencyMs,
}

impl Metric {
    /// The metric of a scenario: req/s for hello and echo (Figures 1–2), mean response
    /// time for everything else (Figures 3–7 and any extra scenario).
    pub fn of_scenario(scenario: &str) -> Metric {
        match scenario {
            "hello" | "echo" => Metric::ReqPerS,
            _ => Metric::MeanLatencyMs,
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == Metric::ReqPerS
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::ReqPerS => "req/s",
            Metric::MeanLatencyMs => "ms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::ReqPerS => "throughput (req/s)",
            Metric::MeanLatencyMs => "mean response time (ms)",
        }
    }
}
