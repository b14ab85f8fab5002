//! Tables: a `<table>` inside a horizontally scrolling wrapper (a wide table would otherwise
//! overflow a phone screen), each cell aligned as its column's delimiter row says.

use pulldown_cmark::Alignment;

use super::Writer;
use crate::render::theme::El;

#[derive(Default)]
pub(super) struct Table {
    aligns: Vec<Alignment>,
    /// The column of the next cell.
    col: usize,
    in_head: bool,
}

impl Writer<'_, '_> {
    pub(super) fn table_start(&mut self, aligns: Vec<Alignment>) {
        self.table.aligns = aligns;
        self.open(El::TableWrap, "section");
        self.open(El::Table, "table");
    }

    pub(super) fn table_head_start(&mut self) {
        self.table.in_head = true;
        self.table.col = 0;
        self.out.push_str("<thead><tr>");
    }

    pub(super) fn table_head_end(&mut self) {
        self.table.in_head = false;
        self.out.push_str("</tr></thead><tbody>");
    }

    pub(super) fn table_row_start(&mut self) {
        self.table.col = 0;
        self.out.push_str("<tr>");
    }

    pub(super) fn table_cell_start(&mut self) {
        let align = match self.table.aligns.get(self.table.col) {
            Some(Alignment::Left) => "text-align:left",
            Some(Alignment::Center) => "text-align:center",
            Some(Alignment::Right) => "text-align:right",
            _ => "",
        };
        let (el, tag) = self.cell();
        self.open_tag(tag, "", &[self.style(el), align]);
        self.flow.last_char = None;
    }

    pub(super) fn table_cell_end(&mut self) {
        self.close(self.cell().1);
        self.table.col += 1;
        self.flow.pending_soft = false;
    }

    fn cell(&self) -> (El, &'static str) {
        if self.table.in_head {
            (El::Th, "th")
        } else {
            (El::Td, "td")
        }
    }
}
