import Foundation
import SigLIP

/// The linear products of one encoder block's training step, as the step runs them, timed on
/// both backends: what `--gemm-shapes` prints and what `--tune-gemm` writes to the routing file.
struct StepProduct {
    /// qkv, out_proj, fc1 or fc2.
    let layer: String
    /// x·Wᵀ (forward), dy·W (input gradient) or dyᵀ·x (weight gradient).
    let pass: String
    let transA: Transpose, transB: Transpose
    let m: Int, n: Int, k: Int
    /// The extras of the step's pass: the weight gradient accumulates (β = 1); the forward adds
    /// the bias, out_proj and fc2 the residual, fc1 writes GELU beside C; fc2's input gradient
    /// is multiplied by GELU's slope.
    let beta: Float
    let bias: Bool, residual: Bool, gelu: Bool, slope: Bool
    /// B is a weight kept packed (`PackedWeights`): ours packs it on the first call only.
    var kept = false

    /// What the routing table files the product under (`gemmRoutingEpilogue`).
    var epilogue: String {
        gemmRoutingEpilogue(gemmEpilogue(beta: beta, bias: bias, addend: residual, gelu: gelu, slope: slope), kept: kept)
    }

    /// The block's twelve products: rows T (images × tokens), width d, MLP width h; with
    /// `inference`, also each forward with its weight kept packed.
    static func ofBlock(_ shapes: KernelThroughput.GEMMShapes, inference: Bool = false) -> [StepProduct] {
        let (t, d, h) = (shapes.rows, shapes.width, shapes.hidden)
        let layers: [(name: String, out: Int, inp: Int)] = [("qkv", 3 * d, d), ("out_proj", d, d), ("fc1", h, d), ("fc2", d, h)]
        var products: [StepProduct] = []
        for (layer, out, inp) in layers {
            let residual = layer == "out_proj" || layer == "fc2"
            let forward = StepProduct(layer: layer, pass: "x·Wᵀ", transA: .none, transB: .transposed, m: t, n: out, k: inp,
                                      beta: 0, bias: true, residual: residual, gelu: layer == "fc1", slope: false)
            products.append(forward)
            if inference {
                products.append(StepProduct(layer: layer, pass: "x·Wᵀ", transA: .none, transB: .transposed, m: t, n: out, k: inp,
                                            beta: 0, bias: true, residual: residual, gelu: layer == "fc1", slope: false, kept: true))
            }
            products.append(StepProduct(layer: layer, pass: "dy·W", transA: .none, transB: .none, m: t, n: inp, k: out,
                                        beta: 0, bias: false, residual: false, gelu: false, slope: layer == "fc2"))
            products.append(StepProduct(layer: layer, pass: "dyᵀ·x", transA: .transposed, transB: .none, m: out, n: inp, k: t,
                                        beta: 1, bias: false, residual: false, gelu: false, slope: false))
        }
        return products
    }

    /// One product timed on each backend in turn (`interleavedMedians`).
    struct Timed {
        let product: StepProduct
        let ours: Double, blas: Double
        /// OpenBLAS's time over ours in the paired repetitions.
        let blasOverOurs: PairedRatio
    }

