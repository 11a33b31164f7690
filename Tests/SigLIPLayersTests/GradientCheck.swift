import Foundation
import SigLIPCore
import SigLIPLayers
import Testing

/// Finite-difference gradient checking in Float32.
///
/// For each parameter tensor (and each input given), the analytic directional derivative
/// ⟨g, v⟩ along a Gaussian direction v is compared with the central difference
/// (J(θ + εv) − J(θ − εv)) / 2ε of the scalar objective J = Σ y ∘ r (r fixed, random).
/// Pass when |fd − an| ≤ absoluteTolerance + relativeTolerance · max(|an|, |fd|).
/// Float32 rounding limits the agreement to about 1e-3 relative; a wrong backward is
/// typically off by 10% or more.
enum GradientCheck {
    static let epsilon: Float = 1e-2
    static let absoluteTolerance = 2e-3
    static let relativeTolerance = 1e-2

    struct Result: CustomStringConvertible {
        let name: String
        let analytic: Double
        let numeric: Double
        var error: Double { abs(analytic - numeric) }
        var passes: Bool { error <= GradientCheck.absoluteTolerance + GradientCheck.relativeTolerance * max(abs(analytic), abs(numeric)) }
        var description: String { "\(name): analytic \(analytic), numeric \(numeric), |diff| \(error)" }
    }

    /// A differentiable input: its values and where the backward accumulated its gradient.
    struct Input {
        let name: String
        let value: Tensor
        let gradient: Tensor
    }

    /// `objective` runs the forward pass and returns J; it must leave the arena as it found it.
    static func run(store: ParameterStore, inputs: [Input] = [], skip: Set<String> = [], seed: UInt64 = 7,
                    objective: () -> Double) -> [Result] {
        var generator = SeededGenerator(seed: seed)
        var results: [Result] = []
        func check(_ name: String, _ value: UnsafeMutablePointer<Float>, _ gradient: UnsafeMutablePointer<Float>, _ count: Int) {
            let v = (0..<count).map { _ in generator.nextNormal() }
            var analytic = 0.0
            for i in 0..<count { analytic += Double(gradient[i]) * Double(v[i]) }
            let saved = Array(UnsafeBufferPointer(start: value, count: count))
            for i in 0..<count { value[i] = saved[i] + epsilon * v[i] }
            let plus = objective()
            for i in 0..<count { value[i] = saved[i] - epsilon * v[i] }
            let minus = objective()
            for i in 0..<count { value[i] = saved[i] }
            results.append(Result(name: name, analytic: analytic, numeric: (plus - minus) / (2 * Double(epsilon))))
        }
        for spec in store.specs where !skip.contains(spec.name) {
            check(spec.name, store.values.data + spec.offset, store.gradients.data + spec.offset, spec.count)
        }
        for input in inputs { check("input " + input.name, input.value.data, input.gradient.data, input.value.count) }
        return results
    }

    /// Records every result with Swift Testing; prints the worst case.
    static func expectAllPass(_ results: [Result], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!results.isEmpty, "no gradients were checked", sourceLocation: sourceLocation)
        let worst = results.max { $0.error / (1e-9 + abs($0.analytic)) < $1.error / (1e-9 + abs($1.analytic)) }
        if let worst { print("gradient check \(label): \(results.count) tensors, worst relative: \(worst)") }
        for r in results { #expect(r.passes, "\(label): \(r)", sourceLocation: sourceLocation) }
    }
}

/// Test helpers: random tensors and objectives.
struct Fixture {
    var generator: SeededGenerator
    let arena = Arena()

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        let t = arena.tensor(shape)
        for i in 0..<t.count { t.data[i] = scale * generator.nextNormal() }
        return t
    }

    /// A store with every parameter drawn from normal(0, scale) (norm scales near 1).
    static func randomStore(_ layout: ParameterLayout, generator: inout SeededGenerator, scale: Float = 0.3) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        for spec in layout.specs {
            for i in 0..<spec.count {
                let z = generator.nextNormal()
                store.values.data[spec.offset + i] = spec.role == .normScale ? 1 + 0.1 * z : scale * z
            }
        }
        return store
    }
}

/// J = Σ y ∘ r in Double.
func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
    var s = 0.0
    for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
    return s
}
