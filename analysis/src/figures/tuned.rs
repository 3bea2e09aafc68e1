//! The tuned Figures 1–2 of a peak-configuration run (`peak.json`): per stack two
//! bars, the campaign's fixed configuration (grey, the paper's setting) and the best
//! point of the grid (the stack's colour), each with its t interval, its rounds as
//! dots and its configuration printed under it. Same colours, fonts, header and
//! caption as Figures 1–7.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::paper::{Metric, figure_of, figure_title};
use crate::peak::{PeakCell, PeakSummary, StackPeak};
use crate::registry::Registry;

/// Numbered after the capacity figure, for error messages only.
const FIGURE: u8 = 21;

fn short_label(stack: &str) -> String {
    Registry::builtin().short_label_of(stack)
}

/// The figure title of `scenario`: the paper's Figure n with "tuned".
pub fn tuned_title(scenario: &str) -> String {
    match figure_of(scenario) {
        Some(n) => format!("Figure {n} tuned: {}", figure_title(n)),
        None => format!("Tuned: {scenario}"),
    }
}

/// A bar: its configuration's label and its cell.
type Bar<'a> = Option<(&'a str, &'a PeakCell)>;

/// A stack's fixed and best cells in `scenario`, with their labels.
fn bars<'a>(s: &'a StackPeak, scenario: &str) -> [Bar<'a>; 2] {
    let fixed = s.fixed.as_ref().and_then(|f| {
        let p = s.points.iter().find(|p| &p.config == f)?;
        Some((p.label.as_str(), p.cell(scenario)?))
    });
    let best = s
        .best_point(scenario)
        .and_then(|p| Some((p.label.as_str(), p.cell(scenario)?)));
    [fixed, best]
}

/// Draw the tuned figure of `scenario` on `area`.
pub fn draw_tuned<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    peak: &PeakSummary,
    scenario: &str,
) -> Result<()> {
    #[cfg(feature = "png")]
    register_font();
    let e = draw_err(FIGURE);
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let (upper, caption_area) = area.split_vertically(h.saturating_sub(58));
    let (header_area, plot_area) = upper.split_vertically(58);
    let title = tuned_title(scenario);
    let stacks: Vec<(&StackPeak, [Bar; 2])> = peak
        .stacks
        .iter()
        .map(|s| (s, bars(s, scenario)))
        .filter(|(_, b)| b.iter().any(Option::is_some))
        .collect();
    if stacks.is_empty() {
        let note = format!("{title}: no grid point measured `{scenario}` in this run");
        draw_no_data(&header_area, &note).map_err(&e)?;
        return Ok(());
    }
    let subtitle = format!(
        "{scenario}, req/s — run {}: each stack at the campaign's configuration (grey) and at its best grid point",
        peak.run_id
    );
    let n = stacks.len();
    let top = stacks
        .iter()
        .flat_map(|(_, b)| b.iter().flatten())
        .flat_map(|&(_, c)| {
            c.mean
                .into_iter()
                .chain(c.ci.map(|i| i.high))
                .chain(c.values.iter().copied())
        })
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.2 } else { 1.0 };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .set_label_area_size(LabelAreaPosition::Left, 78)
        .set_label_area_size(LabelAreaPosition::Bottom, 76)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0f64..y_max)
        .map_err(&e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|_| String::new())
        .y_desc("requests per second (higher is better)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(&e)?;
    draw_header(&header_area, w, &title, &subtitle).map_err(&e)?;

    let base = plot_area.get_base_pixel();
    let centre = |style: TextStyle<'static>| style.pos(Pos::new(HPos::Center, VPos::Top));
    let small = centre((FONT, 12).into_font().color(&INK));
    let name = centre((FONT, 14).into_font().color(&INK));
    for (i, (s, pair)) in stacks.iter().enumerate() {
        let x = i as f64;
        let colour = stack_colour(&s.stack);
        for (k, bar) in pair.iter().enumerate() {
            let Some((label, cell)) = bar else {
                continue;
            };
            let (l, r) = if k == 0 {
                (x - 0.38, x - 0.02)
            } else {
                (x + 0.02, x + 0.38)
            };
            let mid = (l + r) / 2.0;
            let fill = if k == 0 { PAPER_GREY } else { colour };
            if let Some(m) = cell.mean.filter(|m| m.is_finite()) {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(l, 0.0), (r, m)],
                        fill.filled(),
                    )))
                    .map_err(&e)?;
                if let Some(ci) = cell.ci {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(mid, ci.low), (mid, ci.high)],
                            INK.stroke_width(2),
                        )))
                        .map_err(&e)?;
                    for y in [ci.low, ci.high] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(mid - 0.05, y), (mid + 0.05, y)],
                                INK.stroke_width(2),
                            )))
                            .map_err(&e)?;
                    }
                }
                chart
                    .draw_series(
                        cell.values
                            .iter()
                            .map(|&v| Circle::new((mid, v), 3, DOT.filled())),
                    )
                    .map_err(&e)?;
                let above = cell.ci.map_or(m, |c| c.high.max(m));
                let (px, py) = chart.backend_coord(&(mid, above));
                plot_area
                    .draw(&Text::new(
                        crate::format::figure_label(m, Metric::ReqPerS),
                        (px - base.0, py - base.1 - 18),
                        small.clone(),
                    ))
                    .map_err(&e)?;
            }
            // The configuration under its bar, on two lines (`w2t2` over `gthread`):
            // side by side, two bars' one-line labels would run into each other.
            let (px, py) = chart.backend_coord(&(mid, 0.0));
            let (size, class) = label.split_once('-').unwrap_or((label, ""));
            for (line, dy) in [(size, 6), (class, 20)] {
                plot_area
                    .draw(&Text::new(
                        line.to_string(),
                        (px - base.0, py - base.1 + dy),
                        small.clone(),
                    ))
                    .map_err(&e)?;
            }
        }
        let (px, py) = chart.backend_coord(&(x, 0.0));
        plot_area
            .draw(&Text::new(
                short_label(&s.stack),
                (px - base.0, py - base.1 + 40),
                name.clone(),
            ))
            .map_err(&e)?;
    }
    let lines = [
        format!(
            "Grey: the campaign's fixed configuration; coloured: the grid point with the highest mean req/s (errors <= {}). Bars: mean over {} interleaved round(s);",
            crate::format::setting_percent(crate::peak::MAX_ERROR_SHARE),
            peak.rounds
        ),
        format!(
            "whiskers: {} (t, over the rounds); dots: rounds. Under each bar: w = workers, t = threads per worker, then the worker class.",
            crate::format::ci_label(peak.confidence)
        ),
    ];
    draw_caption(&caption_area, &lines).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(())
}