    /// Every product of the block (and, with `inference`, its forwards with the weights kept),
    /// each on both backends with the step's extras (fused in our driver, separate passes with
    /// OpenBLAS).
    static func measure(_ shapes: KernelThroughput.GEMMShapes, steps: Int, inference: Bool = false) -> [Timed] {
        let (t, d, h) = (shapes.rows, shapes.width, shapes.hidden)
        var generator = SeededGenerator(seed: 2)
        func buffer(_ count: Int) -> FloatBuffer { KernelThroughput.randomBuffer(count, generator: &generator) }
        let largest = t * max(3 * d, h)
        let a = buffer(largest), w = buffer(largest), c = buffer(largest), residual = buffer(largest)
        let bias = buffer(max(3 * d, h)), geluOut = buffer(t * h), x = buffer(t * h), y = FloatBuffer(count: t * h)
        Kernels.geluForward(x.data, out: y.data, count: t * h)   // the slope is read off GELU(x) and x, as in the step
        let packed = PackedWeights()   // keyed by shape: one store serves every kept product
        return ofBlock(shapes, inference: inference).map { p in
            let lda = p.transA == .none ? p.k : p.m, ldb = p.transB == .none ? p.n : p.k
            // Ours first: the paired ratios are each body's time over the first's.
            let timed = interleavedMedians(steps: steps, warmup: 3, [GEMMBackend.vectorKernels, .blas].map { backend in {
                gemmUnrouted(on: backend, p.transA, p.transB, m: p.m, n: p.n, k: p.k, a: a.data, lda: lda, b: w.data, ldb: ldb,
                             beta: p.beta, bias: p.bias ? bias.data : nil, addend: p.residual ? residual.data : nil,
                             c: c.data, ldc: p.n, gelu: p.gelu ? geluOut.data : nil,
                             geluSlopeAt: p.slope ? (UnsafePointer(x.data), UnsafePointer(y.data), p.n) : nil,
                             keptIn: p.kept ? packed : nil)
            } })
            return Timed(product: p, ours: timed.medians[0], blas: timed.medians[1], blasOverOurs: timed.paired[1])
        }
    }
}

/// A block's attention heads, forward then backward, as `SelfAttention` runs them (one
/// (example, head) pair per task, spread over the threads), timed as fused kernels and as
/// OpenBLAS's products with the softmax between them, in turn.
struct StepHeads {
    let fused: Double, unfused: Double
    /// The products' time over the fused kernels' in the paired repetitions.
    let unfusedOverFused: PairedRatio

    static func measure(_ shapes: KernelThroughput.GEMMShapes, steps: Int) -> StepHeads {
        let (n, d, h) = (shapes.tokens, shapes.width, shapes.heads)
        let (pairs, dh, scale) = (shapes.rows / n * h, d / h, 1 / Float(d / h).squareRoot())
        var generator = SeededGenerator(seed: 3)
        func buffer(_ count: Int) -> FloatBuffer { KernelThroughput.randomBuffer(count, generator: &generator) }
        let qkv = buffer(shapes.rows * 3 * d), grads = buffer(shapes.rows * 3 * d)
        let context = buffer(shapes.rows * d), contextGradient = buffer(shapes.rows * d)
        let probabilities = buffer(pairs * n * n), scores = buffer(pairs * n * n)
        let workFloats = Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh)
        /// Every pair's forward, then every pair's backward (as the step: all heads of a layer
        /// forward, much later all of them backward), fused or as the products.
        func heads(fused: Bool) -> () -> Void {
            /// body: the pair, its q (and its gradient's, g), o and dO, the task's workspace, and
            /// the q of the pair the task takes next (nil after its last).
            func eachPair(_ body: @escaping (_ pair: Int, _ q: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                                             _ o: UnsafeMutablePointer<Float>, _ dO: UnsafeMutablePointer<Float>,
                                             _ work: UnsafeMutablePointer<Float>, _ next: UnsafePointer<Float>?) -> Void) {
                parallelFor(pairs, costPerItem: 4 * n * n * dh) { range in
                    let work = UnsafeMutablePointer<Float>.allocate(capacity: workFloats)
                    defer { work.deallocate() }
                    let offsets = { (pair: Int) in SelfAttention.offsets(of: pair, tokens: n, heads: h, width: d) }
                    for pair in range {
                        let at = offsets(pair)
                        let next = pair + 1 < range.upperBound ? UnsafePointer(qkv.data + offsets(pair + 1).qkv) : nil
                        body(pair, qkv.data + at.qkv, grads.data + at.qkv, context.data + at.context, contextGradient.data + at.context,
                             work, next)
                    }
                }
            }
            return {
                eachPair { pair, q, _, o, _, work, next in
                    let p = probabilities.data + pair * n * n
                    if fused {
                        Kernels.attentionHeadForward(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: scale,
                                                     mask: nil, probabilities: p, output: o, ldOutput: d, work: work, nextQueries: next)
                    } else {
                        SelfAttention.headForwardUnfused(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: scale,
                                                         mask: nil, probabilities: p, output: o, ldOutput: d)
                    }
                }
                eachPair { pair, q, g, _, dO, work, _ in
                    let p = probabilities.data + pair * n * n
                    if fused {
                        Kernels.attentionHeadBackward(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: scale,
                                                      probabilities: p, outputGradient: dO, ldOutput: d, dq: g, dk: g + d, dv: g + 2 * d,
                                                      work: work)
                    } else {
                        SelfAttention.headBackwardUnfused(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: scale,
                                                          probabilities: p, outputGradient: dO, ldOutput: d, dq: g, dk: g + d,
                                                          dv: g + 2 * d, scores: scores.data + pair * n * n)
                    }
                }
            }
        }
        let timed = interleavedMedians(steps: steps, warmup: 3, [heads(fused: true), heads(fused: false)])
        return StepHeads(fused: timed.medians[0], unfused: timed.medians[1], unfusedOverFused: timed.paired[1])
    }
}

