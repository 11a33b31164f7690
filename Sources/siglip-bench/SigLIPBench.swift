import ArgumentParser
import Foundation
import SigLIP
import SigLIPApp
import SigLIPMPI
import SigLIPTraining

/// `siglip-bench`: times a training step or an inference forward of named configurations and
/// reports model-FLOP utilisation against the sgemm throughput measured in the same run.
@main
struct SigLIPBench: ParsableCommand {
    static func main() { mainWithOneLineErrors() }

    /// This process's `ComputeSetup` for the headers of figures, and the routing table's file
    /// when one applies.
    static var computeSetup: String {
        guard GEMMRouting.table() != nil, let url = GEMMRouting.path else { return ComputeSetup.current.description }
        return "\(ComputeSetup.current) (\(url.path))"
    }
    static let configuration = CommandConfiguration(
        commandName: "siglip-bench",
        abstract: "Benchmark SigLIP training and inference on the CPU.")

    @Option(help: "Configurations: \(BenchCase.allCases.map(\.rawValue).joined(separator: ", ")), or all.")
    var config: [String] = ["ti16-64-train", "b16-224-infer"]

    @Option(help: "Threads for BLAS and the element-wise kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Timed steps per configuration (after warm-up); the median is reported.")
    var steps = 5

    @Option(help: "Warm-up steps per configuration.")
    var warmup = 2

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Option(help: "Instead of the model: decode + resize throughput on the JPEG/PNG files of this folder (make one with evals/images/make_photos.py).")
    var decodeFolder: String?

    @Flag(help: "With --decode-folder: time Pillow on the same files in the same run (evals/images/bench_decode.py).")
    var pillow = false

    @Flag(help: "Instead of the model: time the element-wise kernels, the optimiser, the thread hand-off and the GEMM shapes of the Ti/16-64 step.")
    var kernels = false

    @Option(help: ArgumentHelp("Instead of the model: time the GEMMs of one encoder block of these configurations (ti16, s16, b16) with each backend in turn.",
                               valueName: "list"), transform: { $0.split(separator: ",").map(String.init) })
    var gemmShapes: [String]?

    @Flag(help: "Instead of the model: time every product of the ti16, s16, s16-text and b16 blocks' steps on both GEMM backends, and their attention heads fused and unfused, and write which was faster to this machine's routing file ($SIGLIP_GEMM_ROUTING, else $XDG_CACHE_HOME/siglip/gemm-routing.json, else ~/.cache/siglip/gemm-routing.json), which later runs on this CPU, level and thread count follow.")
    var tuneGemm = false

    @Flag(help: "Under mpirun -np K: check the sigmoid loss over K ranks against one process, then time a ring exchange of embeddings and the gradient all-reduce.")
    var ring = false

    @Option(help: "With --ring: each rank's batch n and the embedding width E (default: ViT-B/16's batch 64 × 768).")
    var ringBatch = 64
    @Option(help: "With --ring: embedding width E.")
    var ringWidth = 768
    @Option(help: "With --ring: floats in the timed all-reduce (default: ViT-B/16 SigLIP's 203,155,970 parameters with the 32,000-piece vocabulary).")
    var allReduceFloats = 203_155_970

    @Flag(help: "After the timed steps, time as many again split by kind of work (GEMMs by transposition, attention heads, LayerNorm, optimiser, the rest) and print the table.")
    var phases = false

    @Option(help: "Scaling: run each configuration at these batch sizes instead of its own, e.g. 16,32,64,128.")
    var batchSizes: String?

    @Option(help: "Scaling: run each configuration at these image sizes instead of its own, e.g. 32,64,96,128.")
    var imageSizes: String?

    @Option(help: InstructionSet.flagHelp)
    var instructionSet: InstructionSet?

    @Option(help: "GEMM backend: own (our driver, the default when the kernels run at AVX-512) or blas (OpenBLAS).")
    var gemm: GEMMBackend?