/// The file name of a scenario's tuned figure in a peak run's `report/`, `ext` "svg" or
/// "png".
pub fn tuned_file(scenario: &str, ext: &str) -> String {
    format!("tuned-{scenario}.{ext}")
}

/// The tuned figure of `scenario` as an SVG document.
pub fn tuned_svg(peak: &PeakSummary, scenario: &str, width: u32, height: u32) -> Result<String> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_tuned(&area, peak, scenario)?;
    }
    Ok(out)
}

/// The tuned figure of `scenario` as a PNG file's bytes.
#[cfg(feature = "png")]
pub fn tuned_png(peak: &PeakSummary, scenario: &str, width: u32, height: u32) -> Result<Vec<u8>> {
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_tuned(&area, peak, scenario)?;
    }
    encode_png(&rgb, width, height, FIGURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peak::{PeakBest, PeakPoint, ServerConfig};
    use crate::stats::t_interval;

    fn point(class: &str, w: u32, t: Option<u32>, values: &[f64]) -> PeakPoint {
        let config = ServerConfig {
            class: class.into(),
            workers: w,
            threads: t,
        };
        PeakPoint {
            label: config.label(),
            config,
            failures: Vec::new(),
            cells: vec![PeakCell {
                scenario: "hello".into(),
                mean: Some(crate::stats::mean(values)),
                ci: t_interval(values, 0.95),
                values: values.to_vec(),
                requests: 1000,
                errors: 0,
            }],
        }
    }

    #[test]
    fn each_bar_has_its_configuration_under_it() {
        let fixed = point("gthread", 2, Some(2), &[2800.0, 2900.0]);
        let peak = PeakSummary {
            schema_version: 1,
            run_id: "test-run".into(),
            scenarios: vec!["hello".into()],
            rounds: 2,
            confidence: 0.95,
            cores: 2,
            stacks: vec![StackPeak {
                stack: "flask-sqlite3".into(),
                fixed: Some(fixed.config.clone()),
                points: vec![
                    fixed,
                    point("gthread", 4, Some(1), &[3300.0, 3400.0]),
                    point("sync", 2, None, &[3000.0, 3100.0]),
                ],
                // As `summarize_peak` records it: the figure draws this point as the best.
                best: vec![PeakBest {
                    scenario: "hello".into(),
                    best: Some("w4t1-gthread".into()),
                    fixed: Some("w2t2-gthread".into()),
                    change: None,
                    overlaps_fixed: None,
                }],
            }],
        };
        let svg = tuned_svg(&peak, "hello", 960, 600).expect("drawn");
        assert!(svg.contains("Figure 1 tuned"), "title");
        assert!(svg.contains("\nw2t2\n"), "fixed label");
        assert!(svg.contains("\nw4t1\n"), "best label");
        assert!(svg.contains("\ngthread\n"), "the class on its own line");
        assert!(!svg.contains("w2-sync"), "only fixed and best are drawn");
        assert!(svg.contains("\n3350\n"), "best value");
        let none = tuned_svg(&peak, "echo", 960, 600).expect("drawn");
        assert!(none.contains("no grid point measured"));
    }
}
