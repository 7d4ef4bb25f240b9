// swift-tools-version: 6.0
// Maskscope: Mask2Former inference in Swift on the CPU, and an explorer to look inside it.
// Module layout and dependency rules: Docs/ARCHITECTURE.md (data flows one way, file → pixels).
import Foundation
import PackageDescription

// The kernels use 16-lane SIMD; without a target CPU Swift emits baseline SSE2 for them (measured: the
// vector exp/erf were slower than libm). The package is built on the machine that runs it (`make run`),
// so it targets that CPU: AVX-512 where there is one (measured on a Zen 5: forward 5% faster than AVX2).
// For a binary meant for other machines set MASKSCOPE_TARGET_CPU, e.g. "haswell" (AVX2 + FMA, every
// x86 CPU since ~2015) or "x86-64".
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["MASKSCOPE_TARGET_CPU"] ?? "native"
let vectorCode: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]
#else
let vectorCode: [SwiftSetting] = []
#endif

let package = Package(
    name: "Maskscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "maskscope", targets: ["maskscope"]),
        .library(name: "Mask2Former", targets: ["Mask2Former"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System-library shims: a module map and a small header each; nothing else.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // CPUID/XGETBV for choosing BLAS kernels (header only, links nothing).
        .systemLibrary(name: "CCPUID", path: "Sources/CCPUID"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),

        // The packed-weight GEMM kernels (AVX-512 and AVX2 in one file, chosen at run time). Optimised in
        // debug builds too: the tests run whole models through it.
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "FileIO"),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CCPUID", "CGEMM"], swiftSettings: vectorCode),
        .target(name: "Safetensors", dependencies: ["TensorCore", "FileIO"]),
        // PyTorch checkpoints: torch's zip format and a restricted unpickler that never runs code.
        .target(name: "TorchCheckpoint", dependencies: ["TensorCore", "Safetensors", "FileIO"]),
        .target(name: "Imaging", dependencies: ["CPNG", "CTurboJPEG", "FileIO"], swiftSettings: vectorCode),
        .target(name: "Mask2Former", dependencies: ["TensorCore", "Safetensors", "TorchCheckpoint", "Imaging", "FileIO"], swiftSettings: vectorCode),
        .target(name: "Segmentation", dependencies: ["Mask2Former", "Imaging", "TensorCore", "FileIO"],
                // The label catalogues are compiled in (DatasetCatalog+Data.swift), not bundled.
                exclude: ["Datasets"], swiftSettings: vectorCode),
        .target(name: "Themes", dependencies: ["Imaging", "FileIO"]),
        .target(name: "Evaluation", dependencies: ["Segmentation", "FileIO"], swiftSettings: vectorCode),
        // The explorer with no terminal: frames of cells, blitting, colour handling (issue 5, in progress).
        .target(name: "Explorer", dependencies: ["Segmentation", "Evaluation", "Themes", "Imaging", "Mask2Former", "TensorCore"]),
        .target(name: "CursesTerminal", dependencies: ["Explorer", "CNCursesW", "Imaging", "FileIO"]),
        .executableTarget(
            name: "maskscope",
            dependencies: [
                "Mask2Former", "Safetensors", "Imaging", "TensorCore", "FileIO", "Segmentation", "Themes", "Evaluation", "Explorer", "CursesTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Seeded mutation fuzzer for the file readers; FuzzTests runs it in a child process so a trap is a report.
        .executableTarget(name: "MaskscopeFuzz", dependencies: ["Imaging", "Safetensors", "TorchCheckpoint"]),

        .target(name: "TestSupport", dependencies: ["TensorCore", "Safetensors"], path: "Tests/TestSupport"),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors", "TestSupport"]),
        .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint", "Safetensors", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "Mask2FormerTests", dependencies: ["Mask2Former", "TestSupport"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "FileIO", "TestSupport"]),
        .testTarget(name: "ThemesTests", dependencies: ["Themes", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Segmentation", "TestSupport"]),
        .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "Evaluation", "Imaging", "Mask2Former", "Segmentation", "Themes", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["MaskscopeFuzz", "TestSupport"]),
        // The terminal probe's I/O against scripted terminals on a pseudo-terminal.
        .testTarget(name: "CursesTerminalTests", dependencies: ["CursesTerminal", "Explorer"]),
        // Runs the built executable and checks what a person sees: output, files, exit status.
        .testTarget(name: "MaskscopeCLITests", dependencies: ["maskscope", "TestSupport", "Safetensors", "TensorCore", "Imaging", "Segmentation",
                                                         "Explorer", "Mask2Former", "Themes"]),
    ]
)
