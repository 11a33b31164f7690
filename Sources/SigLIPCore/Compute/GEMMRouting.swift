import Foundation
import SigLIPBase

/// Which backend was faster on each product of a step, measured on one machine:
/// `siglip-bench --tune-gemm` times the products of the preset models' steps on both backends
/// (each with the extras its pass adds in the step, our driver fusing them, OpenBLAS taking
/// separate passes), and their attention heads fused and unfused, and writes one table per
/// CPU, instruction-set level and thread count to
/// `GEMMRouting.path`. With a table for this CPU, level and thread count,
/// `GEMMBackend.computing` gives each product the backend that was clearly faster
/// (`PairedRatio.exceedsOne`) on the nearest measured shape; where the two tied, where no
/// measured shape is near, or without a table, its built-in rule (measured on a Zen 3 and a
/// Xeon) applies.
public struct GEMMRoutingTable: Codable, Equatable, Sendable {
    /// One product `[m, k] · [k, n]`, timed on both backends.
    public struct Product: Codable, Equatable, Sendable {
        public var transposedA: Bool
        public var transposedB: Bool
        public var m: Int, n: Int, k: Int
        /// What the step adds in the product's pass (`gemmEpilogue`): e.g. "+bias +GELU", "β=1".
        public var epilogue: String
        /// OpenBLAS's time over ours in paired runs: above 1 where ours is faster.
        public var blasOverOurs: PairedRatio

        public init(transposedA: Bool, transposedB: Bool, m: Int, n: Int, k: Int, epilogue: String, blasOverOurs: PairedRatio) {
            (self.transposedA, self.transposedB, self.m, self.n, self.k) = (transposedA, transposedB, m, n, k)
            (self.epilogue, self.blasOverOurs) = (epilogue, blasOverOurs)
        }

        /// The clearly faster backend (`PairedRatio.exceedsOne`), nil on a tie.
        public var backend: GEMMBackend? { blasOverOurs.exceedsOne.map { $0 ? .vectorKernels : .blas } }

        /// Octaves between this shape and another, summed over m, n and k.
        func distance(m: Int, n: Int, k: Int) -> Double { octaves(self.m, m) + octaves(self.n, n) + octaves(self.k, k) }
    }

    /// The attention heads of one shape, forward and backward, timed as fused kernels and as
    /// OpenBLAS's products with the softmax between them.
    public struct Heads: Codable, Equatable, Sendable {
        public var tokens: Int, headWidth: Int
        /// The products' time over the fused kernels' in paired runs: above 1 where the fused
        /// kernels are faster.
        public var unfusedOverFused: PairedRatio

        public init(tokens: Int, headWidth: Int, unfusedOverFused: PairedRatio) {
            (self.tokens, self.headWidth, self.unfusedOverFused) = (tokens, headWidth, unfusedOverFused)
        }

        /// Whether the fused kernels were clearly faster (`PairedRatio.exceedsOne`), nil on a tie.
        public var fused: Bool? { unfusedOverFused.exceedsOne }
    }

    /// Where it was measured: `CPUModel.name`, `InstructionSet.name` and the compute threads.
    public var cpu: String
    public var instructionSet: String
    public var threads: Int
    public var products: [Product]
    public var heads: [Heads]

    public init(cpu: String, instructionSet: String, threads: Int, products: [Product], heads: [Heads] = []) {
        (self.cpu, self.instructionSet, self.threads, self.products, self.heads) = (cpu, instructionSet, threads, products, heads)
    }

    enum CodingKeys: String, CodingKey { case cpu, instructionSet, threads, products, heads }

