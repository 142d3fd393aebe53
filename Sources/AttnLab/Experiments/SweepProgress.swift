import Foundation

/// Seconds until the sweep is done, estimated from the wall times of runs finished in this sweep:
/// each pending run takes their mean, each running one the rest of the mean, shared over `jobs`
/// slots. Nil until a run has finished (nothing to estimate from).
public func sweepETA(finishedDurations: [Double], runningElapsed: [Double], pending: Int, jobs: Int) -> Double? {
    guard !finishedDurations.isEmpty else { return nil }
    let mean = finishedDurations.reduce(0, +) / Double(finishedDurations.count)
    let work = Double(pending) * mean + runningElapsed.reduce(0) { $0 + max(0, mean - $1) }
    let slots = max(1, min(jobs, pending + runningElapsed.count))
    return work / Double(slots)
}

/// `m:ss`, or `h:mm:ss` from an hour on.
public func sweepClock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

/// The final evaluation as `val loss 2.3456  val accuracy 0.91`, loss first.
func sweepEvalText(_ eval: [String: Double]) -> String {
    let keys = eval.keys.sorted { a, b in a == "loss" || (b != "loss" && a < b) }
    return keys.map { String(format: "val %@ %.4f", $0.replacingOccurrences(of: "_", with: " "), eval[$0]!) }.joined(separator: "  ")
}

extension SweepAction {
    /// How the plan line describes the action.
    var planText: String {
        switch self {
        case .train: "train"
        case .skip: "skip (finished)"
        case .resume(let step, _): "resume from the checkpoint at step \(step)"
        case .restart(let aside, let reason): "restart: \(reason); old file kept as \(aside)"
        case .diverged(let step): "diverged at step \(step); not retried"
        case .conflict(let why): "error: \(why)"
        }
    }
}
