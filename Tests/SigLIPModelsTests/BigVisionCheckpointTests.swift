import Foundation
import SigLIPBase
@testable import SigLIPCore
import SigLIPModels
import SigLIPTestSupport
import Testing

/// The committed big_vision fixtures (made by `evals/reference/make_bigvision_fixtures.py`).
enum BigVisionFixtures {
    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("bigvision") }
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Every tensor of a safetensors file, by name.
    static func tensors(_ name: String) throws -> [String: (shape: [Int], values: [Float])] {
        let file = try SafeTensorsFile(contentsOf: url(name))
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for tensor in file.names { tensors[tensor] = (try file.info(tensor).shape, try file.floats(tensor)) }
        return tensors
    }
}

/// Bitwise equality of two float arrays (so -0 and 0 differ, as NaNs with other payloads would).
func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

extension SigLIPModel {
    /// The values of parameter `name`.
    func values(_ name: String) -> [Float] {
        let spec = parameters.spec(named: name)!
        return Array(UnsafeBufferPointer(start: parameters.values.data + spec.offset, count: spec.count))
    }
}

@Suite("big_vision checkpoints") struct BigVisionCheckpointTests {
    /// Every parameter of `model` is, bit for bit, the tensor of that name in `expected` (the
    /// fixture script's NumPy conversion), and `expected` holds nothing else.
    func expectParameters(_ model: SigLIPModel, equal expected: String, except skipped: Set<String> = []) throws {
        let tensors = try BigVisionFixtures.tensors(expected)
        #expect(Set(tensors.keys) == Set(model.parameters.specs.map(\.name)))
        for spec in model.parameters.specs where !skipped.contains(spec.name) {
            guard let tensor = tensors[spec.name] else { continue }
            #expect(tensor.shape == spec.shape, "\(spec.name)")
            #expect(sameBits(model.values(spec.name), tensor.values), "\(spec.name) differs from \(expected)")
        }
    }

    /// Both encoder layouts, float32 and bfloat16, stored and deflated members: each archive
    /// loads to exactly the converted parameters (bfloat16: exactly after widening to float32).
    @Test(arguments: [
        ("siglip_f32_blocks.npz", "expected_f32.safetensors"), ("siglip_f32_stacked.npz", "expected_f32.safetensors"),
        ("siglip_bf16_blocks.npz", "expected_bf16.safetensors"), ("siglip_bf16_stacked.npz", "expected_bf16.safetensors"),
        ("siglip_f32_nohead.npz", "expected_nohead.safetensors"), ("siglip_f32_params.npz", "expected_nohead.safetensors"),
    ])
    func archiveLoadsToTheConvertedParameters(_ archive: String, _ expected: String) throws {
        let model = try Checkpoint.load(from: BigVisionFixtures.url(archive))
        try expectParameters(model, equal: expected)
    }

    /// The bfloat16 fixtures really are rounded (so the exact comparison above tells the two apart).
    @Test func bfloat16ExpectationDiffersFromFloat32() throws {
        let f32 = try BigVisionFixtures.tensors("expected_f32.safetensors"), bf16 = try BigVisionFixtures.tensors("expected_bf16.safetensors")
        let name = "vision_model.encoder.layers.1.mlp.fc1.weight"
        #expect(!sameBits(f32[name]!.values, bf16[name]!.values))
        #expect(bf16[name]!.values.allSatisfy { $0.bitPattern & 0xFFFF == 0 }, "bfloat16 widened keeps only the top 16 bits")
    }

    @Test(arguments: ["f32", "bf16"])
    func bothEncoderLayoutsGiveTheSameModel(_ dtype: String) throws {
        let blocks = try Checkpoint.load(from: BigVisionFixtures.url("siglip_\(dtype)_blocks.npz"))
        let stacked = try Checkpoint.load(from: BigVisionFixtures.url("siglip_\(dtype)_stacked.npz"))
        #expect(blocks.config == stacked.config)
        #expect(memcmp(blocks.parameters.values.data, stacked.parameters.values.data, blocks.parameters.count * 4) == 0)
    }

