import Foundation
import SigLIP
import SigLIPTraining

/// Times the kernels of a training step at the sizes of the Ti/16-64 batch-64 step
/// (`siglip-bench --kernels`): each line gives the median time of one call and the memory
/// traffic it implies (GEMMs: their GFLOP/s), so a change to a kernel can be measured on its own.
enum KernelThroughput {
    struct Row {
        let name: String
        let elements: Int
        /// Bytes each call must read and write at least.
        let bytes: Int
        let seconds: Double
        /// For GEMMs: floating-point operations per call (the line then shows GFLOP/s).
        var flops: Double? = nil
        /// This row's time over the row before it, median over repetitions timed in turn
        /// (`interleavedMedians`).
        var pairedRatio: Double? = nil

        var line: String {
            let label = name.padding(toLength: max(64, name.count + 1), withPad: " ", startingAt: 0)
            if let flops {
                let line = label + String(format: "%9.3f ms · %6.1f GFLOP/s", seconds * 1e3, flops / seconds / 1e9)
                return line + (pairedRatio.map { String(format: " · %.3f× the time of the row above (paired)", $0) } ?? "")
            }
            return label + String(format: "%9.3f ms · %6.2f ns/element · %6.1f GB/s", seconds * 1e3,
                                  seconds * 1e9 / Double(elements), Double(bytes) / seconds / 1e9)
        }
    }

    /// `count` floats drawn uniformly from [-scale, scale).
    static func randomBuffer(_ count: Int, scale: Float = 1, generator: inout SeededGenerator) -> FloatBuffer {
        let b = FloatBuffer(count: count)
        for i in 0..<count { b.data[i] = scale * (2 * generator.nextUnitFloat() - 1) }
        return b
    }

    /// The GEMMs of one encoder block of a configuration: its activations' rows (images ×
    /// tokens) and widths.
    struct GEMMShapes {
        let name: String
        let rows: Int, width: Int, hidden: Int
        let tokens: Int, heads: Int
        static let ti16 = GEMMShapes(name: "Ti/16-64 batch 64", rows: 1024, width: 192, hidden: 768, tokens: 16, heads: 3)
        static let s16 = GEMMShapes(name: "S/16-224 batch 32", rows: 32 * 196, width: 384, hidden: 1536, tokens: 196, heads: 6)
        static let b16 = GEMMShapes(name: "B/16-224 batch 8", rows: 8 * 196, width: 768, hidden: 3072, tokens: 196, heads: 12)
        /// The S/16 step's text tower: 32 captions of the benchmark's 16 tokens.
        static let s16Text = GEMMShapes(name: "S/16 text batch 32", rows: 32 * 16, width: 384, hidden: 1536, tokens: 16, heads: 6)
        static let named = ["ti16": ti16, "s16": s16, "s16-text": s16Text, "b16": b16]
    }

    /// Each GEMM of a block (forward x·Wᵀ, backward dy·W and dyᵀ·x) with the extras of its pass
    /// in the step (`StepProduct`), on each backend in turn, so that the two see the same machine;
    /// a row marked "← the step's" is the backend `GEMMBackend.computing` gives the product in a
    /// step with our driver selected (by this machine's routing table, if it has one).
    static func gemmRows(_ shapes: GEMMShapes, steps: Int) -> [Row] {
        StepProduct.measure(shapes, steps: steps).flatMap { timed -> [Row] in
            let p = timed.product
            let routed = GEMMBackend.vectorKernels.computing(p.transA, p.transB, m: p.m, k: p.k, n: p.n, epilogue: p.epilogue)
            let flops = 2 * p.m * p.n * p.k
            return [(GEMMBackend.vectorKernels, timed.ours, nil), (.blas, timed.blas, Optional(timed.blasOverOurs.median))].map { backend, seconds, ratio in
                let name = "GEMM \(p.layer) \(p.pass) \(p.m)×\(p.n)×\(p.k)\(p.epilogue.isEmpty ? "" : " " + p.epilogue) \(backend)"
                    + (backend == routed ? " ← the step's" : "")
                return Row(name: name, elements: flops, bytes: 0, seconds: seconds, flops: Double(flops), pairedRatio: ratio)
            }
        }
    }

