import Synchronization
/// What a parameter is, which decides its initialisation and whether weight decay applies.
public enum ParameterRole: String, Codable, Sendable {
    /// A dense or convolution kernel: decayed.
    case weightMatrix
    case bias
    case normScale
    case normBias
    /// Token or position embedding, MAP probe: not decayed.
    case embedding
    /// A scalar such as the loss's `t` and `b`.
    case scalar
    /// A recursion round's adapter (zero-initialised, not decayed).
    case adapter

    public var isDecayed: Bool { self == .weightMatrix }
}

/// How a parameter is initialised when training from scratch (DESIGN.md §4.8).
public enum Initializer: Equatable, Sendable {
    case zeros
    case constant(Float)
    case normal(std: Float)
    /// Truncated normal with variance 1/fanIn (lecun normal).
    case lecunNormal(fanIn: Int)
    /// Uniform in ±sqrt(6 / (fanIn + fanOut)).
    case xavierUniform(fanIn: Int, fanOut: Int)
}

/// A handle to one named parameter inside a `ParameterStore`: its place in the flat buffer.
public struct Parameter: Hashable, Sendable {
    public let offset: Int
    public let count: Int

    public init(offset: Int, count: Int) {
        self.offset = offset
        self.count = count
    }

    /// One handle over parameters registered back to back (e.g. q, k, v kernels as one `[3D, D]`).
    public static func span(_ parts: [Parameter]) -> Parameter {
        for (a, b) in zip(parts, parts.dropFirst()) { precondition(a.offset + a.count == b.offset, "parameters not adjacent") }
        return Parameter(offset: parts[0].offset, count: parts.reduce(0) { $0 + $1.count })
    }
}

/// The description of one parameter.
public struct ParameterSpec: Sendable {
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole
    public let initializer: Initializer
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Collects the parameters of a model while its layers are built, in order, with their names
/// (the Hugging Face checkpoint names), shapes, roles and initialisers.
public final class ParameterLayout {
    public private(set) var specs: [ParameterSpec] = []
    public private(set) var totalCount = 0
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// Registers a parameter and returns its handle.
    public func add(_ name: String, _ shape: [Int], role: ParameterRole, initializer: Initializer) -> Parameter {
        precondition(indexByName[name] == nil, "parameter \(name) registered twice")
        let spec = ParameterSpec(name: name, shape: shape, role: role, initializer: initializer, offset: totalCount)
        indexByName[name] = specs.count
        specs.append(spec)
        totalCount += spec.count
        return Parameter(offset: spec.offset, count: spec.count)
    }

    public func index(of name: String) -> Int? { indexByName[name] }
}

/// All parameters of a model in one flat buffer with named views, and their gradients in a
/// buffer of the same layout (the optimiser's moments mirror it too).
public final class ParameterStore {
    public let layout: ParameterLayout
    public let values: FloatBuffer
    @usableFromInline let gradientStorage: FloatBuffer
    /// Whether every gradient is known to be 0: nothing has had write access to them since they
    /// were last zeroed (by `zeroGradients` or `consumeGradients`). Then `zeroGradients` has
    /// nothing to do.
    @usableFromInline let gradientsKnownZero = Atomic<Bool>(true)

    /// The parameters that training updates, as ascending, disjoint ranges of the flat layout:
    /// all of them unless some are frozen (`setTrainable`). Gradients outside these ranges are
    /// never written, zeroed or read, so their pages are never touched (no physical memory).
    public private(set) var trainableRanges: [Range<Int>]

    public init(layout: ParameterLayout) {
        self.layout = layout
        values = FloatBuffer(count: layout.totalCount)
        gradientStorage = FloatBuffer(zeroPages: layout.totalCount)
        trainableRanges = layout.totalCount > 0 ? [0..<layout.totalCount] : []
    }

    /// The number of trainable parameters.
    public var trainableCount: Int { trainableRanges.reduce(0) { $0 + $1.count } }

