//! Renders every article of a directory and holds each output to the WeChat safety rules of
//! `support/safety.rs`, plus facts that must hold across real writing: no panics, every file
//! accounted for, a style on every block, code blocks spelled out with `&nbsp;`/`<br>` and
//! shown exactly as written, and diagnostics only about the article itself. Failures are
//! collected per article and reported together.
//!
//! Two directories get the same checks:
//!
//! - `tests/fixtures/hermetic/`, always: technical articles written for this project, in
//!   Chinese and English, with what real writing holds (code in many languages, tables,
//!   lists, raw HTML, links, footnotes, math, diagrams, alerts, images, a front matter that
//!   does not parse, an article with none);
//! - the real-article corpus, opt-in (`support/opt_in.rs`): `WXSYNC_CORPUS=<dir>` (CI uses the
//!   341 articles of `../shared/corpus/real`). It is read in place; nothing from it is copied
//!   into this repository.

#[path = "support/code_blocks.rs"]
mod code_blocks;
#[path = "support/opt_in.rs"]
mod opt_in;
#[path = "support/safety.rs"]
mod safety;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use code_blocks::{NOT_PRE, body_of, code_blocks_as_shown, source_code_blocks};
use pulldown_cmark::{CodeBlockKind, Event, LinkType, Parser, Tag, TagEnd};
use wxsync::diag::Diagnostic;
use wxsync::render::theme::BUILTIN;
use wxsync::render::{Rendered, Renderer, Theme, markdown_options, render_text};
use wxsync::site::{LinkMode, frontmatter};

/// The articles written for these tests.
fn hermetic_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hermetic")
        .canonicalize()
        .expect("tests/fixtures/hermetic")
}

/// Every `*.md` below `dir`, as paths relative to it, in a stable order.
fn markdown_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk corpus"))
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside corpus");
            rel.to_str()
                .expect("corpus paths are UTF-8 (SOURCES.md)")
                .to_string()
        })
        .collect();
    files.sort();
    files
}

/// What the Markdown source promises about code: blocks that become `<pre>`, how many line
/// breaks and whether spaces they hold (each must be spelled `<br>` / `&nbsp;`), and whether
/// the article also writes `<pre>`/`<code>` in raw HTML.
#[derive(Default)]
struct CodeFacts {
    blocks: usize,
    newlines: usize,
    has_space: bool,
    raw_pre_or_code: bool,
}

fn code_facts(text: &str) -> CodeFacts {
    // The body only: front matter is not Markdown.
    let src: Arc<str> = Arc::from(text);
    let body = frontmatter::split(text, "x.md", &src).map_or(text, |s| s.body);
    let mut facts = CodeFacts::default();
    let mut block: Option<String> = None;
    for event in Parser::new_ext(body, markdown_options()) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    CodeBlockKind::Indented => String::new(),
                };
                block = (!NOT_PRE.contains(&lang.as_str())).then(String::new);
            }
            Event::Text(t) => {
                if let Some(b) = &mut block {
                    b.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(code) = block.take() {
                    facts.blocks += 1;
                    // The block's final newline ends it and is not drawn.
                    facts.newlines += code.trim_end_matches('\n').matches('\n').count();
                    facts.has_space |= code.contains(' ') || code.contains('\t');
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                let lower = h.to_ascii_lowercase();
                facts.raw_pre_or_code |= lower.contains("<pre") || lower.contains("<code");
            }
            _ => {}
        }
    }
    facts
}

/// The `<pre …>…</pre>` spans of the output.
fn pres(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<pre") {
        let Some(len) = rest[start..].find("</pre>") else {
            break;
        };
        out.push(&rest[start..start + len + 6]);
        rest = &rest[start + len + 6..];
    }
    out
}

/// Contents of every `<code …>…</code>` element.
fn code_elements(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<code") {
        let after = &rest[start..];
        let (Some(open_end), Some(close)) = (after.find('>'), after.find("</code>")) else {
            break;
        };
        out.push(&after[(open_end + 1).min(close)..close]);
        rest = &after[close + 7..];
    }
    out
}

