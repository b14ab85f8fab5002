//! HTML text helpers: escaping and entity decoding (placeholder until the writer refactor
//! lands them here).

pub use super::writer::{decode_entities, escape_attr, escape_text};
