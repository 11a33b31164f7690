import Foundation
import SigLIPCore
import SigLIPLayers

/// The ranks of a data-parallel job as the sigmoid loss needs them: each rank passes a buffer to
/// the next rank around a ring and receives the previous rank's (MPI's `MPI_Sendrecv` with
/// `rank ± 1`; `InProcessRing` runs ranks as threads for tests).
public protocol EmbeddingRing: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sends `buffer` to rank + 1 (mod size) and returns what rank − 1 sent; every rank calls
    /// it the same number of times with buffers of the same length.
    func shift(_ buffer: [Float]) throws -> [Float]
}

/// The global sigmoid loss over K ranks × n pairs, each rank holding its own n images and n
/// texts (DESIGN.md §5.2): the text blocks travel once around the ring; at each stop a rank
/// scores its images against the visiting block (positives only for its own block) with
/// `SigmoidLoss.blockLossAndGradients`, adds the block's gradient to the gradient travelling
/// with it, and passes both on. After K steps every block is home with the gradient of the
/// whole loss with respect to it. The loss (and dt, db) are this rank's share; the shares
/// summed over ranks (an all-reduce) are the loss and gradients of the whole K·n batch.
public enum RingSigmoidLoss {
    public struct Result {
        /// This rank's share of the loss over all K·n × K·n pairs.
        public let lossShare: Float
        /// ∂loss/∂images and ∂loss/∂texts of this rank's own rows: [n, E] each.
        public let dImages: [Float]
        public let dTexts: [Float]
    }

    /// images, texts: this rank's normalised embeddings [n, E]; every rank has the same n and E.
    /// dt and db of this rank's share accumulate into `ctx`'s gradients of `loss`.
    public static func run(_ loss: SigmoidLoss, images: Tensor, texts: Tensor, ring: EmbeddingRing, _ ctx: Context) throws -> Result {
        let (n, e, k) = (images.rows, images.lastDimension, ring.size)
        let dImages = ctx.arena.zeros([n, e])
        var visiting = texts.toArray()              // the block now here
        var travelling = [Float](repeating: 0, count: n * e)   // its gradient so far
        var owner = ring.rank
        var share = 0.0
        for _ in 0..<k {
            let dBlock = ctx.arena.zeros([n, e])
            share += visiting.withUnsafeMutableBufferPointer { block in
                Double(loss.blockLossAndGradients(images: images, texts: Tensor(block.baseAddress!, [n, e]), positives: owner == ring.rank,
                                                  batch: k * n, into: dImages, dBlock, .accumulate, ctx))
            }
            for i in 0..<(n * e) { travelling[i] += dBlock.data[i] }
            if k > 1 {   // pass the block and its gradient on; after k passes both are home
                visiting = try ring.shift(visiting)
                travelling = try ring.shift(travelling)
            }
            owner = (owner - 1 + k) % k
        }
        return Result(lossShare: Float(share), dImages: dImages.toArray(), dTexts: travelling)
    }
}
