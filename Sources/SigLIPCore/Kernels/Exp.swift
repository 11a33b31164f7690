import CKernels

extension Kernels {
    /// e^x[i] with the kernels' vector exp (CKernels, at the `InstructionSet` selected):
    /// relative error ≤ 2e-7 over [-80, 88.7]; exactly 0 below -80, never a subnormal number;
    /// clamped above; NaN for NaN. x, y: [n]; y may be x.
    public static func exp(_ x: UnsafePointer<Float>, out y: UnsafeMutablePointer<Float>, count n: Int,
                           isa: InstructionSet = .selected) {
        let level = Int32(isa.rawValue)
        forEachChunk(n, costPerItem: 12) { start, count in ck_exp(level, x + start, y + start, count) }
    }
}
