use std::borrow::Borrow;
use std::cell::RefCell;
use std::hash::{BuildHasher, Hash};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crossbeam_utils::CachePadded;
use hashbrown::HashTable;

use crate::fork::Guarded;
use crate::Error;

type DefaultHasher = foldhash::fast::RandomState;

/// One shard: its own lock, on its own cache lines.
type Shard<K, V> = CachePadded<RwLock<HashTable<(K, V)>>>;

/// A concurrent hash map: equivalent to an `RwLock<HashMap<K, V>>`, except that the keys are
/// spread over independently locked shards, so threads working on different keys rarely meet.
///
/// Each shard is a cache-padded `RwLock` around a hashbrown table; a key's hash (foldhash, the
/// hasher hashbrown itself defaults to) picks the shard with its top bits and the bucket with the
/// rest, so every key is hashed once. The shard count is a power of two, four times the available
/// parallelism unless given.
///
/// No method hands out a guard or a reference into the map: reads return clones, and access in
/// place goes through closures ([`with`](Self::with), [`update`](Self::update),
/// [`compute_if_absent`](Self::compute_if_absent)). That rules out the deadlock dashmap users keep
/// hitting (holding a `Ref` while calling back into the map; dashmap issues #74, #233, #369): a
/// call on the same map from inside one of its own closures is refused with a panic that names
/// the problem, never a deadlock.
///
/// # Example
/// ```
/// use atomicperf::ShardedMap;
///
/// let sessions: ShardedMap<String, u32> = ShardedMap::new();
/// assert_eq!(sessions.insert("alice".into(), 1), None);
/// assert_eq!(sessions.insert("alice".into(), 2), Some(1));
/// sessions.update("alice", |v| *v += 10); // look-ups borrow: &str for String keys
/// assert_eq!(sessions.get("alice"), Some(12));
/// assert_eq!(sessions.compute_if_absent("bob".into(), || 7), 7);
/// assert_eq!(sessions.len(), 2);
/// ```
pub struct ShardedMap<K, V, S = DefaultHasher> {
    shards: Box<[Shard<K, V>]>,
    hasher: S,
    shift: u32,
}

std::thread_local! {
    // Maps whose closure this thread is running (addresses): a re-entrant call would deadlock on
    // the shard lock the closure holds.
    static IN_CLOSURE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

struct ClosureScope(usize);

impl ClosureScope {
    fn enter(map: usize) -> Self {
        IN_CLOSURE.with(|s| s.borrow_mut().push(map));
        ClosureScope(map)
    }
}

impl Drop for ClosureScope {
    fn drop(&mut self) {
        IN_CLOSURE.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(i) = s.iter().rposition(|&m| m == self.0) {
                s.remove(i);
            }
        });
    }
}

