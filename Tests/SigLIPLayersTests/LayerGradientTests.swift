import SigLIPCore
import SigLIPLayers
import Testing

/// Finite-difference checks of every layer's backward (tiny shapes, odd sizes on purpose).
@Suite("Layer gradients") struct LayerGradientTests {
    /// Builds a layer's parameters, runs forward + backward with dy = r, then checks every
    /// parameter and the input against finite differences.
    private func check(
        _ label: String, inputShape: [Int], seed: UInt64 = 1, inputScale: Float = 1,
        build: (ParameterLayout) -> (Tensor, Context) -> (Tensor, (Tensor) -> Tensor?)
    ) {
        var fixture = Fixture(seed: seed)
        let layout = ParameterLayout()
        let run = build(layout)
        let store = Fixture.randomStore(layout, generator: &fixture.generator)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let x = fixture.random(inputShape, scale: inputScale)
        let (y, backward) = run(x, ctx)
        let r = fixture.random(y.shape)
        let dx = backward(r)
        let objective: () -> Double = {
            let mark = ctx.arena.mark()
            defer { ctx.arena.release(to: mark) }
            return weightedSum(run(x, ctx).0, r)
        }
        let inputs = dx.map { [GradientCheck.Input(name: "x", value: x, gradient: $0)] } ?? []
        GradientCheck.expectAllPass(GradientCheck.run(store: store, inputs: inputs, objective: objective), label)
    }

    /// Adapts a layer with the usual forward/backward pair (`backward(dy, cache, into: dx,
    /// .accumulate, ctx)`) to the form `check` takes.
    private func accumulating<Cache>(
        _ forward: @escaping (Tensor, Context) -> (Tensor, Cache),
        _ backward: @escaping (Tensor, Cache, Tensor, Context) -> Void
    ) -> (Tensor, Context) -> (Tensor, (Tensor) -> Tensor?) {
        { x, ctx in
            let (y, cache) = forward(x, ctx)
            return (y, { dy in
                let dx = ctx.arena.zeros(x.shape)
                backward(dy, cache, dx, ctx)
                return dx
            })
        }
    }

    @Test func linear() {
        check("Linear", inputShape: [5, 7]) { layout in
            let layer = Linear(layout, "fc", in: 7, out: 3, weightInit: .zeros)
            return { x, ctx in
                let y = layer.forward(x, ctx)
                return (y, { dy in
                    let dx = ctx.arena.zeros(x.shape)
                    layer.backward(dy, input: x, into: dx, .accumulate, ctx)
                    return dx
                })
            }
        }
    }

    @Test func layerNorm() {
        check("LayerNorm", inputShape: [4, 9], inputScale: 2) { layout in
            let layer = LayerNorm(layout, "ln", width: 9)
            return accumulating({ layer.forward($0, $1) }, { layer.backward($0, $1, into: $2, .accumulate, $3) })
        }
    }

    @Test func mlpWithGELU() {
        check("MLP", inputShape: [2, 3, 6]) { layout in
            let layer = MLP(layout, "mlp", width: 6, hidden: 11)
            return accumulating({ layer.forward($0, $1) }, { layer.backward($0, $1, into: $2, .accumulate, $3) })
        }
    }

    /// Both ways of running the heads' forward (the fused kernel and OpenBLAS's products).
    @Test(arguments: [false, true]) func selfAttention(fusedHeads: Bool) {
        check("SelfAttention", inputShape: [2, 5, 12]) { layout in
            let layer = SelfAttention(layout, "attn", width: 12, heads: 3)
            return accumulating({ layer.forward($0, fusedHeads: fusedHeads, $1) }, { layer.backward($0, $1, into: $2, .accumulate, $3) })
        }
    }

    @Test func encoderBlock() {
        check("EncoderBlock", inputShape: [2, 4, 8]) { layout in
            let layer = EncoderBlock(layout, "block", width: 8, heads: 2, mlpWidth: 13, epsilon: 1e-6)
            return accumulating({ layer.forward($0, $1) }, { layer.backward($0, $1, into: $2, .accumulate, $3) })
        }
    }

    @Test func patchEmbedding() {
        check("PatchEmbedding", inputShape: [2, 6, 9, 3]) { layout in
            let layer = PatchEmbedding(layout, "patch", patchSize: 3, width: 5)
            return { x, ctx in
                let (y, cache) = layer.forward(x, ctx)
                return (y, { dy in
                    layer.backward(dy, cache, ctx)
                    return nil
                })
            }
        }
    }

