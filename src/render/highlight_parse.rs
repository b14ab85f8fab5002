//! A port of syntect 5.3's `ParseState::parse_line`, over the same grammar data, that runs
//! its regexes faster.
//!
//! It produces exactly the scope operations syntect's parser does (same contexts, same
//! patterns in the same order, same loop rules, same search cache semantics); what differs
//! is how a pattern is searched for:
//!
//! - A pattern that needs fancy-regex's backtracking VM first runs its relaxed, DFA-backed
//!   form ([`super::relax`]): no match there means no match; otherwise the VM starts at the
//!   relaxed match instead of trying every position before it.
//! - A pattern that refers to the captures of the match that pushed its context (heredoc
//!   ends, raw-string delimiters) is compiled once per distinct delimiter, not on every
//!   search as syntect does.
//!
//! syntect keeps its contexts private to the crate, so the grammar is read from the same
//! serialized form syntect itself loads lazily (the public `SyntaxReference` serializes it),
//! into mirror types, one syntax at a time on first use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use syntect::parsing::{
    ClearAmount, Regex, Region, Scope, ScopeStackOp, SyntaxReference, SyntaxSet,
};

use super::relax::relax;

// Mirror types of syntect's serialized `LazyContexts` (bincode: field order and variant
// order matter, names do not).

#[derive(Deserialize, Clone, Copy)]
struct RawId {
    syntax_index: usize,
    context_index: usize,
}

#[derive(Deserialize)]
struct RawLazy {
    context_ids: HashMap<String, RawId>,
    contexts: Vec<RawContext>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawContext {
    meta_scope: Vec<Scope>,
    meta_content_scope: Vec<Scope>,
    meta_include_prototype: bool,
    clear_scopes: Option<ClearAmount>,
    prototype: Option<RawId>,
    uses_backrefs: bool,
    patterns: Vec<RawPattern>,
}

#[derive(Deserialize)]
enum RawPattern {
    Match(RawMatch),
    Include(RawRef),
}

#[derive(Deserialize)]
struct RawMatch {
    has_captures: bool,
    regex: String,
    scope: Vec<Scope>,
    captures: Option<Vec<(usize, Vec<Scope>)>>,
    operation: RawOp,
    with_prototype: Option<RawRef>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum RawRef {
    Named(String),
    ByScope {
        scope: Scope,
        sub_context: Option<String>,
        with_escape: bool,
    },
    File {
        name: String,
        sub_context: Option<String>,
        with_escape: bool,
    },
    Inline(String),
    Direct(RawId),
}

#[derive(Deserialize)]
enum RawOp {
    Push(Vec<RawRef>),
    Set(Vec<RawRef>),
    Pop,
    None,
}

/// A context: (syntax index, context index).
type Cid = (usize, usize);

/// A reference that did not resolve to a context (`None`) is an error when used, as in syntect.
type Ref = Option<Cid>;

fn to_ref(r: &RawRef) -> Ref {
    match r {
        RawRef::Direct(id) => Some((id.syntax_index, id.context_index)),
        _ => None,
    }
}

/// A regex with its optional prefilter.
pub struct Rx {
    main: Regex,
    /// The relaxed pattern.
    pre: Option<Regex>,
}

impl Rx {
    fn new(re: String) -> Rx {
        Rx {
            pre: relax(&re).map(Regex::new),
            main: Regex::new(re),
        }
    }

