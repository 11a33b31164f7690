import Testing

/// Element-wise closeness `|a - b| <= atol + rtol * |b|` (b is the reference), reporting the
/// worst element — the one furthest outside its bound, or closest to it — and where it is.
/// A NaN anywhere counts as outside.
public struct Closeness: CustomStringConvertible, Sendable {
    public let label: String
    public let worstIndex: Int
    public let worstActual: Float
    public let worstExpected: Float
    public let failures: Int
    public let count: Int

    public var description: String {
        guard count > 0 else { return "\(label): no values" }
        return "\(label): \(count) values, \(failures) outside tolerance; worst at [\(worstIndex)]: \(worstActual) vs reference \(worstExpected) (|diff| \(abs(worstActual - worstExpected)))"
    }

    public static func check(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, label: String) -> Closeness {
        precondition(actual.count == expected.count, "\(label): \(actual.count) values vs \(expected.count)")
        var worst = 0, worstRatio: Float = -1, failures = 0
        for i in expected.indices {
            let diff = abs(actual[i] - expected[i])
            let bound = atol + rtol * abs(expected[i])
            if !(diff <= bound) { failures += 1 }
            let ratio = diff.isNaN ? .infinity : diff / bound
            if ratio > worstRatio { worstRatio = ratio; worst = i }
        }
        return Closeness(label: label, worstIndex: worst, worstActual: expected.isEmpty ? 0 : actual[worst],
                         worstExpected: expected.isEmpty ? 0 : expected[worst], failures: failures, count: expected.count)
    }
}

/// Records a test failure unless every element of `actual` is within `atol + rtol·|expected|`
/// of `expected` (and the counts agree), naming the worst element.
public func expectClose(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, _ label: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) values vs \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let closeness = Closeness.check(actual, expected, atol: atol, rtol: rtol, label: label)
    #expect(closeness.failures == 0, "\(closeness)", sourceLocation: sourceLocation)
}

/// Relative distance of whole tensors, ‖a − b‖ / ‖b‖ (in Double).
public func relativeNormDistance(_ a: [Float], _ b: [Float]) -> Double {
    var num = 0.0, den = 0.0
    for i in b.indices {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return (num / max(den, 1e-300)).squareRoot()
}

/// The Euclidean norm, in Double.
public func norm(_ a: [Float]) -> Double { a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