/// `siglip-bench --tune-gemm`: the products of the preset blocks' steps timed on both
/// backends on this machine, and their heads fused and unfused, written as its routing table
/// (`GEMMRoutingTable`).
enum GEMMTuning {
    /// The blocks measured: the image towers of the three benchmark configurations and the S/16
    /// text tower at the benchmark's 16 tokens (Ti/16's text block has Ti/16's image shapes).
    static let presets = ["ti16", "s16", "s16-text", "b16"]
    /// Those whose forwards are also timed with the weights kept packed, as inference runs them:
    /// B/16 (the inference benchmark) and Ti/16 (the size of the main job's evaluation).
    static let inferencePresets: Set = ["ti16", "b16"]

    /// Measures every preset's products and returns the table, printing a line per product.
    static func measure(steps: Int) -> GEMMRoutingTable {
        var products: [GEMMRoutingTable.Product] = []
        var heads: [GEMMRoutingTable.Heads] = []
        for name in presets {
            let shapes = KernelThroughput.GEMMShapes.named[name]!
            print("\(shapes.name): rows \(shapes.rows), width \(shapes.width), MLP \(shapes.hidden)")
            for timed in StepProduct.measure(shapes, steps: steps, inference: inferencePresets.contains(name)) {
                let p = timed.product
                let entry = GEMMRoutingTable.Product(transposedA: p.transA == .transposed, transposedB: p.transB == .transposed,
                                                     m: p.m, n: p.n, k: p.k, epilogue: p.epilogue,
                                                     blasOverOurs: timed.blasOverOurs)
                products.append(entry)
                print(String(format: "  %@ %@ %d×%d×%d%@: ours %.2f ms, OpenBLAS %.2f ms, OpenBLAS/ours %@ → %@",
                             p.layer as NSString, p.pass as NSString, p.m, p.n, p.k, (p.epilogue.isEmpty ? "" : " " + p.epilogue) as NSString,
                             timed.ours * 1e3, timed.blas * 1e3, timed.blasOverOurs.description as NSString,
                             (entry.backend?.rawValue ?? "tie: the built-in rule") as NSString))
            }
            let (n, dh) = (shapes.tokens, shapes.width / shapes.heads)
            if !heads.contains(where: { ($0.tokens, $0.headWidth) == (n, dh) }) {
                let timed = StepHeads.measure(shapes, steps: steps)
                let entry = GEMMRoutingTable.Heads(tokens: n, headWidth: dh, unfusedOverFused: timed.unfusedOverFused)
                heads.append(entry)
                print(String(format: "  heads %d tokens × %d, forward and backward: fused %.2f ms, OpenBLAS products %.2f ms, products/fused %@ → %@",
                             n, dh, timed.fused * 1e3, timed.unfused * 1e3, timed.unfusedOverFused.description as NSString,
                             (entry.fused.map { $0 ? "fused" : "products" } ?? "tie: the built-in rule") as NSString))
            }
        }
        return GEMMRoutingTable(cpu: CPUModel.name, instructionSet: InstructionSet.selected.name, threads: ComputeThreads.current,
                                products: products, heads: heads)
    }
}
