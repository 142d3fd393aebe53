import CHDF5
import CHDF5Shim
import Foundation

/// Serialises all HDF5 use in the process. Debian's build is thread-safe, but many builds
/// (Homebrew, source defaults) are not, and multi-call sequences such as "read extent, extend,
/// write" must not interleave on one file anyway.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// HDF5 normally closes every open file from an `atexit` handler. When a file could not be
    /// closed because its disk is full, that handler retries the failed flush and crashes
    /// (HDF5 1.10, signal 11), turning a clean error exit into a segfault. AttnLab closes its
    /// files itself, and a run file left open is safe on disk as of its last flush (it is
    /// written in SWMR mode for exactly that case), so the handler is switched off. This must
    /// happen before the first HDF5 call.
    private static let skipExitCleanup: Void = { _ = H5dont_atexit() }()

    static func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        skipExitCleanup
        // Thread-safe builds keep the automatic error printer per thread, so a one-time
        // silencing would only cover the thread that happened to do it.
        attnlab_h5_silence_errors()
        return try body()
    }
}