/// The text just before the first line break in `s`, to show where it is.
fn before_break(s: &str) -> String {
    let at = s.find(['\n', '\r']).unwrap_or(s.len());
    let from = (0..=at.saturating_sub(60))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    format!("…{}⏎", &s[from..at])
}

/// Everything wrong with one article's rendering; empty when it passes. With `user_code`,
/// only the line breaks of code written as raw HTML are judged (a known gap, tested apart).
fn judge(
    rel: &str,
    text: &str,
    result: &Result<Rendered, Vec<Diagnostic>>,
    user_code: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let facts = code_facts(text);
    if user_code {
        if let Ok(r) = result {
            let html = &r.payload.content;
            let mut spans = pres(html);
            spans.extend(code_elements(html));
            if let Some(bad) = spans.iter().find(|s| s.contains(['\n', '\r'])) {
                problems.push(format!(
                    "raw line break inside user <pre>/<code>: {}",
                    before_break(bad)
                ));
            }
        }
        return problems;
    }
    let diags = match result {
        Ok(r) => &r.diagnostics,
        Err(d) => d,
    };
    // An article may only be judged on its own text: any diagnostic must name it (not the
    // site config or another file), and a rejection needs at least one error.
    for d in diags {
        if d.file != rel {
            problems.push(format!(
                "diagnostic about `{}`, not the article: {}",
                d.file, d.message
            ));
        }
    }
    let r = match result {
        Ok(r) => r,
        Err(d) => {
            if !d.iter().any(|d| d.is_error()) {
                problems.push("rejected without an error".to_string());
            }
            return problems;
        }
    };
    let html = &r.payload.content;
    // A local image that failed to resolve keeps its written path in the preview payload;
    // that is tolerated only when an error already stops the article from being sent.
    let image_error = r
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.message.starts_with("image `"));
    for v in safety::safety_violations(html) {
        if !(image_error && v.starts_with(safety::UNRESOLVED_SRC)) {
            problems.push(v);
        }
    }
    problems.extend(safety::unstyled_blocks(html));

    let code_pres: Vec<&str> = pres(html)
        .into_iter()
        .filter(|p| p.contains("<code"))
        .collect();
    if code_pres.len() < facts.blocks {
        problems.push(format!(
            "{} code blocks in the source, {} <pre><code> in the output",
            facts.blocks,
            code_pres.len()
        ));
    }
    let brs: usize = code_pres.iter().map(|p| p.matches("<br>").count()).sum();
    if brs < facts.newlines {
        problems.push(format!(
            "code has {} line breaks but only {brs} <br> in <pre>",
            facts.newlines
        ));
    }
    if facts.has_space && !code_pres.iter().any(|p| p.contains("&nbsp;")) {
        problems.push("code has spaces but no &nbsp; in <pre>".to_string());
    }
    // Code the writer produced (fenced, indented, inline) never keeps a raw line break.
    if !facts.raw_pre_or_code
        && let Some(bad) = code_elements(html)
            .into_iter()
            .find(|c| c.contains(['\n', '\r']))
    {
        problems.push(format!(
            "raw line break inside <code>: {}",
            before_break(bad)
        ));
    }
    problems
}

/// One article's outcome.
struct Outcome {
    rel: String,
    text: String,
    /// The library's answer, or the panic message.
    result: Result<Result<Rendered, Vec<Diagnostic>>, String>,
    /// When the article was rejected for its front matter: its body rendered on its own, so
    /// the body's HTML is still held to the rules.
    body_only: Option<Rendered>,
    took: Duration,
}

struct Corpus {
    dir: PathBuf,
    files: Vec<String>,
    outcomes: Vec<Outcome>,
    elapsed: Duration,
}

/// The real-article corpus, rendered once per test process (tests share it); `None` when
/// the corpus suite is not asked for.
fn real_corpus() -> Option<&'static Corpus> {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    let dir = opt_in::corpus_dir()?;
    Some(CORPUS.get_or_init(|| render_corpus(dir)))
}

/// The hermetic articles, rendered once per test process.
fn hermetic() -> &'static Corpus {
    static HERMETIC: OnceLock<Corpus> = OnceLock::new();
    HERMETIC.get_or_init(|| render_corpus(hermetic_dir()))
}

