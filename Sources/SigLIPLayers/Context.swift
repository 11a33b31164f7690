import SigLIPCore

/// What a forward or backward pass works with: the parameters (values and gradients) and the
/// arena its activations, caches and gradients are taken from.
public final class Context {
    public let parameters: ParameterStore
    public let arena: Arena

    public init(parameters: ParameterStore, arena: Arena = Arena()) {
        self.parameters = parameters
        self.arena = arena
    }

    @inlinable public func value(_ p: Parameter) -> UnsafeMutablePointer<Float> { parameters.value(p) }
    @inlinable public func gradient(_ p: Parameter) -> UnsafeMutablePointer<Float> { parameters.gradient(p) }
}
