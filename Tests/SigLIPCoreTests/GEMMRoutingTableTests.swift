import Foundation
@testable import SigLIPBase
@testable import SigLIPCore
import Testing

/// A paired ratio whose pairs all gave `x`.
private func r(_ x: Double) -> PairedRatio { PairedRatio(median: x, lower: x, upper: x) }

/// A machine's measured GEMM routing (`siglip-bench --tune-gemm`): the nearest measured product
/// decides, shapes out of reach fall back to the built-in rule, and the file is refused with its
/// name when it is not one.
@Suite("GEMM routing table") struct GEMMRoutingTableTests {
    typealias Product = GEMMRoutingTable.Product

    /// Forward products of the S/16 and Ti/16 blocks (NT) and an S/16 weight gradient (TN).
    static let table = GEMMRoutingTable(cpu: "Test CPU (family 1, model 2)", instructionSet: "avx2", threads: 2, products: [
        Product(transposedA: false, transposedB: true, m: 6272, n: 1152, k: 384, epilogue: "+bias", blasOverOurs: r(1.05)),
        Product(transposedA: false, transposedB: true, m: 1024, n: 768, k: 192, epilogue: "+bias +GELU", blasOverOurs: r(0.8)),
        Product(transposedA: true, transposedB: false, m: 1152, n: 384, k: 6272, epilogue: "β=1", blasOverOurs: r(1.0)),
    ], heads: [
        GEMMRoutingTable.Heads(tokens: 196, headWidth: 64, unfusedOverFused: r(1.1)),
        GEMMRoutingTable.Heads(tokens: 16, headWidth: 64, unfusedOverFused: r(0.9)),
        GEMMRoutingTable.Heads(tokens: 64, headWidth: 64, unfusedOverFused: r(1.01)),
    ])

