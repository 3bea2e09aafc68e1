//! The pairwise comparisons as one matrix per scenario: stacks × stacks, each cell the
//! row's stack against the column's (the change of the scenario's metric, row vs
//! column), coloured on a colour-blind-safe diverging scale (ColorBrewer PuOr: purple
//! = the row is better, orange = worse) and marked where the repetition-level test is
//! significant. The same numbers as the pairwise table (`summary.pairwise`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::summary::PairwiseSummary;

/// ColorBrewer PuOr ends and middle (colour-blind safe).
const BETTER: RGBColor = RGBColor(84, 39, 136);
const WORSE: RGBColor = RGBColor(179, 88, 6);
const MIDDLE: RGBColor = RGBColor(247, 247, 247);
/// A ratio of this much (or more) between the two stacks gets the full colour.
const FULL_COLOUR_RATIO: f64 = 3.0;

/// The scenarios with pairwise comparisons in `summary`, in the paper's order.
pub fn pairwise_scenarios_of(summary: &Summary) -> Vec<&'static str> {
    SCENARIOS
        .iter()
        .copied()
        .filter(|s| summary.pairwise.iter().any(|p| p.scenario == *s))
        .collect()
}

/// The matrix's size for `k` stacks: (width, height) in pixels.
pub fn pairwise_size(k: usize) -> (u32, u32) {
    let k = k.max(1) as u32;
    (
        LABEL_W + CELL * k + 16,
        HEAD_H + TOP_H + CELL_H * k + FOOT_H,
    )
}

const LABEL_W: u32 = 160;
const CELL: u32 = 100;
const CELL_H: u32 = 56;
const HEAD_H: u32 = 58;
const TOP_H: u32 = 44;
const FOOT_H: u32 = 70;

/// One cell of the matrix: the row vs the column.
struct Entry<'a> {
    pair: &'a PairwiseSummary,
    /// Row vs column, percent: (row − column) ÷ column.
    change: f64,
}

fn entry<'a>(pairs: &'a [&'a PairwiseSummary], row: &str, col: &str) -> Option<Entry<'a>> {
    pairs.iter().find_map(|p| {
        if p.a == row && p.b == col {
            Some(Entry {
                pair: p,
                change: p.diff_percent,
            })
        } else if p.a == col && p.b == row {
            // (b − a) ÷ a from (a − b) ÷ b.
            Some(Entry {
                pair: p,
                change: (1.0 / (1.0 + p.diff_percent / 100.0) - 1.0) * 100.0,
            })
        } else {
            None
        }
    })
}

fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The colour of a change (percent, row vs column) of a metric: by how much better the
/// row is, on a log scale, saturating at [`FULL_COLOUR_RATIO`]. Returns the fill and
/// whether its text should be white.
fn colour_of(change: f64, metric: Metric) -> (RGBColor, bool) {
    let ratio = 1.0 + change / 100.0;
    if !(ratio.is_finite() && ratio > 0.0) {
        return (MIDDLE, false);
    }
    let better = if metric.higher_is_better() {
        ratio.ln()
    } else {
        -ratio.ln()
    };
    let t = (better / FULL_COLOUR_RATIO.ln()).clamp(-1.0, 1.0);
    let end = if t >= 0.0 { BETTER } else { WORSE };
    (mix(MIDDLE, end, t.abs()), t.abs() > 0.55)
}

/// The matrix of `scenario` for the view's stacks, as an SVG document.
pub fn pairwise_svg(summary: &Summary, scenario: &str, view: &FigureView) -> Result<String> {
    let stacks: Vec<&str> = summary
        .stacks
        .iter()
        .map(String::as_str)
        .filter(|s| view.shows(s))
        .filter(|s| {
            summary
                .pairwise
                .iter()
                .any(|p| p.scenario == scenario && (p.a == *s || p.b == *s))
        })
        .collect();
    let (w, h) = pairwise_size(stacks.len());
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw_pairwise(&area, summary, scenario, &stacks)?;
    }
    Ok(out)
}

