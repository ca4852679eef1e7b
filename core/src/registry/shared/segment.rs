//! The segment file: its layout, its atomic creation, and the checks that turn any file that is
//! not a whole, valid segment into an error before a byte of it is trusted.
//!
//! ```text
//! offset            size                  what
//! 0                 4096                  header: geometry (immutable, checksummed), then the
//!                                         allocation cursors, each on its own cache line
//! 4096              16 x max_processes    process table: (pid, boot, start time) per slot
//! entries           64 x max_series       series entries, appended in index order
//! index             8 x index_slots       the entry of each series key: open addressing by the
//!                                         key's FNV-1a hash, linear probing; a slot holds entry
//!                                         index + 1 (0: free) and is set once
//! arena             data_bytes            metadata blobs and cells, bump-allocated, 128-aligned
//! ```
//!
//! Nothing in the segment is a pointer: every reference is a byte offset from the start of the
//! file, checked against the geometry before use, so every process may map it anywhere.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use portable_atomic::AtomicU128;

use crate::Error;

/// The first bytes of every segment.
pub(super) const MAGIC: [u8; 8] = *b"APSHMREG";
/// Version of the layout described here; a segment of another version is refused.
pub(super) const VERSION: u32 = 1;
/// Bytes of the header.
pub(super) const HEADER_BYTES: u64 = 4096;
/// Bytes of one series entry.
pub(super) const ENTRY_BYTES: u64 = 64;
/// Bytes of one process table slot.
pub(super) const PROCESS_BYTES: u64 = 16;
/// Bytes of one index slot.
pub(super) const INDEX_BYTES: u64 = 8;
/// Alignment of every arena allocation (a counter stripe is 128 bytes, cache-line-pair aligned).
pub(super) const ALIGN: u64 = 128;
/// Bytes of the geometry that the checksum covers.
const GEOMETRY_BYTES: usize = 88;

/// Bounds on the sizes a segment may be created with (and that a header may claim).
pub(super) const MAX_PROCESSES: u32 = 1 << 16;
pub(super) const MAX_SERIES: u32 = 1 << 24;
pub(super) const MAX_DATA_BYTES: u64 = 1 << 40;

// Offsets of the header's atomics.
const NEXT_ENTRY: usize = 128;
const ARENA_USED: usize = 192;
const REFUSED_SERIES: usize = 256;
const REFUSED_PROCESSES: usize = 320;

/// Entry states: an entry is appended EMPTY (its index taken), marked WRITING while its
/// registrant fills it, and published READY last. An entry that never gets to READY (its
/// registrant died) is skipped for ever.
pub(super) const EMPTY: u32 = 0;
pub(super) const WRITING: u32 = 1;
pub(super) const READY: u32 = 2;

/// One series entry. Every field is an atomic so that a reader in another process never races
/// a plain access; all but `state` are written before `state` becomes READY (release) and never
/// after.
#[repr(C)]
pub(super) struct Entry {
    pub(super) state: AtomicU32,
    /// Kind (bits 0-7), gauge mode (8-15), histogram significant figures (16-23).
    pub(super) info: AtomicU32,
    pub(super) meta_offset: AtomicU64,
    pub(super) meta_len: AtomicU32,
    /// Counter stripes, histogram sum stripes, or per-process gauge cells.
    pub(super) count: AtomicU32,
    pub(super) cells_offset: AtomicU64,
    pub(super) cells_len: AtomicU64,
    /// Histogram highest trackable value.
    pub(super) highest: AtomicU64,
    /// Hash of the series key (name and labels), for diagnostics.
    pub(super) key_hash: AtomicU64,
    /// Pid of the process that wrote the entry, for diagnostics.
    pub(super) writer: AtomicU32,
    pub(super) reserved: AtomicU32,
}

const _: () = assert!(std::mem::size_of::<Entry>() == ENTRY_BYTES as usize);

/// Where everything is in a segment; immutable once created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Geometry {
    pub(super) max_processes: u32,
    pub(super) max_series: u32,
    pub(super) table: u64,
    pub(super) entries: u64,
    pub(super) index: u64,
    /// Slots of the index: a power of two, at least twice `max_series`, so that probing always
    /// ends at a free slot.
    pub(super) index_slots: u64,
    pub(super) arena: u64,
    pub(super) arena_bytes: u64,
    pub(super) total: u64,
    pub(super) counter_stripes: u32,
    pub(super) sum_stripes: u32,
}

