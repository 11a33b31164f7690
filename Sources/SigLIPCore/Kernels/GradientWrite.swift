/// How a backward pass writes the gradient of its input: added to what the buffer holds
/// (`accumulate`, for inputs that feed several layers), or replacing it (`overwrite`, for a
/// fresh buffer, which then needs no zeroing first).
public enum GradientWrite: Sendable {
    case accumulate, overwrite

    /// The `beta` of a GEMM that writes this way.
    @inlinable public var beta: Float { self == .accumulate ? 1 : 0 }
}
