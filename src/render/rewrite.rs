//! Raw HTML, once sanitized, rewritten into the structures wxsync's own writer emits, so an
//! article's user HTML reads like its Markdown: tables in the scrolling wrapper with the
//! theme's style, lists with their markers as text and their items in `<section>`s (nested
//! ones as indented sections), `<div>` and `<center>` as `<section>` (WeChat drops `<div>`),
//! no empty paragraphs where unsafe HTML was removed, no whitespace between list items or
//! table rows; and elements the author hid ([`sanitize`](crate::render::sanitize) marks them)
//! dropped with their content, so hidden text never becomes visible text.
//!
//! It works on ammonia's output, which is a serialized tree: every tag is balanced, every `<`
//! outside a tag is escaped and every attribute value is double-quoted. So a linear scan
//! builds the tree exactly, and what is written back is that tree with wxsync's own elements
//! and theme styles added, nothing from the input that the sanitizer did not keep.

use crate::render::shape::VOID;
use crate::render::theme::{El, Theme};

/// The style the sanitizer gives an element the author hid: the rewrite drops every element
/// that carries exactly this style (or the `hidden` attribute), with its content.
pub const HIDDEN_STYLE: &str = "display:none";

/// No native list marker (the markers are text), written after the theme's style so it wins.
pub const NO_NATIVE_MARKER: &str = "list-style-type:none";
/// An item's native marker is drawn only for `display:list-item`.
pub const NO_LIST_ITEM: &str = "list-style-type:none;display:block";

/// User declarations kept on a table's parts: how the author laid the columns out. The rest
/// (borders, colours, padding) is the theme's.
const TABLE_KEPT: &[&str] = &[
    "text-align",
    "width",
    "min-width",
    "white-space",
    "vertical-align",
];

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    El {
        name: String,
        /// The attributes as serialized (` a="v" b="w"`), the style among them.
        attrs: String,
        children: Vec<Node>,
    },
}

/// Parses ammonia's output. Anything the scan does not expect is kept as text (escaped as it
/// came), so the output never holds more markup than the input.
fn parse(html: &str) -> Vec<Node> {
    let mut stack: Vec<(String, String, Vec<Node>)> =
        vec![(String::new(), String::new(), Vec::new())];
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if lt > 0 {
            push_text(&mut stack, &rest[..lt]);
        }
        rest = &rest[lt..];
        let Some(gt) = tag_end(rest) else {
            break;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            // Balanced input: the end tag closes the innermost element of its name.
            if let Some(k) = stack.iter().rposition(|(n, _, _)| *n == name)
                && k > 0
            {
                while stack.len() > k {
                    let Some((n, a, c)) = stack.pop() else { break };
                    if let Some(parent) = stack.last_mut() {
                        parent.2.push(Node::El {
                            name: n,
                            attrs: a,
                            children: c,
                        });
                    }
                }
            }
            continue;
        }
        let split = tag
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = tag[..split].to_ascii_lowercase();
        let attrs = tag[split..].trim_end_matches('/').to_string();
        if VOID.contains(&name.as_str()) {
            if let Some(parent) = stack.last_mut() {
                parent.2.push(Node::El {
                    name,
                    attrs,
                    children: Vec::new(),
                });
            }
        } else {
            stack.push((name, attrs, Vec::new()));
        }
    }
    if !rest.is_empty() {
        push_text(&mut stack, rest);
    }
    while stack.len() > 1 {
        let Some((n, a, c)) = stack.pop() else { break };
        if let Some(parent) = stack.last_mut() {
            parent.2.push(Node::El {
                name: n,
                attrs: a,
                children: c,
            });
        }
    }
    stack.pop().map(|(_, _, c)| c).unwrap_or_default()
}

fn push_text(stack: &mut [(String, String, Vec<Node>)], text: &str) {
    if let Some(parent) = stack.last_mut() {
        parent.2.push(Node::Text(text.to_string()));
    }
}

