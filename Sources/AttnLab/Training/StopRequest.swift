import Foundation
import Synchronization

/// Ctrl-C and SIGTERM ask a run to stop at the next step boundary (after writing a checkpoint);
/// a second Ctrl-C exits at once.
public enum StopRequest {
    private static let flag = Atomic<Int>(0)

    public static var isRequested: Bool { flag.load(ordering: .relaxed) != 0 }

    /// Installs the handlers. The handler only stores to an atomic (async-signal-safe).
    public static func install() {
        // A parent may have started us with these signals blocked (test runners do); unblock
        // them, or Ctrl-C would never arrive.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { s in
                guard StopRequest.flag.exchange(1, ordering: .relaxed) != 0 else { return }
                // write(2) and _exit(2) only: both are async-signal-safe.
                StopRequest.secondSignalMessage.withUTF8Buffer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
                _exit(128 + s)
            }
        }
        watchSweepParent()
    }

    /// What a second Ctrl-C (or SIGTERM) prints before it ends the process at once.
    static let secondSignalMessage: StaticString = """

        attnlab: stopped at once by a second interrupt, without a checkpoint: run files keep every step up to their last flush and their last checkpoint; `attnlab sweep` resumes each from its last checkpoint and restarts a run that has none

        """

    /// The environment variable through which `attnlab sweep` tells its children its pid.
    public static let sweepParentVariable = "ATTNLAB_SWEEP_PARENT_PID"

    /// A sweep's child stops like on Ctrl-C (checkpoint, exit 130) once its sweep is gone: killed
    /// with SIGKILL, the sweep cannot forward a stop, and its children would otherwise train on as
    /// orphans, holding their run files' locks against the next sweep. Checked once a second.
    static func watchSweepParent() {
        guard let text = ProcessInfo.processInfo.environment[sweepParentVariable], let parent = pid_t(text), parent > 1 else { return }
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            kill(getpid(), SIGINT)
        }
    }

}
