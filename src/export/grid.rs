//! Tables as plain data ([`Grid`]): a header, which columns hold numbers, and rows of text,
//! written as Markdown (`summary.md`) or as an HTML table (`report.html`, sortable by a click on
//! a column's header). Formatting the values is the caller's; this only lays them out.

use crate::chart::render::xml_escape;

/// A table: a header and rows of text, some columns numeric (right-aligned, sorted by value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grid {
    /// Column headers.
    pub head: Vec<String>,
    /// Whether each column holds numbers.
    pub numeric: Vec<bool>,
    /// The rows, each as long as `head`.
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// An empty table of these columns: (header, numeric).
    pub fn new(columns: &[(&str, bool)]) -> Grid {
        Grid {
            head: columns.iter().map(|(h, _)| h.to_string()).collect(),
            numeric: columns.iter().map(|(_, n)| *n).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.head.len(), "{row:?}");
        self.rows.push(row);
    }

    /// A Markdown pipe table.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut s = line(&self.head).replace("|  |", "| |");
        let rule: Vec<&str> = self
            .numeric
            .iter()
            .map(|n| if *n { "---:" } else { "---" })
            .collect();
        s += &format!("|{}|\n", rule.join("|"));
        for r in &self.rows {
            s += &line(r);
        }
        s
    }

    /// An HTML `<table class="grid …">` (`class`: more classes): numeric columns carry
    /// `class="num"`; the page's script sorts by a click on a header (and without it the table
    /// reads as it is).
    pub fn html(&self, class: Option<&str>) -> String {
        let more = class.map_or(String::new(), |c| format!(" {c}"));
        let class = |numeric: bool| if numeric { " class=\"num\"" } else { "" };
        let mut s = format!("<table class=\"grid{more}\">\n<thead><tr>");
        for (h, n) in self.head.iter().zip(&self.numeric) {
            s += &format!("<th{}>{}</th>", class(*n), xml_escape(h));
        }
        s += "</tr></thead>\n<tbody>\n";
        for r in &self.rows {
            s += "<tr>";
            for (v, n) in r.iter().zip(&self.numeric) {
                s += &format!("<td{}>{}</td>", class(*n), xml_escape(v));
            }
            s += "</tr>\n";
        }
        s + "</tbody>\n</table>\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_reads_as_markdown_and_as_html() {
        let mut g = Grid::new(&[("model", false), ("median", true)]);
        g.push(vec!["a|b".into(), "1.5 s".into()]);
        g.push(vec!["<x>".into(), "2 ms".into()]);
        assert_eq!(
            g.markdown(),
            "| model | median |\n|---|---:|\n| a\\|b | 1.5 s |\n| <x> | 2 ms |\n"
        );
        let h = g.html(None);
        assert!(h.contains("<th class=\"num\">median</th>"), "{h}");
        assert!(
            h.contains("<td>&lt;x&gt;</td><td class=\"num\">2 ms</td>"),
            "{h}"
        );
        assert_eq!(h.matches("<tr>").count(), 3);
    }
}