fn align_up(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

/// FNV-1a, 64 bits: a stable hash that every language can compute.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Geometry {
    /// The layout for these capacities, or `None` when one is out of bounds.
    pub(super) fn new(
        max_processes: u32,
        max_series: u32,
        data_bytes: u64,
        counter_stripes: u32,
        sum_stripes: u32,
    ) -> Option<Geometry> {
        let ok = (1..=MAX_PROCESSES).contains(&max_processes)
            && (1..=MAX_SERIES).contains(&max_series)
            && (ALIGN..=MAX_DATA_BYTES).contains(&data_bytes)
            && counter_stripes.is_power_of_two()
            && counter_stripes <= 1024
            && sum_stripes.is_power_of_two()
            && sum_stripes as usize <= crate::histogram::MAX_SUM_STRIPES;
        if !ok {
            return None;
        }
        let table = HEADER_BYTES;
        let entries = align_up(table + PROCESS_BYTES * u64::from(max_processes), ALIGN);
        let index = align_up(entries + ENTRY_BYTES * u64::from(max_series), ALIGN);
        let index_slots = (2 * u64::from(max_series)).next_power_of_two();
        let arena = align_up(index + INDEX_BYTES * index_slots, 4096);
        let arena_bytes = align_up(data_bytes, ALIGN);
        Some(Geometry {
            max_processes,
            max_series,
            table,
            entries,
            index,
            index_slots,
            arena,
            arena_bytes,
            total: arena + arena_bytes,
            counter_stripes,
            sum_stripes,
        })
    }

    fn encode(&self) -> [u8; GEOMETRY_BYTES + 8] {
        let mut b = [0u8; GEOMETRY_BYTES + 8];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        b[12..16].copy_from_slice(&(HEADER_BYTES as u32).to_ne_bytes());
        b[16..24].copy_from_slice(&self.total.to_ne_bytes());
        b[24..28].copy_from_slice(&self.max_processes.to_ne_bytes());
        b[28..32].copy_from_slice(&self.max_series.to_ne_bytes());
        b[32..40].copy_from_slice(&self.table.to_ne_bytes());
        b[40..48].copy_from_slice(&self.entries.to_ne_bytes());
        b[48..56].copy_from_slice(&self.arena.to_ne_bytes());
        b[56..64].copy_from_slice(&self.arena_bytes.to_ne_bytes());
        b[64..68].copy_from_slice(&self.counter_stripes.to_ne_bytes());
        b[68..72].copy_from_slice(&self.sum_stripes.to_ne_bytes());
        b[72..76].copy_from_slice(&(ENTRY_BYTES as u32).to_ne_bytes());
        b[76..80].copy_from_slice(&(PROCESS_BYTES as u32).to_ne_bytes());
        b[80..88].copy_from_slice(&self.index.to_ne_bytes());
        let sum = fnv1a(&b[..GEOMETRY_BYTES]);
        b[GEOMETRY_BYTES..].copy_from_slice(&sum.to_ne_bytes());
        b
    }

    /// The geometry a header states, checked: magic, version, checksum, and offsets that are
    /// exactly those this library would lay out for the stated capacities, within `file_len`.
    fn decode(b: &[u8], file_len: u64, path: &Path) -> Result<Geometry, Error> {
        let bad = |why: String| Err(Error::InvalidArgument(format!("{}: {why}", path.display())));
        if b.len() < GEOMETRY_BYTES + 8 || b[0..8] != MAGIC {
            return bad("not an atomicperf shared registry (no segment header)".into());
        }
        let u32_at = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_ne_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let version = u32_at(8);
        if version != VERSION {
            return bad(format!(
                "shared registry layout version {version}; this library reads version {VERSION} \
                 only (remove the segment, or open it with a matching atomicperf)"
            ));
        }
        if u64_at(GEOMETRY_BYTES) != fnv1a(&b[..GEOMETRY_BYTES]) {
            return bad("corrupted shared registry: header checksum mismatch".into());
        }
        let stated = Geometry {
            max_processes: u32_at(24),
            max_series: u32_at(28),
            table: u64_at(32),
            entries: u64_at(40),
            index: u64_at(80),
            index_slots: (2 * u64::from(u32_at(28))).next_power_of_two(),
            arena: u64_at(48),
            arena_bytes: u64_at(56),
            total: u64_at(16),
            counter_stripes: u32_at(64),
            sum_stripes: u32_at(68),
        };
        let expected = Geometry::new(
            stated.max_processes,
            stated.max_series,
            stated.arena_bytes,
            stated.counter_stripes,
            stated.sum_stripes,
        );
        let sizes = u64::from(u32_at(12)) == HEADER_BYTES
            && u64::from(u32_at(72)) == ENTRY_BYTES
            && u64::from(u32_at(76)) == PROCESS_BYTES;
        if expected != Some(stated) || !sizes {
            return bad("corrupted shared registry: inconsistent header geometry".into());
        }
        if file_len < stated.total {
            return bad(format!(
                "truncated shared registry: the file has {file_len} bytes, its header says {}",
                stated.total
            ));
        }
        Ok(stated)
    }
}

