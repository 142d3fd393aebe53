import ArgumentParser
import AttnLab
import Foundation

/// `attnlab inspect RUN.h5`: what a run file holds, without training.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Summarise a run file: config, status, final losses, curve lengths, stability diagnostics.")
    @Argument(help: "A run file written by attnlab run.") var file: String
    @Flag(help: "Also print the resolved config.") var config = false

    func run() throws {
        let s = try RunRecord(path: file)
        let r = try RunReader(path: file)
        defer { try? r.close() }
        print("run:         \(s.experiment)/\(s.run)  (\(file))")
        print("status:      \(s.statusDescription)")
        print("started:     \(try r.attribute("start_time"))  commit \(try r.attribute("git_commit"))  host \(try r.attribute("host"))")
        print("BLAS:        \(try r.attribute("blas_core")), \(try r.intAttribute("threads")) worker threads")
        print("data:        \(try r.attribute("data"))")
        print("model:       \(s.attention), \(s.parameters) parameters, KV cache \(s.kvElementsPerToken) elements/token (\(s.kvElementsPerTokenPerLayer) per layer)")
        print("curves:      \(s.trainLoss.count) train steps, \(s.evalSteps.count) evaluations")
        if let l = s.finalTrainLoss { print("train loss:  \(fixed(l, 4)) (last step)") }
        print("validation:  format \(s.formatVersion), \(s.validationProtocol.description(evalWindows: [s.config.eval.windows]))")
        if let f = s.finalEvaluation {
            print("final eval:  step \(f.step), whole validation split: \(f.windows) windows, \(f.tokens) tokens")
        } else if s.validationProtocol == .windows {
            print("final eval:  none yet (written when the run finishes); values below are the last periodic evaluation")
        }
        for (k, v) in s.finalEval.sorted(by: { $0.key < $1.key }) { print("val \(k): " + fixed(v, 4)) }
        if let t = s.medianTokensPerSecond { print("throughput:  \(fixed(t, 0)) tokens/s (median step)") }
        if let c = try r.checkpoint() { print("checkpoint:  step \(c.state.step)") } else { print("checkpoint:  none") }
        for line in StabilitySummary.inspectLines(s) { print(line) }
        if config { print("\n" + s.configTOML) }
    }
}
