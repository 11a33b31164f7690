import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPEval
import SigLIPImage
import SigLIPModels
import SigLIPTestSupport
import Testing

/// Zero-shot end to end against `transformers` (fixture: evals/reference/make_hf_zeroshot_fixture.py):
/// a tiny random Hugging Face SigLIP directory saved in float32, float16 and bfloat16 with a
/// trained SentencePiece model and a bicubic `SiglipProcessor`, and a folder benchmark of PNG and
/// JPEG images of other sizes. Per dtype the reference ran the saved weights widened to float32.
///
/// Tolerances: prompt ids exactly; pixels within one level (2/255 after scaling to [-1, 1], +1%
/// for the processor's float32 rescale-then-normalise) of
/// the processor's (Pillow's bicubic on the decoded bytes); class and image embeddings from the
/// processor's own pixels within 1e-5 of the largest component; logits from our own pixels
/// within 2e-2 absolute (one pixel level through the towers) and the same predicted class.
@Suite("Hugging Face zero-shot end to end") struct HuggingFaceZeroShotTests {
    static let root = Commands.repository.appendingPathComponent("Tests/Fixtures/hf-zeroshot")
    static let bench = root.appendingPathComponent("bench")

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: ["float32", "float16", "bfloat16"])
    func zeroShotMatchesTransformers(_ dtype: String) throws {
        let checkpoint = try EvalCheckpoint.load(from: Self.root.appendingPathComponent(dtype))
        #expect(checkpoint.imageProcessor.resizeFilter == .bicubic, "processor_config.json says resample 3")
        let expected = try SafeTensorsFile(contentsOf: Self.root.appendingPathComponent("expected-\(dtype).safetensors"))
        let benchmark = try ZeroShotBenchmark(root: Self.bench)
        let task = benchmark.task
        let (size, e) = (checkpoint.model.config.imageTower.imageSize, checkpoint.model.config.imageTower.width)
        let encoder = checkpoint.encoder()

        // Prompts: the same ids as the processor's tokenizer.
        let texts = try Prompts.classTexts(classNames: task.classNames, templates: task.templates)
        #expect(checkpoint.tokenizer.encode(batch: texts).map(Int64.init) == (try expected.int64s("input_ids")))

        // Pixels: decode + bicubic resize within one level of Pillow's.
        var ours: [Float] = []
        for url in task.images { ours += try ImageLoading.load(url, size: size, filter: encoder.resizeFilter) }
        let reference = try expected.floats("pixels")
        let pixelError = Self.maxDifference(ours, reference)
        #expect(pixelError <= 2 / 255 * 1.01, "pixels differ by \(pixelError * 255 / 2) levels")

        // The towers on the processor's pixels, and the class embeddings.
        let images = try reference.withUnsafeBufferPointer { try encoder.encodeImages($0, count: task.images.count, rounds: 1) }
        let classes = try ClassEmbeddings.compute(encoder: encoder, classNames: task.classNames, templates: task.templates, rounds: 1)
        let imageError = Self.maxDifference(images, try expected.floats("image_embeds"))
        let classError = Self.maxDifference(classes, try expected.floats("class_embeds"))
        print("\(dtype): pixels \(pixelError * 255 / 2) levels, image embeddings \(imageError), class embeddings \(classError)")
        #expect(imageError <= 1e-5 && classError <= 1e-5)

        // Logits from our own pixels, and the evaluator's predictions.
        let mine = try ours.withUnsafeBufferPointer { try encoder.encodeImages($0, count: task.images.count, rounds: 1) }
        let scale = exp(checkpoint.model.parameters.tensor(named: "logit_scale")!.data[0])
        let bias = checkpoint.model.parameters.tensor(named: "logit_bias")!.data[0]
        let k = task.classNames.count
        let logits = (0..<task.images.count).flatMap { i in
            (0..<k).map { c in (0..<e).reduce(Float(0)) { $0 + mine[i * e + $1] * classes[c * e + $1] } * scale + bias }
        }
        let expectedLogits = try expected.floats("logits")
        #expect(Self.maxDifference(logits, expectedLogits) <= 2e-2)
        let argmax = { (row: ArraySlice<Float>) in row.indices.max { row[$0] < row[$1] }! - row.startIndex }
        let expectedTop1 = (0..<task.images.count).filter { argmax(expectedLogits[($0 * k)..<(($0 + 1) * k)]) == task.labels[$0] }.count
        let outcome = try ZeroShotEvaluator.evaluate(encoder: encoder, task: task, rounds: [1])
        #expect(outcome.results[0].top1 == Double(expectedTop1) / Double(task.images.count))
    }

    /// A processor we would not reproduce is refused, naming the file and the setting.
    @Test func unsupportedImageProcessorsAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for (json, fragment) in [(#"{"image_processor": {"resample": 0}}"#, "resample 0"),
                                 (#"{"image_mean": [0.48, 0.45, 0.4], "resample": 3}"#, "image_mean"),
                                 (#"{"do_center_crop": true}"#, "center cropping"),
                                 ("[1, 2]", "not a JSON object")] {
            let name = json.hasPrefix(#"{"image_processor""#) ? "processor_config.json" : "preprocessor_config.json"
            try? FileManager.default.removeItem(at: folder.url.appendingPathComponent("processor_config.json"))
            try Data(json.utf8).write(to: folder.url.appendingPathComponent(name))
            let error = #expect(throws: SigLIPError.self) { try ImageProcessorConfig.read(directory: folder.url) }
            #expect(error?.path.hasSuffix(name) == true && error?.problem.contains(fragment) == true, "\(String(describing: error))")
            try FileManager.default.removeItem(at: folder.url.appendingPathComponent(name))
        }
        #expect(try ImageProcessorConfig.read(directory: folder.url) == .training)
    }
}
