//! The string table: every node name, edge name and class name, stored once.

use crate::types::StringId;

/// All strings of a graph in one buffer, addressed by [`StringId`].
///
/// One buffer and one offset column instead of a `Vec<String>`: a big snapshot holds millions
/// of strings, and one allocation each would cost more than the text.
#[derive(Clone, Debug, Default)]
pub struct StringTable {
    text: String,
    /// `ends[i]` is where string `i` ends in `text`; it starts where `i - 1` ends.
    ends: Vec<usize>,
}

impl StringTable {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table with room for `strings` strings and `bytes` bytes of text.
    #[must_use]
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        Self { text: String::with_capacity(bytes), ends: Vec::with_capacity(strings) }
    }

    /// Appends a string and returns its id.
    ///
    /// # Panics
    /// If the table already holds `u32::MAX` strings (V8's own string ids are 32-bit).
    pub fn push(&mut self, s: &str) -> StringId {
        let id = self.next_id();
        self.text.push_str(s);
        self.ends.push(self.text.len());
        id
    }

    /// Appends a string that a caller writes in pieces into [`Self::text_mut`], then closes it.
    pub fn close_string(&mut self) -> StringId {
        let id = self.next_id();
        self.ends.push(self.text.len());
        id
    }

    /// The buffer to append the text of the next string to, before [`Self::close_string`].
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    fn next_id(&self) -> StringId {
        StringId(u32::try_from(self.ends.len()).expect("more than u32::MAX strings"))
    }

    /// The string with this id, or `""` for an id past the end.
    #[must_use]
    pub fn get(&self, id: StringId) -> &str {
        let i = id.index();
        let Some(&end) = self.ends.get(i) else { return "" };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..end]
    }

    /// The number of strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the table holds no strings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Total bytes of text.
    #[must_use]
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The first id whose string equals `s` (a linear scan).
    #[must_use]
    pub fn find(&self, s: &str) -> Option<StringId> {
        self.iter().find(|(_, t)| *t == s).map(|(id, _)| id)
    }

    /// Every string with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (StringId, &str)> {
        let mut start = 0;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let s = &self.text[start..end];
            start = end;
            #[allow(clippy::cast_possible_truncation)] // push() keeps the count within u32
            (StringId(i as u32), s)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_find() {
        let mut t = StringTable::new();
        let a = t.push("<dummy>");
        let b = t.push("");
        t.text_mut().push_str("ab");
        t.text_mut().push('c');
        let c = t.close_string();
        assert_eq!((t.get(a), t.get(b), t.get(c)), ("<dummy>", "", "abc"));
        assert_eq!(t.get(StringId(99)), "");
        assert_eq!(t.find("abc"), Some(c));
        assert_eq!(t.find("zzz"), None);
        assert_eq!(t.iter().map(|(_, s)| s).collect::<Vec<_>>(), ["<dummy>", "", "abc"]);
    }
}
