import Foundation
import Testing

/// Element-wise closeness `|a - b| <= atol + rtol * |b|` (b is the reference), reporting the
/// worst element and where it is.
struct Closeness: CustomStringConvertible {
    let label: String
    let worstIndex: Int
    let worstActual: Float
    let worstExpected: Float
    let failures: Int
    let count: Int

    var description: String {
        "\(label): \(count) values, \(failures) outside tolerance; worst at [\(worstIndex)]: \(worstActual) vs reference \(worstExpected) (|diff| \(abs(worstActual - worstExpected)))"
    }

    static func check(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, label: String) -> Closeness {
        precondition(actual.count == expected.count, "\(label): \(actual.count) values vs \(expected.count)")
        var worst = 0, worstRatio: Float = -1, failures = 0
        for i in expected.indices {
            let diff = abs(actual[i] - expected[i])
            let bound = atol + rtol * abs(expected[i])
            if !(diff <= bound) { failures += 1 }
            let ratio = diff.isNaN ? .infinity : diff / bound
            if ratio > worstRatio { worstRatio = ratio; worst = i }
        }
        return Closeness(label: label, worstIndex: worst, worstActual: actual[worst], worstExpected: expected[worst],
                         failures: failures, count: expected.count)
    }
}

/// Relative distance of whole tensors, ‖a − b‖ / ‖b‖.
func relativeNormDistance(_ a: [Float], _ b: [Float]) -> Double {
    var num = 0.0, den = 0.0
    for i in b.indices {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return (num / max(den, 1e-300)).squareRoot()
}

/// The committed reference fixtures (made by `evals/reference/make_siglip_fixtures.py`).
enum ReferenceFixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("reference")
    }
}

/// The Euclidean norm, in Double.
func norm(_ a: [Float]) -> Double { a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
