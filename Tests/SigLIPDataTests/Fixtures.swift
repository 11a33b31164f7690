import Foundation
import SigLIPTestSupport
@testable import SigLIPData
import SigLIPText

/// Paths of committed files, found from this source file (no bundle resources needed).
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let defaultTrain = root.appendingPathComponent("datasets/default/train")
    static let tokenizerModel = root.appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model")

    static func tokenizer(length: Int = 16) throws -> SigLIPTokenizer {
        try SigLIPTokenizer(contentsOf: tokenizerModel, length: length)
    }
}

/// A minimal ustar writer for test archives (GNU long names for names over 100 bytes).
enum TarWriter {
    struct Member {
        var name: String
        var data: Data
        var type: UInt8 = UInt8(ascii: "0")
    }

    static func archive(_ members: [Member], endBlocks: Bool = true) -> Data {
        var out = Data()
        for member in members {
            if member.name.utf8.count > 100 {
                var longName = Data(member.name.utf8)
                longName.append(0)
                append(header(name: "././@LongLink", size: longName.count, type: UInt8(ascii: "L")), data: longName, to: &out)
            }
            append(header(name: String(member.name.utf8.prefix(100))!, size: member.data.count, type: member.type),
                   data: member.data, to: &out)
        }
        if endBlocks { out.append(Data(count: 1024)) }
        return out
    }

    static func append(_ header: [UInt8], data: Data, to out: inout Data) {
        out.append(contentsOf: header)
        out.append(data)
        out.append(Data(count: (512 - data.count % 512) % 512))
    }

    static func header(name: String, size: Int, type: UInt8) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(String(format: "%011o", size), at: 124)
        put("00000000000", at: 136)
        h[156] = type
        put("ustar", at: 257)
        put("00", at: 263)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), at: 148)
        h[154] = 0
        h[155] = 32
        return h
    }
}

/// Image–caption pairs copied out of the bundled default shard (32×32 PNGs).
enum DefaultSamples {
    static func first(_ count: Int) throws -> [ImageTextSample] {
        let shards = try WebDatasetShards(urls: [Repo.defaultTrain.appendingPathComponent("train-00000.tar")])
        return try (0..<count).map { try shards.sample(at: $0) }
    }

    /// A folder with `images/KEY.png` and `captions.jsonl`; entries in `corrupt` get garbage
    /// bytes instead of their PNG. Returns the manifest's URL.
    static func manifestFolder(_ folder: TemporaryFolder, count: Int, corrupt: Set<Int> = []) throws -> URL {
        var lines: [String] = []
        for (i, sample) in try first(count).enumerated() {
            let path = String(format: "images/%07d.png", i)
            try folder.write(path, corrupt.contains(i) ? Data("not a png at all".utf8) : sample.imageBytes)
            let json = try JSONSerialization.data(withJSONObject: ["image": path, "caption": sample.caption])
            lines.append(String(decoding: json, as: UTF8.self))
        }
        try folder.write("captions.jsonl", lines.joined(separator: "\n") + "\n")
        return folder.file("captions.jsonl")
    }
}
