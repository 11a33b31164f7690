// Safetensors reading and writing: bit-exact round trips, the exact header layout,
// F16/BF16 decoding, and one crafted file per validation failure. Fixtures are built
// in a temporary directory at run time.

import Foundation
import SigLIPBase
import Testing
import SigLIPCore

// MARK: - Helpers

/// Runs `body` with a fresh temporary directory, removed afterwards.
private func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// A safetensors byte image: little-endian header length, header text, data.
private func fileBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    fileBytes(headerBytes: Array(header.utf8), data: data)
}

private func fileBytes(headerBytes: [UInt8], data: [UInt8] = []) -> [UInt8] {
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) } + headerBytes + data
}

/// Writes `bytes` to `name` in `directory` and opens it.
private func open(_ bytes: [UInt8], in directory: URL, name: String = "test.safetensors") throws -> SafeTensorsFile {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return try SafeTensorsFile(contentsOf: url)
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// Values that a careless conversion would change: NaN payloads, signed zeros,
/// subnormals, infinities and the extremes.
private let specialFloats: [Float] = [
    0x7FC0_1234, 0x7F80_0001, 0xFFC0_0000, 0xFFBF_FFFF,  // quiet, signalling and negative NaNs
    0x8000_0000, 0x0000_0000, 0x0000_0001, 0x807F_FFFF,  // -0, +0, subnormals
    0x7F80_0000, 0xFF80_0000, 0x7F7F_FFFF, 0x0080_0000,  // ±inf, largest finite, smallest normal
    0x3F80_0000, 0xBDCC_CCCD,                             // 1, -0.1
].map { Float(bitPattern: $0) }

// MARK: - Round trip and layout

@Test func roundTripIsBitExact() throws {
    try withTemporaryDirectory { directory in
        let odd = (0..<(3 * 5 * 7)).map { Float($0) * 0.37 - 11 }
        let wide = (0..<11).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 0x9E37_79B9)) }
        let integers: [Int64] = [.min, -1, 0, 1, .max, 1 << 40]
        var writer = SafeTensorsWriter()
        specialFloats.withUnsafeBufferPointer { writer.add("special", shape: [2, 7], floats: $0) }
        odd.withUnsafeBufferPointer { writer.add("odd.weight", shape: [3, 5, 7], floats: $0) }
        wide.withUnsafeBufferPointer { writer.add("bit patterns", shape: [11], floats: $0) }
        [Float(-0.0)].withUnsafeBufferPointer { writer.add("scalar", shape: [], floats: $0) }
        [Float]().withUnsafeBufferPointer { writer.add("empty", shape: [0], floats: $0) }
        [Float]().withUnsafeBufferPointer { writer.add("empty 2x0x3", shape: [2, 0, 3], floats: $0) }
        writer.add("tokens", shape: [2, 3], int64s: integers)
        writer.add("step", shape: [], int64s: [42])
        writer.add("ünïcödé \"quoted\"\n", shape: [1], int64s: [7])
        writer.metadata = ["format": "pt", "note": "tab\there, quote \" and ü", "": "empty key"]

        let url = directory.appendingPathComponent("model.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)

        #expect(file.names == ["bit patterns", "empty", "empty 2x0x3", "odd.weight", "scalar", "special",
                               "step", "tokens", "ünïcödé \"quoted\"\n"])
        #expect(file.metadata == writer.metadata)
        #expect(try file.info("odd.weight").shape == [3, 5, 7])
        #expect(try file.info("odd.weight").dtype == .f32)
        #expect(try file.info("scalar").shape == [])
        #expect(try file.info("empty 2x0x3").byteRange.isEmpty)
        for (name, expected) in [("special", specialFloats), ("odd.weight", odd), ("bit patterns", wide),
                                 ("scalar", [-0.0]), ("empty", []), ("empty 2x0x3", [])] {
            #expect(try file.floats(name).map(\.bitPattern) == expected.map(\.bitPattern), "\(name)")
        }
        #expect(try file.int64s("tokens") == integers)
        #expect(try file.info("tokens").dtype == .i64)
        #expect(try file.int64s("step") == [42])
        #expect(try file.int64s("ünïcödé \"quoted\"\n") == [7])

        var copied = [Float](repeating: 0, count: odd.count)
        try copied.withUnsafeMutableBufferPointer { try file.copyFloats("odd.weight", into: $0.baseAddress!, count: $0.count) }
        #expect(copied == odd)
    }
}

