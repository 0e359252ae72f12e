//! Draws a [`Figure`] with plotters into PNG or SVG bytes. Text uses DejaVu Sans embedded in the
//! binary (the `dejavu` crate, through plotters' `ab_glyph` feature): no fontconfig or other
//! system library is needed. Rendering happens in memory; writing files is the caller's job.

use super::axes::{bounds, x_label, x_of, y_label, y_of, y_text};
use super::{Figure, Panel, Series, YAxis};
use crate::error::{Error, Result};
use crate::model::ModelKind;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PNG image.
    Png,
    /// SVG document.
    Svg,
}

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            _ => Err(format!("unknown format '{s}' (expected png or svg)")),
        }
    }
}

const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans as plotters' "sans-serif" (normal and bold). Called before
/// every render; other plotters users in the same process (criterion's plots) may call it too,
/// since with the `ab_glyph` feature plotters finds no font on its own.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the dejavu crate.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Series colours: a model's colour from its row in the model table (see
/// [`crate::model::ModelSpec::colour`]), indexed by its place in [`ModelKind::ALL`]; several
/// machines in one chart take the same colours in turn. `usize::MAX` is black.
fn color(i: usize) -> RGBColor {
    if i == usize::MAX {
        return BLACK;
    }
    let (r, g, b) = ModelKind::ALL[i % ModelKind::ALL.len()].spec().colour;
    RGBColor(r, g, b)
}

/// Renders `fig` to bytes in `format`.
pub fn render(fig: &Figure, format: Format) -> Result<Vec<u8>> {
    register_fonts();
    let fail = |e: String| Error::Render(format!("{}: {e}", fig.name));
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, fig.size).into_drawing_area();
                draw_figure(&root, fig).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let (w, h) = fig.size;
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, fig.size).into_drawing_area();
                draw_figure(&root, fig).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            let mut png_bytes = Vec::new();
            let mut enc = png::Encoder::new(&mut png_bytes, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::High);
            let mut writer = enc.write_header().map_err(|e| fail(e.to_string()))?;
            writer
                .write_image_data(&rgb)
                .map_err(|e| fail(e.to_string()))?;
            writer.finish().map_err(|e| fail(e.to_string()))?;
            Ok(png_bytes)
        }
    }
}

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (head, body) = root.split_vertically(96);
    head.draw(&Text::new(
        fig.title.clone(),
        (16, 10),
        (FONT, 26).into_font().style(FontStyle::Bold),
    ))
    .map_err(e)?;
    // The subtitle's parts (separated by " | ") go on up to two lines.
    let parts: Vec<&str> = fig.subtitle.split(" | ").collect();
    let half = parts.len().div_ceil(2);
    for (i, line) in [parts[..half].join(" | "), parts[half..].join(" | ")]
        .iter()
        .enumerate()
    {
        head.draw(&Text::new(
            line.clone(),
            (16, 44 + 22 * i as i32),
            (FONT, 15).into_font().color(&RGBColor(70, 70, 70)),
        ))
        .map_err(e)?;
    }
    let columns = fig.columns.max(1);
    let rows = fig.panels.len().div_ceil(columns).max(1);
    let areas = body.split_evenly((rows, columns));
    for (panel, area) in fig.panels.iter().zip(areas.iter()) {
        draw_panel(area, panel).map_err(e)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let ((x0, x1), (y0, y1)) = bounds(panel);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(96);
    if !panel.caption.is_empty() {
        builder.caption(
            &panel.caption,
            (FONT, 20).into_font().style(FontStyle::Bold),
        );
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let axis = panel.y_axis;
    chart
        .configure_mesh()
        .x_desc(panel.x_desc.as_str())
        .y_desc(panel.y_desc.as_str())
        .x_labels(24)
        .x_label_formatter(&|v| {
            if panel.categorical {
                String::new()
            } else {
                x_label(*v)
            }
        })
        .y_label_formatter(&|v| y_label(axis, *v))
        .max_light_lines(2)
        .light_line_style(RGBColor(240, 240, 240))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;

    let marker_style = RGBColor(150, 150, 150).stroke_width(1);
    for (n, label) in &panel.markers {
        let x = x_of(panel.categorical, *n);
        chart.draw_series(DashedLineSeries::new(
            [(x, y0), (x, y1)],
            6,
            4,
            marker_style,
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x, y1 - (y1 - y0) * 0.03),
            (FONT, 14).into_font().color(&RGBColor(90, 90, 90)),
        )))?;
    }

    // Dodge: shift each model's points sideways a little so error bars at the same worker
    // count do not hide each other.
    let real = panel.series.iter().filter(|s| !s.reference).count();
    let step = if panel.categorical {
        0.0
    } else {
        (x1 - x0) * 0.006
    };
    let mut k = 0;
    for s in &panel.series {
        let dx = if s.reference {
            0.0
        } else {
            k += 1;
            (k as f64 - (real as f64 + 1.0) / 2.0) * step
        };
        draw_series(&mut chart, s, axis, dx, panel.categorical)?;
    }
    if panel.categorical {
        // Every point carries its own label.
        return Ok(());
    }
    let position = match axis {
        YAxis::Seconds | YAxis::LogSeconds => SeriesLabelPosition::UpperRight,
        _ => SeriesLabelPosition::UpperLeft,
    };
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

fn draw_series<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    s: &Series,
    axis: YAxis,
    dx: f64,
    categorical: bool,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let c = color(s.color);
    let x_of = |n| x_of(categorical, n);
    let pts: Vec<(f64, f64)> = s
        .points
        .iter()
        .map(|p| (x_of(p.x) + dx, y_of(axis, p.y)))
        .collect();
    if s.reference {
        chart
            .draw_series(DashedLineSeries::new(pts.clone(), 10, 6, c.stroke_width(2)))?
            .label(&s.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], c.stroke_width(2)));
        return Ok(());
    }
    chart
        .draw_series(LineSeries::new(pts.clone(), c.stroke_width(3)))?
        .label(&s.name)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], c.stroke_width(3)));
    chart.draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 4, c.filled())))?;
    if categorical {
        // Two centred lines, above the point for even categories and below for odd ones, so
        // neighbours' labels do not run into each other.
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        let style = (FONT, 14)
            .into_font()
            .color(&c)
            .pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(s.points.iter().map(|p| {
            let dy = if (p.x.round() as i64) % 2 == 0 {
                -40
            } else {
                16
            };
            EmptyElement::at((x_of(p.x), y_of(axis, p.y)))
                + Text::new(s.name.clone(), (0, dy), style.clone())
                + Text::new(y_text(axis, p.y), (0, dy + 16), style.clone())
        }))?;
    }
    chart.draw_series(s.points.iter().filter_map(|p| {
        let (lo, hi) = p.range?;
        Some(ErrorBar::new_vertical(
            x_of(p.x) + dx,
            y_of(axis, lo),
            y_of(axis, p.y),
            y_of(axis, hi),
            c.stroke_width(2),
            10,
        ))
    }))?;
    Ok(())
}
