import Foundation

/// Progress on a long run: a redrawn status line on a terminal, plain periodic lines otherwise
/// (logs, CI). Written to standard error so standard output stays for results.
public struct ProgressReporter {
    let label: String
    let totalSteps: Int
    let every: Int
    let interactive: Bool

    public init(label: String, totalSteps: Int, every: Int) {
        self.label = label; self.totalSteps = totalSteps; self.every = max(every, 1)
        interactive = isatty(STDERR_FILENO) == 1
    }

    public func step(_ r: TrainRecord) {
        let remaining = Double(totalSteps - r.step) * r.elapsed / Double(max(r.step, 1))
        let line = String(format: "%@ step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %@",
                          label, r.step, totalSteps, r.loss, r.lr, r.tokensPerSecond, Self.clock(remaining))
        if interactive {
            let width = 24, done = width * r.step / max(totalSteps, 1)
            let bar = String(repeating: "#", count: done) + String(repeating: "-", count: width - done)
            FileHandle.standardError.write("\r\u{1B}[2K[\(bar)] \(line)".data(using: .utf8)!)
        } else if r.step % every == 0 || r.step == totalSteps {
            message(line)
        }
    }

    public func message(_ text: String) {
        FileHandle.standardError.write(((interactive ? "\r\u{1B}[2K" : "") + text + "\n").data(using: .utf8)!)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