impl<K: Hash + Eq, V> ShardedMap<K, V> {
    /// An empty map with the default shard count.
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::build((cpus * 4).next_power_of_two(), DefaultHasher::default())
    }

    /// An empty map with `shards` shards (a power of two from 1 to 4096).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for another shard count.
    pub fn with_shards(shards: usize) -> Result<Self, Error> {
        Self::with_shards_and_hasher(shards, DefaultHasher::default())
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> ShardedMap<K, V, S> {
    /// An empty map with `shards` shards and the given hasher.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `shards` is a power of two from 1 to 4096.
    pub fn with_shards_and_hasher(shards: usize, hasher: S) -> Result<Self, Error> {
        if !shards.is_power_of_two() || shards > 4096 {
            return Err(Error::InvalidConfig(format!(
                "shard count must be a power of two from 1 to 4096, got {shards}"
            )));
        }
        Ok(Self::build(shards, hasher))
    }

    fn build(shards: usize, hasher: S) -> Self {
        let shift = 64 - shards.trailing_zeros();
        let shards = (0..shards)
            .map(|_| CachePadded::new(RwLock::new(HashTable::new())))
            .collect();
        ShardedMap {
            shards,
            hasher,
            shift,
        }
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    fn check_reentry(&self) {
        let me = self as *const Self as usize;
        if IN_CLOSURE.with(|s| s.borrow().contains(&me)) {
            panic!("ShardedMap: call on the same map from inside one of its own closures refused (it would deadlock)");
        }
    }

    fn locate<Q: Hash + ?Sized>(&self, key: &Q) -> (u64, usize) {
        let hash = self.hasher.hash_one(key);
        // The shard takes the top bits; hashbrown uses the low bits and its own top 7 for buckets
        // and tags, so the two choices stay independent. (`checked_shr` covers the 1-shard case.)
        let shard = hash.checked_shr(self.shift).unwrap_or(0) as usize;
        (hash, shard)
    }

    // Every shard lock is held inside a fork section (see `crate::fork`): a child process never
    // inherits a shard locked by a thread it does not have.
    fn read(&self, shard: usize) -> Guarded<RwLockReadGuard<'_, HashTable<(K, V)>>> {
        Guarded::lock(|| self.shards[shard].read().unwrap_or_else(|e| e.into_inner()))
    }

    fn write(&self, shard: usize) -> Guarded<RwLockWriteGuard<'_, HashTable<(K, V)>>> {
        Guarded::lock(|| {
            self.shards[shard]
                .write()
                .unwrap_or_else(|e| e.into_inner())
        })
    }

    fn rehash(&self) -> impl Fn(&(K, V)) -> u64 + '_ {
        |(k, _)| self.hasher.hash_one(k)
    }

    /// A clone of the value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with(key, V::clone)
    }

    /// Whether `key` is present.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with(key, |_| ()).is_some()
    }

    /// Runs `f` on the value for `key` under the shard's read lock and returns its result.
    ///
    /// # Panics
    /// If `f` calls back into this map.
    pub fn with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry();
        let (hash, shard) = self.locate(key);
        let table = self.read(shard);
        let (_, v) = table.find(hash, |(k, _)| k.borrow() == key)?;
        let _scope = ClosureScope::enter(self as *const Self as usize);
        Some(f(v))
    }

    /// Runs `f` on the values of two keys at once (either may be absent), under the read locks
    /// of their shards, taken in shard order so that pairs of readers and single writers can
    /// never deadlock. The way to read two entries consistently: calling back into the map from
    /// a closure is refused.
    ///
    /// # Panics
    /// If `f` calls back into this map.
    pub fn with_pair<Q, R>(&self, a: &Q, b: &Q, f: impl FnOnce(Option<&V>, Option<&V>) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry();
        let ((ha, sa), (hb, sb)) = (self.locate(a), self.locate(b));
        let first = self.read(sa.min(sb));
        let second = (sa != sb).then(|| self.read(sa.max(sb)));
        let table_of = |s: usize| {
            if s == sa.min(sb) {
                &*first
            } else {
                second.as_deref().expect("two shards")
            }
        };
        let va = table_of(sa)
            .find(ha, |(k, _)| k.borrow() == a)
            .map(|(_, v)| v);
        let vb = table_of(sb)
            .find(hb, |(k, _)| k.borrow() == b)
            .map(|(_, v)| v);
        let _scope = ClosureScope::enter(self as *const Self as usize);
        f(va, vb)
    }

    /// Calls `f` on every entry, shard by shard under each shard's read lock (each shard seen
    /// consistently, the map as a whole not at one instant).
    ///
    /// # Panics
    /// If `f` calls back into this map.
    pub fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        self.check_reentry();
        for s in 0..self.shards.len() {
            let table = self.read(s);
            let _scope = ClosureScope::enter(self as *const Self as usize);
            table.iter().for_each(|(k, v)| f(k, v));
        }
    }

    /// Inserts `value` for `key`, returning the previous value.
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        self.check_reentry();
        let (hash, shard) = self.locate(&key);
        let mut table = self.write(shard);
        match table.find_mut(hash, |(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                table.insert_unique(hash, (key, value), self.rehash());
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry();
        let (hash, shard) = self.locate(key);
        let mut table = self.write(shard);
        let entry = table.find_entry(hash, |(k, _)| k.borrow() == key).ok()?;
        Some(entry.remove().0 .1)
    }

    /// Runs `f` on the value for `key` under the shard's write lock and returns its result.
    ///
    /// # Panics
    /// If `f` calls back into this map.
    pub fn update<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry();
        let (hash, shard) = self.locate(key);
        let mut table = self.write(shard);
        let (_, v) = table.find_mut(hash, |(k, _)| k.borrow() == key)?;
        let _scope = ClosureScope::enter(self as *const Self as usize);
        Some(f(v))
    }

    /// The value for `key`, inserting `init()` first if absent; `init` runs at most once per call,
    /// under the shard's write lock, so concurrent callers for one key see one value.
    ///
    /// # Panics
    /// If `init` calls back into this map.
    pub fn compute_if_absent(&self, key: K, init: impl FnOnce() -> V) -> V
    where
        V: Clone,
    {
        self.check_reentry();
        let (hash, shard) = self.locate(&key);
        if let Some((_, v)) = self.read(shard).find(hash, |(k, _)| *k == key) {
            return v.clone();
        }
        let mut table = self.write(shard);
        if let Some((_, v)) = table.find(hash, |(k, _)| *k == key) {
            return v.clone();
        }
        let value = {
            let _scope = ClosureScope::enter(self as *const Self as usize);
            init()
        };
        table.insert_unique(hash, (key, value.clone()), self.rehash());
        value
    }

    /// Inserts `init()` for `key` if absent (running `init` at most once, under the shard's write
    /// lock); for values that cannot be cloned out. Returns whether it inserted.
    ///
    /// # Panics
    /// If `init` calls back into this map.
    pub fn compute_if_absent_with(&self, key: K, init: impl FnOnce() -> V) -> bool {
        self.check_reentry();
        let (hash, shard) = self.locate(&key);
        let mut table = self.write(shard);
        if table.find(hash, |(k, _)| *k == key).is_some() {
            return false;
        }
        let value = {
            let _scope = ClosureScope::enter(self as *const Self as usize);
            init()
        };
        table.insert_unique(hash, (key, value), self.rehash());
        true
    }

    /// Number of entries (shards are counted one after another, so concurrent writers may make
    /// it approximate).
    pub fn len(&self) -> usize {
        self.check_reentry();
        (0..self.shards.len()).map(|s| self.read(s).len()).sum()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every entry.
    pub fn clear(&self) {
        self.check_reentry();
        for s in 0..self.shards.len() {
            self.write(s).clear();
        }
    }

    /// Keeps only the entries for which `keep` returns true, shard by shard under each shard's
    /// write lock, and gives back the memory of a shard that shrank to under a quarter of its
    /// capacity.
    ///
    /// # Panics
    /// If `keep` calls back into this map.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.check_reentry();
        for s in 0..self.shards.len() {
            let mut table = self.write(s);
            {
                let _scope = ClosureScope::enter(self as *const Self as usize);
                table.retain(|(k, v)| keep(k, v));
            }
            let len = table.len();
            if table.capacity() > 4 * len + 16 {
                table.shrink_to(len, self.rehash());
            }
        }
    }

    /// Number of entries whose value satisfies `pred` (shard by shard).
    pub fn count_where(&self, pred: impl Fn(&V) -> bool) -> usize {
        self.check_reentry();
        (0..self.shards.len())
            .map(|s| self.read(s).iter().filter(|(_, v)| pred(v)).count())
            .sum()
    }

    /// A copy of every entry, taken shard by shard (each shard consistent in itself).
    pub fn snapshot(&self) -> Vec<(K, V)>
    where
        K: Clone,
        V: Clone,
    {
        self.check_reentry();
        let mut out = Vec::with_capacity(self.len());
        for s in 0..self.shards.len() {
            out.extend(self.read(s).iter().cloned());
        }
        out
    }
}