    /// Makes the parameters for which `isTrainable` holds the trainable ones (adjacent ones
    /// merged into one range). Set before an optimiser is made over this store.
    public func setTrainable(where isTrainable: (ParameterSpec) -> Bool) {
        zeroGradients()
        var ranges: [Range<Int>] = []
        for spec in layout.specs where isTrainable(spec) {
            let range = spec.offset..<(spec.offset + spec.count)
            if let last = ranges.last, last.upperBound == range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
            } else {
                ranges.append(range)
            }
        }
        trainableRanges = ranges
    }

    /// Whether the parameter at `offset` of the flat layout is trainable.
    public func isTrainable(offset: Int) -> Bool { trainableRanges.contains { $0.contains(offset) } }

    /// The gradients, in the layout of `values`. Handing them out (here, or one parameter's by
    /// `gradient(_:)` or `gradientTensor(named:)`) counts as writing them.
    public var gradients: FloatBuffer {
        gradientsKnownZero.store(false, ordering: .relaxed)
        return gradientStorage
    }

    public var specs: [ParameterSpec] { layout.specs }
    public var count: Int { layout.totalCount }

    @inlinable public func value(_ p: Parameter) -> UnsafeMutablePointer<Float> { values.data + p.offset }
    @inlinable public func gradient(_ p: Parameter) -> UnsafeMutablePointer<Float> {
        gradientsKnownZero.store(false, ordering: .relaxed)
        return gradientStorage.data + p.offset
    }

    public func spec(named name: String) -> ParameterSpec? { layout.index(of: name).map { layout.specs[$0] } }

    /// The values of the parameter `name` as a tensor view.
    public func tensor(named name: String) -> Tensor? {
        spec(named: name).map { Tensor(values.data + $0.offset, $0.shape) }
    }

    public func gradientTensor(named name: String) -> Tensor? {
        spec(named: name).map { Tensor(gradients.data + $0.offset, $0.shape) }
    }

    /// Zeroes every trainable parameter's gradient, split over the compute threads (nothing to do when they are known
    /// to be 0 already).
    public func zeroGradients() {
        if gradientsKnownZero.load(ordering: .relaxed) { return }
        let g = gradientStorage.data
        for trainable in trainableRanges {
            parallelFor(trainable.count, costPerItem: 1) { range in
                (g + trainable.lowerBound + range.lowerBound).update(repeating: 0, count: range.count)
            }
        }
        gradientsKnownZero.store(true, ordering: .relaxed)
    }

    /// Hands `body` the gradients ([count]) to read and leave all 0 (an optimiser that zeroes
    /// them in its own pass over them); afterwards they are known to be 0.
    public func consumeGradients(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        body(gradientStorage.data)
        gradientsKnownZero.store(true, ordering: .relaxed)
    }

    /// Fills every parameter from its initialiser, drawing from `generator` in layout order.
    public func initialize(using generator: inout SeededGenerator) {
        for spec in layout.specs {
            let p = values.data + spec.offset
            switch spec.initializer {
            case .zeros:
                p.update(repeating: 0, count: spec.count)
            case .constant(let c):
                p.update(repeating: c, count: spec.count)
            case .normal(let std):
                for i in 0..<spec.count { p[i] = std * generator.nextNormal() }
            case .lecunNormal(let fanIn):
                // The std of a normal truncated to ±2 is 0.8796; rescale so the variance is 1/fanIn.
                let std = (1 / Float(fanIn)).squareRoot() / 0.879_625_7
                for i in 0..<spec.count { p[i] = std * generator.nextTruncatedNormal() }
            case .xavierUniform(let fanIn, let fanOut):
                let limit = (6 / Float(fanIn + fanOut)).squareRoot()
                for i in 0..<spec.count { p[i] = limit * (2 * generator.nextUnitFloat() - 1) }
            }
        }
    }
}
