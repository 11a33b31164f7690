/// Reading the EXIF orientation tag (0x0112) of a JPEG file.
enum EXIF {
    /// The orientation in the first APP1 "Exif" segment before the first scan, or `.up`.
    /// Never traps: every read is bounds-checked and malformed metadata is ignored.
    static func jpegOrientation(_ bytes: UnsafeRawBufferPointer) -> ExifOrientation {
        var position = 2  // after SOI
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return .up }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { position += 2; continue }  // no length
            if marker == 0xDA || marker == 0xD9 { return .up }  // first scan or end: no more metadata
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            guard length >= 2, position + 2 + length <= bytes.count else { return .up }
            let segment = UnsafeRawBufferPointer(rebasing: bytes[(position + 4)..<(position + 2 + length)])
            if marker == 0xE1, segment.count >= 6, segment.prefix(6).elementsEqual("Exif\0\0".utf8) {
                let tiff = UnsafeRawBufferPointer(rebasing: segment[6...])
                return ExifOrientation(rawValue: tiffOrientation(tiff) ?? 1) ?? .up
            }
            position += 2 + length
        }
        return .up
    }

    /// The value of tag 0x0112 in IFD0 of a TIFF structure, if present and well-formed.
    static func tiffOrientation(_ tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return littleEndian ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return littleEndian ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for index in 0..<count {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            guard tag == 0x0112 else { continue }
            switch type {
            case 3: return u16(entry + 8)   // SHORT
            case 4: return u32(entry + 8)   // LONG
            default: return nil
            }
        }
        return nil
    }
}
