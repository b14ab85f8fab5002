//! A regular "relaxation" of a syntax-definition regex, used as a prefilter.
//!
//! fancy-regex runs a pattern with look-around, back-references, atomic groups or possessive
//! quantifiers on its backtracking VM, which tries every start position in turn. Most such
//! patterns fail on most of a line, so most of that work is wasted. [`relax`] derives a
//! pattern without those features that matches at every position where the original does
//! (and maybe elsewhere): look-arounds and word boundaries (which fancy-regex also leaves to
//! its VM) become empty, back-references match anything, atomic
//! groups and possessive quantifiers become plain ones. It compiles to a DFA-backed regex; its
//! leftmost match start is a lower bound for the original's, so the original search can start
//! there. When it finds nothing, neither would the original.
//!
//! The rewrite works on the pattern text in the dialect fancy-regex parses with syntect's
//! options (Oniguruma mode) and leaves everything it does not understand alone; a pattern with
//! a construct whose relaxation is not obviously a superset (`\G`, `\K`, conditionals,
//! subroutine calls, `\Q`, flags set inside a removed look-around) gets no prefilter.

/// The relaxed pattern, or `None` when `re` has nothing to relax or cannot be relaxed safely.
pub fn relax(re: &str) -> Option<String> {
    let mut r = Relaxer {
        b: re.as_bytes(),
        s: re,
        i: 0,
        out: String::with_capacity(re.len() + 16),
        x: false,
        fancy: false,
    };
    r.seq(true, 0)?;
    if r.i != r.b.len() || !r.fancy {
        return None;
    }
    Some(r.out)
}

struct Relaxer<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    out: String,
    /// fancy-regex's ignore-whitespace flag as it stands at `i`.
    x: bool,
    /// Something was relaxed.
    fancy: bool,
}

/// What the last token was, for telling a possessive `+` from a quantifier.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    Other,
    /// A quantifier (`*`, `+`, `?`, `{n,m}`): a `+` right after it makes it possessive.
    Quant,
    /// A quantifier and its lazy `?`: a `+` directly after is still possessive.
    Lazy,
}

const WILDCARD: &str = "(?s:.*?)";

