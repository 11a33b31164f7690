import Foundation
import Testing

/// The committed reference fixtures (made by `evals/reference/make_siglip_fixtures.py`).
enum ReferenceFixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("reference")
    }
}