/// Renders every article below `dir`, on every core.
fn render_corpus(dir: PathBuf) -> Corpus {
    let files = markdown_files(&dir);
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("built-in theme");
    let renderer = Renderer::with(
        &dir,
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("renderer");
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rel) = files.get(i) else { break };
                        mine.push(render_one(&dir, rel, &renderer));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread"))
            .collect()
    });
    outcomes.sort_by(|a, b| a.rel.cmp(&b.rel));
    Corpus {
        dir,
        files,
        outcomes,
        elapsed: started.elapsed(),
    }
}

impl Outcome {
    /// The HTML that is judged: the article's, or its body's when the article was rejected
    /// for its front matter; `None` after a panic or when neither renders.
    fn html(&self) -> Option<&Rendered> {
        match &self.result {
            Ok(Ok(r)) => Some(r),
            Ok(Err(_)) => self.body_only.as_ref(),
            Err(_) => None,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-string panic)".to_string())
}

fn render_one(dir: &Path, rel: &str, renderer: &Renderer) -> Outcome {
    // Lossy decoding keeps a stray byte from stopping the run; the corpus is UTF-8.
    let text = String::from_utf8_lossy(&std::fs::read(dir.join(rel)).expect("read corpus file"))
        .into_owned();
    let t0 = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| render_text(dir, rel, &text, renderer)))
        .map_err(|panic| panic_message(panic.as_ref()));
    let body_only = match &result {
        Ok(Err(_)) => {
            let src: Arc<str> = Arc::from(text.as_str());
            let body = frontmatter::split(&text, rel, &src).map_or(text.as_str(), |s| s.body);
            catch_unwind(AssertUnwindSafe(|| render_text(dir, rel, body, renderer)))
                .ok()
                .and_then(Result::ok)
        }
        _ => None,
    };
    Outcome {
        rel: rel.to_string(),
        text,
        result,
        body_only,
        took: t0.elapsed(),
    }
}

/// Every article of `c` renders without a panic, is judged clean (or rejected with an error
/// and its body then judged clean), and only about itself. At least `min_files` articles.
fn assert_renders_safely(c: &Corpus, min_files: usize) {
    assert!(
        c.files.len() >= min_files,
        "expected at least {min_files} articles in {}, found {}",
        c.dir.display(),
        c.files.len()
    );
    let mut failures: Vec<String> = Vec::new();
    let mut rendered = 0usize;
    let mut rejected = 0usize;
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for o in &c.outcomes {
        let result = match &o.result {
            Ok(r) => r,
            Err(panic) => {
                failures.push(format!("{}: PANIC: {panic}", o.rel));
                continue;
            }
        };
        let diags = match result {
            Ok(r) => &r.diagnostics,
            Err(d) => d,
        };
        for d in diags {
            let sev = if d.is_error() { "error" } else { "warning" };
            *by_kind
                .entry(format!("{sev}: {}", kind_of(&d.message)))
                .or_default() += 1;
        }
        for p in judge(&o.rel, &o.text, result, false) {
            failures.push(format!("{}: {p}", o.rel));
        }
        match (result, &o.body_only) {
            (Ok(_), _) => rendered += 1,
            (Err(_), Some(body)) => {
                rejected += 1;
                rendered += 1;
                for p in judge(&o.rel, &o.text, &Ok(body.clone()), false) {
                    failures.push(format!("{} (body only): {p}", o.rel));
                }
            }
            (Err(_), None) => failures.push(format!(
                "{}: rejected, and its body alone does not render either",
                o.rel
            )),
        }
    }

    // For the human: how long it took, and what real articles get told, by message shape.
    let slowest = c.outcomes.iter().max_by_key(|o| o.took);
    eprintln!(
        "{}: {} files in {:.2?} ({} rendered, {rejected} rejected for their front matter and rendered body-only; slowest {:.2?}: {})",
        c.dir.display(),
        c.files.len(),
        c.elapsed,
        rendered - rejected,
        slowest.map_or(Duration::ZERO, |o| o.took),
        slowest.map_or("", |o| o.rel.as_str()),
    );
    for (kind, n) in &by_kind {
        eprintln!("  {n:>5}  {kind}");
    }

    assert_eq!(
        c.outcomes.len(),
        c.files.len(),
        "every file must be accounted for"
    );
    assert!(
        failures.is_empty(),
        "{} problems in {}:\n{}",
        failures.len(),
        c.dir.display(),
        failures.join("\n")
    );
    assert_eq!(rendered, c.files.len(), "articles rendered vs .md files");
}

