//! How every number is written: one function per quantity, one precision each, used by
//! the reports (Markdown, HTML, the README section), the figures' labels and the
//! `compare` table. A value that is missing or not finite (NaN, ±inf) prints as
//! [`MISSING`].

use crate::paper::Metric;
use crate::stats::Interval;

/// What a missing or non-finite number prints as.
pub const MISSING: &str = "–";

fn finite(v: f64, f: impl FnOnce(f64) -> String) -> String {
    if v.is_finite() { f(v) } else { MISSING.into() }
}

/// A value of a metric: req/s as a whole number, ms with two decimals.
pub fn value(v: f64, metric: Metric) -> String {
    finite(v, |v| match metric {
        Metric::ReqPerS => format!("{v:.0}"),
        Metric::MeanLatencyMs => format!("{v:.2}"),
    })
}

/// [`value`] of a value that may be absent.
pub fn opt_value(v: Option<f64>, metric: Metric) -> String {
    v.map(|v| value(v, metric))
        .unwrap_or_else(|| MISSING.into())
}

/// A value with its unit: `1234 req/s`, `1.23 ms`.
pub fn value_with_unit(v: Option<f64>, metric: Metric) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) => format!("{} {}", value(v, metric), metric.unit()),
        None => MISSING.into(),
    }
}

/// A latency statistic in milliseconds (mean, median, p95, p99, max, TTFB).
pub fn ms(v: f64) -> String {
    value(v, Metric::MeanLatencyMs)
}

/// An interval of a metric's values: `[low, high]`.
pub fn interval(iv: Option<Interval>, metric: Metric) -> String {
    match iv {
        Some(i) => format!("[{}, {}]", value(i.low, metric), value(i.high, metric)),
        None => MISSING.into(),
    }
}

/// A value on a figure (above a bar, in a legend): req/s whole, ms with three
/// significant digits at most (one decimal from 10 ms on), so the label fits its bar.
pub fn figure_label(v: f64, metric: Metric) -> String {
    finite(v, |v| match metric {
        Metric::ReqPerS => format!("{v:.0}"),
        Metric::MeanLatencyMs if v >= 10.0 => format!("{v:.1}"),
        Metric::MeanLatencyMs => format!("{v:.2}"),
    })
}

/// A signed change in percent (already ×100): `+1.2%`, `-0.4%`.
pub fn signed_percent(v: f64) -> String {
    finite(v, |v| format!("{v:+.1}%"))
}

/// An interval of changes in percent: `[+1.2%, +3.4%]`.
pub fn signed_percent_interval(iv: Option<Interval>) -> String {
    match iv {
        Some(i) => format!("[{}, {}]", signed_percent(i.low), signed_percent(i.high)),
        None => MISSING.into(),
    }
}

/// A share in 0..=1 (the slowest 1 %'s share of the latency) in percent with one
/// decimal: `12.3 %`.
pub fn share(s: Option<f64>) -> String {
    match s.filter(|s| s.is_finite()) {
        Some(s) => format!("{:.1} %", s * 100.0),
        None => MISSING.into(),
    }
}

/// An interval's half-width as a share (0..=1) of its mean, in percent with one
/// decimal: `±4.2 %` (the precision of a cell).
pub fn half_width_share(s: Option<f64>) -> String {
    match s.filter(|s| s.is_finite()) {
        Some(s) => format!("±{:.1} %", s * 100.0),
        None => MISSING.into(),
    }
}

/// A share in 0..=1 that is a setting (a precision target, a confidence level):
/// whole percent when it is one, else one decimal: 0.03 → `3 %`, 0.025 → `2.5 %`.
pub fn setting_percent(s: f64) -> String {
    finite(s, |s| {
        let p = s * 100.0;
        if (p - p.round()).abs() < 1e-9 {
            format!("{p:.0} %")
        } else {
            format!("{p:.1} %")
        }
    })
}

