// swift-tools-version: 6.0
// SigLIP + RINS on the CPU: the importable encoders (`import SigLIP`) and the
// `siglip-train`, `siglip-eval` and `siglip-bench` commands.
//
// Data flow, one target per stage:
//   CPNG/CJPEG → CImageCodecs → SigLIPImage (decode, preprocess)   SigLIPText (tokenizer)
//   CBLAS + CKernels → SigLIPCore (buffers, GEMM, kernels) → SigLIPLayers → SigLIPModels (towers, loss, checkpoints)
//   SigLIPImage + SigLIPText → SigLIPData (data sets, input pipeline)
//   → SigLIPEval (zero-shot, retrieval) and SigLIPTraining (optimiser, trainer) → commands
import PackageDescription

/// Numeric code is only meaningful in release builds; these flags keep debug builds usable for tests.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "SigLIP",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SigLIP", targets: ["SigLIP"]),
        .executable(name: "siglip-train", targets: ["siglip-train"]),
        .executable(name: "siglip-eval", targets: ["siglip-eval"]),
        .executable(name: "siglip-bench", targets: ["siglip-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system (Debian package names as providers).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        // A small C shim that turns libpng/libjpeg long-jumps into error codes.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // The exp-heavy kernels (GELU, softmax), compiled per instruction set, chosen at run time.
        .target(name: "CKernels"),

        // Libraries.
        .target(name: "SigLIPCore", dependencies: ["CBLAS", "CKernels"], swiftSettings: numericSettings),
        .target(name: "SigLIPLayers", dependencies: ["SigLIPCore"], swiftSettings: numericSettings),
        .target(name: "SigLIPModels", dependencies: ["SigLIPCore", "SigLIPLayers"], swiftSettings: numericSettings),
        .target(name: "SigLIPImage", dependencies: ["CImageCodecs"], swiftSettings: numericSettings),
        .target(name: "SigLIPText", swiftSettings: numericSettings),
        .target(name: "SigLIPData", dependencies: ["SigLIPCore", "SigLIPImage", "SigLIPText"], swiftSettings: numericSettings),
        .target(name: "SigLIPEval", dependencies: ["SigLIPCore", "SigLIPModels", "SigLIPData"], swiftSettings: numericSettings),
        .target(name: "SigLIPTraining", dependencies: ["SigLIPCore", "SigLIPModels", "SigLIPData", "SigLIPEval"],
                swiftSettings: numericSettings),
        .target(name: "SigLIP", dependencies: ["SigLIPCore", "SigLIPLayers", "SigLIPModels", "SigLIPImage", "SigLIPText", "SigLIPData"]),

        // Commands: thin shells over the libraries.
        .executableTarget(name: "siglip-train", dependencies: [
            "SigLIP", "SigLIPTraining", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "siglip-eval", dependencies: [
            "SigLIP", "SigLIPEval", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "siglip-bench", dependencies: [
            "SigLIP", "SigLIPTraining", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: numericSettings),

        // Tests: one target per library; fixtures under Resources/.
        .testTarget(name: "SigLIPCoreTests", dependencies: ["SigLIPCore"]),
        .testTarget(name: "SigLIPLayersTests", dependencies: ["SigLIPLayers"]),
        .testTarget(name: "SigLIPModelsTests", dependencies: ["SigLIPModels"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPTrainingTests", dependencies: ["SigLIPTraining"]),
        .testTarget(name: "SigLIPImageTests", dependencies: ["SigLIPImage"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPTextTests", dependencies: ["SigLIPText"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPDataTests", dependencies: ["SigLIPData"]),
        .testTarget(name: "SigLIPEvalTests", dependencies: ["SigLIPEval"]),
        .testTarget(name: "SigLIPTests", dependencies: ["SigLIP", "SigLIPTraining"]),
    ],
    swiftLanguageModes: [.v5]
)
