//! Two runs compared as a dot-and-interval plot: per scenario × stack, the change from
//! A to B (percent of A) as a dot with its confidence interval, around a line at no
//! change. A consumer of [`crate::compare::Comparison`] only: the numbers are the
//! comparison table's. Purple = B better, orange = B worse (significant, filled);
//! grey hollow = not significant.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::compare::{Comparison, ComparisonRow};

const BETTER: RGBColor = RGBColor(84, 39, 136);
const WORSE: RGBColor = RGBColor(179, 88, 6);
const NEUTRAL: RGBColor = RGBColor(120, 120, 120);
const LABEL_W: i32 = 250;
const ROW_H: i32 = 24;
const HEAD_H: i32 = 58;
const AXIS_H: i32 = 34;
const FOOT_H: i32 = 48;
/// The plot's width in pixels.
pub const CHANGE_WIDTH: u32 = 900;

/// One line of the plot: a scenario's heading or a row.
enum Line<'a> {
    Scenario(&'a str),
    Row(&'a ComparisonRow),
}

/// The comparison's rows for the view's stacks and `scenarios` (`None` = all), grouped
/// under their scenario.
fn lines<'a>(
    cmp: &'a Comparison,
    view: &FigureView,
    scenarios: Option<&[String]>,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut last: Option<&str> = None;
    for r in &cmp.rows {
        if !view.shows(&r.stack) || scenarios.is_some_and(|s| !s.contains(&r.scenario)) {
            continue;
        }
        if last != Some(r.scenario.as_str()) {
            out.push(Line::Scenario(&r.scenario));
            last = Some(&r.scenario);
        }
        out.push(Line::Row(r));
    }
    out
}

/// A tick step for a span of `span` percent: 1, 2, 5 × 10^k, at most about 8 ticks.
fn tick_step(span: f64) -> f64 {
    let raw = (span / 8.0).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// The comparison `cmp` (A = baseline, B) as a dot-and-interval SVG document.
pub fn change_svg(
    cmp: &Comparison,
    view: &FigureView,
    scenarios: Option<&[String]>,
) -> Result<String> {
    let lines = lines(cmp, view, scenarios);
    let h = (HEAD_H + AXIS_H + ROW_H * lines.len().max(1) as i32 + FOOT_H) as u32;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (CHANGE_WIDTH, h)).into_drawing_area();
        draw_change(&area, cmp, &lines)?;
    }
    Ok(out)
}

fn draw_change<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cmp: &Comparison,
    lines: &[Line],
) -> Result<()> {
    let e = draw_err(30);
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let header = area.clone().shrink((0, 0), (w, HEAD_H as u32));
    let title = "Change from A to B per scenario and stack";
    let subtitle = format!("A: {} — B: {}", cmp.a, cmp.b);
    draw_header(&header, w, title, &subtitle).map_err(&e)?;
    let rows: Vec<&ComparisonRow> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(r) => Some(*r),
            Line::Scenario(_) => None,
        })
        .collect();
    let reach = rows
        .iter()
        .flat_map(|r| {
            [
                r.delta_percent,
                r.delta_ci_percent.map(|c| c.low),
                r.delta_ci_percent.map(|c| c.high),
            ]
        })
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if rows.is_empty() || reach == 0.0 && rows.iter().all(|r| r.delta_percent.is_none()) {
        draw_no_data(
            &area.clone().shrink((0, HEAD_H as u32), (w, 60)),
            "No change to draw: the two runs share no scenario × stack in this view",
        )
        .map_err(&e)?;
        return Ok(());
    }
    let reach = if reach > 0.0 { reach * 1.08 } else { 1.0 };
    let (x0, x1) = (LABEL_W + 10, w as i32 - 24);
    let px = |v: f64| x0 + ((v + reach) / (2.0 * reach) * f64::from(x1 - x0)).round() as i32;
    let top = HEAD_H + AXIS_H;
    let bottom = top + ROW_H * lines.len() as i32;
    let font = |size: u32, colour: RGBColor, hp: HPos| {
        (FONT, size)
            .into_font()
            .color(&colour)
            .pos(Pos::new(hp, VPos::Center))
    };
    // Ticks and grid, the no-change line darker.
    let step = tick_step(2.0 * reach);
    let mut t = -(reach / step).floor() * step;
    while t <= reach + 1e-9 {
        let x = px(t);
        let colour = if t.abs() < step * 1e-6 {
            INK
        } else {
            RGBColor(225, 225, 225)
        };
        area.draw(&PathElement::new(
            vec![(x, top - 4), (x, bottom)],
            colour.stroke_width(1),
        ))
        .map_err(&e)?;
        area.draw(&Text::new(
            crate::format::signed_percent(t),
            (x, top - 14),
            font(11, INK, HPos::Center),
        ))
        .map_err(&e)?;
        t += step;
    }
    for (i, line) in lines.iter().enumerate() {
        let y = top + ROW_H * i as i32 + ROW_H / 2;
        match line {
            Line::Scenario(s) => {
                area.draw(&Text::new(s.to_string(), (8, y), font(13, INK, HPos::Left)))
                    .map_err(&e)?;
            }
            Line::Row(r) => {
                let label = cmp
                    .short_labels
                    .get(&r.stack)
                    .map_or(r.stack.as_str(), String::as_str);
                area.draw(&Text::new(
                    label.to_string(),
                    (24, y),
                    font(12, INK, HPos::Left),
                ))
                .map_err(&e)?;
                let Some(d) = r.delta_percent.filter(|d| d.is_finite()) else {
                    area.draw(&Text::new(
                        "not in both runs",
                        (x0 + 4, y),
                        font(11, NEUTRAL, HPos::Left),
                    ))
                    .map_err(&e)?;
                    continue;
                };
                let colour = match (r.significant, r.b_better) {
                    (Some(true), Some(true)) => BETTER,
                    (Some(true), Some(false)) => WORSE,
                    _ => NEUTRAL,
                };
                if let Some(ci) = r.delta_ci_percent {
                    area.draw(&PathElement::new(
                        vec![(px(ci.low), y), (px(ci.high), y)],
                        colour.stroke_width(2),
                    ))
                    .map_err(&e)?;
                }
                let dot = (px(d), y);
                if r.significant == Some(true) {
                    area.draw(&Circle::new(dot, 5, colour.filled()))
                        .map_err(&e)?;
                } else {
                    area.draw(&Circle::new(dot, 5, WHITE.filled()))
                        .map_err(&e)?;
                    area.draw(&Circle::new(dot, 5, colour.stroke_width(2)))
                        .map_err(&e)?;
                }
                area.draw(&Text::new(
                    crate::format::signed_percent(d),
                    (LABEL_W, y),
                    font(12, INK, HPos::Right),
                ))
                .map_err(&e)?;
            }
        }
    }
    let lines = [
        format!(
            "Dot: (B − A) ÷ A in the scenario's metric; line: its {}. Filled: significant (α = {}), hollow: not.",
            crate::format::ci_label(cmp.confidence),
            cmp.alpha
        ),
        "Purple: B better (higher req/s, lower ms), orange: B worse, grey: no significant change."
            .to_string(),
    ];
    let caption = area.clone().shrink(
        (0, bottom as u32 + 6),
        (w, h.saturating_sub(bottom as u32 + 6)),
    );
    draw_caption(&caption, &lines).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(())
}
