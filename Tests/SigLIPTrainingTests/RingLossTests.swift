import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPTraining
import Testing

/// The sigmoid loss spread over K ranks (threads here, MPI processes later): the shares summed
/// over ranks equal the single-process loss over the same K·n pairs, and so do the gradients
/// with respect to every image and text embedding and to t and b.
@Suite("Ring sigmoid loss") struct RingLossTests {
    /// A loss with its own parameter store (t, b), as each rank has.
    static func makeLoss() -> (SigmoidLoss, ParameterStore) {
        let layout = ParameterLayout()
        let loss = SigmoidLoss(layout, initialLogScale: 1.7, initialBias: -2.3)
        let store = ParameterStore(layout: layout)
        store.value(loss.logScale)[0] = 1.7
        store.value(loss.bias)[0] = -2.3
        return (loss, store)
    }

    @Test(arguments: [1, 2, 3, 4])
    func ranksTogetherGiveTheSingleProcessLoss(_ ranks: Int) throws {
        let (n, e) = (3, 5)
        var g = SeededGenerator(seed: UInt64(ranks))
        let batch = ranks * n
        let images = FloatBuffer(count: batch * e), texts = FloatBuffer(count: batch * e)
        for i in 0..<(batch * e) { images.data[i] = g.nextNormal(); texts.data[i] = g.nextNormal() }
        // Single process: the whole matrix.
        let (loss, store) = Self.makeLoss()
        let ctx = Context(parameters: store, arena: Arena())
        let img = L2Normalize.forward(Tensor(images.data, [batch, e]), ctx), txt = L2Normalize.forward(Tensor(texts.data, [batch, e]), ctx)
        let whole = SigmoidLoss.loss(logits: loss.logits(images: img, texts: txt, ctx))
        let dImg = ctx.arena.zeros([batch, e]), dTxt = ctx.arena.zeros([batch, e])
        loss.backward(SigmoidLoss.logitGradient(logits: loss.logits(images: img, texts: txt, ctx), ctx), images: img, texts: txt,
                      into: dImg, dTxt, .accumulate, ctx)

        // K ranks, each with rows [r·n, (r+1)·n) and its own t, b.
        let group = InProcessRing.Group(size: ranks)
        let outputs = RankOutputs(ranks: ranks)
        // One thread per rank (a pool of fewer threads than ranks would wait forever at the first shift).
        let finished = DispatchGroup()
        for r in 0..<ranks {
            finished.enter()
            Thread {
            let (rankLoss, rankStore) = Self.makeLoss()
            let rankCtx = Context(parameters: rankStore, arena: Arena())
            let result = try? RingSigmoidLoss.run(rankLoss, images: Tensor(img.data + r * n * e, [n, e]),
                                                  texts: Tensor(txt.data + r * n * e, [n, e]), ring: group.ring(r), rankCtx)
            outputs.store(rank: r, result: result, gradients: Array(rankStore.gradients.buffer))
            finished.leave()
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 60) == .success, "the ranks did not finish")
        let (results, gradients) = outputs.collected
        let shares = try results.map { try #require($0) }
        let total = shares.reduce(0) { $0 + Double($1.lossShare) }
        #expect(abs(total - Double(whole)) <= 1e-5 * abs(Double(whole)), "\(total) vs \(whole)")
        for (r, share) in shares.enumerated() {
            for i in 0..<(n * e) {
                let (a, b) = (share.dImages[i], dImg.data[r * n * e + i])
                let (c, d) = (share.dTexts[i], dTxt.data[r * n * e + i])
                #expect(abs(a - b) <= 1e-6 + 1e-4 * abs(b), "rank \(r) dImages[\(i)]: \(a) vs \(b)")
                #expect(abs(c - d) <= 1e-6 + 1e-4 * abs(d), "rank \(r) dTexts[\(i)]: \(c) vs \(d)")
            }
        }
        // dt and db: the ranks' shares summed (what an all-reduce does).
        let summed = (0..<2).map { p in gradients.reduce(Float(0)) { $0 + $1[p] } }
        let reference = Array(store.gradients.buffer)
        for p in 0..<2 { #expect(abs(summed[p] - reference[p]) <= 1e-6 + 1e-4 * abs(reference[p]), "t/b \(summed) vs \(reference)") }
        withExtendedLifetime((images, texts)) {}
    }
}

/// What the rank threads hand back, each writing its own slot under the lock.
private final class RankOutputs: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [RingSigmoidLoss.Result?]
    private var gradients: [[Float]]

    init(ranks: Int) {
        results = Array(repeating: nil, count: ranks)
        gradients = Array(repeating: [], count: ranks)
    }

    func store(rank: Int, result: RingSigmoidLoss.Result?, gradients rankGradients: [Float]) {
        lock.withLock {
            results[rank] = result
            gradients[rank] = rankGradients
        }
    }

    var collected: ([RingSigmoidLoss.Result?], [[Float]]) { lock.withLock { (results, gradients) } }
}