/// Index of the `>` closing the tag at the start of `s`, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '"' => quote = !quote,
            '>' if !quote => return Some(i),
            _ => {}
        }
    }
    None
}

fn write(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::El {
                name,
                attrs,
                children,
            } => {
                out.push('<');
                out.push_str(name);
                out.push_str(attrs);
                out.push('>');
                if !VOID.contains(&name.as_str()) {
                    write(children, out);
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
            }
        }
    }
}

/// The value of attribute `name` in serialized attributes, still escaped.
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = attrs.find(&needle)? + needle.len();
    let end = attrs[at..].find('"')?;
    Some(&attrs[at..at + end])
}

fn has_attr(attrs: &str, name: &str) -> bool {
    attrs.contains(&format!(" {name}=\""))
}

/// `attrs` with its style replaced by `style` (escaped here), or removed when empty.
fn with_style(attrs: &str, style: &str) -> String {
    let mut out = String::new();
    let mut rest = attrs;
    if let Some(at) = rest.find(" style=\"") {
        let end = rest[at + 8..]
            .find('"')
            .map_or(rest.len(), |e| at + 8 + e + 1);
        out.push_str(&rest[..at]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    if !style.is_empty() {
        out.push_str(" style=\"");
        out.push_str(&style.replace('"', "&quot;"));
        out.push('"');
    }
    out
}

fn join(styles: &[&str]) -> String {
    styles
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(";")
}

fn is_blank(n: &Node) -> bool {
    matches!(n, Node::Text(t) if t.trim().is_empty())
}

fn element(name: &str, style: &str, children: Vec<Node>) -> Node {
    Node::El {
        name: name.to_string(),
        attrs: with_style("", style),
        children,
    }
}

/// Drops the elements the sanitizer marked as hidden, with everything inside them.
pub fn drop_hidden(html: &str) -> String {
    if !html.contains(HIDDEN_STYLE) && !html.contains(" hidden") {
        return html.to_string();
    }
    fn keep(nodes: Vec<Node>) -> Vec<Node> {
        nodes
            .into_iter()
            .filter_map(|n| match n {
                Node::El {
                    name,
                    attrs,
                    children,
                } => {
                    let hidden =
                        attr(&attrs, "style") == Some(HIDDEN_STYLE) || has_attr(&attrs, "hidden");
                    (!hidden).then(|| Node::El {
                        name,
                        attrs,
                        children: keep(children),
                    })
                }
                text => Some(text),
            })
            .collect()
    }
    let mut out = String::with_capacity(html.len());
    write(&keep(parse(html)), &mut out);
    out
}

/// Rewrites sanitized HTML into wxsync's structures (see the module's documentation).
pub fn restructure(html: &str, theme: &Theme) -> String {
    let lower = html.to_ascii_lowercase();
    if !["<table", "<ul", "<ol", "<div", "<center", "<p"]
        .iter()
        .any(|t| lower.contains(t))
    {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let r = Rewriter { theme };
    write(&r.nodes(parse(html), Context::default()), &mut out);
    out
}

struct Rewriter<'t> {
    theme: &'t Theme,
}

/// Where a node sits.
#[derive(Clone, Copy, Default)]
struct Context {
    /// Inside a list item (a list here is nested).
    in_item: bool,
    /// The depth of list nesting, for the bullets.
    list_depth: usize,
    /// The parent is a table's wrapper (or a `section` holding only the table).
    wrapped: bool,
}

impl Rewriter<'_> {
    fn nodes(&self, nodes: Vec<Node>, cx: Context) -> Vec<Node> {
        without_gaps(nodes)
            .into_iter()
            .filter_map(|n| self.node(n, cx))
            .collect()
    }

    fn node(&self, n: Node, cx: Context) -> Option<Node> {
        let Node::El {
            name,
            attrs,
            children,
        } = n
        else {
            return Some(n);
        };
        let inner = Context {
            wrapped: false,
            ..cx
        };
        match name.as_str() {
            "p" if children.iter().all(is_blank) => None,
            "div" | "center" => {
                let style = attr(&attrs, "style").unwrap_or("").replace("&quot;", "\"");
                // `align` is an attribute WeChat may not keep: the style says the same.
                let aligned = match attr(&attrs, "align").map(str::to_ascii_lowercase) {
                    Some(a) if ["left", "center", "right", "justify"].contains(&a.as_str()) => {
                        format!("text-align:{a}")
                    }
                    _ if name == "center" => "text-align:center".to_string(),
                    _ => String::new(),
                };
                let center = aligned.as_str();
                let attrs = with_style(&attrs, &join(&[&style, center]));
                Some(Node::El {
                    name: "section".to_string(),
                    attrs,
                    children: self.nodes(children, inner),
                })
            }
            "table" => Some(self.table(attrs, children, cx.wrapped)),
            "ul" | "ol" if !self.is_ours(&attrs) => Some(self.list(&name, &attrs, children, cx)),
            "section" => {
                let holds_table = only_child_is(&children, "table");
                Some(Node::El {
                    name,
                    attrs,
                    children: self.nodes(
                        children,
                        Context {
                            wrapped: holds_table,
                            ..cx
                        },
                    ),
                })
            }
            // An item of wxsync's own list: a raw list inside it is a nested one.
            "li" => Some(Node::El {
                name,
                attrs,
                children: self.nodes(
                    children,
                    Context {
                        in_item: true,
                        list_depth: cx.list_depth + 1,
                        wrapped: false,
                    },
                ),
            }),
            _ => Some(Node::El {
                name,
                attrs,
                children: self.nodes(children, inner),
            }),
        }
    }

    /// wxsync's own lists end their style with [`NO_NATIVE_MARKER`]; so does a user's list
    /// styled without markers, which then keeps none.
    fn is_ours(&self, attrs: &str) -> bool {
        attr(attrs, "style").is_some_and(|s| s.ends_with(NO_NATIVE_MARKER))
    }

    /// A table in the theme's style, inside the scrolling wrapper unless it is in one.
    fn table(&self, attrs: String, children: Vec<Node>, wrapped: bool) -> Node {
        let attrs = self.table_style(&attrs, El::Table);
        let table = Node::El {
            name: "table".to_string(),
            attrs,
            children: self.table_parts(children),
        };
        if wrapped {
            table
        } else {
            element("section", self.theme.style(El::TableWrap), vec![table])
        }
    }

    fn table_parts(&self, nodes: Vec<Node>) -> Vec<Node> {
        nodes
            .into_iter()
            .filter(|n| !is_blank(n))
            .map(|n| match n {
                Node::El {
                    name,
                    attrs,
                    children,
                } => match name.as_str() {
                    "thead" | "tbody" | "tfoot" | "tr" => Node::El {
                        name,
                        attrs,
                        children: self.table_parts(children),
                    },
                    "th" | "td" => {
                        let el = if name == "th" { El::Th } else { El::Td };
                        Node::El {
                            attrs: self.table_style(&attrs, el),
                            name,
                            children: self.nodes(children, Context::default()),
                        }
                    }
                    _ => Node::El {
                        name,
                        attrs,
                        children: self.nodes(children, Context::default()),
                    },
                },
                text => text,
            })
            .collect()
    }

    /// The theme's style, then the author's layout declarations.
    fn table_style(&self, attrs: &str, el: El) -> String {
        let user = attr(attrs, "style").unwrap_or("").replace("&quot;", "\"");
        let kept: Vec<&str> = user
            .split(';')
            .filter(|d| {
                d.split_once(':')
                    .is_some_and(|(p, _)| TABLE_KEPT.contains(&p.trim()))
            })
            .collect();
        let theme = self.theme.style(el);
        let mut styles = vec![theme];
        styles.extend(kept);
        with_style(attrs, &join(&styles))
    }

    /// A list: at the top a `<ul>`/`<ol>` with items in sections, nested in an item a section
    /// of sections; each item with its marker as text.
    fn list(&self, name: &str, attrs: &str, children: Vec<Node>, cx: Context) -> Node {
        let ordered = name == "ol";
        let mut next: u64 = attr(attrs, "start")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1);
        let depth = cx.list_depth + 1;
        let nested = cx.in_item;
        let inner = Context {
            in_item: true,
            list_depth: depth,
            wrapped: false,
        };
        let mut items = Vec::new();
        for child in children.into_iter().filter(|n| !is_blank(n)) {
            let Node::El {
                name: child_name,
                children: content,
                ..
            } = child
            else {
                items.push(child);
                continue;
            };
            if child_name != "li" {
                if let Some(n) = self.node(
                    Node::El {
                        name: child_name,
                        attrs: String::new(),
                        children: content,
                    },
                    inner,
                ) {
                    items.push(n);
                }
                continue;
            }
            let marker = if ordered {
                let m = format!("{next}.&nbsp;");
                next += 1;
                m
            } else {
                match depth {
                    1 => "•&nbsp;",
                    2 => "◦&nbsp;",
                    _ => "▪&nbsp;",
                }
                .to_string()
            };
            let mut body = vec![element(
                "span",
                self.theme.style(El::Marker),
                vec![Node::Text(marker)],
            )];
            body.extend(self.item_content(content, inner));
            items.push(if nested {
                element("section", self.theme.style(El::NestedItem), body)
            } else {
                element(
                    "li",
                    &join(&[self.theme.style(El::Li), NO_LIST_ITEM]),
                    vec![element("section", self.theme.style(El::ListItem), body)],
                )
            });
        }
        if nested {
            element("section", self.theme.style(El::NestedList), items)
        } else {
            let el = if ordered { El::Ol } else { El::Ul };
            element(
                name,
                &join(&[self.theme.style(el), NO_NATIVE_MARKER]),
                items,
            )
        }
    }

    /// An item's content, trimmed, its first paragraph inlined after the marker.
    fn item_content(&self, content: Vec<Node>, cx: Context) -> Vec<Node> {
        let mut content = without_gaps(content);
        while content.first().is_some_and(is_blank) {
            content.remove(0);
        }
        while content.last().is_some_and(is_blank) {
            content.pop();
        }
        if let Some(Node::Text(t)) = content.first_mut() {
            *t = t.trim_start().to_string();
        }
        if let Some(Node::Text(t)) = content.last_mut() {
            *t = t.trim_end().to_string();
        }
        let mut out = Vec::new();
        let mut first = true;
        for n in content {
            match n {
                Node::El { name, children, .. } if first && name == "p" => {
                    out.extend(self.nodes(children, cx));
                }
                n => {
                    if let Some(n) = self.node(n, cx) {
                        out.push(n);
                    }
                }
            }
            first = false;
        }
        out
    }
}

