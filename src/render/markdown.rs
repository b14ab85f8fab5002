//! The Markdown wxsync reads: CommonMark with the extensions below, the same for the writer,
//! the plain text of a `newspic` and the scan for unclosed raw HTML.

use pulldown_cmark::Options;

/// The Markdown extensions wxsync enables (DESIGN §2).
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
}
