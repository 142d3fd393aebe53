import Foundation

/// Reads what `planSweep` needs from the file at `path`, comparing its stored config with `config`.
public func sweepFileState(path: String, config: ExperimentConfig) -> SweepFileState {
    guard FileManager.default.fileExists(atPath: path) else { return .missing }
    let live = fileHasLiveWriter(path)
    do {
        let reader = try RunReader(path: path)
        defer { try? reader.close() }
        let stored = try ExperimentConfig(resolvedTOML: try reader.configTOML, source: path)
        let (status, step) = try reader.status()
        return .present(SweepFileFacts(
            status: status, step: step, checkpointStep: try reader.checkpoint()?.state.step,
            configMatches: sameRunConfig(stored, config), liveWriter: live, storedThreads: stored.train.threads))
    } catch {
        return .unreadable(reason: "\(error)", liveWriter: live)
    }
}

/// Whether any process has `path` open for writing, found through /proc/PID/fd and fdinfo.
/// A SWMR writer leaves /status at "running" both while it lives and after it is killed, so only
/// the open descriptor tells them apart. Readers (a notebook following the run) open read-only
/// and do not count. Processes of other users are not visible, which is fine: run files belong
/// to the user sweeping them.
public func fileHasLiveWriter(_ path: String) -> Bool {
    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
    for pid in pids where pid.allSatisfy(\.isNumber) {
        let fdDir = "/proc/\(pid)/fd"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdDir) else { continue }
        for fd in fds {
            guard let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\(fd)"), dest == target else { continue }
            if openForWriting(fdinfo: "/proc/\(pid)/fdinfo/\(fd)") { return true }
        }
    }
    return false
}

/// fdinfo's `flags:` line is the open(2) flags in octal; the low two bits are the access mode.
private func openForWriting(fdinfo: String) -> Bool {
    guard let text = try? String(contentsOfFile: fdinfo, encoding: .utf8) else { return false }
    for line in text.split(separator: "\n") where line.hasPrefix("flags:") {
        guard let flags = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) else { return false }
        return flags & Int(O_ACCMODE) != Int(O_RDONLY)
    }
    return false
}

/// Renames a run file that cannot be resumed to `asideName` in the same folder. Never replaces
/// an existing file: `rename(2)` would, so the destination is checked with `link(2)`, which fails
/// when it exists, and the original name is unlinked only after the link succeeded.
public func moveRunFileAside(path: String, asideName: String) throws -> String {
    let dest = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(asideName).path
    guard link(path, dest) == 0 else {
        throw RunFileError("cannot move \(path) aside to \(dest): \(String(cString: strerror(errno)))")
    }
    guard unlink(path) == 0 else {
        throw RunFileError("moved \(path) to \(dest) but cannot remove the old name: \(String(cString: strerror(errno)))")
    }
    return dest
}