    @Test func positionEmbedding() {
        check("PositionEmbedding", inputShape: [3, 4, 5]) { layout in
            let layer = PositionEmbedding(layout, "pos", positions: 4, width: 5)
            return { x, ctx in
                let y = ctx.arena.tensor(x.shape)
                y.copy(from: x)
                layer.forward(y, ctx)
                return (y, { dy in
                    layer.backward(dy, ctx)
                    let dx = ctx.arena.tensor(x.shape)
                    dx.copy(from: dy)
                    return dx
                })
            }
        }
    }

    @Test func mapHead() {
        check("MAPHead", inputShape: [3, 5, 8]) { layout in
            let layer = MAPHead(layout, "head", width: 8, heads: 2, mlpWidth: 7, epsilon: 1e-6)
            return accumulating({ layer.forward($0, $1) }, { layer.backward($0, $1, into: $2, .accumulate, $3) })
        }
    }

    @Test func l2NormalizeAndLastTokenPooling() {
        check("LastToken+L2Normalize", inputShape: [3, 4, 6]) { _ in
            { x, ctx in
                let pooled = LastTokenPooling.forward(x, ctx)
                let y = L2Normalize.forward(pooled, ctx)
                return (y, { dy in
                    let dPooled = ctx.arena.zeros(pooled.shape), dx = ctx.arena.zeros(x.shape)
                    L2Normalize.backward(dy, input: pooled, into: dPooled, .accumulate, ctx)
                    LastTokenPooling.backward(dPooled, into: dx, .accumulate, ctx)
                    return dx
                })
            }
        }
    }

    @Test func tokenEmbedding() {
        var fixture = Fixture(seed: 3)
        let layout = ParameterLayout()
        let layer = TokenEmbedding(layout, "tok", vocabularySize: 7, width: 4)
        let store = Fixture.randomStore(layout, generator: &fixture.generator)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let ids: [Int32] = [0, 3, 3, 6, 1, 3]   // repeated ids must accumulate
        let y = layer.forward(ids, batch: 2, length: 3, ctx)
        let r = fixture.random(y.shape)
        layer.backward(r, ids: ids, ctx)
        let results = GradientCheck.run(store: store) {
            let mark = ctx.arena.mark()
            defer { ctx.arena.release(to: mark) }
            return weightedSum(layer.forward(ids, batch: 2, length: 3, ctx), r)
        }
        GradientCheck.expectAllPass(results, "TokenEmbedding")
    }

    /// A sigmoid loss (t 1.2, b −1.5) with its own parameter store, over the fixture's arena.
    static func lossFixture(_ fixture: inout Fixture) -> (SigmoidLoss, ParameterStore, Context) {
        let layout = ParameterLayout()
        let loss = SigmoidLoss(layout, initialLogScale: 1.2, initialBias: -1.5)
        let store = ParameterStore(layout: layout)
        store.initialize(using: &fixture.generator)
        return (loss, store, Context(parameters: store, arena: fixture.arena))
    }

    @Test func sigmoidLoss() {
        var fixture = Fixture(seed: 4)
        let (loss, store, ctx) = Self.lossFixture(&fixture)
        let rawImages = fixture.random([4, 6]), rawTexts = fixture.random([4, 6])
        func value() -> Double {
            let img = L2Normalize.forward(rawImages, ctx), txt = L2Normalize.forward(rawTexts, ctx)
            return Double(SigmoidLoss.loss(logits: loss.logits(images: img, texts: txt, ctx)))
        }
        let img = L2Normalize.forward(rawImages, ctx), txt = L2Normalize.forward(rawTexts, ctx)
        let logits = loss.logits(images: img, texts: txt, ctx)
        let dImg = ctx.arena.zeros(img.shape), dTxt = ctx.arena.zeros(txt.shape)
        loss.backward(SigmoidLoss.logitGradient(logits: logits, ctx), images: img, texts: txt, into: dImg, dTxt, .accumulate, ctx)
        let dRawImages = ctx.arena.zeros(rawImages.shape), dRawTexts = ctx.arena.zeros(rawTexts.shape)
        L2Normalize.backward(dImg, input: rawImages, into: dRawImages, .accumulate, ctx)
        L2Normalize.backward(dTxt, input: rawTexts, into: dRawTexts, .accumulate, ctx)
        let results = GradientCheck.run(store: store, inputs: [
            .init(name: "images", value: rawImages, gradient: dRawImages),
            .init(name: "texts", value: rawTexts, gradient: dRawTexts),
        ]) {
            let mark = ctx.arena.mark()
            defer { ctx.arena.release(to: mark) }
            return value()
        }
        GradientCheck.expectAllPass(results, "SigmoidLoss")
    }