    /// The configuration comes from the shapes alone.
    @Test func configurationIsInferredFromTheShapes() throws {
        let config = try BigVisionCheckpoint.inferConfig(from: BigVisionFixtures.url("siglip_bf16_stacked.npz"))
        let vision = config.imageTower, text = config.textTower
        let visionSizes: [Int] = [vision.patchSize, vision.imageSize, vision.width, vision.depth, vision.heads, vision.mlpWidth]
        let textSizes: [Int] = [text.vocabularySize, text.length, text.width, text.depth, text.heads, text.mlpWidth, text.embeddingWidth]
        #expect(visionSizes == [3, 9, 8, 2, 2, 12])
        #expect(textSizes == [13, 5, 6, 3, 3, 10, 8])
        #expect(text.padID == 1 && text.eosID == 1 && !text.maskPadding)
        #expect(vision.layerNormEpsilon == 1e-6 && vision.activation == "gelu_pytorch_tanh")
        let noHead = try BigVisionCheckpoint.inferConfig(from: BigVisionFixtures.url("siglip_f32_nohead.npz")).textTower
        #expect(noHead.projectionWidth == nil && noHead.embeddingWidth == noHead.width)
    }

    /// Every accepted dtype converts to the float32 value NumPy gives.
    @Test func dtypesConvertToFloat32() throws {
        let npz = try NPZFile(contentsOf: BigVisionFixtures.url("dtypes.npz"))
        let kinds: [String: NPYDType] = ["f32": .f32, "f16": .f16, "f64": .f64, "bf16": .bf16, "void2": .bf16, "scalar": .f32]
        for (name, dtype) in kinds {
            #expect(try npz.header(name).dtype == dtype, "\(name)")
            #expect(sameBits(try npz.floats(name), try npz.floats("\(name)__f32")), "\(name)")
        }
        #expect(try npz.header("scalar").shape == [] && npz.floats("scalar") == [2.5])
        #expect(try npz.header("f64").shape == [2, 2])
    }

    /// Reading in tiny pieces splits elements and headers across reads, in stored and deflated
    /// members alike; the values do not change.
    @Test(arguments: [1, 3, 7])
    func tinyReadsGiveTheSameValues(_ chunkSize: Int) throws {
        for archive in ["siglip_f32_blocks.npz", "siglip_bf16_blocks.npz", "dtypes.npz"] {
            let whole = try NPZFile(contentsOf: BigVisionFixtures.url(archive))
            let pieces = try NPZFile(contentsOf: BigVisionFixtures.url(archive))
            pieces.chunkSize = chunkSize
            for name in whole.names.prefix(12) {
                #expect(sameBits(try pieces.floats(name), try whole.floats(name)), "\(archive): \(name)")
            }
        }
    }

    // MARK: Position-embedding resampling

    /// big_vision's bilinear (scipy.ndimage.zoom, order 1) on the grid, against the script's
    /// NumPy reference: the same double-precision arithmetic, so equal to within 1e-6 (in
    /// practice bit for bit); half-pixel-centred bilinear would differ by about 0.1.
    @Test(arguments: [("grid3", 3, 5), ("grid3", 3, 2), ("grid14", 14, 16), ("grid14", 14, 24)])
    func resamplingMatchesTheReference(_ source: String, _ from: Int, _ to: Int) throws {
        let tensors = try BigVisionFixtures.tensors("resampling.safetensors")
        let table = tensors[source]!, expected = tensors["\(source)_to_\(to)"]!
        let width = table.shape[1]
        let resampled = PositionEmbeddingResampling.resample(table.values, width: width, from: from, to: to)
        #expect(expected.shape == [to * to, width])
        expectClose(resampled, expected.values, atol: 1e-6, rtol: 0, "\(source) → \(to)×\(to)")
        #expect(PositionEmbeddingResampling.resample(table.values, width: width, from: from, to: from) == table.values)
    }

    @Test func gridSideIsTheExactSquareRoot() {
        #expect(PositionEmbeddingResampling.gridSide(positions: 196) == 14)
        #expect(PositionEmbeddingResampling.gridSide(positions: 1) == 1)
        #expect(PositionEmbeddingResampling.gridSide(positions: 197) == nil)
        #expect(PositionEmbeddingResampling.gridSide(positions: 0) == nil)
    }

    /// A 9-px checkpoint (3×3 patches) loaded at 15 px (5×5) or 6 px (2×2): the position
    /// embedding is resampled, every other parameter is as converted.
    @Test(arguments: [("siglip_f32_blocks.npz", 15, 5), ("siglip_f32_stacked.npz", 6, 2)])
    func npzLoadsAtAnotherImageSize(_ archive: String, _ imageSize: Int, _ grid: Int) throws {
        let model = try Checkpoint.load(from: BigVisionFixtures.url(archive), imageSize: imageSize)
        #expect(model.config.imageTower.imageSize == imageSize && model.config.imageTower.tokens == grid * grid)
        try expectResampled(model, grid: grid)
    }

