import CBLAS
import Foundation

/// Which of OpenBLAS's kernel sets runs our GEMMs.
///
/// Debian 12's OpenBLAS 0.3.21 is built for many CPUs (DYNAMIC_ARCH) and picks its kernels by
/// CPU model. It does not know recent Xeons (e.g. Sapphire Rapids) and falls back to its SSE3
/// "Prescott" kernels, 3-5× slower than the AVX-512 "SkylakeX" ones on the same machine
/// (measured here: 62 vs 209 GFLOP/s on 2 threads). When that happens, `upgradeIfMisdetected()`
/// switches OpenBLAS to the best kernels the CPU supports, through OpenBLAS's own run-time
/// selection (`gotoblas_dynamic_init`, as with `OPENBLAS_CORETYPE`). The kernel twin and
/// reference-parity tests pass under every kernel set.
public enum BLASKernels {
    /// The kernel set OpenBLAS uses now (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        guard let f = symbol("openblas_get_corename", as: (@convention(c) () -> UnsafePointer<CChar>?).self),
              let name = f() else { return "unknown" }
        return String(cString: name)
    }

    /// The best kernel set this CPU supports among those we trust, or nil.
    public static var bestSupported: String? {
        if siglip_cpu_has_avx512() != 0 { return "SkylakeX" }
        if siglip_cpu_has_avx2_fma() != 0 { return "Haswell" }
        return nil
    }

    /// Switches to `bestSupported` when OpenBLAS fell back to its generic kernels. Returns the
    /// kernel set in use afterwards. Safe to call more than once; call before other threads
    /// use BLAS.
    @discardableResult
    public static func upgradeIfMisdetected() -> String {
        upgradeOnce
        return coreName
    }

    /// `upgradeIfMisdetected()` without asking for the kernel set's name: for every GEMM. (The
    /// name is looked up through `dlopen`, which takes the dynamic loader's lock: asked on
    /// every call, as it once was, two threads' GEMMs queued on that lock some 9,000 times
    /// per Ti/16 training step, each time through a futex.)
    @inline(__always)
    static func ensureUpgraded() { upgradeOnce }

    private static let upgradeOnce: Void = {
        openblas_set_num_threads(1)   // `gemm` splits large products over our own threads
        let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine", "Northwood", "Banias"]
        guard generic.contains(coreName), let target = bestSupported else { return }
        force(target)
    }()

    /// Makes OpenBLAS use the kernels of an AVX2-only CPU when our kernels are held to AVX2 (so a
    /// machine with AVX-512 measures what an AVX2 machine runs); other levels leave it as it is.
    public static func match(_ level: InstructionSet) {
        upgradeOnce
        if level == .avx2, siglip_cpu_has_avx2_fma() != 0 { force("Haswell") }
    }

    /// Makes OpenBLAS use the named kernel set (a name `OPENBLAS_CORETYPE` accepts).
    /// Does nothing on an OpenBLAS built without run-time kernel selection.
    public static func force(_ name: String) {
        typealias Hook = @convention(c) () -> Void
        guard let quit = symbol("gotoblas_dynamic_quit", as: Hook.self),
              let initialize = symbol("gotoblas_dynamic_init", as: Hook.self) else { return }
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", name, 1)
        quit()
        initialize()
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
    }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
}
