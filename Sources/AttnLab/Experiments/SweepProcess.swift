import Foundation
import Synchronization

/// One `attnlab run` child of a sweep.
struct SweepChild {
    let pid: pid_t

    /// Starts `executable` with `arguments`, standard output and error appended to `logPath`.
    /// The child gets its own process group: a terminal's Ctrl-C then reaches only the sweep,
    /// which forwards exactly one SIGINT. Reaching the child directly as well would count as the
    /// trainer's second Ctrl-C, which exits at once without a checkpoint.
    static func spawn(executable: String, arguments: [String], environment: [String: String], logPath: String) throws -> SweepChild {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let logFlags = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath, logFlags, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default and unblocked SIGINT/SIGTERM: a sweep started in the background inherits them
        // ignored, and one started by a test runner inherits them blocked; either way the
        // forwarded Ctrl-C would never reach the trainer.
        var stopSignals = sigset_t(), none = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &stopSignals)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw RunFileError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return SweepChild(pid: pid)
    }

    /// The exit code once the child has ended (128 + signal when killed), nil while it runs.
    func poll() -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    func interrupt() { kill(pid, SIGINT) }
}

/// Ctrl-C and SIGTERM for the sweep itself. The handler only counts (async-signal-safe); the
/// sweep loop forwards each new signal to its children, so a second Ctrl-C stops them at once
/// just as it would stop a single `attnlab run`.
enum SweepSignals {
    private static let count = Atomic<Int>(0)
    static var received: Int { count.load(ordering: .relaxed) }

    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in _ = SweepSignals.count.add(1, ordering: .relaxed) }
            sigaddset(&set, sig)
        }
        // Inherited blocked (e.g. from a test runner), the handler would never run.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// The path of the running executable, to start children from the same build as the sweep.
public func currentExecutablePath() -> String {
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), !exe.hasSuffix(" (deleted)") {
        return exe
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}