    @Test func theNearestMeasuredProductWithTheSameTranspositionsDecides() {
        let t = Self.table
        #expect(t.backend(.none, .transposed, m: 6272, n: 1152, k: 384, epilogue: "+bias") == .vectorKernels)
        #expect(t.backend(.none, .transposed, m: 12544, n: 1152, k: 384, epilogue: "+bias") == .vectorKernels, "one octave away in m")
        #expect(t.backend(.none, .transposed, m: 1024, n: 768, k: 192, epilogue: "+bias +GELU") == .blas)
        // 1 octave from the Ti product, 3.2 from the S/16 one.
        #expect(t.backend(.none, .transposed, m: 2048, n: 768, k: 192, epilogue: "+bias +GELU") == .blas)
        #expect(t.backend(.transposed, .none, m: 1152, n: 384, k: 6272, epilogue: "β=1") == nil, "a tie (ratio 1) decides nothing")
        #expect(t.backend(.none, .none, m: 6272, n: 1152, k: 384, epilogue: "+bias") == nil, "no product measured with these transpositions")
        #expect(t.backend(.none, .transposed, m: 64, n: 64, k: 64, epilogue: "+bias") == nil, "out of reach of every measured product")
        #expect(t.backend(.none, .transposed, m: 6272, n: 1152, k: 384, epilogue: "+bias +residual") == nil,
                "no product measured with these extras")
        #expect(t.backend(.none, .transposed, m: 6272 * 4, n: 1152 * 2, k: 384, epilogue: "+bias") == nil, "three octaves away")
    }

    @Test func ourDriverSelectedFollowsTheTableThenTheBuiltInRule() {
        let own = GEMMBackend.vectorKernels
        var slower = Self.table
        slower.products[0].blasOverOurs = r(0.9)   // OpenBLAS measured faster where the rule gives ours the product
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .avx2, measured: nil) == .vectorKernels)
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .avx2, measured: slower) == .blas)
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, level: .avx2, measured: slower) == .vectorKernels,
                "a plain product learns nothing from one with a bias: the rule")
        #expect(own.computing(.none, .transposed, m: 8192, k: 64, n: 64, level: .avx2, measured: slower) == .vectorKernels,
                "out of reach: the rule (M ≥ 4,096 at AVX2)")
        var faster = Self.table
        faster.products[2].blasOverOurs = r(1.2)   // ours measured faster on a weight gradient: the table may give it ours
        #expect(own.computing(.transposed, .none, m: 1152, k: 6272, n: 384, epilogue: "β=1", level: .avx2, measured: faster) == .vectorKernels)
        #expect(own.computing(.transposed, .none, m: 1152, k: 6272, n: 384, epilogue: "β=1", level: .avx2, measured: Self.table) == .blas,
                "a tie: the rule (a transposed A stays with OpenBLAS)")
        var kept = Self.table   // the S/16 forward measured again with the weight kept packed
        kept.products.append(Product(transposedA: false, transposedB: true, m: 6272, n: 1152, k: 384, epilogue: "+bias kept",
                                     blasOverOurs: r(0.9)))
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", kept: true, level: .avx2, measured: kept) == .blas,
                "a kept weight follows its own measurement")
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .avx2, measured: kept) == .vectorKernels)
        #expect(own.computing(.none, .transposed, m: 2048, k: 192, n: 768, epilogue: "+bias +GELU", kept: true, level: .avx2,
                              measured: kept) == .vectorKernels, "no kept product measured near: the rule (kept weights from 1,568 rows)")
        var tie = Self.table
        tie.products[0].blasOverOurs = r(0.99)   // within the margin: the rule gives ours the tall product
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .avx2, measured: tie) == .vectorKernels)
        #expect(GEMMBackend.blas.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .avx2, measured: Self.table) == .blas)
        #expect(own.computing(.none, .transposed, m: 6272, k: 384, n: 1152, epilogue: "+bias", level: .baseline, measured: Self.table) == .blas,
                "no driver at the baseline level")
    }

    @Test func aRatioDecidesOnlyWhenItsMedianAndThreeQuartersOfItsPairsAgree() {
        #expect(PairedRatio(median: 1.05, lower: 1.01, upper: 1.09).exceedsOne == true)
        #expect(PairedRatio(median: 1.05, lower: 0.99, upper: 1.09).exceedsOne == nil, "a quarter of the pairs below 1")
        #expect(PairedRatio(median: 1.015, lower: 1.01, upper: 1.02).exceedsOne == nil, "within the 2% margin")
        #expect(PairedRatio(median: 0.95, lower: 0.9, upper: 0.99).exceedsOne == false)
        #expect(PairedRatio(median: 0.95, lower: 0.9, upper: 1.01).exceedsOne == nil)
    }

    @Test func theHeadsMeasuredNearestDecideWhetherTheyRunFused() {
        let own = GEMMBackend.vectorKernels, t = Self.table
        #expect(t.fusesHeads(tokens: 196, headWidth: 64) == true)
        #expect(t.fusesHeads(tokens: 256, headWidth: 64) == true, "0.4 octaves from 196 tokens")
        #expect(t.fusesHeads(tokens: 16, headWidth: 64) == false)
        #expect(t.fusesHeads(tokens: 64, headWidth: 64) == nil, "a tie")
        #expect(t.fusesHeads(tokens: 4096, headWidth: 64) == nil, "out of reach")
        for level in [InstructionSet.avx2, .avx512] {
            #expect(own.fusesAttentionHeads(tokens: 196, headWidth: 64, level: level, measured: t))
            #expect(!own.fusesAttentionHeads(tokens: 16, headWidth: 64, level: level, measured: t))
            #expect(own.fusesAttentionHeads(tokens: 64, headWidth: 64, level: level, measured: t) == (level == .avx2), "a tie: the rule")
            #expect(!GEMMBackend.blas.fusesAttentionHeads(tokens: 196, headWidth: 64, level: level, measured: t))
        }
        #expect(!own.fusesAttentionHeads(tokens: 196, headWidth: 64, level: .baseline, measured: t))
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gemm-routing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aWrittenFileReadsBackAndATableReplacesOnlyItsOwnMachineLevelAndThreads() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nested/gemm-routing.json")
        #expect(try GEMMRoutingFile.read(url) == nil, "no file: no table")
        var other = Self.table
        other.threads = 8
        let file = GEMMRoutingFile(tables: [Self.table, other])
        try file.write(to: url)
        #expect(try GEMMRoutingFile.read(url) == file)
        // A table written before the heads were timed reads with none (the rule decides them).
        let withoutHeads = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            .replacingOccurrences(of: #""heads" : \[[^\]]*\],"#, with: "", options: .regularExpression)
        #expect(!withoutHeads.contains("heads"))
        try Data(withoutHeads.utf8).write(to: url)
        #expect(try GEMMRoutingFile.read(url)?.tables.map(\.heads) == [[], []])
        try file.write(to: url)
        var remeasured = Self.table
        remeasured.products = [remeasured.products[0]]
        let replaced = file.replacing(remeasured)
        #expect(replaced.tables.count == 2)
        #expect(replaced.table(cpu: Self.table.cpu, level: .avx2, threads: 2) == remeasured)
        #expect(replaced.table(cpu: Self.table.cpu, level: .avx2, threads: 8) == other)
        #expect(replaced.table(cpu: Self.table.cpu, level: .avx512, threads: 2) == nil, "another level")
        #expect(replaced.table(cpu: "Another CPU", level: .avx2, threads: 2) == nil, "another CPU")
    }

    /// Runs name the table they followed by its digest (`GEMMRouting.identity`): the same
    /// measurements read back give the same digest, a re-measured product another.
    @Test func theDigestNamesTheContents() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("gemm-routing.json")
        try GEMMRoutingFile(tables: [Self.table]).write(to: url)
        let readBack = try #require(try GEMMRoutingFile.read(url)?.tables.first)
        #expect(readBack.digest == Self.table.digest && readBack.digest.count == 16)
        var remeasured = Self.table
        remeasured.products[0].blasOverOurs = r(1.06)
        #expect(remeasured.digest != Self.table.digest)
    }

    @Test func aFileThatIsNotARoutingTableIsRefusedWithItsName() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = String(decoding: try JSONEncoder().encode(GEMMRoutingFile(tables: [Self.table])), as: UTF8.self)
        let cases: [(String, String)] = [
            ("not json", "not a GEMM routing file (siglip-bench --tune-gemm writes them): not valid JSON"),
            (#"{"tables": []}"#, "no key 'format'"),
            (good.replacingOccurrences(of: #""m":6272"#, with: #""m":"many""#), "expected Int at tables.0.products.0.m"),
            (good.replacingOccurrences(of: "siglip-gemm-routing", with: "something-else"), "format is 'something-else'"),
            (good.replacingOccurrences(of: #""version":1"#, with: #""version":2"#), "version 2, where this build reads version 1"),
            (good.replacingOccurrences(of: #""m":6272"#, with: #""m":0"#), "impossible product 0×1152×384"),
            (good.replacingOccurrences(of: #""lower":1.05"#, with: #""lower":1.2"#), "impossible product 6272×1152×384 with time ratio 1.050 [1.200, 1.050]"),
            (good.replacingOccurrences(of: #""median":0.8"#, with: #""median":-1"#), "impossible product"),
            (good.replacingOccurrences(of: #""threads":2"#, with: #""threads":0"#), "a table for 0 threads"),
            (good.replacingOccurrences(of: #""tokens":16"#, with: #""tokens":0"#), "impossible heads of 0 tokens"),
        ]
        for (index, (text, problem)) in cases.enumerated() {
            let url = folder.appendingPathComponent("routing-\(index).json")
            try Data(text.utf8).write(to: url)
            #expect(text != good, "case \(index) must change the file")
            let error = #expect(throws: SigLIPError.self) { try GEMMRoutingFile.read(url) }
            #expect(error?.path == url.path)
            #expect(error?.kind == .corrupt)
            #expect(error?.problem.contains(problem) == true, "case \(index): \(error?.problem ?? "")")
        }
    }

    @Test func theFileIsFoundByEnvironmentThenCacheFolderThenHome() {
        #expect(GEMMRouting.path(environment: ["SIGLIP_GEMM_ROUTING": "/tmp/r.json", "HOME": "/home/u"])?.path == "/tmp/r.json")
        #expect(GEMMRouting.path(environment: ["SIGLIP_GEMM_ROUTING": "off", "HOME": "/home/u"]) == nil)
        #expect(GEMMRouting.path(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/home/u"])?.path == "/c/siglip/gemm-routing.json")
        #expect(GEMMRouting.path(environment: ["HOME": "/home/u"])?.path == "/home/u/.cache/siglip/gemm-routing.json")
        #expect(GEMMRouting.path(environment: [:]) == nil)
    }

    @Test func theCPUIsNamedByModelFamilyAndModel() {
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\n"
        #expect(CPUModel.describe(cpuinfo: info) == "AMD EPYC 7B13 (family 25, model 1)")
        #expect(CPUModel.describe(cpuinfo: "") == "unknown (family ?, model ?)")
        #expect(CPUModel.vendor(cpuinfo: info) == "AuthenticAMD")
        #expect(CPUModel.vendor(cpuinfo: "") == nil)
    }
}
