//! Images: the text inside `![…]` becomes the alt text, the caller resolves the `src` (an
//! upload placeholder, or nothing for a refused source), and the title shows as a caption.

use std::ops::Range;

use super::{Capture, Writer};
use crate::render::html::{escape_attr, escape_text};
use crate::render::theme::El;

impl Writer<'_, '_> {
    pub(super) fn image_start(&mut self, src: &str, title: &str, range: Range<usize>) {
        self.flush_soft(None);
        self.capture = Capture::Image {
            src: src.to_string(),
            title: title.to_string(),
            alt: String::new(),
            range,
        };
    }

    pub(super) fn image_end(&mut self) {
        let Capture::Image {
            src,
            title,
            alt,
            range,
        } = std::mem::take(&mut self.capture)
        else {
            return;
        };
        let resolved = (self.resolve)(&src, range);
        let mut attrs = String::from(" src=\"");
        escape_attr(&resolved, &mut attrs);
        attrs.push('"');
        if !alt.is_empty() {
            attrs.push_str(" alt=\"");
            escape_attr(&alt, &mut attrs);
            attrs.push('"');
        }
        self.open_tag("img", &attrs, &[self.style(El::Img)]);
        if !title.is_empty() {
            self.open(El::Caption, "span");
            escape_text(&title, &mut self.out);
            self.close("span");
        }
    }
}
