//! A table as plain data: a caption, a header row and rows of already formatted cells
//! (see [`crate::format`]). The reports render it as Markdown or HTML, the viewer as a
//! DOM table; none of them formats a number again.

use serde::Serialize;

/// How a column's cells are aligned (Markdown `---` / `---:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// What the table shows; empty when the heading above it says it.
    pub caption: String,
    pub headers: Vec<String>,
    /// One cell per header in each row.
    pub rows: Vec<Vec<String>>,
    /// Per column; empty = every column left-aligned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub align: Vec<Align>,
}

impl Table {
    /// A table with these headers, no caption, no rows, left-aligned.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table {
            caption: String::new(),
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            align: Vec::new(),
        }
    }

    pub fn with_caption(mut self, caption: impl Into<String>) -> Table {
        self.caption = caption.into();
        self
    }

    pub fn with_rows(mut self, rows: Vec<Vec<String>>) -> Table {
        self.rows = rows;
        self
    }

    pub fn with_align(mut self, align: Vec<Align>) -> Table {
        self.align = align;
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Column `i`'s alignment.
    pub fn align_of(&self, i: usize) -> Align {
        self.align.get(i).copied().unwrap_or(Align::Left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_viewer_reads_it() {
        let mut t = Table::new(["Stack", "req/s"]).with_caption("Hello");
        t.push(vec!["a".into(), "12".into()]);
        let json = serde_json::to_value(&t).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"caption": "Hello", "headers": ["Stack", "req/s"], "rows": [["a", "12"]]})
        );
        let t = t.with_align(vec![Align::Left, Align::Right]);
        assert_eq!(t.align_of(1), Align::Right);
        assert_eq!(t.align_of(5), Align::Left);
        assert_eq!(
            serde_json::to_value(&t).expect("serializes")["align"],
            serde_json::json!(["left", "right"])
        );
    }
}
