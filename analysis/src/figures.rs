//! Figures 1–7 redrawn: one bar chart per scenario as in the paper (req/s for 1–2,
//! mean response time in ms for 3–7), one bar per stack with its confidence interval, the paper's
//! published value as a grey bar beside it, each repetition as a dot over its bar, and the
//! error rate noted where non-zero.
//!
//! [`draw_figure_view`] draws a figure for a [`FigureView`]: the metric shown (the
//! paper's by default, or one chosen in the viewer) and the
//! stacks drawn (see [`crate::shown`]). [`draw_figure`] is generic over the plotters backend: the browser draws SVG, the
//! runner draws SVG and PNG ([`png`], feature `png`, with DejaVu Sans embedded so no
//! system font library is needed).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{AnalysisError, Result};
use crate::paper::{Metric, SCENARIOS, figure_title};
pub use crate::shown::FigureView;
use crate::summary::{CiMethod, Source, Summary};

mod capacity;
mod change;
mod distribution;
mod flame;
mod hits;
mod matrix;
mod tuned;
pub use capacity::*;
pub use change::*;
pub use distribution::*;
pub use flame::*;
pub use hits::BarHit;
pub use matrix::*;
pub use tuned::*;

/// Default figure size in pixels.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 600;

const FONT: &str = "sans-serif";

/// One colour per stack, in the paper's stack order (FastAPI teal, Flask blue, Django green).
/// One colour per registered stack, by its place in the registry (so a stack keeps its
/// colour in every run and figure): the paper's five first (FastAPI teals, Flask blues,
/// Django green, as before), then Paul Tol's "muted" scheme, made to stay apart for
/// colour-blind readers. A stack past the palette, or not registered, is [`OTHER`].
const PALETTE: [RGBColor; 12] = [
    RGBColor(0, 121, 107),
    RGBColor(38, 166, 154),
    RGBColor(30, 90, 160),
    RGBColor(100, 149, 237),
    RGBColor(46, 125, 50),
    RGBColor(204, 102, 119),
    RGBColor(221, 204, 119),
    RGBColor(170, 68, 153),
    RGBColor(153, 153, 51),
    RGBColor(51, 34, 136),
    RGBColor(136, 34, 85),
    RGBColor(68, 170, 153),
];
const OTHER: RGBColor = RGBColor(120, 120, 120);
const PAPER_GREY: RGBColor = RGBColor(190, 190, 190);
const INK: RGBColor = RGBColor(33, 33, 33);
const ERROR_RED: RGBColor = RGBColor(183, 28, 28);
/// The repetitions' dots over a bar.
const DOT: RGBAColor = RGBAColor(20, 20, 20, 0.75);

/// A stack's colour: its place in the run's stack order (the sixth colour for any
/// stack beyond five or unknown).
/// About how wide one character of an axis label is, in pixels (14 px DejaVu Sans).
const LABEL_CHAR_PX: u32 = 8;

/// An axis label on two lines: before " (" and from it (`Flask+sqlite3` / `(Granian)`),
/// else after the first "+" (`FastAPI+` / `async SQLAlchemy`), else one line.
fn split_label(label: &str) -> Vec<String> {
    if let Some(i) = label.find(" (") {
        return vec![label[..i].to_string(), label[i + 1..].to_string()];
    }
    if let Some(i) = label.find('+') {
        return vec![label[..=i].to_string(), label[i + 1..].to_string()];
    }
    vec![label.to_string()]
}

fn stack_colour(stack: &str) -> RGBColor {
    crate::registry::Registry::builtin()
        .stacks()
        .iter()
        .position(|s| s.name == stack)
        .and_then(|i| PALETTE.get(i).copied())
        .unwrap_or(OTHER)
}