    /// A table without `heads` (written before the heads were timed) leaves them to the rule.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cpu: try c.decode(String.self, forKey: .cpu), instructionSet: try c.decode(String.self, forKey: .instructionSet),
                  threads: try c.decode(Int.self, forKey: .threads), products: try c.decode([Product].self, forKey: .products),
                  heads: try c.decodeIfPresent([Heads].self, forKey: .heads) ?? [])
    }

    /// A shape farther than this from every measured one with the same transpositions (in
    /// octaves, summed over m, n and k) is left to the built-in rule: two octaves reach from
    /// a batch of 32 to one of 128, not from a ViT-Ti product to a ViT-B one in every dimension.
    public static let reach = 2.0

    /// Median time ratios within this of 1 decide nothing: on a Zen 3 shared with other
    /// machines, one tuning run's paired medians of the same product varied by about as much.
    public static let margin = 0.02

    /// The faster backend on the measured product nearest to this one with the same
    /// transpositions and the same extras (`gemmEpilogue`: what our driver fuses is part of what
    /// was measured, so a product with a bias alone learns nothing from one that also added a
    /// residual), or nil when none is within `reach` or the nearest was a tie. Equal distances go
    /// to the product measured first.
    public func backend(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, epilogue: String) -> GEMMBackend? {
        var best: (distance: Double, product: Product)?
        for product in products where product.transposedA == (transA == .transposed) && product.transposedB == (transB == .transposed)
            && product.epilogue == epilogue {
            let distance = product.distance(m: m, n: n, k: k)
            if distance <= Self.reach, distance < (best?.distance ?? .infinity) { best = (distance, product) }
        }
        return best?.product.backend
    }

    /// Whether the heads measured nearest to this shape (in octaves of tokens plus head width,
    /// within `reach`) ran faster fused; nil when none is near or the nearest tied.
    public func fusesHeads(tokens: Int, headWidth: Int) -> Bool? {
        let near = heads.map { (octaves($0.tokens, tokens) + octaves($0.headWidth, headWidth), $0) }.filter { $0.0 <= Self.reach }
        return near.min { $0.0 < $1.0 }?.1.fused
    }

    /// The table's contents as 16 hex digits (FNV-1a of its JSON with sorted keys): the same
    /// measurements give the same digest wherever the file lies, a re-tuned table another.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return FNV1a.hex(of: (try? encoder.encode(self)) ?? Data())
    }

    /// Whether it was measured where this process runs: the same CPU, level and threads.
    func applies(cpu: String, level: InstructionSet, threads: Int) -> Bool {
        self.cpu == cpu && instructionSet == level.name && self.threads == threads
    }
}

/// How many octaves (doublings) apart two sizes are: the measure of `GEMMRoutingTable.reach`.
private func octaves(_ a: Int, _ b: Int) -> Double { abs(log2(Double(max(a, 1))) - log2(Double(max(b, 1)))) }

/// A time ratio from paired repetitions (two codes timed in turn, `siglip-bench`'s
/// `interleavedMedians`): the median of the per-pair ratios and their quartiles.
public struct PairedRatio: Codable, Equatable, Sendable {
    public var median: Double, lower: Double, upper: Double

    public init(median: Double, lower: Double, upper: Double) { (self.median, self.lower, self.upper) = (median, lower, upper) }

    /// true where the ratio is clearly above 1 (the median by more than `GEMMRoutingTable.margin`
    /// and three quarters of the pairs above 1), false where clearly below, nil otherwise: the
    /// two codes tied, or the machine's noise was as large as their difference.
    public var exceedsOne: Bool? {
        if median > 1 + GEMMRoutingTable.margin && lower > 1 { return true }
        if median < 1 - GEMMRoutingTable.margin && upper < 1 { return false }
        return nil
    }

    /// Positive, finite and in order.
    var isPossible: Bool { lower.isFinite && upper.isFinite && lower > 0 && lower <= median && median <= upper }

    public var description: String { String(format: "%.3f [%.3f, %.3f]", median, lower, upper) }
}

/// The routing file: every table measured on this machine (one per level and thread count;
/// a file copied from another machine holds tables for other CPUs too, which are ignored).
public struct GEMMRoutingFile: Codable, Equatable, Sendable {
    /// "siglip-gemm-routing", so that another JSON file named by mistake is refused.
    public var format = GEMMRoutingFile.formatName
    public var version = 1
    public var tables: [GEMMRoutingTable]

    public static let formatName = "siglip-gemm-routing"

    public init(tables: [GEMMRoutingTable]) { self.tables = tables }

    /// The table measured on `cpu` at `level` with `threads` threads, if any.
    public func table(cpu: String, level: InstructionSet, threads: Int) -> GEMMRoutingTable? {
        tables.first { $0.applies(cpu: cpu, level: level, threads: threads) }
    }

    /// This file with `table` in place of any table of the same CPU, level and threads.
    public func replacing(_ table: GEMMRoutingTable) -> GEMMRoutingFile {
        GEMMRoutingFile(tables: tables.filter { ($0.cpu, $0.instructionSet, $0.threads) != (table.cpu, table.instructionSet, table.threads) }
                        + [table])
    }

