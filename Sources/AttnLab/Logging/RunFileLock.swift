import Foundation

/// The guarantee that a run file has one writer: every path that writes a run file (`run`,
/// `run --resume`, `run --overwrite`, sweep children, a sweep moving a broken file aside) holds
/// this lock on it for as long as it writes, and a second writer is refused with the holder's
/// pid and host.
///
/// The lock is `flock(2)` on a hidden sidecar file, `.<run>.h5.lock` beside the run file, which
/// holds "pid P on HOST since TIME". The kernel drops the lock when the holder exits in any way,
/// SIGKILL included, so a stale lock cannot block anyone; the sidecar is removed on release.
/// (HDF5's own file lock cannot serve: a SWMR writer gives it up once SWMR writing starts.)
public final class RunFileLock {
    /// The run file this lock guards.
    public let runPath: String
    let lockPath: String
    private var fd: Int32

    private init(runPath: String, lockPath: String, fd: Int32) {
        self.runPath = runPath; self.lockPath = lockPath; self.fd = fd
    }

    deinit { release() }

    /// The sidecar's path for a run file: `dir/.name.lock` for `dir/name`.
    static func sidecarPath(for runPath: String) -> String {
        let url = URL(fileURLWithPath: runPath)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".lock").path
    }

    /// Takes the lock for `runPath` (the run file need not exist yet; its folder is created).
    ///
    /// - Throws: `RunFileError` naming the holder ("pid 123 on host h since ...") when another
    ///   process holds it, or the OS error when the sidecar cannot be created.
    public static func acquire(for runPath: String) throws -> RunFileLock {
        let lockPath = sidecarPath(for: runPath)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: runPath).deletingLastPathComponent(), withIntermediateDirectories: true)
        // A holder releasing between our open and flock unlinks the sidecar we opened; the
        // inode check below notices, and the loop opens the new one. Three rounds are plenty.
        for _ in 0..<3 {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw RunFileError("cannot create the lock file \(lockPath) for \(runPath): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let reason = errno
                let holder = readHolder(fd)
                close(fd)
                guard reason == EWOULDBLOCK else {
                    throw RunFileError("cannot lock \(lockPath) for \(runPath): \(String(cString: strerror(reason)))")
                }
                throw RunFileError("\(runPath) is being written by another attnlab process (\(holder.isEmpty ? "holder unknown" : holder)); one run file has one writer. Wait for it to finish, or stop it (Ctrl-C or kill PID: it checkpoints) and then resume")
            }
            var opened = stat(), named = stat()
            guard fstat(fd, &opened) == 0, stat(lockPath, &named) == 0,
                  opened.st_ino == named.st_ino, opened.st_dev == named.st_dev else {
                close(fd)
                continue
            }
            let host = ProcessInfo.processInfo.hostName
            let since = ISO8601DateFormatter().string(from: Date())
            let text = Array("pid \(getpid()) on \(host) since \(since)\n".utf8)
            guard ftruncate(fd, 0) == 0, text.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == text.count else {
                let reason = String(cString: strerror(errno))
                unlink(lockPath)
                close(fd)
                throw RunFileError("cannot write the lock file \(lockPath) for \(runPath): \(reason)")
            }
            return RunFileLock(runPath: runPath, lockPath: lockPath, fd: fd)
        }
        throw RunFileError("cannot lock \(runPath): its lock file \(lockPath) kept changing under concurrent writers; try again")
    }

    /// Who holds the lock on `runPath` ("pid 123 on host h since ..."), or nil when nobody does.
    /// Takes nothing: a shared probe that is released at once.
    public static func holder(of runPath: String) -> String? {
        let fd = open(sidecarPath(for: runPath), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let holder = readHolder(fd)
        return holder.isEmpty ? "holder unknown" : holder
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return "" }
        return String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the sidecar and drops the lock; idempotent. The sidecar is unlinked while the lock
    /// is still held, so nobody can take a lock on a name that is about to disappear.
    public func release() {
        guard fd >= 0 else { return }
        unlink(lockPath)
        close(fd)
        fd = -1
    }
}
