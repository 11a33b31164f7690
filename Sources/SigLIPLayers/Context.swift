import SigLIPCore

/// What a forward or backward pass works with: the parameters (values and gradients) and the
/// arena its activations, caches and gradients are taken from.
public final class Context {
    public let parameters: ParameterStore
    public let arena: Arena
    /// Where the weights' packed forms are kept between products, for a context whose
    /// parameters do not change (inference); nil: packed afresh by every product, as training needs.
    public let packedWeights: PackedWeights?

    public init(parameters: ParameterStore, arena: Arena = Arena(), packedWeights: PackedWeights? = nil) {
        self.parameters = parameters
        self.arena = arena
        self.packedWeights = packedWeights
    }

    @inlinable public func value(_ p: Parameter) -> UnsafeMutablePointer<Float> { parameters.value(p) }
    @inlinable public func gradient(_ p: Parameter) -> UnsafeMutablePointer<Float> { parameters.gradient(p) }
}
