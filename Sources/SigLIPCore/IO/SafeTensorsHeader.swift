// The safetensors header: the validation of every entry, over the strict JSON reader of
// StrictJSON.swift.

/// The validated contents of a safetensors header.
struct SafeTensorsHeader {
    var tensors: [String: SafeTensorInfo] = [:]
    var metadata: [String: String] = [:]

    /// Parses and validates the header JSON `bytes` for a data section of `dataSize` bytes.
    /// Throws a problem description; the caller adds the file name.
    init(json bytes: [UInt8], dataSize: Int) throws(HeaderProblem) {
        guard Self.isValidUTF8(bytes) else { throw HeaderProblem("header is not valid UTF-8") }
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONParser.parse(bytes)
        } catch {
            throw HeaderProblem("header is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = root else { throw HeaderProblem("header is not a JSON object") }
        var sawMetadata = false
        for (name, entry) in members {
            if name == "__metadata__" {
                guard !sawMetadata else { throw HeaderProblem("duplicate \"__metadata__\" entry") }
                sawMetadata = true
                metadata = try Self.metadata(entry)
            } else {
                guard tensors[name] == nil else { throw HeaderProblem("duplicate tensor name '\(name)'") }
                tensors[name] = try Self.tensor(name, entry, dataSize: dataSize)
            }
        }
        try checkNoOverlap()
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func metadata(_ entry: JSONValue) throws(HeaderProblem) -> [String: String] {
        let problem = HeaderProblem("\"__metadata__\" must be an object mapping strings to strings")
        guard case .object(let members) = entry else { throw problem }
        var result: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else { throw problem }
            guard result.updateValue(text, forKey: key) == nil else {
                throw HeaderProblem("duplicate \"__metadata__\" key '\(key)'")
            }
        }
        return result
    }

    private static func tensor(_ name: String, _ entry: JSONValue, dataSize: Int) throws(HeaderProblem) -> SafeTensorInfo {
        func fail(_ problem: String) -> HeaderProblem { HeaderProblem("tensor '\(name)': \(problem)") }
        guard case .object(let members) = entry else { throw fail("entry is not an object") }
        func field(_ key: String) throws(HeaderProblem) -> JSONValue {
            guard let value = members.last(where: { $0.key == key })?.value else { throw fail("missing \"\(key)\"") }
            return value
        }

        guard case .string(let dtypeName) = try field("dtype") else { throw fail("\"dtype\" is not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else { throw fail("unknown dtype \"\(dtypeName)\"") }

        guard case .array(let dims) = try field("shape") else { throw fail("\"shape\" is not an array") }
        let shape = try dims.map { (dim) throws(HeaderProblem) -> Int in
            guard case .number(let text) = dim, let n = Int(text) else { throw fail("shape entry \(dim) is not an integer") }
            guard n >= 0 else { throw fail("shape entry \(n) is negative") }
            return n
        }

        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              case .number(let beginText) = offsets[0], case .number(let endText) = offsets[1]
        else { throw fail("\"data_offsets\" is not an array of two integers") }
        guard let begin = Int(beginText), let end = Int(endText), begin >= 0, end >= 0 else {
            throw fail("data_offsets [\(beginText), \(endText)] are not non-negative integers")
        }
        guard begin <= end else { throw fail("data_offsets begin \(begin) > end \(end)") }
        guard end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] extend past the end of the \(dataSize)-byte data section")
        }

        var byteCount = dtype.byteSize
        for dim in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail("shape \(shape) of \(dtype.rawValue) overflows the byte count") }
            byteCount = product
        }
        guard byteCount == end - begin else {
            throw fail("shape \(shape) of \(dtype.rawValue) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Non-empty tensors must not share bytes.
    private func checkNoOverlap() throws(HeaderProblem) {
        let sorted = tensors.values.filter { !$0.byteRange.isEmpty }
            .sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw HeaderProblem("tensors '\(a.name)' \(a.byteRange) and '\(b.name)' \(b.byteRange) overlap")
        }
    }
}

/// A problem found in the header, before the file name is attached.
struct HeaderProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
