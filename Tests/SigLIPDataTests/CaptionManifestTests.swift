import Foundation
import SigLIPBase
import SigLIPTestSupport
import Testing
@testable import SigLIPData

@Suite struct CaptionManifestTests {
    @Test func jsonlPathsAreRelativeToTheManifest() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try DefaultSamples.manifestFolder(folder, count: 4)
        let manifest = try CaptionManifest(url: url)
        #expect(manifest.count == 4)
        let expected = try DefaultSamples.first(4)
        for i in 0..<4 {
            let sample = try manifest.sample(at: i)
            #expect(sample.imageBytes == expected[i].imageBytes)
            #expect(sample.caption == expected[i].caption)
            #expect(sample.name == String(format: "images/%07d.png", i))
        }
    }

    @Test func tsvWithAndWithoutHeader() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("pics/a.png", Data([1]))
        try folder.write("with.tsv", "filepath\ttitle\npics/a.png\ta cat\twith a tab\r\n\n/abs/b.jpg\tb\n")
        let manifest = try CaptionManifest(url: folder.file("with.tsv"))
        #expect(manifest.entries.map(\.caption) == ["a cat\twith a tab", "b"])
        #expect(manifest.entries[0].url.path == folder.file("pics/a.png").path)
        #expect(manifest.entries[1].url.path == "/abs/b.jpg")
        try folder.write("plain.tsv", "pics/a.png\tx\n")
        #expect(try CaptionManifest(url: folder.file("plain.tsv")).count == 1)
        // A missing image or empty caption is the sample's problem, found when read.
        #expect(throws: SigLIPError.self) { try manifest.sample(at: 1) }
        try folder.write("empty.tsv", "pics/a.png\t  \n")
        let error = #expect(throws: SigLIPError.self) { try CaptionManifest(url: folder.file("empty.tsv")).sample(at: 0) }
        #expect(error?.problem == "empty caption")
    }

    @Test(arguments: [
        ("m.jsonl", "{\"image\": \"a.png\", \"caption\": \"ok\"}\n{\"image\": \"b.png\", \"caption\": ", "line 2: not valid JSON"),
        ("m.jsonl", "[1, 2]\n", "line 1: not a JSON object"),
        ("m.jsonl", "\n{\"caption\": \"x\"}\n", "line 2: no \"image\" path string"),
        ("m.jsonl", "{\"image\": \"a.png\", \"caption\": 3}\n", "line 1: no \"caption\" string (or \"captions\" list)"),
        ("m.jsonl", "{\"image\": \"a.webp\", \"caption\": \"x\"}\n", "line 1: 'a.webp': WEBP images are not supported (only .jpg, .jpeg, .png); convert them first"),
        ("m.tsv", "a.png\tok\nno tab here\n", "line 2: no tab between image path and caption"),
        ("m.tsv", "a.png\tok\n\tcaption\n", "line 2: empty image path"),
        ("m.tsv", "a.txt\tok\n", "line 1: 'a.txt': not a .jpg, .jpeg or .png path"),
        ("m.tsv", "\n\n", "no samples"),
        ("m.csv", "a.png,x\n", "a caption manifest must end in .jsonl or .tsv"),
    ])
    func malformedLinesNameFileAndLine(name: String, text: String, problem: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(name, text)
        let error = #expect(throws: SigLIPError.self) { try CaptionManifest(url: folder.file(name)) }
        #expect(error?.path == folder.file(name).path)
        #expect(error?.problem == problem)
    }
}
