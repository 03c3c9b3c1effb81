//! A [`Chart`] drawn as a PNG: plotters into a pixel buffer, with DejaVu
//! Sans compiled into the binary (no system font, no browser), then the
//! `png` crate. Its size is fixed and its data bounded (see
//! [`super::MAX_POINTS`]), so its time and memory are too.
//!
//! Readable inline on a dark or light chat theme: an opaque white card
//! with dark text; the Okabe–Ito colours, which colour-blind readers tell
//! apart; text at least 15 px at 960 × 540.

use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::choose::{Chart, Kind, TimeUnit, XAxis, written};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;

/// A chart as an image, and a copy half its size for clients that show a
/// thumbnail first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// [`WIDTH`] / 2 × [`HEIGHT`] / 2.
    pub thumbnail: Vec<u8>,
}

/// How numbers are written on an axis: in the conversation's language
/// (`i18n::chart::number`).
pub type Numbers<'a> = &'a dyn Fn(f64) -> String;

#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    #[error("cannot write the chart as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Okabe and Ito's blue, orange and bluish green.
const COLOURS: [RGBColor; 3] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
];
const INK: RGBColor = RGBColor(33, 33, 33);
const GRID: RGBColor = RGBColor(225, 225, 225);

/// The longest a label is written on an axis (the table has it whole).
const MAX_LABEL_CHARS: usize = 24;
/// The longest title, from the question.
const MAX_TITLE_CHARS: usize = 80;

static FONTS: Once = Once::new();

fn fonts() {
    FONTS.call_once(|| {
        // Both are valid TrueType files shipped with the source: a failure
        // here is a broken build, found by any test that draws.
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .unwrap_or_else(|_| panic!("DejaVuSans.ttf is a font"));
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Bold,
            include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
        )
        .unwrap_or_else(|_| panic!("DejaVuSans-Bold.ttf is a font"));
    });
}

/// `chart` drawn, titled `title` (the question), its numbers written by
/// `number`.
///
/// # Errors
/// When plotters or the PNG encoder fail.
pub fn draw(chart: &Chart, title: &str, number: Numbers<'_>) -> Result<Drawn, DrawError> {
    fonts();
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let title = shortened(title.trim(), MAX_TITLE_CHARS);
        let caption = ("sans-serif", 22, FontStyle::Bold).into_font().color(&INK);
        let (low, high) = y_range(chart);
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, caption)
            .margin(18)
            // Room for the last date, written centred under the axis's end.
            .margin_right(40)
            .x_label_area_size(if chart.kind == Kind::HorizontalBar {
                56
            } else {
                64
            })
            .y_label_area_size(if chart.kind == Kind::HorizontalBar {
                230
            } else {
                96
            });
        match (&chart.x, chart.kind) {
            (XAxis::Time { at, unit }, _) => {
                line(&mut builder, &root, chart, at, *unit, (low, high), number)?;
            }
            (XAxis::Labels(labels), Kind::HorizontalBar) => {
                bars_across(&mut builder, &root, chart, labels, (low, high), number)?;
            }
            (XAxis::Labels(labels), _) => {
                bars(&mut builder, &root, chart, labels, (low, high), number)?;
            }
        }
        root.present().map_err(failed)?;
    }
    Ok(Drawn {
        png: encoded(&pixels, WIDTH, HEIGHT)?,
        width: WIDTH,
        height: HEIGHT,
        thumbnail: encoded(&halved(&pixels, WIDTH, HEIGHT), WIDTH / 2, HEIGHT / 2)?,
    })
}

/// RGB `pixels` as a PNG.
fn encoded(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, DrawError> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(png)
}

/// RGB `pixels` at half their width and height, each pixel the mean of
/// four.
fn halved(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width as usize, height as usize);
    let mut half = Vec::with_capacity(width * height * 3 / 4);
    for y in (0..height - 1).step_by(2) {
        for x in (0..width - 1).step_by(2) {
            for channel in 0..3 {
                let at = |dx: usize, dy: usize| {
                    u16::from(pixels[((y + dy) * width + x + dx) * 3 + channel])
                };
                half.push(((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4) as u8);
            }
        }
    }
    half
}

type Builder<'a, 'b> = ChartBuilder<'a, 'b, BitMapBackend<'b>>;
type Root<'b> = DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>;

fn failed(e: impl std::fmt::Display) -> DrawError {
    DrawError::Draw(e.to_string())
}

fn label_style() -> TextStyle<'static> {
    ("sans-serif", 15).into_font().color(&INK)
}

fn axis_style() -> TextStyle<'static> {
    ("sans-serif", 16, FontStyle::Bold).into_font().color(&INK)
}

