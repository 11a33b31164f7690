import Foundation
import SigLIPCore
import SigLIPModels
import Testing

@Suite("Checkpoints") struct CheckpointTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("siglip-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func saveThenLoadIsBitExact() throws {
        let model = try SigLIPModel(config: tinyConfig())
        model.initialize(seed: 9)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(model, to: dir)
        let loaded = try Checkpoint.load(from: dir)
        #expect(loaded.config == model.config)
        #expect(memcmp(loaded.parameters.values.data, model.parameters.values.data, model.parameters.count * 4) == 0)
        // Saving again gives the same bytes.
        let again = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: again) }
        try Checkpoint.save(loaded, to: again)
        for file in [Checkpoint.weightsFile, Checkpoint.configFile] {
            let first = try Data(contentsOf: dir.appendingPathComponent(file)), second = try Data(contentsOf: again.appendingPathComponent(file))
            #expect(first == second, "\(file) differs between two saves")
        }
    }

    @Test func configJSONHasTheHuggingFaceForm() throws {
        let json = try JSONSerialization.jsonObject(with: tinyConfig().jsonData()) as! [String: Any]
        #expect(json["model_type"] as? String == "siglip")
        let vision = json["vision_config"] as! [String: Any], text = json["text_config"] as! [String: Any]
        #expect(vision["hidden_size"] as? Int == 12 && vision["patch_size"] as? Int == 4 && vision["image_size"] as? Int == 12)
        #expect(text["vocab_size"] as? Int == 23 && text["max_position_embeddings"] as? Int == 5 && text["projection_size"] as? Int == 12)
    }

    /// Writes a checkpoint with one change and expects the load to fail with `problem` in the message.
    func expectRefusal(_ problem: String, change: (URL, SigLIPModel) throws -> Void) throws {
        let model = try SigLIPModel(config: tinyConfig())
        model.initialize(seed: 1)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(model, to: dir)
        try change(dir, model)
        do {
            _ = try Checkpoint.load(from: dir)
            Issue.record("a checkpoint with \(problem) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(problem), "message: \(message)")
            #expect(message.contains(dir.path), "the message must name the file: \(message)")
        }
    }

    func rewriteWeights(_ dir: URL, _ model: SigLIPModel, edit: (inout [(String, [Int], [Float])]) -> Void) throws {
        var tensors = model.parameters.specs.map { spec in
            (spec.name, spec.shape, Array(UnsafeBufferPointer(start: model.parameters.values.data + spec.offset, count: spec.count)))
        }
        edit(&tensors)
        var writer = SafeTensorsWriter()
        for (name, shape, values) in tensors { values.withUnsafeBufferPointer { writer.add(name, shape: shape, floats: $0) } }
        try writer.write(to: dir.appendingPathComponent(Checkpoint.weightsFile))
    }

    @Test func refusesAMissingTensor() throws {
        try expectRefusal("missing tensor 'logit_bias'") { dir, model in
            try rewriteWeights(dir, model) { $0.removeAll { $0.0 == "logit_bias" } }
        }
    }

    @Test func refusesAWrongShape() throws {
        try expectRefusal("has shape [4], the configuration needs [12]") { dir, model in
            try rewriteWeights(dir, model) { t in
                let i = t.firstIndex { $0.0 == "vision_model.post_layernorm.bias" }!
                t[i] = (t[i].0, [4], [0, 0, 0, 0])
            }
        }
    }

    @Test func refusesAnUnknownTensor() throws {
        try expectRefusal("tensor 'vision_model.encoder.layers.2.mlp.fc1.bias' is not a parameter") { dir, model in
            try rewriteWeights(dir, model) { $0.append(("vision_model.encoder.layers.2.mlp.fc1.bias", [10], Array(repeating: 0, count: 10))) }
        }
    }

    @Test func refusesATruncatedFile() throws {
        try expectRefusal(Checkpoint.weightsFile) { dir, _ in
            let url = dir.appendingPathComponent(Checkpoint.weightsFile)
            let data = try Data(contentsOf: url)
            try data.prefix(data.count / 2).write(to: url)
        }
    }

    @Test func refusesABadConfig() throws {
        try expectRefusal("not a multiple of num_attention_heads") { dir, _ in
            let url = dir.appendingPathComponent(Checkpoint.configFile)
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"num_attention_heads\" : 3", with: "\"num_attention_heads\" : 5")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try expectRefusal("not a SigLIP config.json") { dir, _ in
            try "{ not json".write(to: dir.appendingPathComponent(Checkpoint.configFile), atomically: true, encoding: .utf8)
        }
    }
}

@Suite("Config round trip") struct ConfigRoundTripTests {
    /// A config read back from its own JSON is equal to it, the default projection size included
    /// (so a resumed run recognises its checkpoint).
    @Test(arguments: [nil, 12])
    func configReadsBackEqual(_ projection: Int?) throws {
        var config = tinyConfig()
        config.textTower.projectionWidth = projection
        config.textTower.width = 12
        config.textTower.maskPadding = true
        config.imageTower.recursion = .rins(rounds: 3, skipProbability: 0.5, adapter: .linear)
        #expect(try JSONDecoder().decode(SigLIPConfig.self, from: config.jsonData()) == config)
    }
}