    /// As syntect's `Regex::search(line, start, line.len(), Some(region))`.
    ///
    /// With a prefilter: the original can only match where the relaxed pattern does, so its
    /// search starts at the relaxed pattern's leftmost match, or is skipped without one.
    /// (Trying the original anchored at each relaxed match in turn costs more: fancy-regex
    /// runs a `\G`-anchored pattern over the rest of the line, failing at each position.)
    fn search(&self, line: &str, start: usize, region: &mut Region, scratch: &mut Region) -> bool {
        let mut from = start;
        if let Some(relaxed) = &self.pre {
            if !relaxed.search(line, start, line.len(), Some(scratch)) {
                return false;
            }
            from = scratch.pos(0).map_or(start, |p| p.0);
        }
        self.main.search(line, from, line.len(), Some(region))
    }
}

struct Pat {
    /// Index into the per-line search cache.
    id: usize,
    has_captures: bool,
    regex_str: String,
    regex: Rx,
    scope: Vec<Scope>,
    captures: Option<Vec<(usize, Vec<Scope>)>>,
    op: Op,
    with_prototype: Option<Ref>,
}

enum Op {
    Push(Vec<Ref>),
    Set(Vec<Ref>),
    Pop,
    None,
}

enum Item {
    Match(Box<Pat>),
    Include(Ref),
}

struct Ctx {
    meta_scope: Vec<Scope>,
    meta_content_scope: Vec<Scope>,
    clear_scopes: Option<ClearAmount>,
    prototype: Option<Cid>,
    uses_backrefs: bool,
    items: Vec<Item>,
    /// The match patterns in the order syntect's `context_iter` visits them.
    flat: OnceLock<Vec<&'static Pat>>,
}

struct Syn {
    contexts: Vec<Ctx>,
    start: Option<usize>,
}

pub struct Engine {
    set: &'static SyntaxSet,
    syns: Vec<OnceLock<Option<Syn>>>,
}

static PATTERN_IDS: AtomicUsize = AtomicUsize::new(0);

/// The engine for `set`; one per process (wxsync has one syntax set).
pub fn engine(set: &'static SyntaxSet) -> Option<&'static Engine> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let e = ENGINE.get_or_init(|| Engine {
        set,
        syns: set.syntaxes().iter().map(|_| OnceLock::new()).collect(),
    });
    std::ptr::eq(e.set, set).then_some(e)
}

fn load(syntax: &SyntaxReference) -> Option<Syn> {
    let value = serde_json::to_value(syntax).ok()?;
    let bytes: Vec<u8> = value
        .get("serialized_lazy_contexts")?
        .as_array()?
        .iter()
        .map(|v| v.as_u64().map(|b| b as u8))
        .collect::<Option<_>>()?;
    let raw: RawLazy = syntect::dumps::from_reader(&bytes[..]).ok()?;
    let start = raw.context_ids.get("__start").map(|id| id.context_index);
    let contexts = raw
        .contexts
        .into_iter()
        .map(|c| Ctx {
            meta_scope: c.meta_scope,
            meta_content_scope: c.meta_content_scope,
            clear_scopes: c.clear_scopes,
            prototype: c.prototype.map(|id| (id.syntax_index, id.context_index)),
            uses_backrefs: c.uses_backrefs,
            items: c
                .patterns
                .into_iter()
                .map(|p| match p {
                    RawPattern::Include(r) => Item::Include(to_ref(&r)),
                    RawPattern::Match(m) => Item::Match(Box::new(Pat {
                        id: PATTERN_IDS.fetch_add(1, Ordering::Relaxed),
                        has_captures: m.has_captures,
                        regex: Rx::new(m.regex.clone()),
                        regex_str: m.regex,
                        scope: m.scope,
                        captures: m.captures,
                        op: match m.operation {
                            RawOp::Push(v) => Op::Push(v.iter().map(to_ref).collect()),
                            RawOp::Set(v) => Op::Set(v.iter().map(to_ref).collect()),
                            RawOp::Pop => Op::Pop,
                            RawOp::None => Op::None,
                        },
                        with_prototype: m.with_prototype.as_ref().map(to_ref),
                    })),
                })
                .collect(),
            flat: OnceLock::new(),
        })
        .collect();
    Some(Syn { contexts, start })
}

/// The parse failed; the caller falls back to syntect for the whole block.
#[derive(Debug)]
pub struct Failed;

impl Engine {
    fn syn(&'static self, index: usize) -> Option<&'static Syn> {
        self.syns
            .get(index)?
            .get_or_init(|| load(&self.set.syntaxes()[index]))
            .as_ref()
    }

    fn ctx(&'static self, id: Cid) -> Result<&'static Ctx, Failed> {
        self.syn(id.0)
            .and_then(|s| s.contexts.get(id.1))
            .ok_or(Failed)
    }

    fn resolve(&'static self, r: &Ref) -> Result<&'static Ctx, Failed> {
        self.ctx(r.ok_or(Failed)?)
    }

    fn flat(&'static self, ctx: &'static Ctx) -> Result<&'static [&'static Pat], Failed> {
        if let Some(f) = ctx.flat.get() {
            return Ok(f);
        }
        let mut v = Vec::new();
        self.push_flat(ctx, &mut v, 0)?;
        Ok(ctx.flat.get_or_init(|| v))
    }

    fn push_flat(
        &'static self,
        ctx: &'static Ctx,
        v: &mut Vec<&'static Pat>,
        depth: usize,
    ) -> Result<(), Failed> {
        if depth > 64 {
            return Err(Failed);
        }
        for item in &ctx.items {
            match item {
                Item::Match(p) => v.push(p),
                // syntect skips includes that are not linked.
                Item::Include(None) => {}
                Item::Include(Some(id)) => self.push_flat(self.ctx(*id)?, v, depth + 1)?,
            }
        }
        Ok(())
    }

    /// Index of `syntax` in the set.
    fn index_of(&self, syntax: &SyntaxReference) -> Option<usize> {
        self.set
            .syntaxes()
            .iter()
            .position(|s| std::ptr::eq(s, syntax))
    }
}

/// The match that pushed a context whose patterns refer to its captures, and its line.
type Captures = Rc<(Region, String)>;

/// Search results on the current line by pattern id: (line generation, result).
type SearchCache = Vec<(u32, Option<Region>)>;

#[derive(Clone)]
struct Level {
    context: Cid,
    prototypes: Vec<Cid>,
    captures: Option<Captures>,
}

struct RegexMatch {
    regions: Region,
    pat: &'static Pat,
    from_with_prototype: bool,
    would_loop: bool,
}

/// Compiled regexes for patterns with back-references to a pushing match, by final text.
type DynCache = HashMap<String, Rc<Rx>>;

thread_local! {
    static DYNAMIC: RefCell<DynCache> = RefCell::new(HashMap::new());
}

/// Bounds the dynamic regex cache; a CLI run sees a few hundred at most.
const DYNAMIC_MAX: usize = 4096;

thread_local! {
    /// The search cache outlives a parser: it is indexed by pattern id, so it is as long as
    /// the number of patterns loaded, and allocating it per code block would cost more than
    /// the block.
    static CACHE: RefCell<Option<(SearchCache, u32)>> = const { RefCell::new(None) };
}

impl Drop for Parser {
    fn drop(&mut self) {
        let cache = std::mem::take(&mut self.cache);
        let generation = self.generation;
        CACHE.with(|c| *c.borrow_mut() = Some((cache, generation)));
    }
}

pub struct Parser {
    engine: &'static Engine,
    stack: Vec<Level>,
    first_line: bool,
    proto_starts: Vec<usize>,
    /// Per-line search cache, by pattern id: (line generation, cached result).
    cache: SearchCache,
    generation: u32,
    region: Region,
    scratch: Region,
}

impl Parser {
    pub fn new(engine: &'static Engine, syntax: &SyntaxReference) -> Result<Parser, Failed> {
        let index = engine.index_of(syntax).ok_or(Failed)?;
        let start = engine.syn(index).and_then(|s| s.start).ok_or(Failed)?;
        let (cache, generation) = CACHE.with(|c| c.take()).unwrap_or_default();
        Ok(Parser {
            engine,
            stack: vec![Level {
                context: (index, start),
                prototypes: Vec::new(),
                captures: None,
            }],
            first_line: true,
            proto_starts: Vec::new(),
            cache,
            generation,
            region: Region::new(),
            scratch: Region::new(),
        })
    }

    /// As syntect's `ParseState::parse_line`, into `ops` (cleared first).
    pub fn parse_line(
        &mut self,
        line: &str,
        ops: &mut Vec<(usize, ScopeStackOp)>,
    ) -> Result<(), Failed> {
        ops.clear();
        let Some(top) = self.stack.last() else {
            return Err(Failed);
        };
        if self.first_line {
            let context = self.engine.ctx(top.context)?;
            if !context.meta_content_scope.is_empty() {
                ops.push((0, ScopeStackOp::Push(context.meta_content_scope[0])));
            }
            self.first_line = false;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.cache.clear();
            self.generation = 1;
        }
        let mut start = 0;
        let mut non_consuming_push_at = (0, 0);
        while self.parse_next_token(line, &mut start, &mut non_consuming_push_at, ops)? {}
        Ok(())
    }

    fn parse_next_token(
        &mut self,
        line: &str,
        start: &mut usize,
        non_consuming_push_at: &mut (usize, usize),
        ops: &mut Vec<(usize, ScopeStackOp)>,
    ) -> Result<bool, Failed> {
        let check_pop_loop = {
            let (pos, stack_depth) = *non_consuming_push_at;
            pos == *start && stack_depth == self.stack.len()
        };
        while self
            .proto_starts
            .last()
            .is_some_and(|start| *start >= self.stack.len())
        {
            self.proto_starts.pop();
        }
        let Some(reg_match) = self.find_best_match(line, *start, check_pop_loop)? else {
            return Ok(false);
        };
        if reg_match.would_loop {
            if let Some((i, _)) = line[*start..].char_indices().nth(1) {
                *start += i;
                return Ok(true);
            }
            return Ok(false);
        }
        let match_end = reg_match.regions.pos(0).ok_or(Failed)?.1;
        let consuming = match_end > *start;
        if !consuming && matches!(reg_match.pat.op, Op::Push(_)) {
            *non_consuming_push_at = (match_end, self.stack.len() + 1);
        }
        *start = match_end;
        if reg_match.from_with_prototype {
            self.proto_starts.push(self.stack.len());
        }
        let level_context = self.engine.ctx(self.stack[self.stack.len() - 1].context)?;
        self.exec_pattern(line, &reg_match, level_context, ops)?;
        Ok(true)
    }

    fn find_best_match(
        &mut self,
        line: &str,
        start: usize,
        check_pop_loop: bool,
    ) -> Result<Option<RegexMatch>, Failed> {
        let engine = self.engine;
        let cur_level = &self.stack[self.stack.len() - 1];
        let context = engine.ctx(cur_level.context)?;
        // The contexts to visit, in order: with_prototypes from the bottom up, the current
        // context's prototype, the context itself.
        let proto_start = self.proto_starts.last().copied().unwrap_or(0);
        let mut chain: Vec<(bool, Cid, Option<Captures>)> = Vec::new();
        for lvl in &self.stack[proto_start..] {
            for p in &lvl.prototypes {
                chain.push((true, *p, lvl.captures.clone()));
            }
        }
        if let Some(p) = context.prototype {
            chain.push((false, p, None));
        }
        chain.push((false, cur_level.context, cur_level.captures.clone()));

        let mut min_start = usize::MAX;
        let mut best_match: Option<RegexMatch> = None;
        let mut pop_would_loop = false;
        for (from_with_proto, ctx, captures) in chain {
            for &pat in engine.flat(engine.ctx(ctx)?)? {
                let Some(match_region) = self.search(line, start, pat, captures.as_deref()) else {
                    continue;
                };
                let (match_start, match_end) = match_region.pos(0).ok_or(Failed)?;
                if match_start < min_start || (match_start == min_start && pop_would_loop) {
                    min_start = match_start;
                    let consuming = match_end > start;
                    pop_would_loop = check_pop_loop && !consuming && matches!(pat.op, Op::Pop);
                    let push_too_deep = matches!(pat.op, Op::Push(_)) && self.stack.len() >= 100;
                    if push_too_deep {
                        return Ok(None);
                    }
                    best_match = Some(RegexMatch {
                        regions: match_region,
                        pat,
                        from_with_prototype: from_with_proto,
                        would_loop: pop_would_loop,
                    });
                    if match_start == start && !pop_would_loop {
                        return Ok(best_match);
                    }
                }
            }
        }
        Ok(best_match)
    }

    fn search(
        &mut self,
        line: &str,
        start: usize,
        pat: &'static Pat,
        captures: Option<&(Region, String)>,
    ) -> Option<Region> {
        if pat.id >= self.cache.len() {
            self.cache.resize(pat.id + 1, (0, None));
        }
        let (generation, cached) = &self.cache[pat.id];
        if *generation == self.generation {
            match cached {
                Some(region) => {
                    if region.pos(0)?.0 >= start {
                        return Some(region.clone());
                    }
                }
                None => return None,
            }
        }
        let (matched, can_cache) = match (pat.has_captures, captures) {
            (true, Some((region, text))) => {
                let rx = dynamic_regex(pat, region, text);
                (
                    rx.search(line, start, &mut self.region, &mut self.scratch),
                    false,
                )
            }
            _ => (
                pat.regex
                    .search(line, start, &mut self.region, &mut self.scratch),
                true,
            ),
        };
        if matched {
            let (match_start, match_end) = self.region.pos(0)?;
            let does_something = match pat.op {
                Op::None => match_start != match_end,
                Op::Push(_) => self.stack.len() < 100,
                _ => true,
            };
            if can_cache && does_something {
                self.cache[pat.id] = (self.generation, Some(self.region.clone()));
            }
            if does_something {
                return Some(self.region.clone());
            }
        } else if can_cache {
            self.cache[pat.id] = (self.generation, None);
        }
        None
    }

    fn exec_pattern(
        &mut self,
        line: &str,
        reg_match: &RegexMatch,
        level_context: &'static Ctx,
        ops: &mut Vec<(usize, ScopeStackOp)>,
    ) -> Result<(), Failed> {
        let (match_start, match_end) = reg_match.regions.pos(0).ok_or(Failed)?;
        let pat = reg_match.pat;
        self.push_meta_ops(true, match_start, level_context, &pat.op, ops)?;
        for s in &pat.scope {
            ops.push((match_start, ScopeStackOp::Push(*s)));
        }
        if let Some(capture_map) = &pat.captures {
            let mut map: Vec<((usize, i32), ScopeStackOp)> = Vec::new();
            for (cap_index, scopes) in capture_map {
                if let Some((cap_start, cap_end)) = reg_match.regions.pos(*cap_index) {
                    if cap_start == cap_end {
                        continue;
                    }
                    for scope in scopes {
                        map.push((
                            (cap_start, -((cap_end - cap_start) as i32)),
                            ScopeStackOp::Push(*scope),
                        ));
                    }
                    map.push(((cap_end, i32::MIN), ScopeStackOp::Pop(scopes.len())));
                }
            }
            map.sort_by_key(|a| a.0);
            for ((index, _), op) in map {
                ops.push((index, op));
            }
        }
        if !pat.scope.is_empty() {
            ops.push((match_end, ScopeStackOp::Pop(pat.scope.len())));
        }
        self.push_meta_ops(false, match_end, level_context, &pat.op, ops)?;
        self.perform_op(line, &reg_match.regions, pat)
    }

    fn push_meta_ops(
        &self,
        initial: bool,
        index: usize,
        cur_context: &Ctx,
        match_op: &Op,
        ops: &mut Vec<(usize, ScopeStackOp)>,
    ) -> Result<(), Failed> {
        let engine = self.engine;
        match match_op {
            Op::Pop => {
                let v = if initial {
                    &cur_context.meta_content_scope
                } else {
                    &cur_context.meta_scope
                };
                if !v.is_empty() {
                    ops.push((index, ScopeStackOp::Pop(v.len())));
                }
                if !initial && cur_context.clear_scopes.is_some() {
                    ops.push((index, ScopeStackOp::Restore));
                }
            }
            Op::Push(context_refs) | Op::Set(context_refs) => {
                let is_set = matches!(match_op, Op::Set(_));
                if initial {
                    if is_set && cur_context.clear_scopes.is_some() {
                        ops.push((index, ScopeStackOp::Restore));
                    }
                    for r in context_refs {
                        let ctx = engine.resolve(r)?;
                        if !is_set && let Some(clear_amount) = ctx.clear_scopes {
                            ops.push((index, ScopeStackOp::Clear(clear_amount)));
                        }
                        for scope in &ctx.meta_scope {
                            ops.push((index, ScopeStackOp::Push(*scope)));
                        }
                    }
                } else {
                    let mut repush = is_set
                        && (!cur_context.meta_scope.is_empty()
                            || !cur_context.meta_content_scope.is_empty());
                    for r in context_refs {
                        let ctx = engine.resolve(r)?;
                        repush = repush
                            || !ctx.meta_content_scope.is_empty()
                            || (ctx.clear_scopes.is_some() && is_set);
                    }
                    if repush {
                        let mut num_to_pop: usize = 0;
                        for r in context_refs {
                            num_to_pop += engine.resolve(r)?.meta_scope.len();
                        }
                        if is_set {
                            num_to_pop +=
                                cur_context.meta_content_scope.len() + cur_context.meta_scope.len();
                        }
                        if num_to_pop > 0 {
                            ops.push((index, ScopeStackOp::Pop(num_to_pop)));
                        }
                        for r in context_refs {
                            let ctx = engine.resolve(r)?;
                            if is_set && let Some(clear_amount) = ctx.clear_scopes {
                                ops.push((index, ScopeStackOp::Clear(clear_amount)));
                            }
                            for scope in &ctx.meta_scope {
                                ops.push((index, ScopeStackOp::Push(*scope)));
                            }
                            for scope in &ctx.meta_content_scope {
                                ops.push((index, ScopeStackOp::Push(*scope)));
                            }
                        }
                    }
                }
            }
            Op::None => {}
        }
        Ok(())
    }

    fn perform_op(&mut self, line: &str, regions: &Region, pat: &Pat) -> Result<(), Failed> {
        let engine = self.engine;
        let (ctx_refs, old_proto_ids) = match &pat.op {
            Op::Push(ctx_refs) => (ctx_refs, None),
            Op::Set(ctx_refs) => (ctx_refs, self.stack.pop().map(|s| s.prototypes)),
            Op::Pop => {
                self.stack.pop();
                return Ok(());
            }
            Op::None => return Ok(()),
        };
        for (i, r) in ctx_refs.iter().enumerate() {
            let mut proto_ids = if i == 0 {
                old_proto_ids.clone().unwrap_or_default()
            } else {
                Vec::new()
            };
            if i == ctx_refs.len() - 1
                && let Some(p) = &pat.with_prototype
            {
                proto_ids.push(p.ok_or(Failed)?);
            }
            let context_id = r.ok_or(Failed)?;
            let context = engine.ctx(context_id)?;
            let mut uses_backrefs = context.uses_backrefs;
            for id in &proto_ids {
                uses_backrefs = uses_backrefs || engine.ctx(*id)?.uses_backrefs;
            }
            let captures = uses_backrefs.then(|| Rc::new((regions.clone(), line.to_owned())));
            self.stack.push(Level {
                context: context_id,
                prototypes: proto_ids,
                captures,
            });
        }
        Ok(())
    }
}

/// syntect's `MatchPattern::regex_with_refs`, compiled once per distinct result.
fn dynamic_regex(pat: &Pat, region: &Region, text: &str) -> Rc<Rx> {
    let re = substitute_backrefs(&pat.regex_str, |i| {
        region.pos(i).map(|(start, end)| escape(&text[start..end]))
    });
    DYNAMIC.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(rx) = cache.get(&re) {
            return rx.clone();
        }
        if cache.len() >= DYNAMIC_MAX {
            cache.clear();
        }
        let rx = Rc::new(Rx::new(re.clone()));
        cache.insert(re, rx.clone());
        rx
    })
}

/// syntect's `substitute_backrefs_in_regex`.
fn substitute_backrefs(regex_str: &str, substituter: impl Fn(usize) -> Option<String>) -> String {
    let mut reg_str = String::with_capacity(regex_str.len());
    let mut last_was_escape = false;
    for c in regex_str.chars() {
        if last_was_escape && c.is_ascii_digit() {
            let val = c.to_digit(10).unwrap_or(0) as usize;
            if let Some(sub) = substituter(val) {
                reg_str.push_str(&sub);
            }
        } else if last_was_escape {
            reg_str.push('\\');
            reg_str.push(c);
        } else if c != '\\' {
            reg_str.push(c);
        }
        last_was_escape = c == '\\' && !last_was_escape;
    }
    if last_was_escape {
        reg_str.push('\\');
    }
    reg_str
}

/// regex-syntax's `escape`, which syntect uses for back-reference text.
fn escape(text: &str) -> String {
    let mut buf = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '#'
                | '&'
                | '-'
                | '~'
        ) {
            buf.push('\\');
        }
        buf.push(c);
    }
    buf
}