impl Relaxer<'_> {
    fn emit(&mut self, on: bool, s: &str) {
        if on {
            self.out.push_str(s);
        }
    }

    fn copy(&mut self, on: bool, from: usize, to: usize) {
        if on {
            self.out.push_str(&self.s[from..to]);
        }
    }

    /// Length of the UTF-8 character at `i`.
    fn char_len(&self, i: usize) -> usize {
        self.s[i..].chars().next().map_or(1, char::len_utf8)
    }

    /// Parses up to and including the `)` that closes the current group (or to the end at
    /// depth 0), emitting the relaxed text when `on`.
    fn seq(&mut self, on: bool, depth: usize) -> Option<()> {
        if depth > 200 {
            return None;
        }
        let mut last = Last::Other;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' if self.x => {
                    self.copy(on, self.i, self.i + 1);
                    self.i += 1;
                    if last == Last::Lazy {
                        last = Last::Other;
                    }
                }
                b'#' if self.x => {
                    let end = self.b[self.i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.b.len(), |p| self.i + p + 1);
                    self.copy(on, self.i, end);
                    self.i = end;
                    if last == Last::Lazy {
                        last = Last::Other;
                    }
                }
                b'\\' => {
                    self.escape(on)?;
                    last = Last::Other;
                }
                b'[' => {
                    self.class(on)?;
                    last = Last::Other;
                }
                b'(' => {
                    self.group(on, depth)?;
                    last = Last::Other;
                }
                b')' => {
                    if depth == 0 {
                        return None;
                    }
                    self.emit(on, ")");
                    self.i += 1;
                    return Some(());
                }
                b'+' if last != Last::Other => {
                    // Possessive: relax to the plain quantifier.
                    self.i += 1;
                    self.fancy = true;
                    last = Last::Other;
                }
                b'?' if last == Last::Quant => {
                    self.emit(on, "?");
                    self.i += 1;
                    last = Last::Lazy;
                }
                b'*' | b'+' | b'?' => {
                    self.copy(on, self.i, self.i + 1);
                    self.i += 1;
                    last = Last::Quant;
                }
                b'{' => {
                    if let Some(end) = self.counted_repeat() {
                        self.copy(on, self.i, end);
                        self.i = end;
                        last = Last::Quant;
                    } else {
                        self.copy(on, self.i, self.i + 1);
                        self.i += 1;
                        last = Last::Other;
                    }
                }
                _ => {
                    let n = self.char_len(self.i);
                    self.copy(on, self.i, self.i + n);
                    self.i += n;
                    last = Last::Other;
                }
            }
        }
        if depth == 0 { Some(()) } else { None }
    }

    /// `{n}`, `{n,}` or `{n,m}` (no spaces) at `i`: its end. Other forms are left alone, so a
    /// `+` after them is never taken for possessive.
    fn counted_repeat(&self) -> Option<usize> {
        let b = self.b;
        let mut j = self.i + 1;
        let digits = |j: &mut usize| {
            let s = *j;
            while *j < b.len() && b[*j].is_ascii_digit() {
                *j += 1;
            }
            *j > s
        };
        if !digits(&mut j) {
            return None;
        }
        if j < b.len() && b[j] == b',' {
            j += 1;
            digits(&mut j);
        }
        (j < b.len() && b[j] == b'}').then_some(j + 1)
    }

    fn escape(&mut self, on: bool) -> Option<()> {
        let start = self.i;
        let &n = self.b.get(self.i + 1)?;
        match n {
            b'1'..=b'9' => {
                let mut j = self.i + 1;
                while j < self.b.len() && self.b[j].is_ascii_digit() {
                    j += 1;
                }
                self.i = j;
                self.emit(on, WILDCARD);
                self.fancy = true;
            }
            b'k' => {
                let close = match self.b.get(self.i + 2) {
                    Some(b'<') => b'>',
                    Some(b'\'') => b'\'',
                    _ => return None,
                };
                let p = self.b[self.i + 3..].iter().position(|&c| c == close)?;
                self.i += 3 + p + 1;
                self.emit(on, WILDCARD);
                self.fancy = true;
            }
            // Word boundaries are "hard" for fancy-regex too: a `\b` sends a whole pattern
            // to the VM.
            b'b' | b'B' => {
                self.i += 2;
                self.emit(on, "(?:)");
                self.fancy = true;
            }
            b'G' | b'K' | b'g' | b'Q' | b'E' => return None,
            b'x' | b'p' | b'P' | b'u' | b'o' | b'N' if self.b.get(self.i + 2) == Some(&b'{') => {
                let p = self.b[self.i + 2..].iter().position(|&c| c == b'}')?;
                self.i += 2 + p + 1;
                self.copy(on, start, self.i);
            }
            _ => {
                self.i += 1 + self.char_len(self.i + 1);
                self.copy(on, start, self.i);
            }
        }
        Some(())
    }

    /// A character class, copied as it is.
    fn class(&mut self, on: bool) -> Option<()> {
        let start = self.i;
        let b = self.b;
        let mut j = self.i + 1;
        if j < b.len() && b[j] == b'^' {
            j += 1;
        }
        if j < b.len() && b[j] == b']' {
            j += 1;
        }
        let mut depth = 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 1 + self.char_len((j + 1).min(b.len() - 1)),
                b'[' => {
                    depth += 1;
                    j += 1;
                }
                b']' => {
                    depth -= 1;
                    j += 1;
                    if depth == 0 {
                        self.i = j;
                        self.copy(on, start, j);
                        return Some(());
                    }
                }
                _ => j += 1,
            }
        }
        None
    }

    fn group(&mut self, on: bool, depth: usize) -> Option<()> {
        let open = self.i;
        let mut j = self.i + 1;
        if self.x {
            while j < self.b.len() && matches!(self.b[j], b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            if self.b.get(j) == Some(&b'#') {
                return None;
            }
        }
        let rest = &self.s[j..];
        if rest.starts_with("?#") {
            // A comment: up to the first unescaped `)`.
            let mut k = j + 2;
            while k < self.b.len() && self.b[k] != b')' {
                k += if self.b[k] == b'\\' { 2 } else { 1 };
            }
            if k >= self.b.len() {
                return None;
            }
            self.i = k + 1;
            self.copy(on, open, self.i);
            return Some(());
        }
        for la in ["?=", "?!", "?<=", "?<!"] {
            if rest.starts_with(la) {
                self.i = j + la.len();
                // Parse it for its extent only. A flag set inside would leak out in
                // fancy-regex (groups other than `(?flags:…)` do not restore flags).
                let x = self.x;
                self.seq(false, depth + 1)?;
                if self.x != x {
                    return None;
                }
                self.emit(on, "(?:)");
                self.fancy = true;
                return Some(());
            }
        }
        if rest.starts_with("?(") || rest.starts_with("?P>") {
            return None;
        }
        if rest.starts_with("?P=") {
            let p = self.b[j..].iter().position(|&c| c == b')')?;
            self.i = j + p + 1;
            self.emit(on, WILDCARD);
            self.fancy = true;
            return Some(());
        }
        let body = if rest.starts_with("?>") {
            self.fancy = true;
            j + 2
        } else if rest.starts_with("?P<") {
            j + 3 + self.b[j + 3..].iter().position(|&c| c == b'>')? + 1
        } else if rest.starts_with("?<") {
            j + 2 + self.b[j + 2..].iter().position(|&c| c == b'>')? + 1
        } else if rest.starts_with("?'") {
            j + 2 + self.b[j + 2..].iter().position(|&c| c == b'\'')? + 1
        } else if rest.starts_with('?') {
            return self.flags(on, open, j + 1, depth);
        } else {
            j
        };
        self.emit(on, "(?:");
        self.i = body;
        self.seq(on, depth + 1)
    }

    /// `(?imsx-imsx)` or `(?imsx-imsx:…)`, copied; tracks the `x` flag as fancy-regex does.
    fn flags(&mut self, on: bool, open: usize, mut j: usize, depth: usize) -> Option<()> {
        let old = self.x;
        let mut neg = false;
        while j < self.b.len() {
            match self.b[j] {
                b'x' => self.x = !neg,
                b'-' => neg = true,
                b'i' | b'm' | b's' | b'U' | b'u' => {}
                b' ' | b'\t' | b'\n' | b'\r' if self.x => {}
                b')' => {
                    if !on {
                        // A bare flag group inside a removed look-around.
                        return None;
                    }
                    self.i = j + 1;
                    self.copy(on, open, self.i);
                    return Some(());
                }
                b':' => {
                    self.i = j + 1;
                    self.copy(on, open, self.i);
                    self.seq(on, depth + 1)?;
                    self.x = old;
                    return Some(());
                }
                _ => return None,
            }
            j += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::relax;

    #[test]
    fn relaxes_fancy_constructs() {
        assert_eq!(relax(r"foo(bar)"), None);
        assert_eq!(relax(r"\bfoo[\b]").as_deref(), Some(r"(?:)foo[\b]"));
        assert_eq!(
            relax(r"(?<!\.)\b(foo|bar)(?=\s*\()").as_deref(),
            Some(r"(?:)(?:)(?:foo|bar)(?:)")
        );
        assert_eq!(
            relax(r"(['`])(.*)\1").as_deref(),
            Some(r"(?:['`])(?:.*)(?s:.*?)")
        );
        assert_eq!(relax(r"a++b*+c{2}+").as_deref(), Some(r"a+b*c{2}"));
        assert_eq!(relax(r"(?>a|b)[(?=]").as_deref(), Some(r"(?:a|b)[(?=]"));
        assert_eq!(
            relax(
                r"(?x) a (?= b # ) c
            ) d"
            )
            .as_deref(),
            Some("(?x) a (?:) d")
        );
        assert_eq!(relax(r"\Ga(?=b)"), None);
        assert_eq!(relax(r"(?=(?i)a)b"), None);
        assert_eq!(relax(r"(?i:a(?!b))c").as_deref(), Some("(?i:a(?:))c"));
        assert_eq!(relax(r"[]a](?=x)").as_deref(), Some("[]a](?:)"));
    }
}
