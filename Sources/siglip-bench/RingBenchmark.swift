import Foundation
import SigLIP
import SigLIPMPI
import SigLIPTraining

/// `siglip-bench --ring` under `mpirun -np K`: checks the sigmoid loss spread over the ranks
/// (`RingSigmoidLoss`) against one process computing it over all K·n pairs, then times the two
/// communications of a data-parallel step: one ring exchange of n × E embeddings and the
/// all-reduce of P gradient floats (the figures of docs/SCALING.md's cost model).
enum RingBenchmark {
    struct Settings {
        var localBatch: Int
        var width: Int
        var allReduceFloats: Int
        var steps: Int
        var seed: UInt64
        var timeout: Double
    }

    /// Largest relative difference allowed between the ranks' loss and gradients and the
    /// single-process ones (float32 sums in another order).
    static let tolerance: Float = 1e-5

    /// Runs on every rank; rank 0 prints. Returns false when the check failed.
    static func run(_ s: Settings) throws -> Bool {
        let group = try MPIGroup(timeout: s.timeout, command: "siglip-bench")
        defer { group.finish() }
        let (k, n, e, rank) = (group.size, s.localBatch, s.width, group.rank)
        let batch = k * n
        // Every rank draws the same K·n pairs of embeddings and takes its rows.
        var generator = SeededGenerator(seed: s.seed)
        let images = FloatBuffer(count: batch * e), texts = FloatBuffer(count: batch * e)
        for i in 0..<(batch * e) { images.data[i] = generator.nextNormal(); texts.data[i] = generator.nextNormal() }
        let (loss, store) = makeLoss()
        let ctx = Context(parameters: store, arena: Arena())
        let img = L2Normalize.forward(Tensor(images.data, [batch, e]), ctx), txt = L2Normalize.forward(Tensor(texts.data, [batch, e]), ctx)
        let ring = try RingSigmoidLoss.run(loss, images: Tensor(img.data + rank * n * e, [n, e]), texts: Tensor(txt.data + rank * n * e, [n, e]),
                                           ring: group, ctx)
        let shares = try group.allGather([Double(ring.lossShare), Double(store.gradients.data[0]), Double(store.gradients.data[1])])
        let dImages = try group.allGather(ring.dImages.map(Double.init)).flatMap { $0 }
        let dTexts = try group.allGather(ring.dTexts.map(Double.init)).flatMap { $0 }
        var passed = true
        if rank == 0 {
            // One process over the whole K·n × K·n matrix.
            let (reference, referenceStore) = makeLoss()
            let rctx = Context(parameters: referenceStore, arena: Arena())
            let logits = reference.logits(images: img, texts: txt, rctx)
            let whole = SigmoidLoss.loss(logits: logits)
            let dImg = rctx.arena.zeros([batch, e]), dTxt = rctx.arena.zeros([batch, e])
            reference.backward(SigmoidLoss.logitGradient(logits: logits, rctx), images: img, texts: txt, into: dImg, dTxt, .accumulate, rctx)
            func relative(_ got: [Double], _ want: [Float]) -> Float {
                let scale = want.map { abs($0) }.max() ?? 1
                return zip(got, want).map { Float(abs($0 - Double($1))) }.max()! / max(scale, .leastNormalMagnitude)
            }
            let sum = shares.reduce(0) { $0 + $1[0] }
            let lossError = Float(abs(sum - Double(whole))) / abs(whole)
            let imageError = relative(dImages, dImg.toArray()), textError = relative(dTexts, dTxt.toArray())
            let tError = relative([shares.reduce(0) { $0 + $1[1] }], [referenceStore.gradients.data[0]])
            let bError = relative([shares.reduce(0) { $0 + $1[2] }], [referenceStore.gradients.data[1]])
            let worst = [lossError, imageError, textError, tError, bError].max()!
            passed = worst <= tolerance
            print("ranks \(k) · local batch \(n) · global batch \(batch) · embedding width \(e)")
            print(String(format: "ring loss vs one process: loss %.3g, d images %.3g, d texts %.3g, dt %.3g, db %.3g (relative; tolerance %.0e): %@",
                         lossError, imageError, textError, tError, bError, tolerance, passed ? "passed" : "FAILED"))
        }
        // Timings (every rank takes part; rank 0 reports its own times).
        let embeddings = [Float](repeating: 0.5, count: n * e)
        let shift = try medianTime(steps: s.steps, warmup: 2) { _ = try group.shift(embeddings) }.median
        let gradients = FloatBuffer(count: s.allReduceFloats)
        let reduce = try medianTime(steps: s.steps, warmup: 1) { try group.allReduceSum(gradients.data, count: gradients.count) }.median
        if rank == 0 {
            let shiftBytes = Double(n * e * 4), reduceBytes = Double(s.allReduceFloats * 4)
            print(String(format: "ring exchange of %d × %d floats (%.2f MB each way): median %.3f ms, %.2f GB/s",
                         n, e, shiftBytes / 1e6, 1000 * shift, shiftBytes / shift / 1e9))
            print(String(format: "all-reduce of %d floats (%.1f MB): median %.2f ms, bus bandwidth %.2f GB/s (2(K-1)/K × bytes / time)",
                         s.allReduceFloats, reduceBytes / 1e6, 1000 * reduce, 2 * Double(k - 1) / Double(k) * reduceBytes / reduce / 1e9))
        }
        return passed
    }

    static func makeLoss() -> (SigmoidLoss, ParameterStore) {
        let layout = ParameterLayout()
        let loss = SigmoidLoss(layout, initialLogScale: 2.3, initialBias: -10)
        let store = ParameterStore(layout: layout)
        store.value(loss.logScale)[0] = 2.3
        store.value(loss.bias)[0] = -10
        return (loss, store)
    }
}