impl<K: Hash + Eq, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S> std::fmt::Debug for ShardedMap<K, V, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedMap")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::HashMap;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn shard_count_must_be_a_power_of_two() {
        assert!(matches!(
            ShardedMap::<u8, u8>::with_shards(0),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            ShardedMap::<u8, u8>::with_shards(6),
            Err(Error::InvalidConfig(_))
        ));
        assert_eq!(ShardedMap::<u8, u8>::with_shards(1).unwrap().shards(), 1);
        assert!(ShardedMap::<u8, u8>::new().shards().is_power_of_two());
    }

    #[test]
    fn one_shard_map_works() {
        let m = ShardedMap::with_shards(1).unwrap();
        for i in 0..100 {
            m.insert(i, i * 2);
        }
        assert_eq!((m.len(), m.get(&50)), (100, Some(100)));
    }

    #[test]
    fn nested_call_from_a_closure_is_refused_not_a_deadlock() {
        let m: ShardedMap<u32, u32> = ShardedMap::new();
        m.insert(1, 1);
        let nested = catch_unwind(AssertUnwindSafe(|| m.update(&1, |_| m.get(&1))));
        assert!(
            nested.is_err(),
            "re-entrant get inside update must be refused"
        );
        let nested = catch_unwind(AssertUnwindSafe(|| {
            m.compute_if_absent(2, || m.len() as u32)
        }));
        assert!(
            nested.is_err(),
            "re-entrant len inside compute_if_absent must be refused"
        );
        // The map is still usable afterwards: the refused calls released their locks.
        m.insert(3, 3);
        assert_eq!(
            (m.get(&1), m.get(&3), m.contains(&2)),
            (Some(1), Some(3), false)
        );
    }

    #[test]
    fn with_pair_sees_both_keys_in_one_or_two_shards() {
        for shards in [1, 64] {
            let m: ShardedMap<u32, u32> = ShardedMap::with_shards(shards).unwrap();
            (0..100).for_each(|k| {
                m.insert(k, k * 10);
            });
            for (a, b) in [(1, 2), (5, 5), (7, 99), (3, 1000)] {
                let got = m.with_pair(&a, &b, |x, y| (x.copied(), y.copied()));
                assert_eq!(got, (m.get(&a), m.get(&b)), "shards {shards}: {a}, {b}");
            }
            let nested = catch_unwind(AssertUnwindSafe(|| m.with_pair(&1, &2, |_, _| m.len())));
            assert!(nested.is_err());
            let mut sum = 0;
            m.for_each(|_, v| sum += v);
            assert_eq!(sum, (0..100u32).map(|k| k * 10).sum::<u32>());
        }
    }

    #[test]
    fn pairs_of_readers_and_writers_never_deadlock() {
        let m: ShardedMap<u32, u32> = ShardedMap::with_shards(4).unwrap();
        (0..64).for_each(|k| {
            m.insert(k, 0);
        });
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let m = &m;
                s.spawn(move || {
                    for i in 0..20_000u32 {
                        let (a, b) = ((i * 7 + t) % 64, (i * 13 + 3 * t) % 64);
                        if i % 3 == 0 {
                            m.insert(a, i);
                        } else {
                            m.with_pair(&a, &b, |x, y| {
                                std::hint::black_box((x.copied(), y.copied()))
                            });
                        }
                    }
                });
            }
        });
        assert_eq!(m.len(), 64);
    }

    #[test]
    fn another_map_may_be_used_inside_a_closure() {
        let (a, b): (ShardedMap<u32, u32>, ShardedMap<u32, u32>) =
            (ShardedMap::new(), ShardedMap::new());
        a.insert(1, 10);
        b.insert(1, 5);
        assert_eq!(a.update(&1, |v| *v += b.get(&1).unwrap()), Some(()));
        assert_eq!(a.get(&1), Some(15));
    }

    #[test]
    fn retain_keeps_exactly_the_chosen_entries_and_returns_memory() {
        let m: ShardedMap<u32, u32> = ShardedMap::new();
        for k in 0..100_000 {
            m.insert(k, k * 2);
        }
        m.retain(|k, v| k % 1000 == 0 && *v == k * 2);
        assert_eq!(m.len(), 100);
        assert!((0..100_000).all(|k| m.contains(&k) == (k % 1000 == 0)));
        let capacity: usize = (0..m.shards()).map(|s| m.read(s).capacity()).sum();
        assert!(capacity < 1000, "capacity {capacity} kept for 100 entries");
    }

    #[test]
    fn compute_if_absent_runs_init_once_under_races() {
        let m: ShardedMap<u32, u64> = ShardedMap::new();
        let runs = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for k in 0..200 {
                        let v = m.compute_if_absent(k, || {
                            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            u64::from(k) * 3
                        });
                        assert_eq!(v, u64::from(k) * 3);
                    }
                });
            }
        });
        assert_eq!(runs.into_inner(), 200);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u16),
        Remove(u8),
        Get(u8),
        Update(u8),
        ComputeIfAbsent(u8, u16),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<u8>(), any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => any::<u8>().prop_map(Op::Remove),
            3 => any::<u8>().prop_map(Op::Get),
            2 => any::<u8>().prop_map(Op::Update),
            2 => (any::<u8>(), any::<u16>()).prop_map(|(k, v)| Op::ComputeIfAbsent(k, v)),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_a_single_threaded_hashmap(ops in proptest::collection::vec(op(), 0..300), shards in 0u32..5) {
            let m = ShardedMap::with_shards(1 << shards).unwrap();
            let mut model: HashMap<u8, u16> = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(m.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(m.remove(&k), model.remove(&k)),
                    Op::Get(k) => {
                        prop_assert_eq!(m.get(&k), model.get(&k).copied());
                        prop_assert_eq!(m.contains(&k), model.contains_key(&k));
                    }
                    Op::Update(k) => prop_assert_eq!(
                        m.update(&k, |v| { *v = v.wrapping_add(1); *v }),
                        model.get_mut(&k).map(|v| { *v = v.wrapping_add(1); *v })
                    ),
                    Op::ComputeIfAbsent(k, v) => prop_assert_eq!(m.compute_if_absent(k, || v), *model.entry(k).or_insert(v)),
                    Op::Clear => { m.clear(); model.clear(); }
                }
                prop_assert_eq!(m.len(), model.len());
            }
            let mut snap = m.snapshot();
            snap.sort_unstable();
            let mut expected: Vec<_> = model.into_iter().collect();
            expected.sort_unstable();
            prop_assert_eq!(snap, expected);
        }
    }
}
