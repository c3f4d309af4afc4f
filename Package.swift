// swift-tools-version:6.0
import PackageDescription

// Release builds target the host CPU (as llama.cpp's default build does); the kernels keep
// portable code paths, so a debug build or another CPU computes the same numbers.
// BNAS_TARGET_CPU=NAME builds for another CPU instead: x86-64 is the generic baseline
// (`make test-portable`), znver5 Zen 5's code generation (`make test-cpu CPU=znver5`).
let targetCPU = Context.environment["BNAS_TARGET_CPU"] ?? "native"
let hostCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release))]

let package = Package(
    name: "bnas",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bnas", targets: ["bnas"]),
        .library(name: "BNASCore", targets: ["Tensor", "Binary", "Network", "Datasets", "Search", "Experiments", "Report"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses"),
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: hostCPU),
        .target(name: "Datasets", dependencies: ["Tensor", "CZlib"], swiftSettings: hostCPU),
        .target(name: "Binary", dependencies: ["Tensor"], swiftSettings: hostCPU),
        .target(name: "Network", dependencies: ["Tensor", "Binary", "Datasets"], swiftSettings: hostCPU),
        .target(name: "Search", dependencies: ["Tensor", "Binary", "Network", "Datasets"], swiftSettings: hostCPU),
        .target(name: "Dashboard", dependencies: ["Search", "Network", "CNCurses"], swiftSettings: hostCPU),
        .target(name: "Experiments", dependencies: ["Search", "Network", "Datasets"], swiftSettings: hostCPU),
        .target(name: "Report", dependencies: ["Search", "Network", "Experiments"], swiftSettings: hostCPU),
        .target(name: "Benchmarks", dependencies: ["Tensor", "Binary", "Network", "Datasets", "Search", "Dashboard"], swiftSettings: hostCPU),
        .executableTarget(
            name: "bnas",
            dependencies: [
                "Tensor", "Binary", "Network", "Datasets", "Search", "Dashboard", "Experiments", "Report", "Benchmarks", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hostCPU),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "BinaryTests", dependencies: ["Binary", "Tensor"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Tensor", "Datasets"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Network", "Tensor", "Datasets", "Binary", "Benchmarks"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "Search", "Network", "bnas"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BNASCommandTests", dependencies: ["bnas", "CZlib"]),
        .testTarget(name: "ExperimentTests", dependencies: ["Experiments", "Search", "Network", "Datasets"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Search", "Network", "Experiments", "Benchmarks"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["Datasets", "Network", "Search", "Dashboard"]),
    ],
    swiftLanguageModes: [.v5]
)

// The libFuzzer harness (fuzz/README.md) joins the package only when BNAS_FUZZ is set, as it links only
// with -sanitize=fuzzer: the normal build and `make test` never see it. `make fuzz` builds it in .build-fuzz.
if Context.environment["BNAS_FUZZ"] != nil {
    package.products.append(.executable(name: "bnas-fuzz", targets: ["BNASFuzz"]))
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "fuzz/Sources/CLibFuzzer"),
        .executableTarget(
            name: "BNASFuzz", dependencies: ["CLibFuzzer", "Tensor", "Network", "Datasets", "Search", "Dashboard"],
            path: "fuzz/Sources/BNASFuzz", swiftSettings: hostCPU,
            // lld: gold fails on the two mains (libFuzzer's, linked whole, and this target's, which wins).
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),
    ]
}