/// Code that the article wrote as raw HTML keeps its line breaks as `<br>`.
fn assert_user_html_code_keeps_its_line_breaks(c: &Corpus) {
    let mut failures = Vec::new();
    for (o, r) in c.outcomes.iter().filter_map(|o| Some((o, o.html()?))) {
        for p in judge(&o.rel, &o.text, &Ok(r.clone()), true) {
            failures.push(format!("{}: {p}", o.rel));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every code block of every article, rendered and read back as a browser shows it, equals
/// its source; at least `min_blocks` blocks are compared.
fn assert_code_blocks_survive_exactly(c: &Corpus, min_blocks: usize) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (o, r) in c.outcomes.iter().filter_map(|o| Some((o, o.html()?))) {
        let rel = &o.rel;
        let source = source_code_blocks(body_of(&o.text));
        // Reading the HTML back panics on raw whitespace in code: name the article.
        let shown = match catch_unwind(AssertUnwindSafe(|| {
            code_blocks_as_shown(&r.payload.content)
        })) {
            Ok(shown) => shown,
            Err(panic) => {
                failures.push(format!("{rel}: {}", panic_message(panic.as_ref())));
                continue;
            }
        };
        if source.len() != shown.len() {
            // Code inside footnote definitions moves to the end; compare as sets then.
            let mut a = source.clone();
            let mut b = shown.clone();
            a.sort();
            b.sort();
            if a != b {
                failures.push(format!(
                    "{rel}: {} code blocks in source, {} shown",
                    source.len(),
                    shown.len()
                ));
            }
            continue;
        }
        for (s, h) in source.iter().zip(&shown) {
            checked += 1;
            if s != h {
                failures.push(format!(
                    "{rel}: code block differs:\n--- source\n{s}\n--- shown\n{h}"
                ));
            }
        }
    }
    assert!(
        checked >= min_blocks,
        "only {checked} code blocks checked in {}, expected {min_blocks}",
        c.dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- The hermetic articles: always ----

/// At least how many articles `tests/fixtures/hermetic/` holds, and how many of their code
/// blocks are compared (the corpus suite asks for 300 and 2001).
const HERMETIC_ARTICLES: usize = 10;
const HERMETIC_CODE_BLOCKS: usize = 30;

#[test]
fn every_hermetic_article_renders_safely() {
    assert_renders_safely(hermetic(), HERMETIC_ARTICLES);
}

#[test]
fn hermetic_user_html_code_keeps_its_line_breaks() {
    assert_user_html_code_keeps_its_line_breaks(hermetic());
}

#[test]
fn hermetic_code_blocks_survive_exactly() {
    assert_code_blocks_survive_exactly(hermetic(), HERMETIC_CODE_BLOCKS);
}

/// The hermetic articles stand in for the corpus only while they hold what real writing
/// does: this fails when a fixture edit drops one of the features below.
#[test]
fn the_hermetic_articles_hold_what_real_articles_do() {
    let c = hermetic();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut see = |what: &str| {
        seen.insert(what.to_string());
    };
    for o in &c.outcomes {
        let body = body_of(&o.text);
        if body.len() == o.text.len() {
            see("an article without front matter");
        }
        if o.rel.starts_with("zh/") && body.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        {
            see("Chinese prose");
        }
        let mut list_depth = 0;
        let mut code: Option<String> = None;
        for event in Parser::new_ext(body, markdown_options()) {
            match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    match kind {
                        CodeBlockKind::Fenced(info) => {
                            let lang = info.split_whitespace().next().unwrap_or("");
                            see(&format!("```{}", lang.to_ascii_lowercase()));
                        }
                        CodeBlockKind::Indented => see("an indented code block"),
                    }
                    code = Some(String::new());
                }
                Event::Text(t) => {
                    if let Some(code) = &mut code {
                        code.push_str(&t);
                    }
                }
                Event::End(TagEnd::CodeBlock) => {
                    let code = code.take().unwrap_or_default();
                    if code.contains('\t') {
                        see("a tab in code");
                    }
                    if code.lines().any(|l| l.chars().count() > 150) {
                        see("a code line over 150 characters");
                    }
                    if code.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                        see("Chinese in code");
                    }
                }
                Event::Start(Tag::Table(_)) => see("a table"),
                Event::Start(Tag::List(Some(n))) if n != 1 => see("an ordered list not from 1"),
                Event::Start(Tag::List(Some(_))) => see("an ordered list"),
                Event::Start(Tag::List(None)) => see("a bullet list"),
                Event::Start(Tag::Item) => {
                    list_depth += 1;
                    if list_depth >= 3 {
                        see("a list three deep");
                    }
                }
                Event::End(TagEnd::Item) => list_depth -= 1,
                Event::TaskListMarker(_) => see("a task list"),
                Event::Start(Tag::BlockQuote(Some(_))) => see("an alert"),
                Event::Start(Tag::BlockQuote(None)) => see("a blockquote"),
                Event::Start(Tag::HtmlBlock) => see("a raw HTML block"),
                Event::InlineHtml(h) => {
                    see("inline HTML");
                    let h = h.to_ascii_lowercase();
                    if h.starts_with("<code") {
                        see("inline raw <code>");
                    }
                }
                Event::Html(h) if h.to_ascii_lowercase().contains("<pre") => see("a raw <pre>"),
                Event::FootnoteReference(_) => see("a footnote"),
                Event::InlineMath(_) => see("inline math"),
                Event::DisplayMath(_) => see("display math"),
                Event::Start(Tag::Image { dest_url, .. }) => {
                    see(if dest_url.starts_with("http") {
                        "a remote image"
                    } else {
                        "a local image"
                    });
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    ..
                }) => {
                    if dest_url.contains("mp.weixin.qq.com") {
                        see("a link to mp.weixin.qq.com");
                    } else if dest_url.starts_with("http") {
                        see("an external link");
                    }
                    if matches!(link_type, LinkType::Reference | LinkType::Autolink) {
                        see("a reference link or autolink");
                    }
                }
                _ => {}
            }
        }
        // What the renderer made of them, so every branch of the judge is taken.
        match &o.result {
            Ok(Err(_)) if o.body_only.is_some() => see("a front matter that does not parse"),
            Ok(Ok(r)) => {
                for d in &r.diagnostics {
                    if d.is_error() && d.message.starts_with("image `") {
                        see("an image error");
                    }
                    if d.message.contains("diagrams are shown as source")
                        || d.message.contains("mermaid diagram shown as source")
                    {
                        see("a diagram");
                    }
                }
                if !r.diagnostics.iter().any(|d| d.is_error()) {
                    see("an article with no error");
                }
                // A drawn diagram is an inline PNG asset (as a `data:` image is).
                if r.assets.iter().any(|a| a.inline.is_some()) && o.text.contains("```mermaid") {
                    see("a diagram");
                }
            }
            _ => {}
        }
    }
    let want = [
        "```rust",
        "```python",
        "```go",
        "```javascript",
        "```ts",
        "```bash",
        "```sh",
        "```sql",
        "```yaml",
        "```json",
        "```toml",
        "```diff",
        "```html",
        "```mermaid",
        "```math",
        // A language no highlighter knows.
        "```explain-analyze",
        "an indented code block",
        "a tab in code",
        "a code line over 150 characters",
        "Chinese in code",
        "Chinese prose",
        "a table",
        "an ordered list",
        "an ordered list not from 1",
        "a bullet list",
        "a list three deep",
        "a task list",
        "an alert",
        "a blockquote",
        "a raw HTML block",
        "inline HTML",
        "inline raw <code>",
        "a raw <pre>",
        "a footnote",
        "inline math",
        "display math",
        "a local image",
        "a remote image",
        "a link to mp.weixin.qq.com",
        "an external link",
        "a reference link or autolink",
        "an article without front matter",
        "a front matter that does not parse",
        "an image error",
        "a diagram",
        "an article with no error",
    ];
    let missing: Vec<&str> = want.into_iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "no hermetic article has: {missing:?}");
}

