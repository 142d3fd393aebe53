import CBLAS

/// Control over OpenBLAS's own thread pool. Ops that parallelise across independent GEMMs
/// themselves must keep each GEMM on one thread, otherwise both levels compete for the same cores.
public enum BLASThreads {
    /// Threads OpenBLAS currently uses for one call.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS limited to one thread per call, then restores the previous count.
    /// The setting is process-wide, so callers must not overlap with other multithreaded BLAS users.
    public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        if previous == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }
}