    mutating func run() throws {
        try ComputeFlags.apply(instructionSet: instructionSet, threads: threads)   // OpenBLAS too: AVX2 measures an AVX2 machine's kernels
        if let gemm { GEMMBackend.select(gemm) }
        if let decodeFolder {
            let rows = try DecodeThroughput.measure(
                folder: URL(fileURLWithPath: decodeFolder), threadCounts: threads.map { [$0] },
                pillowScript: pillow ? URL(fileURLWithPath: "evals/images/bench_decode.py") : nil)
            print(DecodeThroughput.table(rows))
            return
        }
        if ring {
            guard MPIGroup.isLaunched else { throw ValidationError("--ring runs under mpirun, e.g. mpirun -np 2 siglip-bench --ring") }
            guard (1...65_536).contains(ringBatch), (1...65_536).contains(ringWidth), (1...(1 << 31)).contains(allReduceFloats) else {
                throw ValidationError("--ring-batch and --ring-width must be 1…65536, --all-reduce-floats 1…2^31")
            }
            let settings = RingBenchmark.Settings(localBatch: ringBatch, width: ringWidth, allReduceFloats: allReduceFloats,
                                                  steps: max(steps, 1), seed: 0, timeout: 300)
            guard try RingBenchmark.run(settings) else { throw ExitCode.failure }
            return
        }
        if tuneGemm {
            guard let url = GEMMRouting.path else {
                throw ValidationError("no routing file to write: SIGLIP_GEMM_ROUTING is off, or neither it, XDG_CACHE_HOME nor HOME is set")
            }
            guard InstructionSet.selected != .baseline else {
                throw ValidationError("at the baseline level every product goes to OpenBLAS: there is nothing to tune")
            }
            let existing = try GEMMRoutingFile.read(url) ?? GEMMRoutingFile(tables: [])   // a file that is not one is refused, not overwritten
            print("median of \(max(steps, 1)) paired calls after 3 warm-up · compute: \(Self.computeSetup)")
            let table = GEMMTuning.measure(steps: max(steps, 1))
            try existing.replacing(table).write(to: url)
            let count = { (backend: GEMMBackend?) in table.products.filter { $0.backend == backend }.count }
            print("wrote this CPU's table at \(InstructionSet.selected.name), \(table.threads) threads to \(url.path): \(table.products.count) "
                  + "products, ours faster on \(count(.vectorKernels)), OpenBLAS on \(count(.blas)), ties \(count(nil))")
            return
        }
        if let gemmShapes {
            print("median of \(max(steps, 1)) calls after 3 warm-up · compute: \(Self.computeSetup)")
            for name in gemmShapes {
                guard let shapes = KernelThroughput.GEMMShapes.named[name] else { throw ValidationError("unknown --gemm-shapes '\(name)'") }
                print("\(shapes.name): rows \(shapes.rows), width \(shapes.width), MLP \(shapes.hidden)")
                for row in KernelThroughput.gemmRows(shapes, steps: max(steps, 1)) { print(row.line) }
                for row in KernelThroughput.headRows(shapes, steps: max(steps, 1)) { print(row.line) }
            }
            return
        }
        if kernels {
            print("median of \(max(steps, 1)) calls after 3 warm-up · compute: \(Self.computeSetup)")
            for row in KernelThroughput.measure(steps: max(steps, 1)) { print(row.line) }
            return
        }
        let cases = config == ["all"] ? BenchCase.allCases : try config.map { name in
            guard let c = BenchCase(rawValue: name) else { throw ValidationError("unknown configuration '\(name)'") }
            return c
        }
        let peak = measureSGEMM()
        let fma = FMAPeak.measure()
        print(String(format: "sgemm %.1f GFLOP/s (OpenBLAS, 2048×2048×2048, median of 9) · FMA peak %.1f GFLOP/s · GEMM ", peak / 1e9, fma / 1e9)
              + "\(GEMMBackend.selected.rawValue) · compute: \(Self.computeSetup)")
        var results: [BenchResult] = []
        func list(_ text: String?) throws -> [Int?] {
            guard let text else { return [nil] }
            let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else { throw ValidationError("bad list '\(text)'") }
            return values
        }
        for c in cases {
            for batch in try list(batchSizes) {
                for size in try list(imageSizes) {
                    let r = try c.run(steps: steps, warmup: warmup, sgemmFLOPsPerSecond: peak, fmaFLOPsPerSecond: fma,
                                      batch: batch, imageSize: size, phases: phases)
                    print(r.line)
                    if let table = r.phases { print(table.lines(fmaFLOPsPerSecond: fma).joined(separator: "\n")) }
                    results.append(r)
                }
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// Median wall time of `body` over `steps` runs after `warmup` runs, in seconds.
func medianTime(steps: Int, warmup: Int, _ body: () throws -> Void) rethrows -> (median: Double, all: [Double]) {
    for _ in 0..<warmup { try body() }
    let times = try (0..<max(steps, 1)).map { _ -> Double in
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    return (median(times), times)
}

/// The middle value (the upper of the two middle ones for an even count).
func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }

/// Median seconds of each body, timed in turn within every repetition (A, B, A, B, …) so that
/// all of them see the same minutes of a busy machine, and the median over the repetitions of
/// each body's time divided by the first body's (a paired ratio: steadier than the ratio of
/// the medians when the machine's speed drifts), with its quartiles.
func interleavedMedians(steps: Int, warmup: Int, _ bodies: [() -> Void]) -> (medians: [Double], paired: [PairedRatio]) {
    for _ in 0..<warmup { for body in bodies { body() } }
    var times = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<max(steps, 1) {
        for (i, body) in bodies.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
    let paired = times.map { t -> PairedRatio in
        let r = zip(t, times[0]).map { $0 / $1 }.sorted(), n = r.count
        // Order statistics taken alike from both ends, so that neither side of 1 is favoured.
        return PairedRatio(median: (r[(n - 1) / 2] + r[n / 2]) / 2, lower: r[n / 4], upper: r[n - 1 - n / 4])
    }
    return (times.map(median), paired)
}

/// sgemm throughput on 2048³ products (median of 9 after 3 warm-ups), FLOP/s: OpenBLAS's,
/// whichever backend the step uses, so that model-FLOP utilisation is always against the same
/// yardstick.
func measureSGEMM() -> Double {
    let backend = GEMMBackend.selected
    GEMMBackend.select(.blas)
    defer { GEMMBackend.select(backend) }
    let n = 2048
    let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
    for i in 0..<(n * n) { a.data[i] = Float(i % 7) * 0.1; b.data[i] = Float(i % 5) * 0.1 }
    let t = medianTime(steps: 9, warmup: 3) {
        gemm(.none, .none, m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
    }
    return 2 * Double(n * n * n) / t.median
}

/// Peak resident memory of this process so far, in MB.
func peakResidentMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

struct BenchResult: Codable {
    let config: String
    let batch: Int
    let imageSize: Int
    let msPerStep: Double
    let imagesPerSecond: Double
    let flopsPerStep: Double
    let gflops: Double
    let sgemmGFLOPS: Double
    let mfu: Double
    /// The FMA peak measured in the same process, and utilisation against it.
    let fmaPeakGFLOPS: Double
    let mfuOfPeak: Double
    /// `--gemm`: "own" (each product routed as `GEMMBackend.computing` says) or "blas".
    let gemmBackend: String
    /// The CPU, kernels, threads, OpenBLAS kernels and GEMM routing of the run.
    let compute: ComputeSetup
    let peakRSSMB: Double
    let stepTimesMS: [Double]
    /// With `--phases`: where the time of further steps went.
    var phases: PhaseTable? = nil

    var line: String {
        String(format: "%-15@ batch %3d · %3d px · %9.1f ms/step · %7.2f images/s · %.3g FLOP/step · %6.1f GFLOP/s · MFU %4.1f%% of sgemm, %4.1f%% of FMA peak · peak RSS %.0f MB",
               config as NSString, batch, imageSize, msPerStep, imagesPerSecond, flopsPerStep, gflops, 100 * mfu, 100 * mfuOfPeak, peakRSSMB)
    }

    enum CodingKeys: String, CodingKey {
        case config, batch, imageSize = "image_size", msPerStep = "ms_per_step", imagesPerSecond = "images_per_s", flopsPerStep = "flops_per_step"
        case gflops, sgemmGFLOPS = "sgemm_gflops", mfu, peakRSSMB = "peak_rss_mb", stepTimesMS = "step_times_ms"
        case fmaPeakGFLOPS = "fma_peak_gflops", mfuOfPeak = "mfu_of_peak", gemmBackend = "gemm", compute, phases
    }
}

/// The benchmarked configurations (the same as `evals/bench/torch_siglip_bench.py`).
enum BenchCase: String, CaseIterable {
    case ti16_64_train = "ti16-64-train"
    case s16_224_train = "s16-224-train"
    case b16_224_infer = "b16-224-infer"

    var preset: String { self == .ti16_64_train ? "Ti/16" : self == .s16_224_train ? "S/16" : "B/16" }
    var imageSize: Int { self == .ti16_64_train ? 64 : 224 }
    var batch: Int { self == .ti16_64_train ? 64 : self == .s16_224_train ? 32 : 8 }

    func modelConfig(imageSize: Int) throws -> SigLIPConfig {
        let vision = try ImageTowerConfig(preset: preset, imageSize: imageSize)
        let text = try TextTowerConfig(preset: preset, vocabularySize: 32000, length: 16)
        return SigLIPConfig(vision: vision, text: text)
    }

    /// `batch` and `imageSize` override the configuration's own (for scaling tables).
    func run(steps: Int, warmup: Int, sgemmFLOPsPerSecond: Double, fmaFLOPsPerSecond: Double, batch: Int? = nil,
             imageSize: Int? = nil, phases: Bool = false) throws -> BenchResult {
        let batch = batch ?? self.batch, imageSize = imageSize ?? self.imageSize
        let config = try modelConfig(imageSize: imageSize)
        var generator = SeededGenerator(seed: 0)
        let pixels = FloatBuffer(count: batch * imageSize * imageSize * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * generator.nextUnitFloat() - 1 }
        let pixelTensor = Tensor(pixels.data, [batch, imageSize, imageSize, 3])
        let time: (median: Double, all: [Double])
        let flops: Double
        var table: PhaseTable?
        if self == .b16_224_infer {
            let layout = ParameterLayout()
            let tower = ImageTower(layout, config: config.imageTower)
            let store = ParameterStore(layout: layout)
            store.initialize(using: &generator)
            let ctx = Context(parameters: store, packedWeights: PackedWeights())
            let forward = {
                _ = tower.forward(pixelTensor, keepActivations: false, ctx)
                ctx.arena.reset()
            }
            time = medianTime(steps: steps, warmup: warmup, forward)
            if phases { table = PhaseTable.measure(steps: steps, forward) }
            flops = Double(batch) * FLOPs.imageForward(config.imageTower)
        } else {
            let model = try SigLIPModel(config: config)
            model.initialize(seed: 0)
            let optimizer = AdamW(parameters: model.parameters, schedule: WarmupCosineSchedule(warmupSteps: 1, totalSteps: 1000))
            let step = TrainingStep(model: model, optimizer: optimizer)
            let ids = (0..<batch * 16).map { i in i % 16 == 15 ? Int32(1) : Int32(2 + Int(generator.next() % 31998)) }
            let train = { _ = try step.run(pixels: pixelTensor, ids: ids) }
            time = try medianTime(steps: steps, warmup: warmup, train)
            if phases { table = try PhaseTable.measure(steps: steps, train) }
            flops = Double(batch) * FLOPs.trainingExample(config, batch: batch)
        }
        return BenchResult(
            config: rawValue, batch: batch, imageSize: imageSize, msPerStep: time.median * 1000,
            imagesPerSecond: Double(batch) / time.median, flopsPerStep: flops, gflops: flops / time.median / 1e9,
            sgemmGFLOPS: sgemmFLOPsPerSecond / 1e9, mfu: flops / time.median / sgemmFLOPsPerSecond,
            fmaPeakGFLOPS: fmaFLOPsPerSecond / 1e9, mfuOfPeak: flops / time.median / fmaFLOPsPerSecond,
            gemmBackend: GEMMBackend.selected.rawValue, compute: .current,
            peakRSSMB: peakResidentMB(), stepTimesMS: time.all.map { $0 * 1000 }, phases: table)
    }
}

extension GEMMBackend: ExpressibleByArgument {}

