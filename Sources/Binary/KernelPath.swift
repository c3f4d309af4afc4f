import Foundation

/// Which XNOR-popcount kernel `XNORGEMM` runs. All three give the same numbers as
/// `XNORGEMM.reference`; they differ in vector width and blocking.
///
/// - `avx512`: 4 rows x 4 panels of 8 columns, one `SIMD8<UInt64>` (512 bits) accumulator per row and
///   panel; with AVX-512 VPOPCNTDQ each step is VPXORQ + VPOPCNTQ + VPADDQ on zmm registers.
/// - `avx2`: the same tile over `SIMD4<UInt64>` (256 bits, 4 panels of 4 columns).
/// - `portable`: plain `UInt64` words, a 4 x 4 block of rows with scalar `nonzeroBitCount`.
///
/// Release builds use `-target-cpu native`, so the compiler emits the host's instructions for every
/// path (a 256-bit `SIMD4` popcount becomes VPOPCNTQ on ymm here); the choice below matters most for
/// builds for a generic CPU, where it picks the widest path the CPU runs well.
public enum KernelPath: String, CaseIterable, Sendable, CustomStringConvertible {
    case avx512, avx2, portable

    /// The fastest path for this CPU, from the flags in /proc/cpuinfo (read once): `avx512` with
    /// avx512f + avx512_vpopcntdq, `avx2` with avx2, else `portable` (also on non-x86 machines and
    /// wherever /proc/cpuinfo cannot be read).
    public static var best: KernelPath { detected }

    private static let detected: KernelPath = choose(flags: CPUFlags.current)

    /// The path for a CPU with these /proc/cpuinfo flags.
    static func choose(flags: Set<String>) -> KernelPath {
        if flags.contains("avx512f") && flags.contains("avx512_vpopcntdq") { return .avx512 }
        if flags.contains("avx2") { return .avx2 }
        return .portable
    }

    public var description: String { rawValue }
}

/// The CPU feature flags of the first processor in /proc/cpuinfo (empty where there is none).
enum CPUFlags {
    static var current: Set<String> {
        #if arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return parse(cpuinfo: text)
        #else
        return []
        #endif
    }

    static func parse(cpuinfo: String) -> Set<String> {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
