//! A small open-addressing hash map for the hottest look-up of the one-pass path,
//! raw chunk → entry. Keys and values lie side by side in one array and
//! collisions probe the next slots, so a hit reads one cache line, where a general
//! map reads its control bytes and then its entries. (For the bigram look-ups,
//! most of which miss, hashbrown's probing by groups measured faster.)

/// A key of a [`FlatMap`]: a value no real key takes marks empty slots.
pub(crate) trait FlatKey: Copy + Eq {
    /// The key of an empty slot; never inserted.
    const EMPTY: Self;
    /// A 64-bit hash; the map uses its high bits.
    fn hash(&self) -> u64;
}

/// Multiplier of the hashes (2⁶⁴ / φ, odd): high bits of the product mix all
/// bits of the key.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl FlatKey for u64 {
    const EMPTY: u64 = u64::MAX;
    #[inline(always)]
    fn hash(&self) -> u64 {
        self.wrapping_mul(GOLDEN)
    }
}

impl FlatKey for [u64; 2] {
    const EMPTY: [u64; 2] = [0, 0];
    #[inline(always)]
    fn hash(&self) -> u64 {
        (self[0].wrapping_mul(GOLDEN).rotate_left(29) ^ self[1]).wrapping_mul(GOLDEN)
    }
}

/// Open addressing with linear probing, at most half full: a key that is not
/// there (most bigram look-ups) then ends its search after a few slots.
#[derive(Debug, Clone)]
pub(crate) struct FlatMap<K, V> {
    slots: Vec<(K, V)>,
    /// 64 − log2(capacity): the hash's high bits pick the first slot.
    shift: u32,
    len: usize,
}

impl<K: FlatKey, V: Copy + Default> Default for FlatMap<K, V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<K: FlatKey, V: Copy + Default> FlatMap<K, V> {
    /// A map that holds `n` keys before it grows.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let slots = (n * 2 + 1).next_power_of_two().max(16);
        FlatMap {
            slots: vec![(K::EMPTY, V::default()); slots],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        }
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn first_slot(&self, key: &K) -> usize {
        (key.hash() >> self.shift) as usize
    }

    /// The value of `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let mask = self.slots.len() - 1;
        let mut i = self.first_slot(key);
        loop {
            let (k, v) = self.slots[i];
            if k == *key {
                return Some(v);
            }
            if k == K::EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value of `key` (which must not be [`FlatKey::EMPTY`]).
    pub(crate) fn insert(&mut self, key: K, value: V) {
        debug_assert!(key != K::EMPTY);
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.first_slot(&key);
        loop {
            let slot = &mut self.slots[i];
            if slot.0 == key {
                slot.1 = value;
                return;
            }
            if slot.0 == K::EMPTY {
                *slot = (key, value);
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        *self = Self::with_capacity(old.len());
        for (k, v) in old {
            if k != K::EMPTY {
                self.insert(k, v);
            }
        }
    }

    /// Removes every key, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.slots.fill((K::EMPTY, V::default()));
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_like_a_hash_map() {
        let mut flat: FlatMap<u64, u32> = FlatMap::default();
        let mut reference = HashMap::new();
        let mut x = 12345u64;
        for n in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct keys, so that some are inserted again.
            let key = x % 15_000;
            flat.insert(key, n);
            reference.insert(key, n);
        }
        assert_eq!(flat.len(), reference.len());
        for key in 0..16_000 {
            assert_eq!(flat.get(&key), reference.get(&key).copied(), "{key}");
        }
        flat.clear();
        assert_eq!(flat.len(), 0);
        assert_eq!(flat.get(&1), None);
    }

    #[test]
    fn two_word_keys() {
        let mut flat: FlatMap<[u64; 2], u8> = FlatMap::default();
        for a in 1..100u64 {
            for b in 0..50u64 {
                flat.insert([a, b], (a + b) as u8);
            }
        }
        assert_eq!(flat.len(), 99 * 50);
        assert_eq!(flat.get(&[7, 3]), Some(10));
        assert_eq!(flat.get(&[3, 7]), Some(10));
        assert_eq!(flat.get(&[100, 0]), None);
    }
}
