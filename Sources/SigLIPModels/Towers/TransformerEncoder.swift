import SigLIPCore
import SigLIPLayers

/// A stack of pre-LN blocks (names `encoder.layers.{i}`) run by a plan: each step applies a
/// block or a recursion round's adapter (names `encoder.round_adapters.{k}`). The plain plan
/// applies every block once; a recursion plan (see `RecursionSignature`) applies blocks more
/// than once with shared weights. Each application keeps its own cache, and the backward
/// accumulates into the shared gradients.
public struct TransformerEncoder {
    public let blocks: [EncoderBlock]
    /// Adapters by round (k ≥ 2).
    public let adapters: [Int: RoundAdapter]

    public init(_ layout: ParameterLayout, _ name: String, depth: Int, width: Int, heads: Int, mlpWidth: Int, epsilon: Float,
                adapter: AdapterKind = .none, adapterRounds: ClosedRange<Int>? = nil) {
        blocks = (0..<depth).map {
            EncoderBlock(layout, "\(name).layers.\($0)", width: width, heads: heads, mlpWidth: mlpWidth, epsilon: epsilon)
        }
        var adapters: [Int: RoundAdapter] = [:]
        if adapter != .none, let adapterRounds {
            for k in adapterRounds { adapters[k] = RoundAdapter(layout, "\(name).round_adapters.\(k)", kind: adapter, width: width) }
        }
        self.adapters = adapters
    }

    /// The plain plan: every block once, in order.
    public var plainPlan: [EncoderStep] { blocks.indices.map(EncoderStep.block) }

    enum StepCache {
        case block(Int, EncoderBlock.Cache)
        case adapter(RoundAdapter, input: Tensor)
    }

    public struct Cache {
        let steps: [StepCache]
    }

    /// x: [B, N, D] → [B, N, D], running `plan` in order (adapter steps of rounds without an
    /// adapter are skipped). With `keepActivations` false (inference), each step's
    /// activations are freed as soon as its output is copied out: memory stays at one block's
    /// worth, and the cache is empty (no backward). The first `forwardOnlySteps` steps always
    /// run that way (a locked part, TowerLock): the backward stops where the cache begins.
    public func forward(_ x: Tensor, plan: [EncoderStep], keyMask: Tensor? = nil, keepActivations: Bool = true,
                        forwardOnlySteps: Int = 0, _ ctx: Context) -> (Tensor, Cache) {
        if !keepActivations { return (forwardOnly(x, plan: plan[...], keyMask: keyMask, ctx), Cache(steps: [])) }
        var h = forwardOnlySteps > 0 ? forwardOnly(x, plan: plan[..<forwardOnlySteps], keyMask: keyMask, ctx) : x
        var caches: [StepCache] = []
        caches.reserveCapacity(plan.count - forwardOnlySteps)
        for step in plan[forwardOnlySteps...] {
            switch step {
            case .block(let i):
                let (y, c) = blocks[i].forward(h, keyMask: keyMask, ctx)
                caches.append(.block(i, c))
                h = y
            case .adapter(let round):
                guard let adapter = adapters[round] else { continue }
                caches.append(.adapter(adapter, input: h))
                h = adapter.forward(h, ctx)
            }
        }
        return (h, Cache(steps: caches))
    }

    private func forwardOnly(_ x: Tensor, plan: ArraySlice<EncoderStep>, keyMask: Tensor?, _ ctx: Context) -> Tensor {
        Self.releasingEachStep(plan, from: x, ctx) { step, input, output in
            switch step {
            case .block(let i): output.copy(from: blocks[i].infer(input, keyMask: keyMask, ctx))
            case .adapter(let round):
                guard let adapter = adapters[round] else { return false }
                output.copy(from: adapter.forward(input, ctx))
            }
            return true
        }
    }

    /// Runs `apply(step, input, output)` for each step, `output` receiving the step's result
    /// (`apply` returns false for a step it skips, writing nothing); everything a step took
    /// from the arena is freed after it. Memory: two tensors of x's shape plus one step's
    /// scratch. Returns the last result.
    private static func releasingEachStep<Steps: Sequence>(
        _ steps: Steps, from x: Tensor, _ ctx: Context, _ apply: (Steps.Element, Tensor, Tensor) -> Bool
    ) -> Tensor {
        var current = ctx.arena.tensor(x.shape), spare = ctx.arena.tensor(x.shape)
        current.copy(from: x)
        for step in steps {
            let mark = ctx.arena.mark()
            let applied = apply(step, current, spare)
            ctx.arena.release(to: mark)
            if applied { swap(&current, &spare) }
        }
        return current
    }

    /// dy: [B, N, D]; writes dx: [B, N, D] as `write` says; gradients of shared blocks
    /// accumulate over their applications. Each step's scratch is freed as soon as its input
    /// gradient is written, so the backward needs one step's scratch memory on top of the
    /// forward caches.
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let gradient = Self.releasingEachStep(cache.steps.reversed(), from: dy, ctx) { step, gradient, output in
            switch step {
            case .block(let i, let c): blocks[i].backward(gradient, c, into: output, .overwrite, ctx)
            case .adapter(let adapter, let input): adapter.backward(gradient, input: input, into: output, .overwrite, ctx)
            }
            return true
        }
        switch write {
        case .overwrite: dx.copy(from: gradient)
        case .accumulate: Vector.add(gradient.data, into: dx.data, dx.count)
        }
    }
}
