import CHDF5
import CHDF5Shim
import Foundation

/// Serialises all HDF5 use in the process. Debian's build is thread-safe, but many builds
/// (Homebrew, source defaults) are not, and multi-call sequences such as "read extent, extend,
/// write" must not interleave on one file anyway.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    static func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        // Thread-safe builds keep the automatic error printer per thread, so a one-time
        // silencing would only cover the thread that happened to do it.
        attnlab_h5_silence_errors()
        return try body()
    }
}
