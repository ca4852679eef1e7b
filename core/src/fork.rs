//! What `fork()` does to the primitives, and the two things that keep a child process working.
//!
//! A child created by `fork()` inherits its parent's memory but only the thread that called
//! `fork`. Two hazards follow:
//!
//! 1. **Threads owned by a primitive are gone.** An [`AsyncRecorder`] compares the fork count it
//!    was created under ([`generation`]) with the current one and refuses records in a child.
//! 2. **A lock held by another thread at the instant of the fork stays locked for ever** in the
//!    child, and whatever it protected may be half-updated. So every place where a primitive holds
//!    a lock (a ShardedMap shard, a token's child list, a ledger's index writer, a registry's name
//!    table...) or is between two steps that must both happen (a ledger transfer between its debit
//!    and its credit) is a *section* ([`section`]), and `fork` waits at a door until no other
//!    thread is inside one: a `pthread_atfork` prepare handler closes the door (threads arriving
//!    at it wait for the fork to finish), waits for the threads inside to leave, and the parent
//!    and child handlers open it again (the door counts forks under way: glibc may run the
//!    handlers of two concurrent forks interleaved). The child therefore never inherits a held
//!    lock or a half-done transfer, and every primitive works in it as in the parent.
//!
//! Sections are short and never block: they hold no lock while waiting for another thread's
//! progress (waits park outside them, see [`crate::sync::Waiters`]), and they run no code of the
//! caller's except the closures `ShardedMap` documents as running under its shard lock and the
//! per-result callback of `Ledger::transfer_each` (a batch is one section). So `fork` waits
//! microseconds. The one way to make it wait for ever is such a closure that itself waits for the
//! thread calling `fork`.
//!
//! Cost: entering and leaving a section is a thread-local depth count and one load of the door,
//! ordered by a compiler fence: the fork side pays for the ordering with `membarrier(2)`
//! (`MEMBARRIER_CMD_PRIVATE_EXPEDITED`, Linux 4.14+), which makes every running thread of the
//! process execute a full barrier. Where that is unavailable, entering pays a full fence instead.
//!
//! [`AsyncRecorder`]: crate::AsyncRecorder

#[cfg(not(loom))]
use std::cell::Cell;
#[cfg(not(loom))]
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicPtr, AtomicU32};
use std::sync::atomic::{AtomicU64, Ordering};

static FORKS: AtomicU64 = AtomicU64::new(0);

/// The number of `fork()`s between the process's start and now, as seen from this process (each
/// child starts from its parent's count plus one). Registers the fork handlers on first use, so
/// call it when a primitive that depends on it is created.
pub(crate) fn generation() -> u64 {
    register_handlers();
    FORKS.load(Ordering::Relaxed)
}

/// Registers the `pthread_atfork` handlers once per process; every caller returns once they are
/// registered. Not a `Once`: a fork while another thread was registering would leave the child
/// waiting for ever for a registration that no thread of it is running. Here the registering
/// process writes its pid into the state, and a child that finds its parent's pid there (the
/// fork came mid-registration) registers again itself.
#[cfg(unix)]
pub(crate) fn register_handlers() {
    const DONE: u64 = u64::MAX;
    static STATE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if STATE.load(Ordering::Acquire) == DONE {
        return;
    }
    // SAFETY: getpid has no preconditions and cannot fail.
    let me = u64::from(unsafe { libc::getpid() }.unsigned_abs());
    let mut seen = 0;
    loop {
        match STATE.compare_exchange(seen, me, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(DONE) => return,
            // Another thread of this process is registering: it will be done in a moment.
            Err(owner) if owner == me => std::thread::yield_now(),
            // Nobody yet, or the parent we were forked from was registering: take over.
            Err(other) => seen = other,
        }
    }
    #[cfg(not(loom))]
    door::init();
    // SAFETY: the handlers are `extern "C"` functions with no arguments that never unwind:
    // they touch only statics and this thread's locals (see `door`).
    unsafe {
        #[cfg(not(loom))]
        libc::pthread_atfork(
            Some(door::before_fork),
            Some(door::after_fork_in_parent),
            Some(door::after_fork_in_child),
        );
        #[cfg(loom)]
        libc::pthread_atfork(None, None, Some(count_fork_in_child));
    }
    STATE.store(DONE, Ordering::Release);
}

/// No `fork` without unix: nothing to register.
#[cfg(not(unix))]
pub(crate) fn register_handlers() {}

