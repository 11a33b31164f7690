// swift-tools-version: 6.0
// SigLIP + RINS on the CPU: the importable encoders (`import SigLIP`) and the
// `siglip-train`, `siglip-eval` and `siglip-bench` commands.
//
// No unsafe flags, so the package can be a dependency of other packages (SwiftPM refuses
// unsafe flags there): the kernels that need wide vectors are C compiled per instruction set
// (CKernels); release builds use SwiftPM's default optimisation (-O, whole module).
//
// Data flow, one target per stage (docs/DESIGN.md §1 draws the graph and says what each owns):
//   SigLIPBase (the error type, atomic writes) under everything
//   CPNG/CJPEG → CImageCodecs → SigLIPImage (decode, preprocess)   SigLIPText (tokenizer)
//   CBLAS + CKernels + ZIPFoundation → SigLIPCore (buffers, GEMM, kernels, safetensors/npz) → SigLIPLayers → SigLIPModels (towers, loss, checkpoints)
//   SigLIPImage + SigLIPText → SigLIPData (data sets, input pipeline)
//   → SigLIPEval (zero-shot, retrieval) and SigLIPTraining (optimiser, trainer; SigLIPTensorBoard events): siblings
//   SigLIPCharts (line charts) · SigLIPApp (a training job wired from all of them) → commands
import PackageDescription

let package = Package(
    name: "SigLIP",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SigLIP", targets: ["SigLIP"]),
        .executable(name: "siglip-train", targets: ["siglip-train"]),
        .executable(name: "siglip-eval", targets: ["siglip-eval"]),
        .executable(name: "siglip-bench", targets: ["siglip-bench"]),
        .executable(name: "siglip-study", targets: ["siglip-study"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The zip container of big_vision's .npz checkpoints (stored and deflated members).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // Protobuf messages: TensorBoard's events and the SentencePiece model (generated code committed).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C libraries from the system (Debian package names as providers).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // A small C shim that turns libpng/libjpeg long-jumps into error codes.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // The kernels that need wide vectors (GELU, softmax, LayerNorm, column sums, AdamW, our
        // GEMM driver), compiled per instruction set, chosen at run time.
        .target(name: "CKernels"),

        // Libraries, bottom up.
        .target(name: "SigLIPBase"),
        .target(name: "SigLIPCore", dependencies: ["SigLIPBase", "CBLAS", "CKernels", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "SigLIPLayers", dependencies: ["SigLIPCore"]),
        .target(name: "SigLIPModels", dependencies: ["SigLIPBase", "SigLIPCore", "SigLIPLayers"]),
        .target(name: "SigLIPImage", dependencies: ["SigLIPBase", "CImageCodecs"]),
        // The SentencePiece model is a protobuf, parsed by swift-protobuf (generated code committed,
        // see Sources/SigLIPText/proto).
        .target(name: "SigLIPText", dependencies: ["SigLIPBase", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["proto"]),
        .target(name: "SigLIPData", dependencies: ["SigLIPBase", "SigLIPCore", "SigLIPImage", "SigLIPText"]),
        // Evaluation and training: siblings on Models and Data.
        .target(name: "SigLIPEval", dependencies: [
            "SigLIPBase", "SigLIPCore", "SigLIPLayers", "SigLIPModels", "SigLIPImage", "SigLIPText", "SigLIPData",
        ]),
        // TensorBoard event files (TFRecord framing, Event/Summary messages, hparams).
        .target(name: "SigLIPTensorBoard", dependencies: ["SigLIPBase", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["proto"]),
        .target(name: "SigLIPTraining", dependencies: ["SigLIPBase", "SigLIPCore", "SigLIPLayers", "SigLIPModels", "SigLIPTensorBoard"]),
        // The MPI transport of data-parallel training (Open MPI); only the commands link it.
        .target(name: "SigLIPMPI", dependencies: ["CMPI", "SigLIPBase", "SigLIPTraining"]),
        // Line charts drawn into an image (training curves, study plots).
        .target(name: "SigLIPCharts", dependencies: ["SigLIPImage"]),
        // The application: a training job wired from data, model, periodic evaluation and charts.
        .target(name: "SigLIPApp", dependencies: [
            "SigLIPBase", "SigLIPCore", "SigLIPLayers", "SigLIPModels", "SigLIPImage", "SigLIPText", "SigLIPData",
            "SigLIPEval", "SigLIPTraining", "SigLIPCharts", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The importable library: encoders and their inputs.
        .target(name: "SigLIP", dependencies: [
            "SigLIPBase", "SigLIPCore", "SigLIPLayers", "SigLIPModels", "SigLIPImage", "SigLIPText", "SigLIPData",
        ]),

        // Commands: thin shells over the libraries.
        .executableTarget(name: "siglip-train", dependencies: [
            "SigLIP", "SigLIPModels", "SigLIPEval", "SigLIPTraining", "SigLIPMPI", "SigLIPApp", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "siglip-eval", dependencies: [
            "SigLIP", "SigLIPBase", "SigLIPEval", "SigLIPApp", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "siglip-bench", dependencies: [
            "SigLIP", "SigLIPTraining", "SigLIPMPI", "SigLIPApp", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "siglip-study", dependencies: [
            "SigLIP", "SigLIPTraining", "SigLIPApp", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests: one target per library; fixtures under Resources/; shared helpers (tolerances,
        // temporary folders, running the built commands) in SigLIPTestSupport.
        .target(name: "SigLIPTestSupport", path: "Tests/SigLIPTestSupport"),
        .testTarget(name: "SigLIPCoreTests", dependencies: ["SigLIPTestSupport", "SigLIPBase", "SigLIPCore"]),
        .testTarget(name: "SigLIPLayersTests", dependencies: ["SigLIPTestSupport", "SigLIPCore", "SigLIPLayers"]),
        .testTarget(name: "SigLIPModelsTests", dependencies: ["SigLIPTestSupport", "SigLIPBase", "SigLIPCore", "SigLIPLayers", "SigLIPModels"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPTrainingTests", dependencies: ["SigLIPBase", "SigLIPCore", "SigLIPModels", "SigLIPTraining", "SigLIPTensorBoard"]),
        .testTarget(name: "SigLIPChartsTests", dependencies: ["SigLIPCharts", "SigLIPImage"]),
        .testTarget(name: "SigLIPImageTests", dependencies: ["SigLIPBase", "CImageCodecs", "SigLIPImage"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPTextTests", dependencies: ["SigLIPBase", "SigLIPText"], resources: [.copy("Resources")]),
        .testTarget(name: "SigLIPDataTests", dependencies: ["SigLIPTestSupport", "SigLIPBase", "SigLIPImage", "SigLIPText", "SigLIPData"]),
        .testTarget(name: "SigLIPEvalTests", dependencies: [
            "SigLIPTestSupport", "SigLIPBase", "SigLIPCore", "SigLIPModels", "SigLIPImage", "SigLIPData", "SigLIPEval",
        ]),
        .testTarget(name: "SigLIPTests", dependencies: ["SigLIPTestSupport", "SigLIP", "SigLIPTraining", "SigLIPApp", "SigLIPEval"]),
    ],
    swiftLanguageModes: [.v5]
)