    /// The same for a Hugging Face directory (ours, written from the loaded .npz).
    @Test func huggingFaceDirectoryLoadsAtAnotherImageSize() throws {
        let folder = try TemporaryFolder(prefix: "siglip-bigvision")
        defer { folder.remove() }
        try Checkpoint.save(try Checkpoint.load(from: BigVisionFixtures.url("siglip_f32_blocks.npz")), to: folder.url)
        let model = try Checkpoint.load(from: folder.url, imageSize: 15)
        #expect(model.config.imageTower.imageSize == 15)
        try expectResampled(model, grid: 5)
        #expect(try Checkpoint.load(from: folder.url).config.imageTower.imageSize == 9)
    }

    func expectResampled(_ model: SigLIPModel, grid: Int) throws {
        let positions = "vision_model.embeddings.position_embedding.weight"
        let reference = try BigVisionFixtures.tensors("resampling.safetensors")["grid3_to_\(grid)"]!
        expectClose(model.values(positions), reference.values, atol: 1e-6, rtol: 0, "resampled position embedding")
        try expectParameters(model, equal: "expected_f32.safetensors", except: [positions])
    }

    /// The resampled model runs at its new size: unit-norm embeddings of the text embedding width.
    @Test func resampledModelEncodesImagesOfTheNewSize() throws {
        let model = try Checkpoint.load(from: BigVisionFixtures.url("siglip_bf16_stacked.npz"), imageSize: 15)
        var generator = SeededGenerator(seed: 5)
        let pixels = FloatBuffer(count: 2 * 15 * 15 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * generator.nextUnitFloat() - 1 }
        let ctx = model.makeContext()   // owns the arena the outputs live in
        let images = model.encodeImages(Tensor(pixels.data, [2, 15, 15, 3]), ctx).toArray()
        let texts = model.encodeTexts([3, 7, 1, 1, 1, 4, 4, 12, 0, 1], batch: 2, ctx).toArray()
        withExtendedLifetime(ctx) {}
        #expect(images.count == 2 * 8 && texts.count == 2 * 8)
        for row in 0..<4 {
            let z = row < 2 ? images[(row * 8)..<(row * 8 + 8)] : texts[((row - 2) * 8)..<((row - 2) * 8 + 8)]
            #expect(abs(z.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
    }

    @Test func imageSizeThatDoesNotTileIsRefused() throws {
        #expect(throws: ConfigError.self) { try Checkpoint.load(from: BigVisionFixtures.url("siglip_f32_blocks.npz"), imageSize: 10) }
    }

    // MARK: Refusals

    /// Each bad input is a `SigLIPError` whose path is the file and whose problem names the
    /// member (or, for a file that is no zip archive at all, says so).
    @Test(arguments: [
        ("bad_truncated.npz", "no end-of-central-directory record"),
        ("bad_not_zip.npz", "not a zip archive"),
        ("bad_header.npz", "member 'x.npy': 'shape' is not a tuple of integers"),
        ("bad_dtype.npz", "member 'x.npy': unknown dtype '<i4'"),
        ("bad_big_endian.npz", "member 'x.npy': dtype '>f4' is big-endian"),
        ("bad_fortran.npz", "member 'x.npy': array is in Fortran (column-major) order"),
        ("bad_size.npz", "member 'x.npy': shape [5] of f32 needs 20 data bytes"),
        ("bad_missing.npz", "missing member 'txt/Encoder_0/encoderblock_0/MlpBlock_0/Dense_1/bias.npy'"),
        ("bad_shape.npz", "member 'img/MAPHead_0/LayerNorm_0/scale.npy' has shape [5], the configuration inferred from the archive needs [4]"),
        ("bad_extra.npz", "member 'img/head/kernel.npy' is not part of the SigLIP two-tower model"),
        ("bad_zip64.npz", "member 'x.npy' has a ZIP64 size or offset of 9223372036854775813, beyond any file"),
    ])
    func badInputIsRefused(_ file: String, _ problem: String) throws {
        let url = BigVisionFixtures.url(file)
        #expect {
            _ = try Checkpoint.load(from: url)
        } throws: { error in
            guard let error = error as? SigLIPError else { return false }
            return error.path == url.path && error.problem.contains(problem)
        }
    }