fn draw_pairwise<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    scenario: &str,
    stacks: &[&str],
) -> Result<()> {
    let e = draw_err(20);
    area.fill(&WHITE).map_err(&e)?;
    let (w, h) = area.dim_in_pixel();
    let metric = Metric::of_scenario(scenario);
    let title = format!("Pairwise: {scenario}");
    let subtitle = format!("{}, row vs column", metric.label());
    let header = area.clone().shrink((0, 0), (w, HEAD_H));
    draw_header(&header, w, &title, &subtitle).map_err(&e)?;
    let pairs: Vec<&PairwiseSummary> = summary
        .pairwise
        .iter()
        .filter(|p| p.scenario == scenario)
        .collect();
    if stacks.len() < 2 {
        let note = format!("{title}: fewer than two stacks to compare");
        draw_no_data(&area.clone().shrink((0, HEAD_H), (w, 60)), &note).map_err(&e)?;
        return Ok(());
    }
    let text = |size: u32, colour: RGBColor, h: HPos| {
        (FONT, size)
            .into_font()
            .color(&colour)
            .pos(Pos::new(h, VPos::Center))
    };
    let top = (HEAD_H + TOP_H) as i32;
    let left = LABEL_W as i32;
    let (cw, ch) = (CELL as i32, CELL_H as i32);
    for (j, col) in stacks.iter().enumerate() {
        // A long label breaks before its '+' (`FastAPI` / `+SQLAlchemy`).
        let label = summary.short_label(col);
        let (first, second) = match label.find('+') {
            Some(k) if k > 0 => (&label[..k], &label[k..]),
            _ => (label, ""),
        };
        let x = left + cw * j as i32 + cw / 2;
        for (k, line) in [first, second].iter().enumerate() {
            area.draw(&Text::new(
                line.to_string(),
                (x, HEAD_H as i32 + 12 + 16 * k as i32),
                text(12, INK, HPos::Center),
            ))
            .map_err(&e)?;
        }
    }
    for (i, row) in stacks.iter().enumerate() {
        let y = top + ch * i as i32;
        area.draw(&Text::new(
            summary.short_label(row).to_string(),
            (left - 8, y + ch / 2),
            text(12, INK, HPos::Right),
        ))
        .map_err(&e)?;
        for (j, col) in stacks.iter().enumerate() {
            let x = left + cw * j as i32;
            let cell = [(x + 1, y + 1), (x + cw - 1, y + ch - 1)];
            let mid = (x + cw / 2, y + ch / 2);
            if i == j {
                area.draw(&Rectangle::new(cell, RGBColor(225, 225, 225).filled()))
                    .map_err(&e)?;
                continue;
            }
            let Some(en) = entry(&pairs, row, col) else {
                area.draw(&Rectangle::new(cell, WHITE.filled()))
                    .map_err(&e)?;
                area.draw(&Text::new(
                    crate::format::MISSING,
                    mid,
                    text(13, INK, HPos::Center),
                ))
                .map_err(&e)?;
                continue;
            };
            let (fill, light) = colour_of(en.change, metric);
            area.draw(&Rectangle::new(cell, fill.filled()))
                .map_err(&e)?;
            let mark = match en.pair.significant {
                Some(true) => " *",
                Some(false) => " ~",
                None => " ?",
            };
            if en.pair.significant == Some(true) {
                area.draw(&Rectangle::new(cell, INK.stroke_width(3)))
                    .map_err(&e)?;
            }
            let ink = if light { WHITE } else { INK };
            area.draw(&Text::new(
                format!("{}{mark}", crate::format::signed_percent(en.change)),
                mid,
                text(14, ink, HPos::Center),
            ))
            .map_err(&e)?;
        }
    }
    let foot = top + ch * stacks.len() as i32 + 10;
    let lines = [
        "Cell: the row's stack vs the column's, (row − column) ÷ column.".to_string(),
        format!(
            "Purple: the row is better, orange: worse (full colour at {}×).",
            crate::format::count(FULL_COLOUR_RATIO as u64)
        ),
        format!(
            "* significant (framed), ~ not, ? not tested (Holm p, α = {}).",
            summary.settings.alpha
        ),
    ];
    let caption = area
        .clone()
        .shrink((0, foot as u32), (w, h.saturating_sub(foot as u32)));
    draw_caption_small(&caption, &lines).map_err(&e)?;
    area.present().map_err(&e)?;
    Ok(())
}

/// Caption lines in a narrow figure: 11 px, one every 18 px.
fn draw_caption_small<DB: DrawingBackend>(
    caption_area: &DrawingArea<DB, Shift>,
    lines: &[String],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (k, line) in lines.iter().enumerate() {
        caption_area.draw(&Text::new(
            line.clone(),
            (8, 4 + 18 * k as i32),
            (FONT, 11).into_font().color(&RGBColor(70, 70, 70)),
        ))?;
    }
    Ok(())
}