    /// Reads `url`; nil when there is no such file. A file that cannot be read, is not JSON of
    /// this format and version (1), or holds an impossible product (a dimension below 1, a ratio
    /// that is not a positive number) throws `SigLIPError` naming it.
    public static func read(_ url: URL) throws -> GEMMRoutingFile? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        func fail(_ problem: String) -> SigLIPError { SigLIPError(path: url.path, problem: problem, kind: .corrupt) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SigLIPError(path: url.path, problem: "cannot read the GEMM routing file (\(error.localizedDescription))", kind: .unreadable)
        }
        let file: GEMMRoutingFile
        do { file = try JSONDecoder().decode(GEMMRoutingFile.self, from: data) } catch {
            throw fail("not a GEMM routing file (siglip-bench --tune-gemm writes them): \(Self.explain(error))")
        }
        guard file.format == formatName else { throw fail("format is '\(file.format)', not '\(formatName)'") }
        guard file.version == 1 else { throw fail("version \(file.version), where this build reads version 1") }
        for table in file.tables {
            guard table.threads >= 1 else { throw fail("a table for \(table.threads) threads") }
            for p in table.products where min(p.m, p.n, p.k) < 1 || !p.blasOverOurs.isPossible {
                throw fail("an impossible product \(p.m)×\(p.n)×\(p.k) with time ratio \(p.blasOverOurs.description)")
            }
            for h in table.heads where min(h.tokens, h.headWidth) < 1 || !h.unfusedOverFused.isPossible {
                throw fail("impossible heads of \(h.tokens) tokens × \(h.headWidth) with time ratio \(h.unfusedOverFused.description)")
            }
        }
        return file
    }

    /// A decoding error in a few words and where it is, e.g. "no key 'format'" or "expected Int
    /// at tables.0.products.3.m".
    static func explain(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [CodingKey]) -> String {
            path.isEmpty ? "" : " at " + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "a bad value" + at(context.codingPath)
        case .keyNotFound(let key, let context): return "no key '\(key.stringValue)'" + at(context.codingPath)
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context): return "expected \(type)" + at(context.codingPath)
        @unknown default: return "\(error)"
        }
    }

    /// Writes the file to `url` atomically (its folder created if missing).
    public func write(to url: URL) throws {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}

/// The routing table this process uses, read once from `path`.
public enum GEMMRouting {
    /// The routing file: `$SIGLIP_GEMM_ROUTING` when set (`off`: none), else
    /// `$XDG_CACHE_HOME/siglip/gemm-routing.json`, else `~/.cache/siglip/gemm-routing.json`.
    public static var path: URL? { path(environment: ProcessInfo.processInfo.environment) }

    static func path(environment: [String: String]) -> URL? {
        if let chosen = environment["SIGLIP_GEMM_ROUTING"], !chosen.isEmpty {
            return chosen == "off" ? nil : URL(fileURLWithPath: chosen)
        }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? environment["HOME"].map { URL(fileURLWithPath: $0).appendingPathComponent(".cache") }
        return cache?.appendingPathComponent("siglip/gemm-routing.json")
    }

    /// The file as read at first use. A file that cannot be used is reported once on standard
    /// error, naming it and the problem, and the built-in rule routes every product.
    static let file: GEMMRoutingFile? = {
        guard let url = path else { return nil }
        do { return try GEMMRoutingFile.read(url) } catch {
            writeStandardError("warning: \(error); GEMM products routed by the built-in rule\n")
            return nil
        }
    }()

    /// How products are routed at `level`, as a run records it (`ComputeSetup.gemmRouting`):
    /// "built-in rule", or "measured table <digest>, N products" (`GEMMRoutingTable.digest`), so
    /// that a re-tuned table counts as a change and the same table read from another path does not.
    public static func identity(level: InstructionSet = .selected) -> String {
        guard let table = table(level: level) else { return "built-in rule" }
        return "measured table \(table.digest), \(table.products.count) products"
    }

    /// The table measured on this CPU at `level` with this process's compute threads, if any.
    public static func table(level: InstructionSet = .selected) -> GEMMRoutingTable? {
        file?.table(cpu: CPUModel.name, level: level, threads: ParallelSettings.threads)
    }
}