/// The label of a confidence interval at `level` (a setting, e.g. 0.95): `95 % CI`.
pub fn ci_label(level: f64) -> String {
    format!("{} CI", setting_percent(level))
}

/// A ratio (ours ÷ the paper's): three decimals.
pub fn ratio(r: Option<f64>) -> String {
    match r.filter(|r| r.is_finite()) {
        Some(r) => format!("{r:.3}"),
        None => MISSING.into(),
    }
}

/// A p value: `p<0.001` below 0.001, else two significant digits (`p=0.042`,
/// `p=0.35`, `p=1`); `p=–` for NaN.
pub fn p_value(p: f64) -> String {
    if p.is_nan() {
        return format!("p={MISSING}");
    }
    if p < 0.001 {
        return "p<0.001".into();
    }
    // Two significant digits, trailing zeros dropped.
    let digits = (1 - p.log10().floor() as i32).max(0) as usize;
    let s = format!("{p:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("p={s}")
}

/// [`p_value`] of a p that may be absent (untested): [`MISSING`].
pub fn opt_p_value(p: Option<f64>) -> String {
    p.map(p_value).unwrap_or_else(|| MISSING.into())
}

/// An error rate in 0..=1 in percent with three decimals: `0.012%`.
pub fn error_rate(rate: f64) -> String {
    finite(rate, |r| format!("{:.3}%", r * 100.0))
}

/// A CPU use in percent of one core (already ×100): `123.4%`.
pub fn cpu_percent(v: f64) -> String {
    finite(v, |v| format!("{v:.1}%"))
}

/// A busy fraction in 0..=1 of a CPU set in whole percent: `87%`.
pub fn busy_percent(share: f64) -> String {
    finite(share, |s| format!("{:.0}%", s * 100.0))
}

/// CPU cores in use: two decimals.
pub fn cores(v: f64) -> String {
    finite(v, |v| format!("{v:.2}"))
}

/// Bytes in MiB with one decimal: `12.3 MiB`.
pub fn mib(bytes: f64) -> String {
    finite(bytes, |b| format!("{:.1} MiB", b / (1024.0 * 1024.0)))
}

/// Bytes in GiB with one decimal (a host's memory): `15.6 GiB`.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// An effect size (Hedges' g): two decimals.
pub fn effect_size(g: Option<f64>) -> String {
    match g.filter(|g| g.is_finite()) {
        Some(g) => format!("{g:.2}"),
        None => MISSING.into(),
    }
}

/// A quantile of a distribution (a t critical value): two decimals.
pub fn quantile(v: f64) -> String {
    finite(v, |v| format!("{v:.2}"))
}

/// A probability argument of a quantile (0.975), as short as it is exact to 1e-9.
pub fn probability(q: f64) -> String {
    finite(q, |q| {
        let s = format!("{q:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    })
}

/// A count (requests, repetitions, readings): the integer as it is.
pub fn count(n: u64) -> String {
    n.to_string()
}

/// `server 1.20, generator 0.45, proxy 0.30, others 0.05 cores; iowait 0.00, steal 0.00`.
pub fn usage(u: &crate::limiter::Usage) -> String {
    format!(
        "server {}, generator {}, proxy {}, others {} cores; iowait {}, steal {}; generator's CPUs {} busy, server's {}",
        cores(u.server_cores),
        cores(u.generator_cores),
        u.proxy_cores.map(cores).unwrap_or_else(|| "none".into()),
        cores(u.others_cores),
        cores(u.iowait_cores),
        cores(u.steal_cores),
        busy_percent(u.generator_set_busy),
        busy_percent(u.server_set_busy)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_metric_and_missing_ones() {
        assert_eq!(value(1234.56, Metric::ReqPerS), "1235");
        assert_eq!(value(1.234_5, Metric::MeanLatencyMs), "1.23");
        assert_eq!(value(-3.456, Metric::MeanLatencyMs), "-3.46");
        assert_eq!(value(-2.5e3, Metric::ReqPerS), "-2500");
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(value(v, Metric::ReqPerS), MISSING);
            assert_eq!(ms(v), MISSING);
            assert_eq!(signed_percent(v), MISSING);
            assert_eq!(share(Some(v)), MISSING);
            assert_eq!(ratio(Some(v)), MISSING);
            assert_eq!(error_rate(v), MISSING);
            assert_eq!(figure_label(v, Metric::MeanLatencyMs), MISSING);
        }
        assert_eq!(opt_value(None, Metric::ReqPerS), MISSING);
        assert_eq!(value_with_unit(Some(12.0), Metric::ReqPerS), "12 req/s");
        assert_eq!(value_with_unit(Some(1.5), Metric::MeanLatencyMs), "1.50 ms");
        assert_eq!(value_with_unit(Some(f64::NAN), Metric::ReqPerS), MISSING);
    }

    #[test]
    fn intervals_percents_and_ratios() {
        let iv = Interval {
            low: -1.234,
            high: 5.678,
        };
        assert_eq!(interval(Some(iv), Metric::MeanLatencyMs), "[-1.23, 5.68]");
        assert_eq!(interval(Some(iv), Metric::ReqPerS), "[-1, 6]");
        assert_eq!(interval(None, Metric::ReqPerS), MISSING);
        assert_eq!(signed_percent_interval(Some(iv)), "[-1.2%, +5.7%]");
        assert_eq!(signed_percent(0.0), "+0.0%");
        assert_eq!(share(Some(0.1234)), "12.3 %");
        assert_eq!(share(None), MISSING);
        assert_eq!(ratio(Some(0.98765)), "0.988");
        assert_eq!(error_rate(0.000_12), "0.012%");
        assert_eq!(cpu_percent(123.44), "123.4%");
        assert_eq!(busy_percent(0.874), "87%");
        assert_eq!(mib(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(gib(8 << 30), "8.0 GiB");
        assert_eq!(effect_size(Some(-0.456)), "-0.46");
        assert_eq!(count(12), "12");
    }

    #[test]
    fn figure_labels_are_compact() {
        assert_eq!(figure_label(123.456, Metric::MeanLatencyMs), "123.5");
        assert_eq!(figure_label(12.345, Metric::MeanLatencyMs), "12.3");
        assert_eq!(figure_label(1.2345, Metric::MeanLatencyMs), "1.23");
        assert_eq!(figure_label(2712.4, Metric::ReqPerS), "2712");
    }

    #[test]
    fn p_values_two_significant_digits() {
        assert_eq!(p_value(0.000_2), "p<0.001");
        assert_eq!(p_value(1e-300), "p<0.001");
        assert_eq!(p_value(0.0), "p<0.001");
        assert_eq!(p_value(0.001), "p=0.001");
        assert_eq!(p_value(0.012_34), "p=0.012");
        assert_eq!(p_value(0.042), "p=0.042");
        assert_eq!(p_value(0.351), "p=0.35");
        assert_eq!(p_value(0.5), "p=0.5");
        assert_eq!(p_value(1.0), "p=1");
        assert_eq!(p_value(f64::NAN), "p=–");
        assert_eq!(opt_p_value(None), MISSING);
    }

    #[test]
    fn confidence_label_follows_the_setting() {
        assert_eq!(ci_label(0.95), "95 % CI");
        assert_eq!(ci_label(0.9), "90 % CI");
        assert_eq!(ci_label(0.99), "99 % CI");
        assert_eq!(ci_label(0.995), "99.5 % CI");
        assert_eq!(setting_percent(0.03), "3 %");
        assert_eq!(setting_percent(0.025), "2.5 %");
        assert_eq!(probability(0.975), "0.975");
        assert_eq!(probability(0.95), "0.95");
        assert_eq!(quantile(crate::stats::t_quantile(1.0, 0.975)), "12.71");
        assert_eq!(quantile(crate::stats::t_quantile(4.0, 0.975)), "2.78");
    }
}