    /// The attention heads' products as `SelfAttention` runs them (one product per example and
    /// head on one thread, the pairs spread over the threads), with each backend in turn, and
    /// the softmax between them: QKᵀ (as dO·Vᵀ), PV (as dS·K), Pᵀ·dO (as dSᵀ·Q).
    static func headRows(_ shapes: GEMMShapes, steps: Int) -> [Row] {
        let (n, d, h) = (shapes.tokens, shapes.width, shapes.heads)
        let (examples, dh) = (shapes.rows / n, d / h)
        var generator = SeededGenerator(seed: 3)
        let qkv = randomBuffer(shapes.rows * 3 * d, generator: &generator)
        let probabilities = randomBuffer(examples * h * n * n, generator: &generator)
        let out = randomBuffer(shapes.rows * 3 * d, generator: &generator)
        let flops = Double(examples * h) * 2 * Double(n * n * dh)
        func timeHeads(_ body: @escaping (_ q: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ o: UnsafeMutablePointer<Float>) -> Void) -> Double {
            medianTime(steps: steps, warmup: 3) {
                parallelFor(examples * h, costPerItem: 2 * n * n * dh) { pairs in
                    for pair in pairs {
                        let (bi, hi) = (pair / h, pair % h)
                        body(qkv.data + bi * n * 3 * d + hi * dh, probabilities.data + pair * n * n, out.data + bi * n * 3 * d + hi * dh)
                    }
                }
            }.median
        }
        var result: [Row] = []
        let label = "\(examples)×\(h) heads"
        for backend in GEMMBackend.allCases {
            let products: [(String, Double)] = [
                ("QKᵀ \(n)×\(n)×\(dh)", timeHeads { q, p, _ in
                    gemmOnThisThread(on: backend, .none, .transposed, m: n, n: n, k: dh, a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: p, ldc: n) }),
                ("PV \(n)×\(dh)×\(n)", timeHeads { q, p, o in
                    gemmOnThisThread(on: backend, .none, .none, m: n, n: dh, k: n, a: p, lda: n, b: q + 2 * d, ldb: 3 * d, c: o, ldc: 3 * d) }),
                ("Pᵀ·dO \(n)×\(dh)×\(n)", timeHeads { q, p, o in
                    gemmOnThisThread(on: backend, .transposed, .none, m: n, n: dh, k: n, a: p, lda: n, b: q, ldb: 3 * d, c: o, ldc: 3 * d) }),
            ]
            for (name, seconds) in products {
                result.append(Row(name: "heads \(name), \(label) \(backend)", elements: 0, bytes: 0, seconds: seconds, flops: flops))
            }
        }
        let softmax = timeHeads { _, p, _ in Kernels.softmaxRowsOnThisThread(p, rows: n, columns: n) }
        result.append(Row(name: "heads softmax [\(n), \(n)], \(label)", elements: examples * h * n * n,
                          bytes: 8 * examples * h * n * n, seconds: softmax))
        // Forward and backward as the model runs them: one kernel per head (workspace per task,
        // as there), and the backward's OpenBLAS products + softmax backward it replaces.
        let workFloats = Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh)
        let grads = randomBuffer(shapes.rows * 3 * d, generator: &generator)
        let scores = randomBuffer(examples * h * n * n, generator: &generator)
        func fused(_ body: @escaping (_ pair: Int, _ q: UnsafeMutablePointer<Float>, _ work: UnsafeMutablePointer<Float>) -> Void) -> () -> Void {
            {
                parallelFor(examples * h, costPerItem: 4 * n * n * dh) { pairs in
                    let work = UnsafeMutablePointer<Float>.allocate(capacity: workFloats)
                    defer { work.deallocate() }
                    for pair in pairs { body(pair, qkv.data + (pair / h) * n * 3 * d + (pair % h) * dh, work) }
                }
            }
        }
        let forward = medianTime(steps: steps, warmup: 3, fused { pair, q, work in
            Kernels.attentionHeadForward(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: 0.125,
                                         mask: nil, probabilities: probabilities.data + pair * n * n,
                                         output: out.data + (pair / h) * n * 3 * d + (pair % h) * dh, ldOutput: 3 * d, work: work)
        }).median
        let backward = interleavedMedians(steps: steps, warmup: 3, [
            fused { pair, q, _ in
                let g = grads.data + (q - qkv.data)
                SelfAttention.headBackwardUnfused(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: 0.125,
                                                  probabilities: probabilities.data + pair * n * n, outputGradient: out.data + (q - qkv.data),
                                                  ldOutput: 3 * d, dq: g, dk: g + d, dv: g + 2 * d, scores: scores.data + pair * n * n)
            },
            fused { pair, q, work in
                let g = grads.data + (q - qkv.data)
                Kernels.attentionHeadBackward(q: q, k: q + d, v: q + 2 * d, ld: 3 * d, tokens: n, headWidth: dh, scale: 0.125,
                                              probabilities: probabilities.data + pair * n * n, outputGradient: out.data + (q - qkv.data),
                                              ldOutput: 3 * d, dq: g, dk: g + d, dv: g + 2 * d, work: work)
            },
        ])
        result.append(Row(name: "heads forward fused (QKᵀ, softmax, PV), \(label)", elements: 0, bytes: 0, seconds: forward,
                          flops: 2 * flops))
        result.append(Row(name: "heads backward, OpenBLAS products + softmax backward, \(label)", elements: 0, bytes: 0,
                          seconds: backward.medians[0], flops: 4 * flops))
        result.append(Row(name: "heads backward fused (dO·Vᵀ, softmax, dS·K, Pᵀ·dO, dSᵀ·Q), \(label)", elements: 0, bytes: 0,
                          seconds: backward.medians[1], flops: 4 * flops, pairedRatio: backward.paired[1].median))
        return result
    }

    /// rows × width activations as in the Ti/16-64 step (64 images × 16 tokens, width 192,
    /// MLP 768), and an AdamW update over that model's 17.3 M parameters.
    static func measure(steps: Int) -> [Row] {
        let rows = 1024, d = 192, hidden = 768, tokens = 16
        var generator = SeededGenerator(seed: 1)
        func buffer(_ count: Int, scale: Float = 1) -> FloatBuffer { randomBuffer(count, scale: scale, generator: &generator) }
        func time(_ name: String, elements: Int, bytes: Int, _ body: () -> Void) -> Row {
            Row(name: name, elements: elements, bytes: bytes, seconds: medianTime(steps: steps, warmup: 3, body).median)
        }
        var result: [Row] = []
        let h = rows * hidden
        let x = buffer(h, scale: 4), y = buffer(h), dy = buffer(h), dx = buffer(h)
        // The C kernels at every instruction-set level this CPU has (the default is the highest).
        for isa in InstructionSet.allSupported {
            result.append(time("GELU forward [1024, 768] \(isa)", elements: h, bytes: 8 * h) {
                Kernels.geluForward(x.data, out: y.data, count: h, isa: isa)
            })
            result.append(time("GELU backward [1024, 768] \(isa)", elements: h, bytes: 16 * h) {
                Kernels.geluBackward(dy.data, x: x.data, y: y.data, dx: dx.data, count: h, isa: isa)
            })
        }
        let n = rows * d
        let gamma = buffer(d), beta = buffer(d), mean = buffer(rows), rstd = buffer(rows), dgamma = buffer(d), dbeta = buffer(d)
        for isa in InstructionSet.allSupported {
            result.append(time("LayerNorm forward [1024, 192] \(isa)", elements: n, bytes: 8 * n) {
                Kernels.layerNormForward(x.data, gamma: gamma.data, beta: beta.data, out: y.data, mean: mean.data, rstd: rstd.data,
                                         rows: rows, width: d, epsilon: 1e-6, isa: isa)
            })
            result.append(time("LayerNorm backward [1024, 192] \(isa)", elements: n, bytes: 16 * n) {
                Kernels.layerNormBackward(dy.data, x: x.data, mean: mean.data, rstd: rstd.data, gamma: gamma.data, dx: dx.data,
                                          dgamma: dgamma.data, dbeta: dbeta.data, rows: rows, width: d, isa: isa)
            })
        }
        let scores = rows * 3 * tokens   // 64 images × 3 heads × 16 queries, rows of 16 keys
        for isa in InstructionSet.allSupported {
            result.append(time("softmax rows [3072, 16] \(isa)", elements: scores, bytes: 8 * scores) {
                Kernels.softmaxRows(x.data, rows: scores / tokens, columns: tokens, isa: isa)
            })
        }
        result.append(time("residual add [1024, 192]", elements: n, bytes: 12 * n) {
            Kernels.addInPlace(dy.data, into: dx.data, count: n)
        })
        let biasGradient = buffer(hidden)
        result.append(time("bias gradient [1024, 768]", elements: h, bytes: 4 * h) {
            Kernels.accumulateColumnSums(dy.data, rows: rows, columns: hidden, into: biasGradient.data)
        })
        result.append(time("parallelFor, empty, 2 × 1 task", elements: 1, bytes: 0) {
            parallelFor(2, costPerItem: 1 << 20) { _ in }
        })
        // The step's GEMM shapes (one block): forward x·Wᵀ, backward dy·W and dyᵀ·x.
        result += gemmRows(GEMMShapes.ti16, steps: steps)
        if let model = try? SigLIPModel(config: BenchCase.ti16_64_train.modelConfig(imageSize: 64)) {
            let p = model.parameters.count
            let optimizer = AdamW(parameters: model.parameters, schedule: WarmupCosineSchedule(warmupSteps: 1, totalSteps: 1 << 20))
            for i in 0..<p { model.parameters.gradients.data[i] = 1e-3 * (2 * generator.nextUnitFloat() - 1) }
            let best = InstructionSet.selected
            for isa in InstructionSet.allSupported {
                InstructionSet.select(isa)
                result.append(time("AdamW update, \(p / 1000) k parameters \(isa)", elements: p, bytes: 28 * p) {
                    optimizer.update(model.parameters, gradientNorm: 1)
                })
            }
            InstructionSet.select(best)
            result.append(time("gradient norm, \(p / 1000) k parameters", elements: p, bytes: 4 * p) {
                _ = AdamW.globalNorm(model.parameters.gradients)
            })
            result.append(time("zero gradients, \(p / 1000) k parameters", elements: p, bytes: 4 * p) {
                _ = model.parameters.gradients   // write access: the store can no longer skip the zeroing
                model.parameters.zeroGradients()
            })
        }
        return result
    }
}