    /// A deflate stream that runs on past its member is cut at the member's end (ZIPFoundation's
    /// own inflater would read on into the next records, and at the end of the file forever):
    /// what follows is no deflate data, or too much of it, or none.
    @Test func deflateStreamIsBoundedByItsMember() throws {
        let url = BigVisionFixtures.url("bad_deflate.npz")
        let npz = try NPZFile(contentsOf: url)   // the header, at the stream's start, reads
        #expect { _ = try npz.floats("x") } throws: { error in
            guard let error = error as? SigLIPError, error.path == url.path else { return false }
            return error.problem.hasPrefix("member 'x.npy': ")
                && ["deflate stream does not end", "deflate stream is damaged", "holds more than the"].contains { error.problem.contains($0) }
        }
    }

    /// Damaged data whose header still parses is caught by the CRC-32.
    @Test func damagedDataIsRefusedByItsChecksum() throws {
        // Flip one data byte of a stored member: the header still parses, the CRC-32 catches it.
        let folder = try TemporaryFolder(prefix: "siglip-bigvision")
        defer { folder.remove() }
        var bytes = try Data(contentsOf: BigVisionFixtures.url("siglip_f32_nohead.npz"))
        let probe = try NPZFile(contentsOf: BigVisionFixtures.url("siglip_f32_nohead.npz")).header("t")
        let member = Data("t.npy".utf8)
        let local = bytes.range(of: member)!.upperBound   // the local header's name; zip64 extra and data follow
        let dataStart = bytes[local...].range(of: Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]))!.lowerBound + probe.dataOffset
        bytes[dataStart] ^= 0x40
        let url = try folder.write("damaged.npz", bytes)
        let npz = try NPZFile(contentsOf: url)
        #expect { _ = try npz.floats("t") } throws: { error in
            (error as? SigLIPError).map { $0.path == url.path && $0.problem.contains("member 't.npy': CRC-32") } ?? false
        }
    }
}

@Suite("NPY headers") struct NPYHeaderTests {
    /// A version `major`.0 file with `dict` as its header, padded as NumPy pads.
    func npy(_ dict: String, major: UInt8 = 1) -> [UInt8] {
        let preamble = major == 1 ? 10 : 12
        var header = Array(dict.utf8)
        header += [UInt8](repeating: 0x20, count: (64 - (preamble + header.count + 1) % 64) % 64) + [0x0A]
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
        let length = header.count
        bytes += major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), 0, 0]
        return bytes + header
    }

    @Test(arguments: [1, 2, 3] as [UInt8])
    func numpyHeadersParse(_ major: UInt8) throws {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", major: major)
        let header = try NPYHeader(parsing: bytes)
        #expect(header.dtype == .f32 && header.shape == [2, 3] && header.dataOffset == bytes.count && header.dataByteCount == 24)
        #expect(try NPYHeader(parsing: npy("{\"shape\": (), \"fortran_order\": False, \"descr\": \"<V2\"}")).shape == [])
        #expect(try NPYHeader(parsing: npy("{'descr':'|V2','fortran_order':False,'shape':(7,)}")).dataByteCount == 14)
    }

    @Test(arguments: [
        ("{'descr': '<f4', 'fortran_order': False}", "header lacks 'shape'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", "a 1-tuple needs its comma"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "not a non-negative integer"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "overflows the byte count"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured dtypes are not read"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "'fortran_order' is not True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "repeats 'descr'"),
        ("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", "unknown dtype '<u2'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", "text after its dict"),
    ])
    func malformedHeadersAreRefused(_ dict: String, _ problem: String) {
        #expect { _ = try NPYHeader(parsing: npy(dict)) } throws: { ($0 as? NPYProblem)?.text.contains(problem) ?? false }
    }

    @Test func badPreamblesAreRefused() {
        var wrongMagic = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
        wrongMagic[1] = 0x41
        var version4 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
        version4[6] = 4
        let cut = Array(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }").prefix(40))
        for (bytes, problem) in [(wrongMagic, "bad magic"), (version4, "version 4.0"), (cut, "header needs 128 bytes but only 40 are there")] {
            #expect { _ = try NPYHeader(parsing: bytes) } throws: { ($0 as? NPYProblem)?.text.contains(problem) ?? false }
        }
    }
}