/// The values' range, from zero (bars start there; a line's scale does not
/// lie either) to the largest, with a margin.
fn y_range(chart: &Chart) -> (f64, f64) {
    let values = chart.series.iter().flat_map(|s| s.values.iter().flatten());
    let (low, high) = values.fold((0.0_f64, 0.0_f64), |(l, h), v| (l.min(*v), h.max(*v)));
    if low == high {
        return (low, low + 1.0);
    }
    // Scaled before subtracting: the extremes' difference may not be finite
    // (`choose` refuses values whose range is not).
    let margin = high * 0.05 - low * 0.05;
    (if low < 0.0 { low - margin } else { 0.0 }, high + margin)
}

/// The name the value axis is given: the column's, or none for several.
fn y_name(chart: &Chart) -> String {
    match chart.series.as_slice() {
        [one] => one.name.clone(),
        _ => String::new(),
    }
}

fn line(
    builder: &mut Builder<'_, '_>,
    root: &Root<'_>,
    chart: &Chart,
    at: &[f64],
    unit: TimeUnit,
    (low, high): (f64, f64),
    number: Numbers<'_>,
) -> Result<(), DrawError> {
    let (first, last) = (at[0], at[at.len() - 1]);
    let mut area = builder
        .build_cartesian_2d(first..last, low..high)
        .map_err(failed)?;
    let x_written = |x: &f64| written(*x, unit);
    let y_written = |y: &f64| number(*y);
    // Years, months and days are marked where they start (plotters' round
    // numbers of seconds would fall mid-month); moments as plotters places
    // them.
    let ticks = time_ticks(first, last, unit);
    let mut mesh = area.configure_mesh();
    house_style(&mut mesh)
        .x_desc(chart.x_name.as_str())
        .y_desc(y_name(chart))
        .x_labels(if ticks.is_empty() { 6 } else { 0 })
        .y_labels(6)
        .x_label_formatter(&x_written)
        .y_label_formatter(&y_written);
    if !ticks.is_empty() {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(failed)?;
    area.draw_series(
        ticks
            .iter()
            .map(|x| PathElement::new(vec![(*x, low), (*x, high)], GRID)),
    )
    .map_err(failed)?;
    let dates: Vec<String> = ticks.iter().map(|x| written(*x, unit)).collect();
    let under = |i: usize| {
        let (x, y) = area.backend_coord(&(ticks[i], low));
        (x, y + 8)
    };
    write_labels(root, &dates, under, Pos::new(HPos::Center, VPos::Top))?;
    for (series, colour) in chart.series.iter().zip(COLOURS) {
        // A NULL cuts the line: each run of values is drawn on its own.
        let mut run = Vec::new();
        let mut runs = Vec::new();
        for (x, v) in at.iter().zip(&series.values) {
            match v {
                Some(v) => run.push((*x, *v)),
                None => runs.push(std::mem::take(&mut run)),
            }
        }
        runs.push(run);
        for (i, run) in runs.into_iter().enumerate() {
            let style = colour.stroke_width(3);
            let drawn = area
                .draw_series(LineSeries::new(run.clone(), style))
                .map_err(failed)?;
            if i == 0 && chart.series.len() > 1 {
                drawn.label(series.name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
                });
            }
            // Points are marked when few enough to be read one by one.
            if at.len() <= 60 {
                area.draw_series(run.iter().map(|p| Circle::new(*p, 4, colour.filled())))
                    .map_err(failed)?;
            }
        }
    }
    legend(&mut area, chart)
}

fn bars(
    builder: &mut Builder<'_, '_>,
    root: &Root<'_>,
    chart: &Chart,
    labels: &[String],
    (low, high): (f64, f64),
    number: Numbers<'_>,
) -> Result<(), DrawError> {
    let n = labels.len();
    let mut area = builder
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), low..high)
        .map_err(failed)?;
    let y_written = |y: &f64| number(*y);
    house_style(&mut area.configure_mesh())
        .x_desc(chart.x_name.as_str())
        .y_desc(y_name(chart))
        // The labels are written under their bars below, one each.
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&y_written)
        .disable_x_mesh()
        .draw()
        .map_err(failed)?;
    let under = |i: usize| {
        let (x, y) = area.backend_coord(&(i as f64, low));
        (x, y + 8)
    };
    write_labels(root, labels, under, Pos::new(HPos::Center, VPos::Top))?;
    let width = 0.8 / chart.series.len() as f64;
    draw_bars(&mut area, chart, |i, k, v| {
        let left = i as f64 - 0.4 + k as f64 * width;
        [(left, 0.0), (left + width * 0.92, v)]
    })
}

