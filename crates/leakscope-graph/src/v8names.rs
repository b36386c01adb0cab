//! The names V8 gives to nodes and edges that the analyses treat specially, and how to read
//! the ones that carry data (WeakMap ephemeron edges).

use crate::graph::HeapGraph;
use crate::types::{EdgeIndex, EdgeType, NodeIndex, NodeType, StringId};

/// Node and edge names that change how an analysis walks the graph.
pub(crate) const NATIVE_CONTEXT: &str = "system / NativeContext";
pub(crate) const SLOPPY_FUNCTION_MAP: &str = "sloppy_function_map";
pub(crate) const MAP_DESCRIPTORS: &str = "(map descriptors)";
pub(crate) const DOCUMENT_DOM_TREES: &str = "(Document DOM trees)";
pub(crate) const EXTERNAL_STRING_DATA: &str = "system / ExternalStringData";
pub(crate) const OBJECT: &str = "Object";
pub(crate) const PROTO: &str = "__proto__";

/// The string ids of the special names, looked up once per graph (`None`: not in this graph).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpecialNames {
    pub native_context: Option<StringId>,
    pub sloppy_function_map: Option<StringId>,
    pub map_descriptors: Option<StringId>,
    pub document_dom_trees: Option<StringId>,
    pub external_string_data: Option<StringId>,
    pub object: Option<StringId>,
    pub proto: Option<StringId>,
}

impl SpecialNames {
    pub fn of(g: &HeapGraph) -> Self {
        let mut s = Self {
            native_context: None,
            sloppy_function_map: None,
            map_descriptors: None,
            document_dom_trees: None,
            external_string_data: None,
            object: None,
            proto: None,
        };
        // One pass over the table instead of one linear search per name.
        for (id, text) in g.strings().iter() {
            let slot = match text {
                NATIVE_CONTEXT => &mut s.native_context,
                SLOPPY_FUNCTION_MAP => &mut s.sloppy_function_map,
                MAP_DESCRIPTORS => &mut s.map_descriptors,
                DOCUMENT_DOM_TREES => &mut s.document_dom_trees,
                EXTERNAL_STRING_DATA => &mut s.external_string_data,
                OBJECT => &mut s.object,
                PROTO => &mut s.proto,
                _ => continue,
            };
            slot.get_or_insert(id);
        }
        s
    }

    /// Whether a name is the special name `id`. V8's string table holds each text once (and
    /// `GraphBuilder` interns), so comparing ids is comparing texts.
    #[inline]
    pub fn is(name: StringId, id: Option<StringId>) -> bool {
        id == Some(name)
    }
}

/// A user root in DevTools' sense: a child of the root that is not synthetic (`global` in
/// Node, `Window` objects in Chrome), or Chrome's `(Document DOM trees)`.
pub(crate) fn is_user_root(g: &HeapGraph, n: NodeIndex, names: &SpecialNames) -> bool {
    g.node_type(n) != NodeType::SYNTHETIC
        || SpecialNames::is(g.node_name_id(n), names.document_dom_trees)
}

/// The nodes the root points at that are user roots, in edge order.
pub(crate) fn user_roots(g: &HeapGraph, names: &SpecialNames) -> Vec<NodeIndex> {
    g.edges(g.root()).map(|e| g.edge_to(e)).filter(|&n| is_user_root(g, n, names)).collect()
}

/// One edge of a WeakMap entry. V8 names both edges to a value, the one from the key and the
/// one from the table, `N / part of key (K @1) -> value (V @2) pair in WeakMap (table @3)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EphemeronEdge<'a> {
    /// The name without its leading number: equal for both edges of one pair.
    pub pair: &'a str,
    /// The id of the table the pair lives in.
    pub table_id: u64,
}

/// Reads an ephemeron edge name, exactly as DevTools' pattern
/// `^\d+( / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\))$`
/// would (`.` matches no line terminator).
pub(crate) fn parse_ephemeron(name: &str) -> Option<EphemeronEdge<'_>> {
    const KEY: &str = " / part of key (";
    const VALUE: &str = ") -> value (";
    const TABLE: &str = " pair in WeakMap (table @";
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let pair = &name[digits..];
    if pair.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let inner = pair.strip_prefix(KEY)?.strip_suffix(')')?;
    let at = inner.rfind(TABLE)?;
    let table = &inner[at + TABLE.len()..];
    if table.is_empty() || !table.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let key_value = &inner[..at];
    // The value part must end in ` @\d+)`, and some `) -> value (` must follow a ` @\d+`.
    let ends_with_id = |s: &str| {
        let body = s.trim_end_matches(|c: char| c.is_ascii_digit());
        body.len() < s.len() && body.ends_with(" @")
    };
    let value_ok = |s: &str| s.strip_suffix(')').is_some_and(ends_with_id);
    let matched = key_value
        .match_indices(VALUE)
        .any(|(p, _)| ends_with_id(&key_value[..p]) && value_ok(&key_value[p + VALUE.len()..]));
    if !matched {
        return None;
    }
    Some(EphemeronEdge { pair, table_id: table.parse().unwrap_or(u64::MAX) })
}