/// Elements that start a block of their own: whitespace beside them shows nothing in a
/// browser but a gap (or a stray item) in WeChat.
const BLOCKS: &[&str] = &[
    "p",
    "ul",
    "ol",
    "li",
    "table",
    "section",
    "div",
    "center",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "figure",
    "dl",
    "details",
];

fn is_block(n: Option<&Node>) -> bool {
    match n {
        None => true,
        Some(Node::El { name, .. }) => BLOCKS.contains(&name.as_str()),
        Some(Node::Text(_)) => false,
    }
}

/// `nodes` without the whitespace that stands between blocks (or at the edge of its parent
/// beside one).
fn without_gaps(nodes: Vec<Node>) -> Vec<Node> {
    if !nodes.iter().any(is_blank) {
        return nodes;
    }
    let keep: Vec<bool> = (0..nodes.len())
        .map(|i| {
            let between_blocks =
                is_block(i.checked_sub(1).and_then(|p| nodes.get(p))) && is_block(nodes.get(i + 1));
            !(is_blank(&nodes[i]) && between_blocks)
        })
        .collect();
    nodes
        .into_iter()
        .zip(keep)
        .filter_map(|(n, k)| k.then_some(n))
        .collect()
}

fn only_child_is(children: &[Node], tag: &str) -> bool {
    let mut elements = children.iter().filter(|n| !is_blank(n));
    matches!(
        (elements.next(), elements.next()),
        (Some(Node::El { name, .. }), None) if name == tag
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Theme {
        Theme::parse(
            "t",
            "ul{margin:1em 0} li{margin:2px} .list-item{display:block} .marker{color:gray}\
             .table-wrap{overflow-x:auto} table{border-collapse:collapse} td{padding:1px}\
             th{padding:2px} .nested-list{margin-left:1em} .nested-item{margin:0}",
            "t",
        )
        .expect("theme")
    }

    #[test]
    fn hidden_elements_go_with_their_content() {
        assert_eq!(
            drop_hidden("<p>a<span style=\"display:none\">secret <b>x</b></span>b</p>"),
            "<p>ab</p>"
        );
        assert_eq!(drop_hidden("<div hidden=\"\">x</div>y"), "y");
        assert_eq!(
            drop_hidden("<p style=\"display:none;color:red\">kept</p>"),
            "<p style=\"display:none;color:red\">kept</p>"
        );
    }

    #[test]
    fn raw_lists_get_text_markers_and_sections() {
        let html = "<ol start=\"5\">\n\t<li>\n\t<p>five</p>\n\t</li>\n\t<li>six<ul><li>in</li></ul></li>\n</ol>";
        assert_eq!(
            restructure(html, &theme()),
            "<ol style=\"list-style-type:none\"><li style=\"margin:2px;list-style-type:none;display:block\">\
             <section style=\"display:block\"><span style=\"color:gray\">5.&nbsp;</span>five</section></li>\
             <li style=\"margin:2px;list-style-type:none;display:block\"><section style=\"display:block\">\
             <span style=\"color:gray\">6.&nbsp;</span>six<section style=\"margin-left:1em\">\
             <section style=\"margin:0\"><span style=\"color:gray\">◦&nbsp;</span>in</section>\
             </section></section></li></ol>"
        );
    }

    #[test]
    fn a_raw_list_inside_a_markdown_item_is_nested() {
        let html = "<ul style=\"list-style-type:none\"><li><section>a<ul><li>b</li></ul></section></li></ul>";
        assert_eq!(
            restructure(html, &theme()),
            "<ul style=\"list-style-type:none\"><li><section>a<section style=\"margin-left:1em\">\
             <section style=\"margin:0\"><span style=\"color:gray\">◦&nbsp;</span>b</section>\
             </section></section></li></ul>"
        );
    }

    #[test]
    fn raw_tables_are_wrapped_and_themed() {
        let html = "<table style=\"border:1px solid black\">\n<tr>\n<td style=\"border:1px solid black;text-align:right\">1</td></tr></table>";
        assert_eq!(
            restructure(html, &theme()),
            "<section style=\"overflow-x:auto\"><table style=\"border-collapse:collapse\"><tr>\
             <td style=\"padding:1px;text-align:right\">1</td></tr></table></section>"
        );
        // wxsync's own table, already in its wrapper, stays as it is.
        let own = "<section style=\"overflow-x:auto\"><table style=\"border-collapse:collapse\"><tbody><tr><td style=\"padding:1px\">1</td></tr></tbody></table></section>";
        assert_eq!(restructure(own, &theme()), own);
    }

    #[test]
    fn divs_become_sections_and_empty_paragraphs_go() {
        assert_eq!(
            restructure(
                "<div style=\"color:red\">a</div><center>b</center><p> </p><p>c</p>\
                 <div align=\"center\">d</div>",
                &theme()
            ),
            "<section style=\"color:red\">a</section><section style=\"text-align:center\">b</section>\
             <p>c</p><section align=\"center\" style=\"text-align:center\">d</section>"
        );
    }

    #[test]
    fn what_is_not_markup_stays_text() {
        let html = "a &lt;b&gt; <code>x &amp; y</code> <img src=\"s\" alt=\"a&quot;b\"><br>";
        assert_eq!(restructure(html, &theme()), html);
    }
}