/// A figure's title and subtitle, centred in its header band.
fn draw_header<DB: DrawingBackend>(
    header: &DrawingArea<DB, Shift>,
    width: u32,
    title: &str,
    subtitle: &str,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    header.draw(&Text::new(
        title,
        (width as i32 / 2, 8),
        (FONT, 22)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    header.draw(&Text::new(
        subtitle,
        (width as i32 / 2, 38),
        (FONT, 13)
            .into_font()
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
}

/// The line a figure shows instead of its chart when it has nothing to draw.
fn draw_no_data<DB: DrawingBackend>(
    header: &DrawingArea<DB, Shift>,
    note: &str,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    header.draw(&Text::new(
        note,
        (20, 40),
        (FONT, 18).into_font().color(&INK),
    ))
}

/// The caption lines under a figure, one every 22 px.
fn draw_caption<DB: DrawingBackend>(
    caption_area: &DrawingArea<DB, Shift>,
    lines: &[String],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (k, line) in lines.iter().enumerate() {
        caption_area.draw(&Text::new(
            line.clone(),
            (16, 6 + 22 * k as i32),
            (FONT, 13).into_font().color(&RGBColor(70, 70, 70)),
        ))?;
    }
    Ok(())
}

fn draw_err<E: std::fmt::Debug>(figure: u8) -> impl Fn(E) -> AnalysisError {
    move |e| AnalysisError::Draw {
        figure,
        detail: format!("{e:?}"),
    }
}

/// Draw Figure `figure` (1..=7) of `summary` onto `area`, as in the paper.
pub fn draw_figure<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    figure: u8,
) -> Result<()> {
    draw_figure_view(area, summary, figure, &FigureView::default())
}

/// The scenario of Figure `figure` (1..=7).
fn scenario_of(figure: u8) -> Result<&'static str> {
    if !(1..=7).contains(&figure) {
        return Err(AnalysisError::NoSuchFigure(figure));
    }
    Ok(SCENARIOS[figure as usize - 1])
}

/// The figure's heading in the viewer: its scenario and what the bars show.
pub fn figure_heading(figure: u8, view: &FigureView) -> Result<String> {
    let scenario = scenario_of(figure)?;
    let natural = Metric::of_scenario(scenario);
    Ok(format!("{scenario}: {}", view.metric.axis_label(natural)))
}

/// The figure's text alternative: each drawn stack with its value and unit.
pub fn figure_alt(summary: &Summary, figure: u8, view: &FigureView) -> Result<String> {
    let scenario = scenario_of(figure)?;
    let bars = view.bars(summary, scenario);
    if bars.is_empty() {
        return Ok("no data".to_string());
    }
    Ok(bars
        .iter()
        .map(|(c, b)| {
            format!(
                "{} {} {}",
                summary.label(&c.stack),
                crate::format::figure_label(b.value, b.metric.unit_metric()),
                b.metric.unit()
            )
        })
        .collect::<Vec<_>>()
        .join("; "))
}

/// Draw Figure `figure` (1..=7) of `summary` onto `area` for `view`: the bars, CIs,
/// axis label and caption of the shown metric; the paper's grey bars only when it is
/// the paper's own metric.
pub fn draw_figure_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    figure: u8,
    view: &FigureView,
) -> Result<()> {
    draw_figure_bars(area, summary, figure, view).map(|_| ())
}

/// [`draw_figure_view`], returning each drawn bar's hit box and tooltip texts.
pub fn draw_figure_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    figure: u8,
    view: &FigureView,
) -> Result<Vec<BarHit>> {
    let scenario = scenario_of(figure)?;
    #[cfg(feature = "png")]
    register_font();
    let e = draw_err(figure);
    let natural = Metric::of_scenario(scenario);
    let papers = view.metric.is_papers(natural);
    // Numbers are written in the unit of the metric shown.
    let metric = view.metric.resolve(natural).unit_metric();
    let cells = view.bars(summary, scenario);
    let is_run = summary.source == Source::Run;
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let (upper, caption_area) = area.split_vertically(h.saturating_sub(58));
    let (header_area, plot_area) = upper.split_vertically(58);

    let title = format!("Figure {figure}: {}", figure_title(figure));
    let subtitle = if is_run {
        let run = summary
            .manifest
            .as_ref()
            .map(|m| m.run_id.as_str())
            .unwrap_or("run");
        format!("{scenario} — reproduced ({run}) vs published (Bednarz & Miłosz 2025)")
    } else {
        format!("{scenario} — published values (Bednarz & Miłosz 2025), no run loaded")
    };

    if cells.is_empty() {
        let note = format!("{title}: no data for scenario `{scenario}` in this run");
        draw_no_data(&header_area, &note).map_err(&e)?;
        return Ok(Vec::new());
    }

    let n = cells.len();
    let top = cells
        .iter()
        .flat_map(|(_, b)| {
            [Some(b.value), b.ci.map(|ci| ci.high), b.published]
                .into_iter()
                .flatten()
                .chain(b.values.iter().copied())
        })
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.22 } else { 1.0 };
    let labels: Vec<String> = cells
        .iter()
        .map(|(c, _)| summary.short_label(&c.stack).to_string())
        .collect();
    // Labels that would not fit their bar's slot on one line (many stacks) go on two
    // lines, drawn under each bar below; with the paper's five they stay on one.
    let slot = w.saturating_sub(114) / n as u32;
    let two_lines = labels
        .iter()
        .any(|l| l.chars().count() as u32 * LABEL_CHAR_PX > slot);

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .set_label_area_size(LabelAreaPosition::Left, 78)
        .set_label_area_size(LabelAreaPosition::Bottom, if two_lines { 48 } else { 40 })
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0f64..y_max)
        .map_err(&e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if !two_lines && (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .y_desc(view.metric.axis_label(natural))
        .y_label_formatter(&|y| {
            if metric == Metric::ReqPerS || y_max >= 20.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.1}")
            }
        })
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(&e)?;

    if two_lines {
        let base = plot_area.get_base_pixel();
        let style = (FONT, 13)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, label) in labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(i as f64, 0.0));
            for (k, line) in split_label(label).iter().enumerate() {
                plot_area
                    .draw(&Text::new(
                        line.clone(),
                        (x - base.0, y - base.1 + 6 + 16 * k as i32),
                        style.clone(),
                    ))
                    .map_err(&e)?;
            }
        }
    }
    draw_header(&header_area, w, &title, &subtitle).map_err(&e)?;

    let with_paper = is_run && cells.iter().any(|(_, b)| b.published.is_some());
    // Main bar: left part of the slot when a published bar stands beside it.
    let (bar_l, bar_r) = if with_paper {
        (-0.36, 0.10)
    } else {
        (-0.28, 0.28)
    };
    let (pub_l, pub_r) = (0.14, 0.34);
    let axis_label = view.metric.axis_label(natural);
    let mut hits = Vec::with_capacity(n);

    for (i, (c, b)) in cells.iter().enumerate() {
        let x = i as f64;
        // The whole column is the bar's hit box (a short bar stays easy to point at).
        let (x0, y0) = chart.backend_coord(&(x - 0.45, y_max));
        let (x1, y1) = chart.backend_coord(&(x + 0.45, 0.0));
        hits.push(hits::bar_hit(
            summary,
            c,
            b,
            axis_label,
            (x0, y0, x1 - x0, y1 - y0),
        ));
        let colour = if is_run {
            stack_colour(&c.stack)
        } else {
            PAPER_GREY
        };
        let v = b.value;
        if !v.is_finite() {
            continue;
        }
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x + bar_l, 0.0), (x + bar_r, v)],
                colour.filled(),
            )))
            .map_err(&e)?;
        let mid = x + (bar_l + bar_r) / 2.0;
        let mut label_top = v;
        if let Some(ci) = b.ci.filter(|ci| ci.high > ci.low) {
            let cap = (bar_r - bar_l) * 0.25;
            let style = INK.stroke_width(2);
            // A whisker below zero (a wide t interval) stops at the axis, without a cap.
            let low = ci.low.max(0.0);
            let mut whisker = vec![
                PathElement::new(vec![(mid, low), (mid, ci.high)], style),
                PathElement::new(vec![(mid - cap, ci.high), (mid + cap, ci.high)], style),
            ];
            if ci.low > 0.0 {
                whisker.push(PathElement::new(
                    vec![(mid - cap, low), (mid + cap, low)],
                    style,
                ));
            }
            chart.draw_series(whisker).map_err(&e)?;
            label_top = label_top.max(ci.high);
        }
        // Every repetition as a dot over its bar, spread across the bar's middle.
        let dots: Vec<f64> = b.values.iter().copied().filter(|v| v.is_finite()).collect();
        let spread = (bar_r - bar_l) * 0.6;
        chart
            .draw_series(dots.iter().enumerate().map(|(k, &d)| {
                let dx = spread * ((k as f64 + 0.5) / dots.len() as f64 - 0.5);
                Circle::new((mid + dx, d), 3, DOT.filled())
            }))
            .map_err(&e)?;
        label_top = dots.iter().copied().fold(label_top, f64::max);
        let prefix = if c.published_approximate && !is_run {
            "~"
        } else {
            ""
        };
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{prefix}{}", crate::format::figure_label(v, metric)),
                (mid, label_top + y_max * 0.012),
                (FONT, 13)
                    .into_font()
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))
            .map_err(&e)?;
        if c.error_rate > 0.0 {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("errors {}", crate::format::error_rate(c.error_rate)),
                    (mid, label_top + y_max * 0.055),
                    (FONT, 12)
                        .into_font()
                        .color(&ERROR_RED)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))
                .map_err(&e)?;
        }
        if with_paper && let Some(p) = b.published {
            chart
                .draw_series([
                    Rectangle::new([(x + pub_l, 0.0), (x + pub_r, p)], PAPER_GREY.filled()),
                    Rectangle::new(
                        [(x + pub_l, 0.0), (x + pub_r, p)],
                        RGBColor(120, 120, 120).stroke_width(1),
                    ),
                ])
                .map_err(&e)?;
            let approx = if c.published_approximate { "~" } else { "" };
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{approx}{}", crate::format::figure_label(p, metric)),
                    (x + (pub_l + pub_r) / 2.0, p + y_max * 0.012),
                    (FONT, 11)
                        .into_font()
                        .color(&RGBColor(110, 110, 110))
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))
                .map_err(&e)?;
        }
    }

    // Caption lines under the chart: what the bars and whiskers are.
    let reps: Vec<u32> = cells
        .iter()
        .filter_map(|(c, _)| c.detail.as_ref().map(|d| d.included_repetitions))
        .collect();
    let n_reps = match (reps.iter().min(), reps.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "0".into(),
    };
    let ci = crate::format::ci_label(summary.settings.confidence);
    let method = if cells
        .iter()
        .any(|(_, b)| b.ci_method == CiMethod::Bootstrap)
    {
        format!("{ci} (Student t over repetitions; bootstrap over requests where one repetition)")
    } else {
        format!("{ci} (Student t over repetitions)")
    };
    let line1 = if is_run && !papers {
        format!(
            "Coloured bars: this run, mean of {n_reps} repetition(s) (dots: each one), whiskers {method}."
        )
    } else if is_run {
        format!(
            "Coloured bars: this run, mean of {n_reps} repetition(s) (dots: each one), whiskers {method}. Grey bars: the paper's published value."
        )
    } else {
        "Grey bars: the values the paper reports in §4 (~ marks an approximate value). Load a run to compare.".to_string()
    };
    let line2 = match natural {
        _ if !papers => view.metric.resolve(natural).caption(),
        Metric::ReqPerS => {
            "req/s = completed requests ÷ the scenario's active time. Error rates above the bars where non-zero."
        }
        Metric::MeanLatencyMs => {
            "Mean of k6 http_req_duration over successful requests; failed requests excluded (error rate above the bar)."
        }
    };
    draw_caption(&caption_area, &[line1, line2.to_string()]).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(hits)
}

