import Foundation

/// OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons and falls back to its SSE3
/// "Prescott" kernels, several times slower than its AVX-512 ones
/// (docs/performance.md#openblas-core-selection).
/// OpenBLAS reads OPENBLAS_CORETYPE once, when the library loads, so before anything else runs the
/// process re-executes itself with the core named after what the CPU reports. A value the user set
/// is always respected, and a failed exec just continues with OpenBLAS's own choice.
enum BLASCoreSelection {
    static func applyIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["BNAS_KEEP_BLAS_CORE"] == nil,
              let core = coreForThisCPU() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        for argument in arguments { free(argument) }
    }

    /// SkylakeX for AVX-512 (F, BW, DQ, VL), Haswell for AVX2 + FMA, nil otherwise (OpenBLAS decides).
    static func coreForThisCPU() -> String? {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }
}
