import SigLIPCore
import SigLIPTraining
import Testing

@Suite("Optimiser and schedule") struct OptimizerTests {
    @Test func scheduleWarmsUpThenDecaysByCosine() {
        let s = WarmupCosineSchedule(warmupSteps: 10, totalSteps: 110)
        #expect(s.multiplier(at: 0) == 0)
        #expect(s.multiplier(at: 5) == 0.5)
        #expect(s.multiplier(at: 10) == 1)
        #expect(abs(s.multiplier(at: 60) - 0.5) < 1e-6)
        #expect(abs(s.multiplier(at: 110)) < 1e-7)
        #expect(abs(s.multiplier(at: 500)) < 1e-7)
    }

    /// Two updates of a weight [1, -2] (decayed) and a bias [0.5] (not decayed) with gradients
    /// [0.3, -0.4] and [1.2], computed by hand:
    /// ‖g‖ = 1.3 > clip 1 → g' = g / 1.3. Step 0 has schedule multiplier 0: moments move,
    /// parameters do not. Step 1 (s = 0.5): m̂ = g', v̂ = g'², so the Adam direction is
    /// sign(g') and θ ← θ − 0.1·0.5·sign(g') − 0.01·0.5·θ on the weight only:
    /// weight [1 − 0.05 − 0.005, −2 + 0.05 + 0.01] = [0.945, −1.94], bias 0.5 − 0.05 = 0.45.
    @Test func updateMatchesHandComputation() {
        let layout = ParameterLayout()
        let w = layout.add("w", [2], role: .weightMatrix, initializer: .zeros)
        let b = layout.add("b", [1], role: .bias, initializer: .zeros)
        let store = ParameterStore(layout: layout)
        store.value(w)[0] = 1; store.value(w)[1] = -2; store.value(b)[0] = 0.5
        var settings = AdamW.Settings()
        settings.learningRate = 0.1
        settings.weightDecay = 0.01
        settings.gradientClipNorm = 1
        let optimizer = AdamW(parameters: store, settings: settings, schedule: WarmupCosineSchedule(warmupSteps: 2, totalSteps: 10))
        func setGradients() {
            store.gradient(w)[0] = 0.3; store.gradient(w)[1] = -0.4; store.gradient(b)[0] = 1.2
        }
        setGradients()
        let first = optimizer.update(store)
        #expect(abs(first.gradientNorm - 1.3) < 1e-6)
        #expect(first.learningRate == 0)
        #expect(store.value(w)[0] == 1 && store.value(w)[1] == -2 && store.value(b)[0] == 0.5)
        #expect(abs(store.gradient(b)[0] - 1.2 / 1.3) < 1e-6, "gradients are left clipped")
        setGradients()
        let second = optimizer.update(store)
        #expect(abs(second.learningRate - 0.05) < 1e-7)
        #expect(abs(store.value(w)[0] - 0.945) < 1e-6)
        #expect(abs(store.value(w)[1] - (-1.94)) < 1e-6)
        #expect(abs(store.value(b)[0] - 0.45) < 1e-6)
        #expect(optimizer.step == 2)
    }

    /// An update that consumes the gradients gives the same parameters as one that leaves them
    /// clipped, leaves every gradient 0, and `zeroGradients` afterwards has nothing to do; any
    /// write access in between (here one parameter's gradient) makes it zero them again.
    @Test func consumingUpdateLeavesZeroGradients() {
        func store() -> (ParameterStore, Parameter, Parameter) {
            let layout = ParameterLayout()
            let w = layout.add("w", [3], role: .weightMatrix, initializer: .zeros)
            let b = layout.add("b", [2], role: .bias, initializer: .zeros)
            let s = ParameterStore(layout: layout)
            for i in 0..<3 { s.value(w)[i] = Float(i) - 1; s.gradient(w)[i] = 0.1 * Float(i + 1) }
            for i in 0..<2 { s.value(b)[i] = 0.5; s.gradient(b)[i] = -0.2 }
            return (s, w, b)
        }
        let schedule = WarmupCosineSchedule(warmupSteps: 1, totalSteps: 10)
        let (kept, _, _) = store(), (consumed, w, b) = store()
        AdamW(parameters: kept, schedule: schedule).update(kept, gradientNorm: nil)
        AdamW(parameters: consumed, schedule: schedule).update(consumed, gradientNorm: nil, consumingGradients: true)
        #expect((0..<5).allSatisfy { kept.values.data[$0].bitPattern == consumed.values.data[$0].bitPattern })
        #expect((0..<5).allSatisfy { consumed.gradients.data[$0] == 0 })
        consumed.gradient(b)[1] = 7   // a write after the update
        consumed.zeroGradients()
        #expect(consumed.gradient(b)[1] == 0 && consumed.gradient(w)[0] == 0)
    }

    @Test func noClippingBelowTheThreshold() {
        let layout = ParameterLayout()
        let p = layout.add("p", [1], role: .bias, initializer: .zeros)
        let store = ParameterStore(layout: layout)
        store.gradient(p)[0] = 0.5
        let optimizer = AdamW(parameters: store, schedule: WarmupCosineSchedule(warmupSteps: 0, totalSteps: 10))
        let report = optimizer.update(store)
        #expect(report.gradientNorm == 0.5 && store.gradient(p)[0] == 0.5)
        // First step with s = 1: Adam moves by lr · sign(g).
        #expect(abs(store.value(p)[0] - (-1e-3)) < 1e-8)
    }

    /// A parameter whose gradient becomes zero keeps decaying moments; they reach 0, never a
    /// subnormal number (which makes every later update of it far slower).
    @Test func momentsOfIdleParametersNeverBecomeSubnormal() {
        let layout = ParameterLayout()
        let w = layout.add("w", [16], role: .weightMatrix, initializer: .zeros)
        let store = ParameterStore(layout: layout)
        let optimizer = AdamW(parameters: store, schedule: WarmupCosineSchedule(warmupSteps: 0, totalSteps: 3000))
        for i in 0..<16 { store.gradient(w)[i] = 1e-3 * Float(i + 1) }
        optimizer.update(store)
        store.zeroGradients()
        for _ in 0..<2000 {
            optimizer.update(store)
            for i in 0..<16 {
                let (m, v) = (optimizer.firstMoment.data[i], optimizer.secondMoment.data[i])
                #expect((m == 0 || m.isNormal) && (v == 0 || v.isNormal), "m \(m), v \(v)")
                if !(m == 0 || m.isNormal) { return }
            }
        }
        #expect(optimizer.firstMoment.buffer.allSatisfy { $0 == 0 })
    }
}
