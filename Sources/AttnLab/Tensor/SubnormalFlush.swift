#if canImport(Glibc)
import Glibc
#endif

/// AttnLab computes with subnormal numbers flushed to zero (x86-64 MXCSR FTZ: subnormal results
/// become 0; DAZ: subnormal inputs read as 0), in every thread that runs its numerics: the thread
/// that creates a `Graph` and every part of a fork-join loop (`Parallel`, the attention's groups).
///
/// Why: a subnormal operand or result costs a microcode assist of about a hundred cycles on
/// Intel cores. Sharp attention makes them common: softmax probabilities e^(s − max) fall below
/// the smallest normal Float (2⁻¹²⁶ ≈ 1.2e-38) once a score is 87 below its row's maximum, and
/// their products with gradients follow. Measured on the study's MHA runs (ablation-base shape,
/// one thread): at lr 1.6e-2 the softmax took 19% and OpenBLAS's sgemm kernel 51% of the
/// samples, against 5% and 37% at lr 5e-4, and it ran about 2.3x slower; with the flush the
/// lr-1.6e-2 run took 1.39x less wall time, bit-identical (bench/README.md, "Subnormal numbers").
/// What is lost: values below 2⁻¹²⁶ (Float) or 2⁻¹⁰²² (Double), which change no sum that also
/// holds a normal-sized term by more than its rounding; runs stay a function of config, seed
/// and thread count, since every thread computes in the same mode.
///
/// OpenBLAS's own worker threads (created when the library loads, used only when one GEMM call is
/// split by OpenBLAS at train.threads > 1) keep the default mode; AttnLab's fork-join parts call
/// OpenBLAS single-threaded on their own, flushed threads. Other architectures: no change.
public enum SubnormalFlush {
    /// MXCSR bit 15 (FTZ) and bit 6 (DAZ).
    static let mxcsrBits: UInt32 = 0x8040

    /// Turns flushing on for the calling thread (a no-op when it is on already, or off x86-64).
    @inline(__always)
    public static func enableOnThisThread() {
        #if arch(x86_64) && canImport(Glibc)
        var env = fenv_t()
        fegetenv(&env)
        guard env.__mxcsr & mxcsrBits != mxcsrBits else { return }
        env.__mxcsr |= mxcsrBits
        fesetenv(&env)
        #endif
    }

    /// Whether the calling thread flushes subnormals (always false off x86-64).
    public static var isEnabledOnThisThread: Bool {
        #if arch(x86_64) && canImport(Glibc)
        var env = fenv_t()
        fegetenv(&env)
        return env.__mxcsr & mxcsrBits == mxcsrBits
        #else
        return false
        #endif
    }
}
