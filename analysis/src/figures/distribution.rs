//! The latency-distribution figures: one per latency scenario, each stack's ECDF on a
//! log-scale time axis with its repetitions faint behind the pooled curve. Drawn with
//! the same header, colours and no-data line as Figures 1–7 (the parent module).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::*;

/// The latency scenarios, which get a distribution figure each (Figures 3–7's scenarios).
pub fn distribution_scenarios() -> impl Iterator<Item = &'static str> {
    SCENARIOS
        .iter()
        .copied()
        .filter(|s| Metric::of_scenario(s) == Metric::MeanLatencyMs)
}

/// The distribution figure's title.
pub fn distribution_title(scenario: &str) -> String {
    format!("Latency distribution: {scenario}")
}

/// The latency distribution of `scenario`: per stack, the ECDF of all requests of its
/// included repetitions (thick) over each repetition's ECDF (faint), log-scale x in ms;
/// the legend gives the pooled median, p99 and the slowest 1 %'s share of the latency.
pub fn draw_distribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    scenario: &str,
) -> Result<()> {
    draw_distribution_view(area, summary, scenario, &FigureView::default())
}

/// [`draw_distribution`] for the stacks of `view` (its metric does not apply: the
/// distribution is of every successful request's response time).
pub fn draw_distribution_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    scenario: &str,
    view: &FigureView,
) -> Result<()> {
    #[cfg(feature = "png")]
    register_font();
    // Numbered after the seven bar figures, for error messages only.
    let figure = 8 + distribution_scenarios()
        .position(|s| s == scenario)
        .unwrap_or(0) as u8;
    let e = draw_err(figure);
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let (upper, caption_area) = area.split_vertically(h.saturating_sub(58));
    let (header_area, plot_area) = upper.split_vertically(58);
    let title = distribution_title(scenario);
    let cells: Vec<_> = summary
        .cells_of(scenario)
        .into_iter()
        .filter(|c| view.shows(&c.stack))
        .filter_map(|c| {
            let d = c.detail.as_ref()?;
            Some((c, d, d.distribution.as_ref()?))
        })
        .collect();
    if cells.is_empty() {
        let note = format!("{title}: no request latencies for `{scenario}` in this summary");
        draw_no_data(&header_area, &note).map_err(&e)?;
        return Ok(());
    }
    let all_x = cells.iter().flat_map(|(_, _, d)| {
        d.pooled
            .ms
            .iter()
            .chain(d.repetitions.iter().flat_map(|r| r.ecdf.ms.iter()))
            .copied()
    });
    let (lo, hi) = all_x
        .filter(|x| x.is_finite() && *x > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo / 1.2, hi * 1.2)
    } else {
        (0.01, 10_000.0)
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .set_label_area_size(LabelAreaPosition::Left, 64)
        .set_label_area_size(LabelAreaPosition::Bottom, 44)
        .build_cartesian_2d(
            (lo..hi)
                .log_scale()
                .with_key_points(log_ticks(lo, hi, &[1.0, 2.0, 5.0]))
                .with_light_points(log_ticks(
                    lo,
                    hi,
                    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                )),
            0.0f64..1.0,
        )
        .map_err(&e)?;
    chart
        .configure_mesh()
        .x_desc("response time (ms, log scale)")
        .y_desc("fraction of requests ≤ x")
        .x_label_formatter(&|x| {
            if *x >= 10.0 {
                format!("{x:.0}")
            } else if *x >= 1.0 {
                format!("{x:.1}")
            } else {
                format!("{x:.2}")
            }
        })
        .y_label_formatter(&|y| format!("{y:.1}"))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(&e)?;
    let run = summary
        .manifest
        .as_ref()
        .map(|m| m.run_id.as_str())
        .unwrap_or("run");
    let subtitle = format!("{scenario} — run {run}: ECDF of each stack's successful requests");
    draw_header(&header_area, w, &title, &subtitle).map_err(&e)?;
    let clip = |p: [f64; 2]| (p[0].max(lo), p[1]);
    for (c, d, dist) in &cells {
        let colour = stack_colour(&c.stack);
        for r in &dist.repetitions {
            chart
                .draw_series(LineSeries::new(
                    r.ecdf.points().map(clip),
                    colour.mix(0.3).stroke_width(1),
                ))
                .map_err(&e)?;
        }
        let pooled = d.pooled_latency;
        let label = format!(
            "{} — median {} ms, p99 {} ms, slowest 1 %: {} of the latency",
            summary.short_label(&c.stack),
            pooled
                .map(|l| crate::format::figure_label(l.median_ms, Metric::MeanLatencyMs))
                .unwrap_or_else(|| "–".into()),
            pooled
                .map(|l| crate::format::figure_label(l.p99_ms, Metric::MeanLatencyMs))
                .unwrap_or_else(|| "–".into()),
            crate::distribution::share_text(pooled.and_then(|l| l.slowest_1pct_share)),
        );
        chart
            .draw_series(LineSeries::new(
                dist.pooled.points().map(clip),
                colour.stroke_width(3),
            ))
            .map_err(&e)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], colour.stroke_width(3))
            });
    }
    // Upper left: where an ECDF never goes (many requests below a small time).
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 13).into_font().color(&INK))
        .draw()
        .map_err(&e)?;
    let reps: Vec<usize> = cells.iter().map(|(_, _, d)| d.repetitions.len()).collect();
    let n_reps = match (reps.iter().min(), reps.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "0".into(),
    };
    let lines = [
        format!(
            "Thick: all successful requests of the {n_reps} included repetition(s) pooled; faint: each repetition alone (the spread between repetitions)."
        ),
        "Median, p99 and the slowest 1 %'s share of the summed latency from all pooled requests; the curves are drawn through a few hundred exact ECDF points.".to_string(),
    ];
    draw_caption(&caption_area, &lines).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(())
}