/// Per string id: whether it is an ephemeron edge name, parsed on first use.
#[derive(Debug)]
pub(crate) struct EphemeronNames {
    /// `UNKNOWN`, `NOT_EPHEMERON`, or an index into `parsed`.
    state: Vec<u32>,
    /// Per parsed name: the table id and where the pair text starts in the name.
    parsed: Vec<(u64, u32)>,
}

impl EphemeronNames {
    const UNKNOWN: u32 = u32::MAX;
    const NOT_EPHEMERON: u32 = u32::MAX - 1;

    pub fn new(g: &HeapGraph) -> Self {
        Self { state: vec![Self::UNKNOWN; g.strings().len()], parsed: Vec::new() }
    }

    /// The parsed ephemeron name of an internal edge, if it has one.
    #[inline]
    pub fn get<'g>(&mut self, g: &'g HeapGraph, e: EdgeIndex) -> Option<EphemeronEdge<'g>> {
        if g.edge_type(e) != EdgeType::Internal {
            return None;
        }
        let id = StringId(g.edge_name_raw(e));
        match *self.state.get(id.index())? {
            Self::NOT_EPHEMERON => None,
            Self::UNKNOWN => self.parse(g, id),
            slot => {
                let &(table_id, start) = self.parsed.get(slot as usize)?;
                Some(EphemeronEdge { pair: &g.string(id)[start as usize..], table_id })
            }
        }
    }

    #[cold]
    fn parse<'g>(&mut self, g: &'g HeapGraph, id: StringId) -> Option<EphemeronEdge<'g>> {
        let name = g.string(id);
        let parsed = parse_ephemeron(name);
        self.state[id.index()] = match parsed {
            Some(p) => {
                let start = u32::try_from(name.len() - p.pair.len()).unwrap_or(0);
                self.parsed.push((p.table_id, start));
                u32::try_from(self.parsed.len() - 1).unwrap_or(Self::NOT_EPHEMERON)
            }
            None => Self::NOT_EPHEMERON,
        };
        parsed
    }
}

/// JavaScript's `parseInt(s, 10)`: leading white space, a sign, then the longest run of
/// digits; `None` where JavaScript gives `NaN`.
pub(crate) fn js_parse_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let value = rest[..digits]
        .bytes()
        .fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeron_names() {
        let name = "3 / part of key (Object @272255) -> value (Object @272695) pair in WeakMap \
                    (table @272133)";
        let p = parse_ephemeron(name).unwrap();
        assert_eq!(p.table_id, 272_133);
        assert_eq!(p.pair, &name[1..]);
        let other = "17 / part of key (Object @272255) -> value (Object @272695) pair in WeakMap \
                     (table @272133)";
        assert_eq!(parse_ephemeron(other).unwrap().pair, p.pair);
        // Class names may hold anything but line terminators, even the separators.
        let odd =
            "1 / part of key (A) -> value (B @1 @2) -> value (C @3) pair in WeakMap (table @4)";
        assert_eq!(parse_ephemeron(odd).unwrap().table_id, 4);
        for bad in [
            "map",
            "/ part of key (A @1) -> value (B @2) pair in WeakMap (table @3)",
            "1 / part of key (A @1) -> value (B @2) pair in WeakMap (table @)",
            "1 / part of key (A @1) -> value (B @2) pair in WeakMap (table @3) ",
            "1 / part of key (A @x) -> value (B @2) pair in WeakMap (table @3)",
            "1 / part of key (A @1) -> value (B @) pair in WeakMap (table @3)",
            "1 / part of key (A\n @1) -> value (B @2) pair in WeakMap (table @3)",
            "1 / part of key (A @1) -> value (B @2) pair in WeakSet (table @3)",
        ] {
            assert_eq!(parse_ephemeron(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_int_like_javascript() {
        assert_eq!(js_parse_int("12"), Some(12));
        assert_eq!(js_parse_int("  -7x"), Some(-7));
        assert_eq!(js_parse_int("+3"), Some(3));
        assert_eq!(js_parse_int("x1"), None);
        assert_eq!(js_parse_int(""), None);
        assert_eq!(js_parse_int("-"), None);
    }
}
