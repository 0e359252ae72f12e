//! Draws a [`Figure`] with plotters into PNG or SVG bytes. Text uses DejaVu Sans embedded in the
//! binary (the `dejavu` crate, through plotters' `ab_glyph` feature): no fontconfig or other
//! system library is needed. Rendering happens in memory; writing files is the caller's job.

use super::axes::{bounds, name_label, x_label, x_of, y_label, y_of, y_text};
use super::{Figure, Panel, Series, XAxis, YAxis};
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

/// What of a figure is drawn: everything (PNG, SVG files), or one layer of an HTML chart.
#[derive(Clone, Copy, PartialEq)]
enum Only<'a> {
    /// The whole figure, with its legend.
    All,
    /// Title, axes, markers and the dashed references; no lines of models, no legend.
    Base,
    /// The lines, points and bars of the series of this name (in every panel), on a
    /// transparent background, at the same place as in the whole figure.
    Series(&'a str),
}

/// A point's place in the image and its hover text.
type Tip = (i32, i32, String);

/// One chart for an HTML page: its base and a layer per line, to stack and show or hide.
#[derive(Clone, Debug)]
pub struct Layered {
    /// The figure's file stem (`speedup-cpu`).
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its subtitle (the machine and how it was measured).
    pub subtitle: String,
    /// Width and height, pixels (the SVGs' viewBox).
    pub size: (u32, u32),
    /// The figure without its lines: an SVG document.
    pub base: String,
    /// One transparent SVG per series name, in legend order.
    pub layers: Vec<Layer>,
}

/// The lines of one series name in a [`Layered`] chart.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The legend text.
    pub name: String,
    /// Its colour, `#rrggbb`.
    pub color: String,
    /// An SVG document: the lines, points and bars, and over each point a transparent circle
    /// whose `<title>` is the point's hover text (`class="pt"`).
    pub svg: String,
}

