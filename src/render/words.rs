//! The words wxsync adds to an article (alert titles, the headings of the notes and the
//! references), in the site's `language`: an article is read in one language by everyone,
//! so they follow the site, not the reader.

use pulldown_cmark::BlockQuoteKind;

use crate::site::config::Language;

/// The heading of the footnotes list.
pub fn notes_title(lang: Language) -> &'static str {
    match lang {
        Language::ZhCn => "注释",
        Language::En => "Notes",
    }
}

/// The heading of the references list.
pub fn refs_title(lang: Language) -> &'static str {
    match lang {
        Language::ZhCn => "参考资料",
        Language::En => "References",
    }
}

/// An alert's icon: it stays when the author gives the alert a title of their own.
pub fn alert_icon(kind: BlockQuoteKind) -> &'static str {
    match kind {
        BlockQuoteKind::Note => "ℹ️",
        BlockQuoteKind::Tip => "💡",
        BlockQuoteKind::Important => "❗",
        BlockQuoteKind::Warning => "⚠️",
        BlockQuoteKind::Caution => "🛑",
    }
}

/// An alert's title when the author gives none.
pub fn alert_title(lang: Language, kind: BlockQuoteKind) -> &'static str {
    match (lang, kind) {
        (Language::ZhCn, BlockQuoteKind::Note) => "注意",
        (Language::ZhCn, BlockQuoteKind::Tip) => "提示",
        (Language::ZhCn, BlockQuoteKind::Important) => "重要",
        (Language::ZhCn, BlockQuoteKind::Warning) => "警告",
        (Language::ZhCn, BlockQuoteKind::Caution) => "小心",
        (Language::En, BlockQuoteKind::Note) => "Note",
        (Language::En, BlockQuoteKind::Tip) => "Tip",
        (Language::En, BlockQuoteKind::Important) => "Important",
        (Language::En, BlockQuoteKind::Warning) => "Warning",
        (Language::En, BlockQuoteKind::Caution) => "Caution",
    }
}

/// The kind named by an alert tag's word (`NOTE`, `tip`, …), in any letter case.
pub fn alert_kind(word: &str) -> Option<BlockQuoteKind> {
    Some(match word.to_ascii_lowercase().as_str() {
        "note" => BlockQuoteKind::Note,
        "tip" => BlockQuoteKind::Tip,
        "important" => BlockQuoteKind::Important,
        "warning" => BlockQuoteKind::Warning,
        "caution" => BlockQuoteKind::Caution,
        _ => return None,
    })
}
