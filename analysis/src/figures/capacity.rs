//! The capacity-curve figure of a sweep (`sweep.json`): above, p50 (dashed) and p99
//! (solid) latency from the scheduled start against the achieved throughput, log y,
//! the SLO as a grey line and each stack's knee ringed; below, achieved against
//! offered throughput with the diagonal (every offered request answered) and each
//! knee as a dotted vertical line. Same colours, fonts and caption style as Figures 1–7.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::*;
use crate::capacity::{Point, StackSweep, SweepSummary};
use crate::registry::Registry;

/// The capacity figure's height (its width is [`WIDTH`]): two plots above each other.
pub const CAPACITY_HEIGHT: u32 = HEIGHT + 200;

/// Numbered after the bar and distribution figures, for error messages only.
const FIGURE: u8 = 20;

fn label(stack: &str) -> String {
    Registry::builtin().short_label_of(stack)
}

/// The points with a latency, in offered order.
fn curve(s: &StackSweep) -> Vec<&Point> {
    let mut pts: Vec<&Point> = s
        .points
        .iter()
        .filter(|p| p.p50_ms.is_finite() && p.p99_ms.is_finite() && p.p50_ms > 0.0)
        .collect();
    pts.sort_by_key(|p| p.offered);
    pts
}

/// Draw the capacity figure of `sweep` on `area`.
pub fn draw_capacity<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sweep: &SweepSummary,
) -> Result<()> {
    #[cfg(feature = "png")]
    register_font();
    let e = draw_err(FIGURE);
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let (upper, caption_area) = area.split_vertically(h.saturating_sub(58));
    let (header_area, plots) = upper.split_vertically(58);
    let title = format!("Capacity: {} at a constant arrival rate", sweep.request);
    let with_points: Vec<&StackSweep> = sweep
        .stacks
        .iter()
        .filter(|s| !curve(s).is_empty())
        .collect();
    if with_points.is_empty() {
        let note = format!("{title}: no step with a latency in this sweep");
        draw_no_data(&header_area, &note).map_err(&e)?;
        return Ok(());
    }
    let subtitle = format!(
        "run {} — SLO p99 ≤ {} ms, errors + dropped ≤ {}, steps of {} s",
        sweep.run_id,
        crate::format::ms(sweep.slo.p99_ms),
        crate::format::error_rate(sweep.slo.max_bad_share),
        crate::format::figure_label(sweep.step_seconds, Metric::ReqPerS),
    );
    draw_header(&header_area, w, &title, &subtitle).map_err(&e)?;
    let plot_h = plots.dim_in_pixel().1;
    let (lat_area, rate_area) = plots.split_vertically(plot_h * 3 / 5);

    let all = || with_points.iter().flat_map(|s| curve(s));
    let max_achieved = all().map(|p| p.achieved).fold(1.0f64, f64::max) * 1.1;
    let max_offered = all().map(|p| f64::from(p.offered)).fold(1.0f64, f64::max) * 1.05;
    let lat_lo = all().map(|p| p.p50_ms).fold(f64::INFINITY, f64::min) / 1.5;
    let lat_hi = all().map(|p| p.p99_ms).fold(sweep.slo.p99_ms, f64::max) * 1.5;
    let ms_label = |y: &f64| {
        if *y >= 10.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.1}")
        }
    };

    let mut lat = ChartBuilder::on(&lat_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .set_label_area_size(LabelAreaPosition::Left, 64)
        .set_label_area_size(LabelAreaPosition::Bottom, 40)
        .build_cartesian_2d(0.0..max_achieved, (lat_lo.max(0.01)..lat_hi).log_scale())
        .map_err(&e)?;
    lat.configure_mesh()
        .x_desc("achieved throughput (successful responses/s)")
        .y_desc("latency (ms, log scale)")
        .y_label_formatter(&ms_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 14).into_font().color(&INK))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(&e)?;
    lat.draw_series(LineSeries::new(
        [(0.0, sweep.slo.p99_ms), (max_achieved, sweep.slo.p99_ms)],
        PAPER_GREY.stroke_width(2),
    ))
    .map_err(&e)?
    .label(format!(
        "SLO: p99 {} ms",
        crate::format::ms(sweep.slo.p99_ms)
    ))
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], PAPER_GREY.stroke_width(2)));
    for &s in &with_points {
        let c = stack_colour(&s.stack);
        let pts = curve(s);
        let knee_text = format!("knee {}", s.knee_text(&sweep.slo));
        lat.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.achieved, p.p99_ms)),
            c.stroke_width(3),
        ))
        .map_err(&e)?
        .label(format!("{} p99 — {knee_text}", label(&s.stack)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3)));
        lat.draw_series(
            pts.iter()
                .map(|p| Circle::new((p.achieved, p.p99_ms), 3, c.filled())),
        )
        .map_err(&e)?;
        lat.draw_series(DashedLineSeries::new(
            pts.iter().map(|p| (p.achieved, p.p50_ms)),
            6,
            4,
            c.stroke_width(2),
        ))
        .map_err(&e)?
        .label(format!("{} p50", label(&s.stack)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.mix(0.6)));
        if let Some(k) = s.knee.and_then(|k| pts.iter().find(|p| p.offered == k)) {
            lat.draw_series([Circle::new((k.achieved, k.p99_ms), 9, c.stroke_width(3))])
                .map_err(&e)?;
        }
    }
    lat.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 12).into_font().color(&INK))
        .draw()
        .map_err(&e)?;

    let mut rate = ChartBuilder::on(&rate_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(10)
        .set_label_area_size(LabelAreaPosition::Left, 64)
        .set_label_area_size(LabelAreaPosition::Bottom, 40)
        .build_cartesian_2d(0.0..max_offered, 0.0..max_offered.max(max_achieved))
        .map_err(&e)?;
    rate.configure_mesh()
        .x_desc("offered rate (req/s)")
        .y_desc("achieved (responses/s)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 14).into_font().color(&INK))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(&e)?;
    rate.draw_series(LineSeries::new(
        [(0.0, 0.0), (max_offered, max_offered)],
        PAPER_GREY.stroke_width(1),
    ))
    .map_err(&e)?;
    let top = max_offered.max(max_achieved);
    for &s in &with_points {
        let c = stack_colour(&s.stack);
        let pts = curve(s);
        rate.draw_series(LineSeries::new(
            pts.iter().map(|p| (f64::from(p.offered), p.achieved)),
            c.stroke_width(2),
        ))
        .map_err(&e)?;
        rate.draw_series(
            pts.iter()
                .map(|p| Circle::new((f64::from(p.offered), p.achieved), 3, c.filled())),
        )
        .map_err(&e)?;
        if let Some(k) = s.knee {
            rate.draw_series(DashedLineSeries::new(
                [(f64::from(k), 0.0), (f64::from(k), top)],
                3,
                3,
                c.stroke_width(2),
            ))
            .map_err(&e)?;
        }
    }
    let lines = [
        "Latency from each request's scheduled start (no coordinated omission); one point per step, ringed: the knee, the highest offered rate whose p99 stays under the SLO".to_string(),
        "with errors + dropped iterations under the stated share, below every rate that failed. Below: achieved vs offered (grey: the diagonal), knees dotted.".to_string(),
    ];
    draw_caption(&caption_area, &lines).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(())
}

/// The capacity figure as an SVG document.
pub fn capacity_svg(sweep: &SweepSummary, width: u32, height: u32) -> Result<String> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_capacity(&area, sweep)?;
    }
    Ok(out)
}

