import SigLIPData
import Testing

/// The word-level leak check that keeps held-out classes out of training captions.
@Suite("Caption leaks") struct CaptionLeaksTests {
    @Test(arguments: [
        ("fox", "a picture of a fox.", true),
        ("fox", "two foxes, running", true),
        ("fox", "Fox, face", true),
        ("apple", "a slice of pineapple", false),
        ("red apple", "a red apple on a table", true),
        ("red apple", "red apples", true),
        ("red apple", "red, green apple", false),   // "red green apple": the words are not consecutive
        ("man dancing", "a woman dancing", false),
        ("t-rex", "a t rex roaring", true),
        ("bus", "a busy street", false),
    ])
    func wordLevelRule(name: String, caption: String, leaks: Bool) {
        #expect(!CaptionLeaks.find(classNames: [name], captions: [caption]).isEmpty == leaks, "\(name) in \(caption)")
    }

    /// A held-out class name planted in one caption among clean ones is found, with the caption.
    @Test func plantedLeakIsFound() {
        let clean = ["an emoji of a cat", "a drawing of a house", "hedgehog, animal"]
        #expect(CaptionLeaks.find(classNames: ["fox", "unicorn"], captions: clean).isEmpty)
        let leaks = CaptionLeaks.find(classNames: ["fox", "unicorn"], captions: clean + ["a unicorn face"])
        #expect(leaks == [CaptionLeaks.Leak(className: "unicorn", caption: "a unicorn face")])
    }
}