/// A mapped segment. Every accessor checks its offsets against the geometry, so no value read
/// from the segment can make the library touch memory outside it.
pub(super) struct Segment {
    base: NonNull<u8>,
    geometry: Geometry,
    path: PathBuf,
}

// SAFETY: the mapping is shared memory accessed only through atomics (and byte copies of
// immutable, published metadata); `base` stays valid until `drop` unmaps it, which happens once,
// when the last owner lets go.
unsafe impl Send for Segment {}
// SAFETY: as for `Send`: every access through `&Segment` is atomic or a read of published data.
unsafe impl Sync for Segment {}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: `base` is the start of a mapping of `total` bytes made in `map`, unmapped only
        // here; nothing borrows it any more (borrowers hold an `Arc` of the segment).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.geometry.total as usize) };
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    let hint = if e.kind() == ErrorKind::PermissionDenied {
        " (the segment needs read and write permission; see the `mode` it was created with)"
    } else {
        ""
    };
    Error::InvalidArgument(format!("cannot {what} {}: {e}{hint}", path.display()))
}

/// The checks of an entry's arena reference: `len` bytes at `offset`, inside the arena.
fn in_arena(g: &Geometry, offset: u64, len: u64) -> bool {
    offset >= g.arena && offset.checked_add(len).is_some_and(|end| end <= g.total)
}

impl Segment {
    /// Opens the segment at `path`, creating it with `geometry` and `mode` if it does not exist
    /// (and `create` allows). Racing creators are safe: each builds a whole segment in a file of
    /// its own with no name, and links it into place only when complete; one link wins, the
    /// others open the winner's. So an opener never sees a half-initialised header.
    pub(super) fn open_or_create(
        path: &Path,
        geometry: Option<(&Geometry, u32)>,
    ) -> Result<Segment, Error> {
        loop {
            if let Some(segment) = Self::open(path)? {
                return Ok(segment);
            }
            let Some((geometry, mode)) = geometry else {
                return Err(Error::InvalidArgument(format!(
                    "no shared registry at {} (and creation was not asked for)",
                    path.display()
                )));
            };
            // Lost a race to another creator: open theirs.
            if !Self::create(path, geometry, mode)? {
                continue;
            }
        }
    }