    /// The loss in blocks (images of block i against texts of block j): the sum over blocks is
    /// the whole-matrix loss, and its gradients pass finite differences.
    @Test func sigmoidLossInBlocks() {
        var fixture = Fixture(seed: 5)
        let (loss, store, ctx) = Self.lossFixture(&fixture)
        let (blocks, n, e) = (3, 2, 5)
        let images = fixture.random([blocks * n, e]), texts = fixture.random([blocks * n, e])
        func block(_ t: Tensor, _ k: Int) -> Tensor { Tensor(t.data + k * n * e, [n, e]) }
        func blocked(into dImages: Tensor, _ dTexts: Tensor) -> Double {
            var total = 0.0
            for i in 0..<blocks {
                for j in 0..<blocks {
                    total += Double(loss.blockLossAndGradients(images: block(images, i), texts: block(texts, j), positives: i == j,
                                                               batch: blocks * n, into: block(dImages, i), block(dTexts, j),
                                                               .accumulate, ctx))
                }
            }
            return total
        }
        let whole = Double(SigmoidLoss.loss(logits: loss.logits(images: images, texts: texts, ctx)))
        let scratchImages = ctx.arena.zeros(images.shape), scratchTexts = ctx.arena.zeros(texts.shape)
        #expect(abs(blocked(into: scratchImages, scratchTexts) - whole) <= 1e-6 * abs(whole))
        store.zeroGradients()
        let dImages = ctx.arena.zeros(images.shape), dTexts = ctx.arena.zeros(texts.shape)
        _ = blocked(into: dImages, dTexts)
        let results = GradientCheck.run(store: store, inputs: [
            .init(name: "images", value: images, gradient: dImages),
            .init(name: "texts", value: texts, gradient: dTexts),
        ]) {
            let mark = ctx.arena.mark()
            defer { ctx.arena.release(to: mark) }
            let (a, b) = (ctx.arena.zeros(images.shape), ctx.arena.zeros(texts.shape))
            let saved = Array(store.gradients.buffer)   // the probe must not add to the checked gradients
            defer { _ = store.gradients.buffer.update(fromContentsOf: saved) }
            return blocked(into: a, b)
        }
        GradientCheck.expectAllPass(results, "SigmoidLoss in blocks")
    }

    /// The checker itself must fail on a wrong gradient (here scaled by 1.1).
    @Test func checkerRejectsAWrongGradient() {
        var fixture = Fixture(seed: 5)
        let layout = ParameterLayout()
        let layer = Linear(layout, "fc", in: 4, out: 3, weightInit: .zeros)
        let store = Fixture.randomStore(layout, generator: &fixture.generator)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let x = fixture.random([2, 4])
        let r = fixture.random([2, 3])
        layer.backward(r, input: x, into: nil, .accumulate, ctx)
        for i in 0..<store.count { store.gradients.data[i] *= 1.1 }
        let results = GradientCheck.run(store: store) {
            let mark = ctx.arena.mark()
            defer { ctx.arena.release(to: mark) }
            return weightedSum(layer.forward(x, ctx), r)
        }
        #expect(results.allSatisfy { !$0.passes })
    }