@Test func headerLayoutIsSortedContiguousAndPadded() throws {
    try withTemporaryDirectory { directory in
        var writer = SafeTensorsWriter()
        [Float(1), 2].withUnsafeBufferPointer { writer.add("b", shape: [2], floats: $0) }
        writer.add("c", shape: [1], int64s: [3])
        [Float(4)].withUnsafeBufferPointer { writer.add("a", shape: [], floats: $0) }
        writer.metadata = ["format": "pt"]
        let url = directory.appendingPathComponent("layout.safetensors")
        try writer.write(to: url)

        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let json = #"{"__metadata__":{"format":"pt"},"#
            + #""a":{"data_offsets":[0,4],"dtype":"F32","shape":[]},"#
            + #""b":{"data_offsets":[4,12],"dtype":"F32","shape":[2]},"#
            + #""c":{"data_offsets":[12,20],"dtype":"I64","shape":[1]}}"#
        let padding = String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        #expect(headerLength % 8 == 0)
        #expect(String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self) == json + padding)
        #expect(bytes.count == 8 + headerLength + 20)
        #expect(Array(bytes[(8 + headerLength)...]) == littleEndianBytes([Float(4), 1, 2].map(\.bitPattern)) + littleEndianBytes([Int64(3)]))
    }
}

@Test func writeReplacesTheTargetAndLeavesNoTemporaryFiles() throws {
    try withTemporaryDirectory { directory in
        let url = directory.appendingPathComponent("w.safetensors")
        try Data("old contents".utf8).write(to: url)
        var writer = SafeTensorsWriter()
        writer.add("x", shape: [1], int64s: [5])
        try writer.write(to: url)
        #expect(try SafeTensorsFile(contentsOf: url).int64s("x") == [5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])
    }
}

/// Writer input that `write(to:)` must refuse, and the problem it must state.
struct BadWriterInput: Sendable, CustomTestStringConvertible {
    let label: String
    let build: @Sendable (inout SafeTensorsWriter) -> Void
    let problem: String
    var testDescription: String { label }
}

@Test(arguments: [
    BadWriterInput(label: "shape does not match", build: { $0.add("x", shape: [2, 2], int64s: [1, 2, 3]) },
                   problem: "tensor 'x': shape [2, 2] does not hold the 3 elements given"),
    BadWriterInput(label: "negative dimension", build: { $0.add("x", shape: [-1], int64s: []) },
                   problem: "tensor 'x': shape [-1] has a negative dimension"),
    BadWriterInput(label: "added twice", build: { $0.add("x", shape: [], int64s: [1]); $0.add("x", shape: [], int64s: [2]) },
                   problem: "tensor 'x' was added twice"),
    BadWriterInput(label: "reserved name", build: { $0.add("__metadata__", shape: [], int64s: [1]) },
                   problem: "the tensor name \"__metadata__\" is reserved"),
])
func writerRejectsBadInput(_ bad: BadWriterInput) throws {
    try withTemporaryDirectory { directory in
        let url = directory.appendingPathComponent("bad.safetensors")
        var writer = SafeTensorsWriter()
        bad.build(&writer)
        let error = #expect(throws: SigLIPError.self) { try writer.write(to: url) }
        #expect(error == SigLIPError(path: url.path, problem: bad.problem))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers.isEmpty)
    }
}

// MARK: - Decoding other dtypes

@Test(arguments: [
    (0x3C00, 1.0), (0xC000, -2.0), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 0x1.ff8p-15),
    (0x0400, 0x1p-14), (0x8001, -0x1p-24), (0x8000, -0.0), (0x3555, 0x1.554p-2),
    (0x7C00, .infinity), (0xFC00, -.infinity),
] as [(UInt16, Float)])
func float16DecodesExactly(bits: UInt16, expected: Float) {
    #expect(floatFromFloat16Bits(bits).bitPattern == expected.bitPattern)
}