/// Figure `figure` as an SVG document, as in the paper.
pub fn svg(summary: &Summary, figure: u8, width: u32, height: u32) -> Result<String> {
    svg_view(summary, figure, &FigureView::default(), width, height)
}

/// Figure `figure` as an SVG document, for `view`.
pub fn svg_view(
    summary: &Summary,
    figure: u8,
    view: &FigureView,
    width: u32,
    height: u32,
) -> Result<String> {
    svg_view_bars(summary, figure, view, width, height).map(|(svg, _)| svg)
}

/// Figure `figure` as an SVG document for `view`, with its bars' hit boxes (in the
/// SVG's pixels) and tooltip texts.
pub fn svg_view_bars(
    summary: &Summary,
    figure: u8,
    view: &FigureView,
    width: u32,
    height: u32,
) -> Result<(String, Vec<BarHit>)> {
    let mut out = String::new();
    let hits = {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_figure_bars(&area, summary, figure, view)?
    };
    Ok((out, hits))
}

/// The embedded font (DejaVu Sans, licence in `analysis/assets/DejaVuSans-LICENSE.txt`).
#[cfg(feature = "png")]
pub static FONT_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Register the embedded font with plotters as `sans-serif` (once; idempotent).
#[cfg(feature = "png")]
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is a valid TrueType file compiled in; a failure would show as a
        // drawing error naming the missing font.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_TTF);
    });
}

/// Figure `figure` as a PNG file's bytes.
#[cfg(feature = "png")]
pub fn png(summary: &Summary, figure: u8, width: u32, height: u32) -> Result<Vec<u8>> {
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_figure(&area, summary, figure)?;
    }
    encode_png(&rgb, width, height, figure)
}

/// An RGB buffer drawn by plotters as a PNG file's bytes.
#[cfg(feature = "png")]
fn encode_png(rgb: &[u8], width: u32, height: u32, figure: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut out, width, height);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let err = |e: ::png::EncodingError| AnalysisError::Draw {
            figure,
            detail: e.to_string(),
        };
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(rgb).map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_axis_label_splits_before_its_parenthesis_or_after_its_plus() {
        assert_eq!(
            super::split_label("Flask+sqlite3 (Granian)"),
            ["Flask+sqlite3", "(Granian)"]
        );
        assert_eq!(
            super::split_label("FastAPI+async SQLAlchemy"),
            ["FastAPI+", "async SQLAlchemy"]
        );
        assert_eq!(super::split_label("Django"), ["Django"]);
    }
}