    /// Every backward that writes an input gradient: `.overwrite` writes exactly what
    /// `.accumulate` adds to zeros (whatever the buffer held), and a LayerNorm's fused
    /// The inference forwards (no caches: the probabilities in a scratch per thread, GELU over
    /// the MLP's product in place) give the training forwards' bits, with fused and unfused
    /// heads and a key mask.
    @Test(arguments: [false, true]) func inferEqualsForward(fusedHeads: Bool) {
        var fixture = Fixture(seed: 9)
        let layout = ParameterLayout()
        let attention = SelfAttention(layout, "attn", width: 12, heads: 3)
        let mlp = MLP(layout, "mlp", width: 12, hidden: 19)
        let block = EncoderBlock(layout, "block", width: 12, heads: 3, mlpWidth: 19, epsilon: 1e-6)
        let store = Fixture.randomStore(layout, generator: &fixture.generator)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let x = fixture.random([2, 7, 12]), residual = fixture.random([2, 7, 12])
        let mask = fixture.arena.zeros([2, 7])
        for key in [1, 5, 13] { mask.data[key] = -.infinity }
        let bits = { (t: Tensor) in t.toArray().map(\.bitPattern) }
        #expect(bits(attention.infer(x, keyMask: mask, residual: residual, fusedHeads: fusedHeads, ctx))
                == bits(attention.forward(x, keyMask: mask, residual: residual, fusedHeads: fusedHeads, ctx).0), "SelfAttention")
        #expect(bits(mlp.infer(x, residual: residual, ctx)) == bits(mlp.forward(x, residual: residual, ctx).0), "MLP")
        #expect(bits(block.infer(x, keyMask: mask, ctx)) == bits(block.forward(x, keyMask: mask, ctx).0), "EncoderBlock")
    }

    /// `residual` equals accumulating onto a copy of it: bit for bit.
    @Test func overwriteEqualsAccumulateIntoZeros() {
        var fixture = Fixture(seed: 6)
        let layout = ParameterLayout()
        let linear = Linear(layout, "fc", in: 6, out: 5, weightInit: .zeros)
        let mlp = MLP(layout, "mlp", width: 6, hidden: 11)
        let attention = SelfAttention(layout, "attn", width: 6, heads: 2)
        let norm = LayerNorm(layout, "ln", width: 6, epsilon: 1e-6)
        let block = EncoderBlock(layout, "block", width: 6, heads: 2, mlpWidth: 13, epsilon: 1e-6)
        let head = MAPHead(layout, "head", width: 6, heads: 2, mlpWidth: 7, epsilon: 1e-6)
        let store = Fixture.randomStore(layout, generator: &fixture.generator)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let x = fixture.random([2, 4, 6])
        let pooled = LastTokenPooling.forward(x, ctx)
        let backwards: [(String, [Int], [Int], (Tensor, Tensor, GradientWrite) -> Void)] = [
            ("Linear", [2, 4, 5], x.shape, { dy, dx, w in linear.backward(dy, input: x, into: dx, w, ctx) }),
            ("MLP", [2, 4, 6], x.shape, { dy, dx, w in mlp.backward(dy, mlp.forward(x, ctx).1, into: dx, w, ctx) }),
            ("SelfAttention", [2, 4, 6], x.shape, { dy, dx, w in attention.backward(dy, attention.forward(x, ctx).1, into: dx, w, ctx) }),
            ("LayerNorm", [2, 4, 6], x.shape, { dy, dx, w in norm.backward(dy, norm.forward(x, ctx).1, into: dx, w, ctx) }),
            ("EncoderBlock", [2, 4, 6], x.shape, { dy, dx, w in block.backward(dy, block.forward(x, ctx).1, into: dx, w, ctx) }),
            ("MAPHead", [2, 6], x.shape, { dy, dx, w in head.backward(dy, head.forward(x, ctx).1, into: dx, w, ctx) }),
            ("LastTokenPooling", [2, 6], x.shape, { dy, dx, w in LastTokenPooling.backward(dy, into: dx, w, ctx) }),
            ("L2Normalize", [2, 6], [2, 6], { dy, dx, w in L2Normalize.backward(dy, input: pooled, into: dx, w, ctx) }),
        ]
        for (name, dyShape, dxShape, backward) in backwards {
            let dy = fixture.random(dyShape)
            let accumulated = fixture.arena.zeros(dxShape), overwritten = fixture.arena.tensor(dxShape)
            overwritten.fill(7)
            backward(dy, accumulated, .accumulate)
            backward(dy, overwritten, .overwrite)
            #expect(accumulated.toArray() == overwritten.toArray(), "\(name)")
        }
        let dy = fixture.random(x.shape), residual = fixture.random(x.shape), cache = norm.forward(x, ctx).1
        let fused = fixture.arena.tensor(x.shape), added = fixture.arena.tensor(x.shape)
        norm.backward(dy, cache, residual: residual, into: fused, .overwrite, ctx)
        added.copy(from: residual)
        norm.backward(dy, cache, into: added, .accumulate, ctx)
        #expect(fused.toArray() == added.toArray(), "LayerNorm residual")
    }
}