@Test func float16NaNKeepsSignAndPayload() {
    #expect(floatFromFloat16Bits(0x7E00).bitPattern == 0x7FC0_0000)
    #expect(floatFromFloat16Bits(0x7C01).bitPattern == 0x7F80_2000)
    #expect(floatFromFloat16Bits(0xFE01).bitPattern == 0xFFC0_2000)
    #expect(floatFromFloat16Bits(0x7E00).isNaN)
}

@Test(arguments: [
    (0x3F80, 1.0), (0xC000, -2.0), (0x477F, 65280), (0x0001, 0x1p-133), (0x0080, 0x1p-126),
    (0x7F7F, 0x1.FEp127), (0x8000, -0.0), (0x7F80, .infinity), (0xFF80, -.infinity),
] as [(UInt16, Float)])
func bfloat16DecodesExactly(bits: UInt16, expected: Float) {
    #expect(floatFromBFloat16Bits(bits).bitPattern == expected.bitPattern)
}

@Test func bfloat16NaNKeepsPayload() {
    #expect(floatFromBFloat16Bits(0x7FC1).bitPattern == 0x7FC1_0000)
    #expect(floatFromBFloat16Bits(0xFF81).bitPattern == 0xFF81_0000)
}

@Test func readsEveryDTypeFromAFile() throws {
    try withTemporaryDirectory { directory in
        let tensors: [(name: String, dtype: String, data: [UInt8])] = [
            ("bf16", "BF16", littleEndianBytes([UInt16(0x3F80), 0xC000, 0x7F80])),
            ("bool", "BOOL", [1, 0, 1]),
            ("f16", "F16", littleEndianBytes([UInt16(0x3C00), 0xC000, 0x0001])),
            ("f64", "F64", littleEndianBytes([1.0, -2.0, 0.5].map(\.bitPattern))),
            ("i32", "I32", littleEndianBytes([Int32(1), -2, .max])),
            ("i64", "I64", littleEndianBytes([Int64(1), -2, 1 << 24])),
            ("u8", "U8", [1, 254, 255]),
        ]
        var offset = 0
        var entries: [String] = []
        for t in tensors {
            entries.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":[3],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        // Most tensors start at odd offsets: reads must not assume alignment.
        let file = try open(fileBytes(header: "{\(entries.joined(separator: ","))} ", data: tensors.flatMap(\.data)), in: directory)

        #expect(try file.floats("bf16") == [1, -2, .infinity])
        #expect(try file.floats("f16") == [1, -2, 0x1p-24])
        #expect(try file.floats("f64") == [1, -2, 0.5])
        #expect(try file.floats("i32") == [1, -2, Float(Int32.max)])
        #expect(try file.floats("u8") == [1, 254, 255])
        #expect(try file.floats("bool") == [1, 0, 1])
        #expect(try file.int64s("i32") == [1, -2, Int64(Int32.max)])
        #expect(try file.int64s("i64") == [1, -2, 1 << 24])
        #expect(try file.int64s("u8") == [1, 254, 255])
        let f16 = try file.info("f16")
        #expect((f16.name, f16.dtype, f16.shape, f16.byteRange, f16.elementCount) == ("f16", .f16, [3], 9..<15, 3))
    }
}

@Test func accessorErrorsNameTheFileAndTheProblem() throws {
    try withTemporaryDirectory { directory in
        let header = #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#
        let file = try open(fileBytes(header: header, data: Array(repeating: 0, count: 24)), in: directory)
        let path = file.url.path
        let cases: [(String, () throws -> Void)] = [
            ("no tensor named 'v'", { _ = try file.floats("v") }),
            ("no tensor named 'v'", { _ = try file.info("v") }),
            ("tensor 'w' has dtype F32, not an integer type", { _ = try file.int64s("w") }),
            ("tensor 'w' has 6 elements (shape [2, 3]) but 5 were requested", {
                var buffer = [Float](repeating: 0, count: 5)
                try buffer.withUnsafeMutableBufferPointer { try file.copyFloats("w", into: $0.baseAddress!, count: 5) }
            }),
        ]
        for (problem, action) in cases {
            let error = #expect(throws: SigLIPError.self) { try action() }
            #expect(error == SigLIPError(path: path, problem: problem))
            #expect(error?.description == "\(path): \(problem)")
        }
    }
}

// MARK: - Validation: one crafted file per failure

/// A malformed file and the problem its error must state.
struct BadFile: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let problem: String
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], _ problem: String) {
        self.label = label
        self.bytes = bytes
        self.problem = problem
    }

    /// A file whose header is `header` and whose data section is `dataSize` zero bytes.
    init(_ label: String, header: String, dataSize: Int = 8, _ problem: String) {
        self.init(label, fileBytes(header: header, data: Array(repeating: 0, count: dataSize)), problem)
    }
}

