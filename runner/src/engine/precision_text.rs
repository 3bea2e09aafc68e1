//! How a precision run's checks read: the line after each round, the progress bar's
//! short status, and the end-of-run line. Text only; the rule is applied in
//! `precision.rs` and announced as events.

use std::time::Duration;

use analysis::precision::{self, PrecisionRecord, PrecisionRule};

/// Rounds still to run at the widest cell's spread (capped by max_rounds), and the
/// time they would take.
fn rounds_left(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> (u32, Option<Duration>) {
    let wanted = check
        .rounds_needed
        .unwrap_or(rule.max_rounds)
        .max(rule.min_rounds)
        .min(rule.max_rounds);
    let left = wanted.saturating_sub(check.round);
    (left, per_round.map(|d| d * left))
}

fn widest_text(rule: &PrecisionRule, check: &precision::Check) -> String {
    match &check.widest {
        Some(c) if c.relative.is_finite() => format!(
            "widest cell {} {} ±{} (target ±{}), {} cell(s) over",
            c.stack,
            c.scenario,
            precision::percent(c.relative),
            precision::percent(rule.target),
            check.cells_over_target
        ),
        Some(c) => format!("{} {}: no interval yet", c.stack, c.scenario),
        None => "no headline cell yet".into(),
    }
}

pub(super) fn precision_line(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> String {
    let (left, time) = rounds_left(rule, check, per_round);
    let needed = match check.rounds_needed {
        Some(n) if n > rule.max_rounds => {
            format!(
                "; at this spread it needs ~{n} rounds, more than the {} allowed",
                rule.max_rounds
            )
        }
        Some(n) => format!("; at this spread it needs ~{n} rounds"),
        None => String::new(),
    };
    let eta = match (check.stop, time) {
        (Some(_), _) => String::new(),
        (None, Some(t)) => format!(
            " → {left} more round(s), ~{:.0} min",
            t.as_secs_f64() / 60.0
        ),
        (None, None) => format!(" → {left} more round(s)"),
    };
    format!(
        "precision after round {}/{}: {}{needed}{eta}",
        check.round,
        rule.max_rounds,
        widest_text(rule, check)
    )
}

/// The short form shown beside the progress bar.
pub(super) fn precision_status(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> String {
    let (left, time) = rounds_left(rule, check, per_round);
    let widest = check.widest.as_ref().map_or(String::new(), |c| {
        format!(
            "  widest {}/{} ±{}",
            c.stack,
            c.scenario,
            precision::percent(c.relative)
        )
    });
    let eta = time.map_or(String::new(), |t| {
        format!(", ~{:.0} min", t.as_secs_f64() / 60.0)
    });
    format!(
        "round {}/{}{widest}, {left} more{eta}",
        check.round, rule.max_rounds
    )
}

/// One line on how a precision run ended: rounds, why, and its widest cell.
pub(super) fn precision_outcome(p: &PrecisionRecord) -> String {
    let Some(stopped) = &p.stopped else {
        return "precision: the run did not reach its stopping rule".into();
    };
    let widest = p
        .checks
        .last()
        .map(|c| widest_text(&p.settings, c))
        .unwrap_or_default();
    format!(
        "precision: stopped after {} round(s), {}; {widest}",
        stopped.rounds,
        stopped.reason.describe()
    )
}
