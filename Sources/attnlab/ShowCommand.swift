import ArgumentParser
import AttnLab

/// `attnlab show NAME`: what would be trained, exactly, without training it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print each run of an experiment with its fully resolved config.")

    @Argument(help: "Experiment name: NAME.toml in the experiments directory.")
    var name: String

    @OptionGroup var overrides: OverridesOption

    @OptionGroup var experiments: ExperimentsOption

    func run() throws {
        let experiment = try loadExperiment(
            name: name, directory: experiments.url, overrides: overrides.values)
        if let tuning = experiment.tuning {
            print("# [tune] (attnlab tune \(experiment.name); not part of any run's config): \(tuning.summary)\n")
        }
        for (i, run) in experiment.runs.enumerated() {
            if i > 0 { print("") }
            print("=== \(experiment.name)/\(run.name) ===")
            print("# memory estimate: \(MemoryEstimate(run.config).summary)")
            print(run.resolvedTOML, terminator: "")
        }
    }
}