// ---- The real-article corpus: with WXSYNC_CORPUS ----

#[test]
fn every_corpus_article_renders_safely() {
    if let Some(c) = real_corpus() {
        assert_renders_safely(c, 300);
    }
}

#[test]
fn user_html_code_keeps_its_line_breaks() {
    if let Some(c) = real_corpus() {
        assert_user_html_code_keeps_its_line_breaks(c);
    }
}

#[test]
fn corpus_code_blocks_survive_exactly() {
    if let Some(c) = real_corpus() {
        assert_code_blocks_survive_exactly(c, 2001);
    }
}

#[test]
fn a_missing_title_is_reported_once() {
    // Found through the corpus summary (63 + 63 of each); needs no corpus to reproduce.
    let root = std::env::temp_dir().canonicalize().expect("temp dir");
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("theme");
    let renderer = Renderer::with(
        &root,
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("renderer");
    let r = render_text(
        &root,
        "x.md",
        "---\nthumb_media_id: x\n---\nbody\n",
        &renderer,
    )
    .expect("renders");
    let titles: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("title"))
        .map(|d| &d.message)
        .collect();
    assert_eq!(titles.len(), 1, "{titles:?}");
}

/// A diagnostic message with its particulars (quoted names, numbers) blanked, so messages
/// of one kind group together.
fn kind_of(message: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    let mut last_digit = false;
    for c in message.chars() {
        match c {
            '`' => {
                if !in_quote {
                    out.push_str("`…`");
                }
                in_quote = !in_quote;
            }
            _ if in_quote => {}
            c if c.is_ascii_digit() => {
                if !last_digit {
                    out.push('N');
                }
                last_digit = true;
                continue;
            }
            c => out.push(c),
        }
        last_digit = false;
    }
    out
}