#[cfg(all(unix, loom))]
extern "C" fn count_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Proof that this thread is inside a section: `fork` waits until no other thread holds one.
/// Sections nest; dropping the outermost leaves. Not `Send`: it belongs to the thread's count.
#[must_use = "the section ends when this is dropped"]
pub(crate) struct Section {
    #[cfg(not(loom))]
    slot: &'static door::Slot,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Enters a section (see the module documentation). Take it *before* the lock it covers, and
/// keep it until after the lock is released: declare the lock guard after the section, or put
/// both in one struct with the guard first.
#[inline]
pub(crate) fn section() -> Section {
    #[cfg(not(loom))]
    {
        let slot = door::mine();
        let depth = slot.depth.load(Ordering::Relaxed);
        slot.depth.store(depth + 1, Ordering::Relaxed);
        if depth == 0 {
            door::enter(slot);
        }
        Section {
            slot,
            _not_send: std::marker::PhantomData,
        }
    }
    #[cfg(loom)]
    Section {
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for Section {
    #[inline]
    fn drop(&mut self) {
        #[cfg(not(loom))]
        {
            let depth = self.slot.depth.load(Ordering::Relaxed);
            // Release: what the section did (unlocking included) is visible to the fork side
            // before it sees the thread outside.
            self.slot.depth.store(depth - 1, Ordering::Release);
        }
    }
}

/// A lock guard together with the section that covers it; dereferences to the guard. The guard
/// is dropped first, then the section.
pub(crate) struct Guarded<G> {
    guard: G,
    _section: Section,
}

impl<G> Guarded<G> {
    /// Enters a section, then runs `lock` inside it.
    #[inline]
    pub(crate) fn lock(lock: impl FnOnce() -> G) -> Self {
        let section = section();
        Guarded {
            guard: lock(),
            _section: section,
        }
    }
}

impl<G: std::ops::Deref> std::ops::Deref for Guarded<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: std::ops::DerefMut> std::ops::DerefMut for Guarded<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

/// The door and the per-thread section counts.
#[cfg(not(loom))]
mod door {
    use super::*;
    use std::ptr;

    /// One thread's count of nested sections. Slots are never freed: a thread that exits gives
    /// its slot back (`taken`) for the next new thread, so there are at most as many as the
    /// process ever had threads at once.
    pub(super) struct Slot {
        pub(super) depth: AtomicU32,
        taken: AtomicBool,
        next: *const Slot,
    }

    // SAFETY: `next` is written once, before the slot is published, and never changed; the
    // other fields are atomics.
    unsafe impl Sync for Slot {}

    /// Every slot ever made, newest first (a push-only list).
    static SLOTS: AtomicPtr<Slot> = AtomicPtr::new(ptr::null_mut());
    /// Forks under way: the door is closed while it is not 0. A count, not a flag: glibc runs
    /// the handlers of concurrent forks without serialising them, so one fork's parent handler
    /// may run while another fork's prepare has closed the door and not forked yet.
    static CLOSED: AtomicU32 = AtomicU32::new(0);
    /// Whether `membarrier` orders the sections (else entering pays a full fence).
    static EXPEDITED: AtomicBool = AtomicBool::new(false);

    std::thread_local! {
        static MINE: Cell<*const Slot> = const { Cell::new(ptr::null()) };
        static GIVE_BACK: GiveBack = const { GiveBack };
    }

    /// Gives the thread's slot back when the thread exits.
    struct GiveBack;

    impl Drop for GiveBack {
        fn drop(&mut self) {
            let slot = MINE.with(|m| m.replace(ptr::null()));
            // SAFETY: slots are leaked, so the pointer is valid for ever.
            if let Some(slot) = unsafe { slot.as_ref() } {
                slot.taken.store(false, Ordering::Release);
            }
        }
    }

    #[cfg(target_os = "linux")]
    mod membarrier {
        // From <linux/membarrier.h>.
        const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

        fn call(cmd: libc::c_long) -> bool {
            // SAFETY: membarrier takes two integers and touches no memory of ours.
            unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long) == 0 }
        }

        pub(super) fn register() -> bool {
            call(REGISTER_PRIVATE_EXPEDITED)
        }

        pub(super) fn barrier() -> bool {
            call(PRIVATE_EXPEDITED)
        }
    }

    /// Chooses how sections are ordered; runs once, before any section exists.
    pub(super) fn init() {
        #[cfg(target_os = "linux")]
        EXPEDITED.store(membarrier::register(), Ordering::Relaxed);
    }

    /// This thread's slot, registering it on first use.
    #[inline]
    pub(super) fn mine() -> &'static Slot {
        let slot = MINE.with(Cell::get);
        // SAFETY: slots are leaked, so a non-null pointer is valid for ever.
        match unsafe { slot.as_ref() } {
            Some(slot) => slot,
            None => register(),
        }
    }

