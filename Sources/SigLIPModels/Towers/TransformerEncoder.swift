import SigLIPCore
import SigLIPLayers

/// A stack of pre-LN blocks (names `encoder.layers.{i}`), run in the order of a schedule of
/// block indices: `[0, 1, …, depth-1]` is the plain tower; a recursion schedule (RINS) lists
/// blocks more than once, and each application keeps its own cache.
public struct TransformerEncoder {
    public let blocks: [EncoderBlock]

    public init(_ layout: ParameterLayout, _ name: String, depth: Int, width: Int, heads: Int, mlpWidth: Int, epsilon: Float) {
        blocks = (0..<depth).map {
            EncoderBlock(layout, "\(name).layers.\($0)", width: width, heads: heads, mlpWidth: mlpWidth, epsilon: epsilon)
        }
    }

    /// The plain schedule: every block once, in order.
    public var plainSchedule: [Int] { Array(blocks.indices) }

    public struct Cache {
        let schedule: [Int]
        let blocks: [EncoderBlock.Cache]
    }

    /// x: [B, N, D] → [B, N, D], applying `schedule` (block indices) in order.
    public func forward(_ x: Tensor, schedule: [Int], keyMask: Tensor? = nil, _ ctx: Context) -> (Tensor, Cache) {
        var h = x
        var caches: [EncoderBlock.Cache] = []
        caches.reserveCapacity(schedule.count)
        for i in schedule {
            let (y, c) = blocks[i].forward(h, keyMask: keyMask, ctx)
            caches.append(c)
            h = y
        }
        return (h, Cache(schedule: schedule, blocks: caches))
    }

    /// dy: [B, N, D] → dx (fresh); gradients of shared blocks accumulate over their applications.
    public func backward(_ dy: Tensor, _ cache: Cache, _ ctx: Context) -> Tensor {
        var g = dy
        for (i, c) in zip(cache.schedule, cache.blocks).reversed() {
            g = blocks[i].backward(g, c, ctx)
        }
        return g
    }
}