#[test]
fn judge_catches_bad_output() {
    // The corpus checks must be able to fail: a raw newline in code, a missing <br>, an
    // unstyled paragraph and a missing code block are all reported.
    let text = "```\na b\nc\n```\n";
    let facts = code_facts(text);
    assert_eq!(
        (
            facts.blocks,
            facts.newlines,
            facts.has_space,
            facts.raw_pre_or_code
        ),
        (1, 1, true, false)
    );
    let html = "<section style=\"a:b\"><pre style=\"a:b\"><code style=\"a:b\">a b\nc</code></pre><p>x</p></section>";
    assert_eq!(code_elements(html), ["a b\nc"]);
    assert_eq!(pres(html).len(), 1);
    let rendered = |content: &str| {
        let root = std::env::temp_dir().canonicalize().expect("temp dir");
        let r = Renderer::with(
            &root,
            Theme::parse("d", BUILTIN[0].1, "d").expect("theme"),
            "InspiredGitHub",
            LinkMode::Footnotes,
            Default::default(),
        )
        .expect("renderer");
        let mut out = render_text(
            &root,
            "a.md",
            "---\ntitle: t\nthumb_media_id: x\n---\nx",
            &r,
        )
        .expect("renders");
        out.payload.content = content.to_string();
        out
    };
    let problems = judge("a.md", text, &Ok(rendered(html)), false);
    for want in [
        "without a style",
        "only 0 <br>",
        "raw line break inside <code>",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "missing `{want}` in {problems:?}"
        );
    }
    let problems = judge(
        "a.md",
        "```\nx\n```\n\n```\ny\n```\n",
        &Ok(rendered("<section style=\"a:b\"></section>")),
        false,
    );
    assert!(
        problems.iter().any(|p| p.contains("2 code blocks")),
        "{problems:?}"
    );
    let facts = code_facts(
        "---\ntitle: t\n---\n    indented\n    two\n\n```mermaid\ngraph\nTD\n```\n\n<pre>raw</pre>\n",
    );
    assert_eq!(
        (facts.blocks, facts.newlines, facts.raw_pre_or_code),
        (1, 1, true)
    );
    assert_eq!(
        kind_of("image `a/b.png`: no such file (12 of 345)"),
        "image `…`: no such file (N of N)"
    );
}