/// The capacity figure as a PNG file's bytes.
#[cfg(feature = "png")]
pub fn capacity_png(sweep: &SweepSummary, width: u32, height: u32) -> Result<Vec<u8>> {
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_capacity(&area, sweep)?;
    }
    encode_png(&rgb, width, height, FIGURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::{Plan, Slo, knee};

    fn sweep_of(stacks: &[(&str, f64)]) -> SweepSummary {
        let slo = Slo {
            p99_ms: 100.0,
            max_bad_share: 0.01,
        };
        let stacks = stacks
            .iter()
            .map(|&(name, mu)| {
                let points: Vec<Point> = [50u32, 100, 200, 400, 300, 250]
                    .into_iter()
                    .map(|r| {
                        let l = f64::from(r);
                        let wait = (l - mu).max(0.0) * 10.0 / mu * 1000.0;
                        Point {
                            offered: r,
                            achieved: l.min(mu),
                            p50_ms: 5.0 + wait / 2.0,
                            p99_ms: 9.0 + wait,
                            requests: r as u64 * 10,
                            errors: 0,
                            dropped: 0,
                        }
                    })
                    .collect();
                StackSweep {
                    stack: name.into(),
                    knee: knee(&points, &slo),
                    points,
                    failure: None,
                }
            })
            .collect();
        SweepSummary {
            schema_version: 1,
            run_id: "test".into(),
            request: "hello".into(),
            slo,
            plan: Plan::Fixed(vec![50, 100, 200, 400, 300, 250]),
            step_seconds: 10.0,
            stacks,
        }
    }

    #[test]
    fn the_figure_names_each_stacks_knee_and_the_slo() {
        let sweep = sweep_of(&[("fastapi-sqlite3", 260.0), ("flask-sqlite3", 120.0)]);
        assert_eq!(sweep.stacks[0].knee, Some(250));
        assert_eq!(sweep.stacks[1].knee, Some(100));
        let svg = capacity_svg(&sweep, 960, 800).expect("drawn");
        assert!(
            svg.contains("knee 250 req/s offered"),
            "knee of the first stack"
        );
        assert!(
            svg.contains("knee 100 req/s offered"),
            "knee of the second stack"
        );
        assert!(svg.contains("SLO: p99 100.00 ms"));
        assert!(svg.contains("achieved vs offered"));
    }

    #[test]
    fn a_sweep_without_latencies_says_so() {
        let mut sweep = sweep_of(&[("flask-sqlite3", 100.0)]);
        sweep.stacks[0].points.clear();
        let svg = capacity_svg(&sweep, 960, 800).expect("drawn");
        assert!(svg.contains("no step with a latency"));
    }
}
