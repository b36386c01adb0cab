//! A fixed-size bit set: one bit per node or edge, for the flags the analyses keep.

/// A fixed-size set of `u32` indexes, one bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    /// A set of `len` bits, all clear.
    #[must_use]
    pub fn new(len: usize) -> Self {
        Self { words: vec![0; len.div_ceil(64)], len }
    }

    /// The number of bits (not the number set).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set has no bits at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether bit `i` is set; false past the end.
    #[inline]
    #[must_use]
    pub fn get(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets bit `i`.
    ///
    /// # Panics
    /// When `i` is past the end.
    #[inline]
    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Sets bit `i` and returns whether it was clear before.
    #[inline]
    pub fn insert(&mut self, i: usize) -> bool {
        let word = &mut self.words[i / 64];
        let mask = 1 << (i % 64);
        let was_clear = *word & mask == 0;
        *word |= mask;
        was_clear
    }

    /// The number of bits set.
    #[must_use]
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn set_get_insert() {
        let mut b = BitSet::new(130);
        assert!(!b.get(129) && !b.get(500));
        b.set(129);
        assert!(b.get(129));
        assert!(b.insert(0));
        assert!(!b.insert(0));
        assert_eq!(b.count_ones(), 2);
        assert_eq!(b.len(), 130);
    }
}
