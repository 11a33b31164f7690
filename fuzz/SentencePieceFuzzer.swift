// libFuzzer entry point for the SentencePiece model reader (compiled with Sources/SigLIPText by
// fuzz/run.sh). Every input must load or throw SigLIPError; a model that loads must encode
// and decode a few texts without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    do {
        let model = try SentencePieceTokenizer(bytes: bytes, file: "fuzz.model")
        for text in ["a photo of a cat.", "", "ÄÖü ﬁ 𝔘 日本語 \u{0}", String(repeating: "ab ", count: 50)] {
            let ids = model.encode(text)
            _ = try? model.decode(ids)
        }
        if let tokenizer = try? SigLIPTokenizer(sentencePiece: model, length: 16) { _ = tokenizer.encode("a dog") }
    } catch is SigLIPError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
