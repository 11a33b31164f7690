import SigLIPBase
import Testing

/// The digest behind item lists, routing tables and the data-parallel parameter check is the
/// standard 64-bit FNV-1a (its published test vectors).
@Suite("FNV-1a") struct FNV1aTests {
    @Test func matchesThePublishedVectors() {
        #expect(FNV1a.hex(of: "".utf8) == "cbf29ce484222325")
        #expect(FNV1a.hex(of: "a".utf8) == "af63dc4c8601ec8c")
        #expect(FNV1a.hex(of: "foobar".utf8) == "85944171f73967e8")
    }
}
