#if canImport(Glibc)
import CMalloc
#endif

/// glibc's malloc serves blocks above 128 KiB (a [64, 2, 28, 28] tensor is 400 KB) with fresh
/// mmap'd pages and unmaps them on free, and trims the heap top on free, so nearly every op result
/// page-faults zeroed pages back in. Raising both thresholds keeps tensors on the heap and freed memory in the process
/// for the next step; the resident size stays at the step's peak. The threshold cannot go above
/// 32 MiB, and a cell's output at `bnas eval`'s batch of 256 with 32 channels is 103 MB, so mmap is
/// also switched off (M_MMAP_MAX 0). The heap top is not trimmed below 2 GiB: at C = 64 a cell's
/// output is 205 MB, more than 512 MiB came free at the top between cells, and trimmed pages were
/// faulted back in by the next cell. What each step saved: docs/performance.md#heap-tuning. A
/// process-wide setting, so the command line makes it, not a library module.
enum HeapTuning {
    /// Blocks up to this size come from the heap (glibc's ceiling for the threshold).
    static let mmapThreshold: Int32 = 32 << 20
    /// Free memory at the heap top kept rather than returned to the system (the largest value the
    /// parameter takes).
    static let trimThreshold: Int32 = .max

    /// Applies the thresholds (a no-op off glibc). Call once, early in the process.
    static func apply() {
        #if canImport(Glibc)
        mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        mallopt(M_TRIM_THRESHOLD, trimThreshold)
        mallopt(M_MMAP_MAX, 0)
        #endif
    }
}