/// The latency distribution of `scenario` as an SVG document.
pub fn distribution_svg(
    summary: &Summary,
    scenario: &str,
    width: u32,
    height: u32,
) -> Result<String> {
    distribution_svg_view(summary, scenario, &FigureView::default(), width, height)
}

/// The latency distribution of `scenario` for the stacks of `view`, as an SVG document.
pub fn distribution_svg_view(
    summary: &Summary,
    scenario: &str,
    view: &FigureView,
    width: u32,
    height: u32,
) -> Result<String> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_distribution_view(&area, summary, scenario, view)?;
    }
    Ok(out)
}

/// The latency scenarios whose distribution `summary` can draw.
pub fn distribution_scenarios_of(summary: &Summary) -> Vec<&'static str> {
    distribution_scenarios()
        .filter(|sc| summary.cell_has_distribution(sc))
        .collect()
}

/// Ticks of a log axis from `lo` to `hi`: each `multiples` × 10^k inside the range,
/// once each (plotters' own log key points repeat every decade's boundary, so "10"
/// was drawn twice on top of itself). With more than three decades, powers of ten only.
fn log_ticks(lo: f64, hi: f64, multiples: &[f64]) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let multiples: &[f64] = if k1 - k0 > 3 { &[1.0] } else { multiples };
    let mut out = Vec::new();
    for k in k0..=k1 {
        for m in multiples {
            let v = m * 10f64.powi(k);
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_ticks_are_each_value_once() {
        let t = super::log_ticks(0.8, 60.0, &[1.0, 2.0, 5.0]);
        assert_eq!(t, [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        let decades = super::log_ticks(0.01, 10_000.0, &[1.0, 2.0, 5.0]);
        assert_eq!(
            decades.len(),
            7,
            "more than three decades: powers of ten only"
        );
        assert!(super::log_ticks(0.0, 1.0, &[1.0]).is_empty());
    }
}
