// swift-tools-version: 6.0
// SigLIP + RINS on the CPU: the importable encoders (`import SigLIP`) and the
// `siglip-train`, `siglip-eval` and `siglip-bench` commands.
//
// No unsafe flags, so the package can be a dependency of other packages (SwiftPM refuses
// unsafe flags there): the kernels that need wide vectors are C compiled per instruction set
// (CKernels); release builds use SwiftPM's default optimisation (-O, whole module).
//
// Data flow, one target per stage:
//   CPNG/CJPEG → CImageCodecs → SigLIPImage (decode, preprocess)   SigLIPText (tokenizer)
//   CBLAS + CKernels → SigLIPCore (buffers, GEMM, kernels) → SigLIPLayers → SigLIPModels (towers, loss, checkpoints)
//   SigLIPImage + SigLIPText → SigLIPData (data sets, input pipeline)
//   → SigLIPEval (zero-shot, retrieval) and SigLIPTraining (optimiser, trainer) → commands
import PackageDescription

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
        // The kernels that need wide vectors (GELU, softmax, LayerNorm, column sums, AdamW, our
        // GEMM driver), compiled per instruction set, chosen at run time.
        .target(name: "CKernels"),

        // Libraries.
        .target(name: "SigLIPCore", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "SigLIPLayers", dependencies: ["SigLIPCore"]),
        .target(name: "SigLIPModels", dependencies: ["SigLIPCore", "SigLIPLayers"]),
        .target(name: "SigLIPImage", dependencies: ["CImageCodecs"]),
        .target(name: "SigLIPText"),
        .target(name: "SigLIPData", dependencies: ["SigLIPCore", "SigLIPImage", "SigLIPText"]),
        .target(name: "SigLIPEval", dependencies: ["SigLIPCore", "SigLIPModels", "SigLIPData"]),
        .target(name: "SigLIPTraining", dependencies: ["SigLIPCore", "SigLIPModels", "SigLIPData", "SigLIPEval"]),
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
        ]),

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
