import Foundation
import SigLIPBase
import SigLIPEval
import Testing

@Suite("Prompts and class embeddings") struct PromptTests {
    /// DESIGN.md §4.9: '_' → space, punctuation removed, lowercased, whitespace collapsed; the first synonym.
    @Test(arguments: [
        ("Great_White_Shark", "great white shark"),
        ("great white shark, white shark, man-eater", "great white shark"),
        ("kite (bird of prey)", "kite bird of prey"),
        ("  St. Bernard  ", "st bernard"),
        ("Geoffroy's spider monkey", "geoffroys spider monkey"),
        ("baluster / handrail", "baluster handrail"),
        ("T-shirt", "tshirt"),
        ("a\tb\n  c", "a b c"),
        ("Ωmega Café", "ωmega café"),
    ])
    func classNames(input: String, expected: String) {
        #expect(Prompts.canonicalClassName(input) == expected)
    }

    @Test(arguments: [
        ("a photo of a {}.", "a photo of a {}"),
        ("A close-up photo of the {}!", "a closeup photo of the {}"),
        ("{}", "{}"),
        ("itap of my {}.", "itap of my {}"),
        ("a {} in a video_game.", "a {} in a video game"),
    ])
    func templates(input: String, expected: String) {
        #expect(Prompts.canonicalTemplate(input) == expected)
    }

    @Test func classTextsAreClassMajor() throws {
        let texts = try Prompts.classTexts(classNames: ["Red_Fox, fox", "cat"], templates: ["A photo of a {}.", "{}"])
        #expect(texts == ["a photo of a red fox", "red fox", "a photo of a cat", "cat"])
        #expect(throws: SigLIPError.self) { try Prompts.classTexts(classNames: ["!!!"], templates: ["{}"]) }
        #expect(throws: SigLIPError.self) { try Prompts.classTexts(classNames: ["cat"], templates: ["no slot"]) }
    }

    /// The built-in templates are CLIP's 80 plus `{}`, exactly the lines of evals/imagenet/templates.txt.
    @Test func builtInTemplatesMatchShippedFile() throws {
        let lines = try String(contentsOf: Repo.templatesFile, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ImageNetPrompts.templates)
        #expect(ImageNetPrompts.templates.count == 81)
        #expect(Set(ImageNetPrompts.templates).count == 81)
        #expect(ImageNetPrompts.templates.last == "{}")
        let classes = try String(contentsOf: Repo.classNamesFile, encoding: .utf8).split(separator: "\n")
        #expect(classes.count == 1000)
        #expect(classes.first == "tench" && classes.last == "toilet paper")
    }

    /// Each prompt normalised, averaged, renormalised: unnormalised inputs must not weigh more.
    @Test func templateAveraging() {
        // Class 0: (3, 0) and (0, 0.5) → (1, 0) and (0, 1) → mean (0.5, 0.5) → (1/√2, 1/√2).
        // Class 1: (0, -2) twice → (0, -1).
        let out = ClassEmbeddings.averagePerClass([3, 0, 0, 0.5, 0, -2, 0, -2], classes: 2, templates: 2, width: 2)
        let r = Float(0.5).squareRoot()
        let expected: [Float] = [r, r, 0, -1]
        for i in expected.indices { #expect(abs(out[i] - expected[i]) <= 1e-6, "element \(i): \(out[i]) vs \(expected[i])") }
    }

    /// Through the encoder: one text batch per chunk, class embedding = mean of its prompts.
    @Test func classEmbeddingsThroughEncoder() throws {
        let encoder = TableEncoder(imageSize: 1, embeddingWidth: 3)
        encoder.texts = ["a cat": unit(3, [0: 1]), "cat": unit(3, [1: 1]), "a dog": unit(3, [2: 1]), "dog": unit(3, [2: 1])]
        let out = try ClassEmbeddings.compute(encoder: encoder, classNames: ["cat", "dog"], templates: ["a {}", "{}"], rounds: 1, batchSize: 3)
        let r = Float(0.5).squareRoot()
        let expected: [Float] = [r, r, 0, 0, 0, 1]
        for i in expected.indices { #expect(abs(out[i] - expected[i]) <= 1e-6) }
        #expect(encoder.textCalls.map(\.count) == [3, 1])
    }
}