private func entry(_ name: String = "a", dtype: String = "\"F32\"", shape: String = "[2]", offsets: String = "[0,8]") -> String {
    "\"\(name)\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}"
}

private let badFiles: [BadFile] = [
    BadFile("empty file", [], "file is 0 bytes, shorter than the 8-byte header length"),
    BadFile("shorter than 8 bytes", [1, 2, 3], "file is 3 bytes, shorter than the 8-byte header length"),
    BadFile("header longer than file", littleEndianBytes([UInt64(100)]) + Array("{}".utf8),
            "header length 100 exceeds the 2 bytes after the length field"),
    BadFile("absurd header length", littleEndianBytes([UInt64(200_000_000)]) + Array("{}".utf8),
            "header length 200000000 is absurd (over 100000000 bytes)"),
    BadFile("header length UInt64.max", littleEndianBytes([UInt64.max]) + Array("{}".utf8),
            "header length 18446744073709551615 is absurd (over 100000000 bytes)"),
    BadFile("header not UTF-8", fileBytes(headerBytes: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x7B, 0x7D, 0x7D]),
            "header is not valid UTF-8"),
    BadFile("header not JSON", header: "{\"a\":", "header is not valid JSON: unexpected end of text at byte 5"),
    BadFile("trailing garbage", header: "{} x", "header is not valid JSON: unexpected text after the JSON value at byte 3"),
    BadFile("header is an array", header: "[1, 2]", "header is not a JSON object"),
    BadFile("deeply nested", header: "{\"a\":" + String(repeating: "[", count: 100_000), "header is not valid JSON: nested more than 64 levels deep at byte 68"),
    BadFile("entry not an object", header: "{\"a\":[1]}", "tensor 'a': entry is not an object"),
    BadFile("missing dtype", header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, "tensor 'a': missing \"dtype\""),
    BadFile("missing shape", header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, "tensor 'a': missing \"shape\""),
    BadFile("missing data_offsets", header: #"{"a":{"dtype":"F32","shape":[2]}}"#, "tensor 'a': missing \"data_offsets\""),
    BadFile("dtype not a string", header: "{\(entry(dtype: "7"))}", "tensor 'a': \"dtype\" is not a string"),
    BadFile("unknown dtype", header: "{\(entry(dtype: "\"Q4\""))}", "tensor 'a': unknown dtype \"Q4\""),
    BadFile("shape not an array", header: "{\(entry(shape: "2"))}", "tensor 'a': \"shape\" is not an array"),
    BadFile("negative dimension", header: "{\(entry(shape: "[-2]"))}", "tensor 'a': shape entry -2 is negative"),
    BadFile("fractional dimension", header: "{\(entry(shape: "[1.5]"))}", "tensor 'a': shape entry 1.5 is not an integer"),
    BadFile("string dimension", header: "{\(entry(shape: "[\"2\"]"))}", "tensor 'a': shape entry \"2\" is not an integer"),
    BadFile("dimension beyond Int", header: "{\(entry(shape: "[99999999999999999999]"))}",
            "tensor 'a': shape entry 99999999999999999999 is not an integer"),
    BadFile("element count overflows", header: "{\(entry(shape: "[4294967296,4294967296]"))}",
            "tensor 'a': shape [4294967296, 4294967296] of F32 overflows the byte count"),
    BadFile("byte count overflows", header: "{\(entry(shape: "[4611686018427387904]"))}",
            "tensor 'a': shape [4611686018427387904] of F32 overflows the byte count"),
    BadFile("size differs from offsets", header: "{\(entry(shape: "[3]"))}",
            "tensor 'a': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8"),
    BadFile("data_offsets not a pair", header: "{\(entry(offsets: "[0]"))}",
            "tensor 'a': \"data_offsets\" is not an array of two integers"),
    BadFile("data_offsets not integers", header: "{\(entry(offsets: "[0,8.0]"))}",
            "tensor 'a': data_offsets [0, 8.0] are not non-negative integers"),
    BadFile("negative offset", header: "{\(entry(offsets: "[-8,0]"))}",
            "tensor 'a': data_offsets [-8, 0] are not non-negative integers"),
    BadFile("begin after end", header: "{\(entry(offsets: "[8,0]"))}", "tensor 'a': data_offsets begin 8 > end 0"),
    BadFile("offsets past the data", header: "{\(entry(offsets: "[4,12]"))}",
            "tensor 'a': data_offsets [4, 12] extend past the end of the 8-byte data section"),
    BadFile("overlapping tensors", header: "{\(entry("a")),\(entry("b", shape: "[1]", offsets: "[4,8]"))}",
            "tensors 'a' 0..<8 and 'b' 4..<8 overlap"),
    BadFile("duplicate names", header: "{\(entry("a")),\(entry("a"))}", "duplicate tensor name 'a'"),
    BadFile("metadata not strings", header: #"{"__metadata__":{"epoch":3}}"#,
            "\"__metadata__\" must be an object mapping strings to strings"),
    BadFile("duplicate metadata", header: #"{"__metadata__":{},"__metadata__":{}}"#, "duplicate \"__metadata__\" entry"),
]