    #[cold]
    fn register() -> &'static Slot {
        super::register_handlers();
        let slot = reuse().unwrap_or_else(|| {
            let slot: &'static Slot = Box::leak(Box::new(Slot {
                depth: AtomicU32::new(0),
                taken: AtomicBool::new(true),
                next: SLOTS.load(Ordering::Acquire),
            }));
            let new = ptr::from_ref(slot).cast_mut();
            let mut head = slot.next.cast_mut();
            // The slot is not shared yet: `next` can still be fixed up on a lost race.
            while let Err(now) =
                SLOTS.compare_exchange_weak(head, new, Ordering::AcqRel, Ordering::Acquire)
            {
                head = now;
                // SAFETY: `new` is ours alone until the exchange succeeds.
                unsafe { (*new).next = head };
            }
            slot
        });
        MINE.with(|m| m.set(slot));
        // During thread teardown the give-back may be gone already: the slot is then kept.
        let _ = GIVE_BACK.try_with(|_| ());
        slot
    }

    fn reuse() -> Option<&'static Slot> {
        each_slot(|slot| {
            slot.taken
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
    }

    /// The first slot `pick` accepts.
    fn each_slot(mut pick: impl FnMut(&'static Slot) -> bool) -> Option<&'static Slot> {
        let mut at = SLOTS.load(Ordering::Acquire).cast_const();
        // SAFETY: slots are leaked and their `next` never changes once published.
        while let Some(slot) = unsafe { at.as_ref() } {
            if pick(slot) {
                return Some(slot);
            }
            at = slot.next;
        }
        None
    }

    /// The outermost entry: step in, then look at the door; while it is closed, step back out and
    /// wait for it to open.
    #[cold]
    #[inline(never)]
    pub(super) fn enter(slot: &Slot) {
        loop {
            // Pairs with the barrier in `before_fork`: either that thread sees our depth, or we
            // see the door closed (store-load ordering on both sides).
            if EXPEDITED.load(Ordering::Relaxed) {
                compiler_fence(Ordering::SeqCst);
            } else {
                fence(Ordering::SeqCst);
            }
            if CLOSED.load(Ordering::Relaxed) == 0 {
                return;
            }
            slot.depth.store(0, Ordering::Release);
            while CLOSED.load(Ordering::Acquire) != 0 {
                std::thread::yield_now();
            }
            slot.depth.store(1, Ordering::Relaxed);
        }
    }

    /// Prepare handler: close the door, then wait until every other thread has left its sections.
    pub(super) extern "C" fn before_fork() {
        CLOSED.fetch_add(1, Ordering::Relaxed);
        // Both, whatever EXPEDITED says now: a thread that read it as true relies on the
        // membarrier, one that read it as false (or raced the registration) pays its own fence.
        #[cfg(target_os = "linux")]
        let _ = membarrier::barrier();
        fence(Ordering::SeqCst);
        let me = MINE.with(Cell::get);
        each_slot(|slot| {
            // The forking thread's own sections (a fork from inside one) go on in the child.
            if !ptr::eq(slot, me) {
                let mut spins = 0u32;
                while slot.depth.load(Ordering::Acquire) != 0 {
                    spins = spins.saturating_add(1);
                    if spins < 64 {
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
            }
            false
        });
    }

    pub(super) extern "C" fn after_fork_in_parent() {
        CLOSED.fetch_sub(1, Ordering::Release);
    }

    pub(super) extern "C" fn after_fork_in_child() {
        FORKS.fetch_add(1, Ordering::Relaxed);
        crate::stripe::forget_in_child();
        // Only this thread exists here: the other slots belong to threads the child does not
        // have (all outside their sections), so they are free for the child's new threads.
        let me = MINE.with(Cell::get);
        each_slot(|slot| {
            if !ptr::eq(slot, me) {
                slot.taken.store(false, Ordering::Relaxed);
            }
            false
        });
        // A child has a memory map of its own: register it for membarrier too (or fall back).
        #[cfg(target_os = "linux")]
        if EXPEDITED.load(Ordering::Relaxed) && !membarrier::register() {
            EXPEDITED.store(false, Ordering::Relaxed);
        }
        // Other forks under way belong to the parent; this process has none.
        CLOSED.store(0, Ordering::Release);
    }
}

#[cfg(all(test, unix, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// Forks while other threads enter and leave sections as fast as they can, and checks in the
    /// child that no section was left open by a thread that the child does not have: each thread
    /// holds its section around a flag pair that must always be seen equal from outside.
    #[test]
    fn fork_waits_for_threads_inside_sections_and_the_child_sees_none_half_done() {
        let pairs: Arc<Vec<(AtomicU64, AtomicU64)>> = Arc::new(
            (0..4)
                .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (pairs, stop) = (pairs.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let _s = section();
                        n += 1;
                        pairs[i].0.store(n, Ordering::Relaxed);
                        std::hint::spin_loop();
                        pairs[i].1.store(n, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        for _ in 0..20 {
            let before = generation();
            // SAFETY: the child only reads atomics, checks a section can be entered, and exits
            // with `_exit` (no destructors, no stdio flush).
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let torn = pairs
                    .iter()
                    .any(|(a, b)| a.load(Ordering::Relaxed) != b.load(Ordering::Relaxed));
                let counted = generation() == before + 1;
                drop(section());
                // SAFETY: `_exit` has no preconditions; it ends the child without running the
                // destructors and atexit handlers copied from the multi-threaded parent.
                unsafe { libc::_exit(if !torn && counted { 0 } else { 1 }) };
            }
            let mut status = 0;
            // SAFETY: `pid` is the child forked above (this is the parent's branch, pid > 0) and
            // `status` is a live local that the call writes.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
    }
}
