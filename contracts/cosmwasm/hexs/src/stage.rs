//! A write buffer over the contract's storage, so that one inbound message is applied in
//! isolation: its writes reach storage only when the whole message applied, and a refused
//! message leaves nothing behind.

use std::collections::BTreeMap;

use cosmwasm_std::{Order, Record, Storage};

pub struct Staged<'a> {
    base: &'a dyn Storage,
    /// Pending writes: `Some` sets, `None` removes.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// The writes of one staged message, to hand to `commit` once the borrow of storage ended.
pub type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

impl<'a> Staged<'a> {
    pub fn new(base: &'a dyn Storage) -> Self {
        Staged {
            base,
            writes: BTreeMap::new(),
        }
    }

    pub fn into_writes(self) -> Writes {
        self.writes
    }
}

pub fn commit(storage: &mut dyn Storage, writes: Writes) {
    for (k, v) in writes {
        match v {
            Some(v) => storage.set(&k, &v),
            None => storage.remove(&k),
        }
    }
}

fn in_bounds(k: &[u8], start: Option<&[u8]>, end: Option<&[u8]>) -> bool {
    start.is_none_or(|s| k >= s) && end.is_none_or(|e| k < e)
}

impl Storage for Staged<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.range(start, end, Order::Ascending).collect();
        for (k, v) in self.writes.iter() {
            if !in_bounds(k, start, end) {
                continue;
            }
            match v {
                Some(v) => {
                    merged.insert(k.clone(), v.clone());
                }
                None => {
                    merged.remove(k);
                }
            }
        }
        match order {
            Order::Ascending => Box::new(merged.into_iter()),
            Order::Descending => Box::new(merged.into_iter().rev()),
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn remove(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn staged_writes_reach_storage_only_on_commit() {
        let mut base = MockStorage::new();
        base.set(b"a", b"1");
        base.set(b"c", b"3");
        let mut st = Staged::new(&base);
        st.set(b"b", b"2");
        st.remove(b"a");
        assert_eq!(st.get(b"a"), None);
        assert_eq!(st.get(b"c"), Some(b"3".to_vec()));
        let all: Vec<Record> = st.range(None, None, Order::Ascending).collect();
        assert_eq!(
            all,
            vec![
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        let back: Vec<Record> = st.range(Some(b"b"), None, Order::Descending).collect();
        assert_eq!(back[0].0, b"c".to_vec());
        let w = st.into_writes();
        assert_eq!(base.get(b"a"), Some(b"1".to_vec()));
        commit(&mut base, w);
        assert_eq!(base.get(b"a"), None);
        assert_eq!(base.get(b"b"), Some(b"2".to_vec()));
    }
}
