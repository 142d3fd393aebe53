import CBLAS
import Synchronization

/// Control over OpenBLAS's own thread pool. Ops that parallelise across independent GEMMs
/// themselves must keep each GEMM on one thread, otherwise both levels compete for the same cores.
public enum BLASThreads {
    /// Open single-thread scopes, and the count to restore when the last one closes. The OpenBLAS
    /// setting is process-wide, so overlapping scopes on different threads share one restore.
    private static let scopes = Mutex<(depth: Int, saved: Int32)>((0, 1))

    /// Sets the threads OpenBLAS uses for one call (outside single-thread scopes).
    public static func setCount(_ n: Int) {
        scopes.withLock { state in
            if state.depth == 0 { openblas_set_num_threads(Int32(max(n, 1))) } else { state.saved = Int32(max(n, 1)) }
        }
    }

    /// Threads OpenBLAS currently uses for one call.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS limited to one thread per call, then restores the previous count.
    public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        scopes.withLock { state in
            if state.depth == 0 {
                state.saved = openblas_get_num_threads()
                if state.saved != 1 { openblas_set_num_threads(1) }
            }
            state.depth += 1
        }
        defer {
            scopes.withLock { state in
                state.depth -= 1
                if state.depth == 0 && state.saved != 1 { openblas_set_num_threads(state.saved) }
            }
        }
        return try body()
    }
}