/// Bars on their side: the labels down the left, the first row on top.
fn bars_across(
    builder: &mut Builder<'_, '_>,
    root: &Root<'_>,
    chart: &Chart,
    labels: &[String],
    (low, high): (f64, f64),
    number: Numbers<'_>,
) -> Result<(), DrawError> {
    let n = labels.len();
    // Row i at n - 1 - i: the query's first row is drawn on top.
    let at = |i: usize| (n - 1 - i) as f64;
    let mut area = builder
        .build_cartesian_2d(low..high, -0.5..(n as f64 - 0.5))
        .map_err(failed)?;
    let x_written = |x: &f64| number(*x);
    house_style(&mut area.configure_mesh())
        .x_desc(y_name(chart))
        .y_desc(chart.x_name.as_str())
        .x_labels(6)
        // The labels are written beside their bars below, one each.
        .y_labels(0)
        .x_label_formatter(&x_written)
        .disable_y_mesh()
        .draw()
        .map_err(failed)?;
    let beside = |i: usize| {
        let (x, y) = area.backend_coord(&(low, at(i)));
        (x - 8, y)
    };
    write_labels(root, labels, beside, Pos::new(HPos::Right, VPos::Center))?;
    let height = 0.8 / chart.series.len() as f64;
    draw_bars(&mut area, chart, |i, k, v| {
        let top = at(i) + 0.4 - k as f64 * height;
        [(0.0, top), (v, top - height * 0.92)]
    })
}

/// The mesh as every chart draws it: its text, its grid, its axes.
fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(label_style())
        .axis_desc_style(axis_style())
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK)
}

/// The starts of the years, months or days (as `unit` writes the axis)
/// from `first` to `last`, every one or every few so that at most
/// [`MAX_TICKS`] are marked; none for moments.
fn time_ticks(first: f64, last: f64, unit: TimeUnit) -> Vec<f64> {
    use chrono::{Datelike, NaiveDate};
    let date = |at: f64| chrono::DateTime::from_timestamp(at as i64, 0).map(|d| d.date_naive());
    let (Some(from), Some(to)) = (date(first), date(last)) else {
        return Vec::new();
    };
    // Each start, as months since year 0 or days since the epoch.
    let (starts, steps): (Vec<NaiveDate>, &[usize]) = match unit {
        TimeUnit::Moment => return Vec::new(),
        TimeUnit::Day => (
            from.iter_days()
                .take_while(|d| *d <= to)
                .take(4_000)
                .collect(),
            &[1, 2, 7, 14, 28, 91, 182, 364],
        ),
        TimeUnit::Month | TimeUnit::Year => {
            let months = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
            let every = if unit == TimeUnit::Year { 12 } else { 1 };
            let first_start = (months(from) + every - 1) / every * every;
            (
                (first_start..=months(to))
                    .step_by(every as usize)
                    .take(4_000)
                    .filter_map(|m| NaiveDate::from_ymd_opt(m / 12, m as u32 % 12 + 1, 1))
                    .filter(|d| *d >= from)
                    .collect(),
                if unit == TimeUnit::Year {
                    &[1, 2, 5, 10, 20, 50, 100, 1000]
                } else {
                    &[1, 2, 3, 4, 6, 12, 24, 60, 120]
                },
            )
        }
    };
    let step = steps
        .iter()
        .copied()
        .find(|s| starts.len().div_ceil(*s) <= MAX_TICKS)
        .unwrap_or(starts.len().max(1));
    starts
        .iter()
        .step_by(step)
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .map_or(0.0, |t| t.and_utc().timestamp() as f64)
        })
        .collect()
}

/// The most marks on a time axis.
const MAX_TICKS: usize = 8;

/// Each label at the place `at` gives its row, anchored at `pos`.
fn write_labels(
    root: &Root<'_>,
    labels: &[String],
    at: impl Fn(usize) -> (i32, i32),
    pos: Pos,
) -> Result<(), DrawError> {
    for (i, label) in labels.iter().enumerate() {
        let style = label_style().pos(pos);
        root.draw(&Text::new(shortened(label, MAX_LABEL_CHARS), at(i), style))
            .map_err(failed)?;
    }
    Ok(())
}

/// Each series' bars, `corners` placing the bar of row `i`, series `k`,
/// value `v`; then the legend.
fn draw_bars<'a, 'b: 'a>(
    area: &mut ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    chart: &Chart,
    corners: impl Fn(usize, usize, f64) -> [(f64, f64); 2],
) -> Result<(), DrawError> {
    for (k, (series, colour)) in chart.series.iter().zip(COLOURS).enumerate() {
        let rectangles = series
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some(Rectangle::new(corners(i, k, (*v)?), colour.filled())));
        let drawn = area.draw_series(rectangles).map_err(failed)?;
        if chart.series.len() > 1 {
            drawn.label(series.name.as_str()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
            });
        }
    }
    legend(area, chart)
}

/// The series' names, when there are several.
fn legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    area: &mut ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, Y>>,
    chart: &Chart,
) -> Result<(), DrawError> {
    if chart.series.len() < 2 {
        return Ok(());
    }
    area.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(label_style())
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
        .map_err(failed)
}

fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}