    /// The segment at `path`, `None` if there is no file there.
    pub(super) fn open(path: &Path) -> Result<Option<Segment>, Error> {
        let file = match File::options().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("open", path, e)),
        };
        let meta = file.metadata().map_err(|e| io_error("stat", path, e))?;
        if !meta.is_file() {
            return Err(Error::InvalidArgument(format!(
                "{}: not an atomicperf shared registry (not a regular file)",
                path.display()
            )));
        }
        let mut header = [0u8; GEOMETRY_BYTES + 8];
        let len = meta.len();
        if len < HEADER_BYTES {
            return Err(Error::InvalidArgument(format!(
                "{}: not an atomicperf shared registry ({len} bytes, shorter than a header)",
                path.display()
            )));
        }
        file.read_exact_at(&mut header, 0)
            .map_err(|e| io_error("read", path, e))?;
        let geometry = Geometry::decode(&header, len, path)?;
        Self::map(&file, geometry, path).map(Some)
    }

    fn map(file: &File, geometry: Geometry, path: &Path) -> Result<Segment, Error> {
        use std::os::fd::AsRawFd;
        let len = usize::try_from(geometry.total).map_err(|_| {
            Error::InvalidArgument(format!("{}: segment too large to map", path.display()))
        })?;
        // SAFETY: maps `len` bytes of an open file, shared, at an address of the kernel's
        // choosing; the result is checked before use.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io_error("map", path, std::io::Error::last_os_error()));
        }
        Ok(Segment {
            base: NonNull::new(base.cast()).expect("mmap never returns NULL on success"),
            geometry,
            path: path.to_path_buf(),
        })
    }

    /// Builds a segment in an unnamed file next to `path` and links it there; `false` when a
    /// file appeared at `path` first.
    fn create(path: &Path, geometry: &Geometry, mode: u32) -> Result<bool, Error> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // O_TMPFILE: a file with no name until linked, so a creator killed half-way leaves
        // nothing behind. Filesystems without it get a named temporary file, renamed by link.
        let (file, temp) = match File::options()
            .read(true)
            .write(true)
            .mode(mode)
            .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
            .open(dir)
        {
            Ok(f) => (f, None),
            Err(_) => {
                let name = format!(
                    ".{}.{}.{}.tmp",
                    path.file_name()
                        .map_or("segment".into(), |n| n.to_string_lossy()),
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos())
                );
                let temp = dir.join(name);
                let f = File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(mode)
                    .open(&temp)
                    .map_err(|e| io_error("create a segment in", dir, e))?;
                (f, Some(temp))
            }
        };
        let result = Self::fill_and_link(&file, temp.as_deref(), path, geometry, mode);
        if let Some(temp) = &temp {
            let _ = std::fs::remove_file(temp);
        }
        result
    }

    fn fill_and_link(
        file: &File,
        temp: Option<&Path>,
        path: &Path,
        geometry: &Geometry,
        mode: u32,
    ) -> Result<bool, Error> {
        use std::os::fd::AsRawFd;
        // The mode asked for, whatever the umask.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| io_error("set the mode of", path, e))?;
        // Sparse: pages are allocated when first written.
        file.set_len(geometry.total)
            .map_err(|e| io_error("size", path, e))?;
        file.write_all_at(&geometry.encode(), 0)
            .map_err(|e| io_error("write", path, e))?;
        let linked = match temp {
            Some(temp) => std::fs::hard_link(temp, path),
            None => {
                let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
                    .expect("no NUL in a number");
                let to = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
                    .map_err(|_| Error::InvalidArgument("path contains a NUL byte".into()))?;
                // SAFETY: two NUL-terminated paths; linkat reads them and keeps nothing.
                let rc = unsafe {
                    libc::linkat(
                        libc::AT_FDCWD,
                        from.as_ptr(),
                        libc::AT_FDCWD,
                        to.as_ptr(),
                        libc::AT_SYMLINK_FOLLOW,
                    )
                };
                if rc == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            }
        };
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error("create", path, e)),
        }
    }

    pub(super) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The atomic `u64` at byte `offset` (8-aligned, inside the segment: checked by callers
    /// through the geometry or constant).
    fn u64_at(&self, offset: usize) -> &AtomicU64 {
        assert!(offset % 8 == 0 && offset as u64 + 8 <= self.geometry.total);
        // SAFETY: in bounds and aligned (asserted; the base is page-aligned); the mapping lives
        // as long as `self`, and shared memory is only accessed atomically.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU64>() }
    }

    /// Index of the next entry to append (may exceed `max_series` once full).
    pub(super) fn next_entry(&self) -> &AtomicU64 {
        self.u64_at(NEXT_ENTRY)
    }

    /// Bytes of the arena handed out.
    pub(super) fn arena_used(&self) -> &AtomicU64 {
        self.u64_at(ARENA_USED)
    }

    /// Series refused because the segment was full.
    pub(super) fn refused_series(&self) -> &AtomicU64 {
        self.u64_at(REFUSED_SERIES)
    }

    /// Processes that found the process table full.
    pub(super) fn refused_processes(&self) -> &AtomicU64 {
        self.u64_at(REFUSED_PROCESSES)
    }

    /// Entry `i` (`i < max_series`).
    pub(super) fn entry(&self, i: usize) -> &Entry {
        assert!(i < self.geometry.max_series as usize);
        let offset = self.geometry.entries as usize + i * ENTRY_BYTES as usize;
        // SAFETY: entries lie between the table and the arena (geometry checked), 64-byte
        // aligned, inside the mapping that lives as long as `self`; `Entry` is all atomics.
        unsafe { &*self.base.as_ptr().add(offset).cast::<Entry>() }
    }

    /// Index slot `i` (`i < index_slots`): entry index + 1 of a series, 0 while free.
    pub(super) fn index_slot(&self, i: usize) -> &AtomicU64 {
        assert!((i as u64) < self.geometry.index_slots);
        self.u64_at(self.geometry.index as usize + i * INDEX_BYTES as usize)
    }

    /// Process table slot `i` (`i < max_processes`).
    pub(super) fn slot(&self, i: usize) -> &AtomicU128 {
        assert!(i < self.geometry.max_processes as usize);
        let offset = self.geometry.table as usize + i * PROCESS_BYTES as usize;
        // SAFETY: the table starts at the page-aligned header's end, 16 bytes a slot, inside the
        // mapping; `AtomicU128` is lock-free here (checked by `SharedRegistry::open`), so it
        // works across processes.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU128>() }
    }

    /// Allocates `len` bytes (rounded up to [`ALIGN`]) of the arena; `None` when they do not
    /// fit. A compare-and-swap bump: a request that does not fit takes nothing, so smaller ones
    /// still can; a process killed after it leaves bytes allocated and unused, never a gap that
    /// two allocations share.
    pub(super) fn alloc(&self, len: u64) -> Option<u64> {
        let len = align_up(len.max(1), ALIGN);
        let used = self.arena_used();
        let mut at = used.load(Ordering::Relaxed);
        loop {
            let end = at
                .checked_add(len)
                .filter(|&e| e <= self.geometry.arena_bytes)?;
            match used.compare_exchange_weak(at, end, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Some(self.geometry.arena + at),
                Err(now) => at = now,
            }
        }
    }

    /// A copy of `len` bytes at `offset`, if they lie in the arena.
    pub(super) fn read_bytes(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        if !in_arena(&self.geometry, offset, len) {
            return None;
        }
        let mut out = vec![0u8; len as usize];
        // SAFETY: `len` bytes at `offset` are inside the mapping (checked); published metadata
        // is never written again, so the copy reads immutable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.as_ptr().add(offset as usize),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        Some(out)
    }

    /// Writes `bytes` at `offset`, which the caller allocated with [`alloc`](Self::alloc) and has
    /// not published yet.
    pub(super) fn write_bytes(&self, offset: u64, bytes: &[u8]) {
        assert!(in_arena(&self.geometry, offset, bytes.len() as u64));
        // SAFETY: inside the mapping (asserted); the range was just allocated by this process
        // and no other process reads it before the entry that points to it is published.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.base.as_ptr().add(offset as usize),
                bytes.len(),
            )
        };
    }

    /// `count` atomic cells of `T` (`stride` bytes apart, `T` aligned) starting at `offset`, if
    /// they lie in the arena and are aligned for `T`.
    pub(super) fn cells<T>(&self, offset: u64, count: usize) -> Option<NonNull<T>> {
        let size = std::mem::size_of::<T>() as u64;
        let align = std::mem::align_of::<T>() as u64;
        let len = size.checked_mul(count as u64)?;
        if !in_arena(&self.geometry, offset, len) || offset % align != 0 {
            return None;
        }
        // SAFETY: `offset` is inside the mapping (checked), so the pointer stays in bounds.
        NonNull::new(unsafe { self.base.as_ptr().add(offset as usize) }.cast::<T>())
    }

    /// The atomic `u64` cell `i` of a block of cells at `offset` (checked by the caller with
    /// [`cells`](Self::cells)).
    pub(super) fn cell(&self, offset: u64, i: usize) -> &AtomicU64 {
        self.u64_at(offset as usize + 8 * i)
    }

    /// Lets go of the file name (the mapping stays valid until dropped).
    pub(super) fn unlink(&self) -> Result<(), Error> {
        std::fs::remove_file(&self.path).map_err(|e| io_error("remove", &self.path, e))
    }

    /// The segment's bytes up to the end of what has been allocated, for tests.
    #[cfg(test)]
    pub(super) fn used_bytes(&self) -> u64 {
        let used = self
            .arena_used()
            .load(Ordering::Relaxed)
            .min(self.geometry.arena_bytes);
        self.geometry.arena + used
    }
}
