import ArgumentParser
import AttnLab

/// `attnlab show NAME`: what would be trained, exactly, without training it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print each run of an experiment with its fully resolved config.")

    @Argument(help: "Experiment name: NAME.toml in the experiments directory.")
    var name: String

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override a key in every run (after variants and grid), e.g. --set train.steps=100.",
            valueName: "key.path=value"))
    var overrides: [String] = []

    @Option(
        name: .customLong("experiments"),
        help: ArgumentHelp("Experiments directory (default: $ATTNLAB_EXPERIMENTS, else ./experiments).",
            valueName: "dir"))
    var experimentsDir: String?

    func run() throws {
        let experiment = try loadExperiment(
            name: name, directory: experimentsDirectory(option: experimentsDir), overrides: overrides)
        for (i, run) in experiment.runs.enumerated() {
            if i > 0 { print("") }
            print("=== \(experiment.name)/\(run.name) ===")
            print(run.resolvedTOML, terminator: "")
        }
    }
}