@Test(arguments: badFiles)
func rejectsMalformedFile(_ bad: BadFile) throws {
    try withTemporaryDirectory { directory in
        let url = directory.appendingPathComponent("bad.safetensors")
        try Data(bad.bytes).write(to: url)
        let error = #expect(throws: SigLIPError.self) { try SafeTensorsFile(contentsOf: url) }
        #expect(error?.path == url.path)
        #expect(error == SigLIPError(path: url.path, problem: bad.problem))
        #expect(error?.description == "\(url.path): \(bad.problem)")
    }
}

@Test func missingFileIsAnError() throws {
    try withTemporaryDirectory { directory in
        let url = directory.appendingPathComponent("absent.safetensors")
        let error = #expect(throws: SigLIPError.self) { try SafeTensorsFile(contentsOf: url) }
        #expect(error?.path == url.path)
        #expect(error?.problem.hasPrefix("cannot open") == true)
    }
}

/// Every truncation and many single-byte corruptions of a valid file must throw or load, never trap.
@Test func corruptedFilesNeverTrap() throws {
    try withTemporaryDirectory { directory in
        var writer = SafeTensorsWriter()
        [Float(1), 2, 3].withUnsafeBufferPointer { writer.add("w", shape: [3], floats: $0) }
        writer.add("n", shape: [1, 1], int64s: [9])
        writer.metadata = ["k": "v"]
        let url = directory.appendingPathComponent("valid.safetensors")
        try writer.write(to: url)
        let valid = [UInt8](try Data(contentsOf: url))

        var variants: [[UInt8]] = (0..<valid.count).map { Array(valid[..<$0]) }
        for position in 0..<valid.count {
            for replacement: UInt8 in [0x00, 0x22, 0x2D, 0x39, 0x5B, 0x7D, 0xFF] where valid[position] != replacement {
                var corrupted = valid
                corrupted[position] = replacement
                variants.append(corrupted)
            }
        }
        var rejected = 0
        for (i, bytes) in variants.enumerated() {
            do {
                let file = try open(bytes, in: directory, name: "variant\(i).safetensors")
                for name in file.names { _ = try? file.floats(name); _ = try? file.int64s(name) }
            } catch is SigLIPError {
                rejected += 1
            }
        }
        #expect(rejected >= valid.count)  // at least every strict truncation
    }
}