/// Renders `fig` as layers for an HTML page (see [`Layered`]): every series that is not a
/// reference gets a layer of its own, whose points carry their hover text.
pub fn render_layered(fig: &Figure) -> Result<Layered> {
    register_fonts();
    let svg = |only: Only| -> Result<(String, Vec<Tip>)> {
        let fail = |e: String| Error::Render(format!("{}: {e}", fig.name));
        let mut text = String::new();
        let mut tips = Vec::new();
        {
            let root = SVGBackend::with_string(&mut text, fig.size).into_drawing_area();
            draw_figure(&root, fig, only, &mut tips).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        Ok((text, tips))
    };
    let (base, _) = svg(Only::Base)?;
    let mut names: Vec<(&str, usize)> = Vec::new();
    for s in fig.panels.iter().flat_map(|p| &p.series) {
        if !s.reference && !names.iter().any(|(n, _)| *n == s.name) {
            names.push((&s.name, s.color));
        }
    }
    let mut layers = Vec::new();
    for (name, c) in names {
        let (mut text, tips) = svg(Only::Series(name))?;
        let mut targets = String::new();
        for (x, y, tip) in tips {
            targets.push_str(&format!(
                "<circle class=\"pt\" cx=\"{x}\" cy=\"{y}\" r=\"9\" fill=\"transparent\"><title>{}</title></circle>\n",
                xml_escape(&tip)
            ));
        }
        if let Some(end) = text.rfind("</svg>") {
            text.insert_str(end, &targets);
        }
        let RGBColor(r, g, b) = color(c);
        layers.push(Layer {
            name: name.to_string(),
            color: format!("#{r:02x}{g:02x}{b:02x}"),
            svg: text,
        });
    }
    Ok(Layered {
        name: fig.name.clone(),
        title: fig.title.clone(),
        subtitle: fig.subtitle.clone(),
        size: fig.size,
        base,
        layers,
    })
}

/// `text` safe inside XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `fig` to bytes in `format`.
pub fn render(fig: &Figure, format: Format) -> Result<Vec<u8>> {
    register_fonts();
    let fail = |e: String| Error::Render(format!("{}: {e}", fig.name));
    let mut tips = Vec::new();
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, fig.size).into_drawing_area();
                draw_figure(&root, fig, Only::All, &mut tips).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let (w, h) = fig.size;
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, fig.size).into_drawing_area();
                draw_figure(&root, fig, Only::All, &mut tips).map_err(fail)?;
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
    only: Only,
    tips: &mut Vec<Tip>,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (head, body) = root.split_vertically(96);
    if matches!(only, Only::Series(_)) {
        let columns = fig.columns.max(1);
        let rows = fig.panels.len().div_ceil(columns).max(1);
        let areas = body.split_evenly((rows, columns));
        for (panel, area) in fig.panels.iter().zip(areas.iter()) {
            draw_panel(area, panel, only, tips).map_err(e)?;
        }
        return Ok(());
    }
    root.fill(&WHITE).map_err(e)?;
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
        draw_panel(area, panel, only, tips).map_err(e)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    only: Only,
    tips: &mut Vec<Tip>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let layer = matches!(only, Only::Series(_));
    let ((x0, x1), (y0, y1)) = bounds(panel);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(96);
    if !panel.caption.is_empty() {
        // A layer keeps the caption's room, invisible, so its plot area is the base's.
        let ink = if layer { TRANSPARENT } else { BLACK.to_rgba() };
        builder.caption(
            &panel.caption,
            (FONT, 20).into_font().style(FontStyle::Bold).color(&ink),
        );
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let axis = panel.y_axis;
    // Dodge: shift each model's points sideways a little so error bars at the same worker
    // count do not hide each other.
    let real = panel.series.iter().filter(|s| !s.reference).count();
    let step = if panel.x_axis == XAxis::Dots {
        0.0
    } else {
        (x1 - x0) * 0.006
    };
    let dodge = |k: usize| (k as f64 - (real as f64 + 1.0) / 2.0) * step;
    if let Only::Series(name) = only {
        let mut k = 0;
        for s in &panel.series {
            if s.reference {
                continue;
            }
            k += 1;
            if s.name == name {
                draw_series(&mut chart, s, axis, dodge(k), &panel.x_axis, Some(tips))?;
            }
        }
        return Ok(());
    }
    chart
        .configure_mesh()
        .x_desc(panel.x_desc.as_str())
        .y_desc(panel.y_desc.as_str())
        .x_labels(24)
        .x_label_formatter(&|v| match &panel.x_axis {
            XAxis::Workers => x_label(*v),
            XAxis::Dots => String::new(),
            XAxis::Named(names) => name_label(names, *v),
        })
        .y_label_formatter(&|v| y_label(axis, *v))
        .max_light_lines(2)
        .light_line_style(RGBColor(240, 240, 240))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;

    let marker_style = RGBColor(150, 150, 150).stroke_width(1);
    for (n, label) in &panel.markers {
        let x = x_of(&panel.x_axis, *n);
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

    let mut k = 0;
    for s in &panel.series {
        let dx = if s.reference {
            0.0
        } else {
            k += 1;
            dodge(k)
        };
        if only == Only::All || s.reference {
            draw_series(&mut chart, s, axis, dx, &panel.x_axis, None)?;
        }
    }
    if panel.x_axis == XAxis::Dots || only == Only::Base {
        // Every point carries its own label.
        return Ok(());
    }
    let position = match (axis, &panel.x_axis) {
        // Categories on a time axis from 0: the space under the lines is free.
        (YAxis::Seconds, XAxis::Named(_)) => SeriesLabelPosition::LowerRight,
        (YAxis::Seconds | YAxis::LogSeconds, _) => SeriesLabelPosition::UpperRight,
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
    x_axis: &XAxis,
    tips: Option<&mut Vec<Tip>>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let c = color(s.color);
    if let Some(tips) = tips {
        for (i, p) in s.points.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(x_of(x_axis, p.x) + dx, y_of(axis, p.y)));
            let tip = s.tips.get(i).cloned().unwrap_or_else(|| {
                let at = match x_axis {
                    XAxis::Workers => format!(" at {}", x_label(p.x)),
                    XAxis::Dots => String::new(),
                    XAxis::Named(names) => format!(" at {}", name_label(names, p.x)),
                };
                format!("{}{at}: {}", s.name, y_text(axis, p.y))
            });
            tips.push((px, py, tip));
        }
    }
    let x_of = |n| x_of(x_axis, n);
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
    if *x_axis == XAxis::Dots {
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
