import Foundation

/// `attnlab inspect`: what a run file holds, as lines of text, read without training.
public enum RunInspection {
    /// The inspect lines of the run file at `path`; with `config`, the resolved config after them.
    ///
    /// - Throws: `RunFileError` (or the HDF5 layer's error) when the file cannot be read.
    public static func lines(path: String, config: Bool) throws -> [String] {
        let s = try RunRecord(path: path)
        let r = try RunReader(path: path)
        defer { try? r.close() }
        var lines = [
            "run:         \(s.experiment)/\(s.run)  (\(path))",
            "status:      \(s.statusDescription)",
            "started:     \(try r.attribute("start_time"))  commit \(try r.attribute("git_commit"))  host \(try r.attribute("host"))",
        ]
        lines += try r.resumes().map { "resumed:     " + $0 }
        lines += [
            "BLAS:        \(try r.attribute("blas_core")), \(try r.intAttribute("threads")) worker threads",
            "data:        \(try r.attribute("data"))",
            "model:       \(s.attention), \(s.parameters) parameters, KV cache \(s.kvElementsPerToken) elements/token (\(s.kvElementsPerTokenPerLayer) per layer)",
            "curves:      \(s.trainLoss.count) train steps, \(s.evalSteps.count) evaluations",
        ]
        if let l = s.finalTrainLoss { lines.append("train loss:  \(fixed(l, 4)) (last step)") }
        lines.append("validation:  format \(s.formatVersion), \(s.validationProtocol.description(evalWindows: [s.config.eval.windows]))")
        lines += evaluationLines(s)
        if let t = s.medianTokensPerSecond { lines.append("throughput:  \(fixed(t, 0)) tokens/s (median step)") }
        if let c = try r.checkpoint() {
            let place = try r.checkpointSlotsInRunFile() ? "" : " (weights in \(RunCheckpointFile.path(for: r.path)))"
            lines.append("checkpoint:  step \(c.state.step)" + place)
        } else {
            lines.append("checkpoint:  none (" + (try r.noCheckpointReason()) + ")")
        }
        lines += StabilitySummary.inspectLines(s)
        if config { lines += ["", s.configTOML] }
        return lines
    }

    /// The final evaluation, or why there is none and the last periodic one; `loss` first, then
    /// the other eval columns by name.
    static func evaluationLines(_ s: RunRecord) -> [String] {
        var lines: [String] = []
        let values: [String: Double]
        if let f = s.finalEvaluation {
            lines.append("final eval:  step \(f.step), whole validation split: \(f.windows) windows, \(f.tokens) tokens")
            values = f.values
        } else {
            values = s.eval.compactMapValues(\.last)
            let last = s.evalSteps.last.map { "values below are the last periodic evaluation (step \($0))" }
            switch s.status {
            case .diverged:
                lines.append("final eval:  none: the run diverged at step \(s.step) and will not finish; "
                             + (last ?? "it has no periodic evaluation"))
            case .running, .interrupted:
                lines.append("final eval:  none yet (written when the run finishes); " + (last ?? "no periodic evaluation yet"))
            case .finished:
                if s.validationProtocol == .windows {
                    lines.append("final eval:  none in this file; " + (last ?? "it has no periodic evaluation"))
                }
            }
        }
        let names = values.keys.sorted { ($0 == "loss" ? 0 : 1, $0) < ($1 == "loss" ? 0 : 1, $1) }
        return lines + names.map { "val \($0): " + fixed(values[$0]!, 4) }
    }
}
