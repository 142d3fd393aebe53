import ArgumentParser
import AttnLab
import Foundation

/// `attnlab run NAME`: trains every run of a named experiment and records each in an HDF5 file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train the runs of a named experiment; one HDF5 file per run under results/NAME/.",
        discussion: """
            Ctrl-C or SIGTERM stops at the next step boundary after writing a checkpoint (exit 130); \
            continue with --resume FILE. A run whose loss or gradients become NaN/Inf is recorded as \
            diverged (exit 1). Existing result files are never overwritten unless --overwrite is given.
            """)

    @Argument(help: "Experiment name: NAME.toml in the experiments directory.") var name: String
    @OptionGroup var overrides: OverridesOption
    @Option(name: .customLong("run"), help: "Train only this run (repeatable).") var only: [String] = []
    @Option(help: ArgumentHelp("Continue the interrupted run recorded in this file.", valueName: "RUN.h5")) var resume: String?
    @Flag(help: "Replace existing result files of the selected runs.") var overwrite = false
    @OptionGroup var experiments: ExperimentsOption
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Directory of downloaded corpora (attnlab data fetch).", valueName: "dir")) var dataDir = "data"

    func run() throws {
        let experiment = try loadExperiment(name: name, directory: experiments.url, overrides: overrides.values)
        StopRequest.install()
        let resultsURL = URL(fileURLWithPath: results)
        let outcomes = try runExperiment(experiment, resultsDirectory: resultsURL, overwrite: overwrite, resumePath: resume,
                                         only: only, dataDirectory: dataDir)
        let summaries = try outcomes.map { try RunRecord(path: $0.path) }
        print(summaryMarkdown(summaries, title: "\(experiment.name): \(experiment.description)"), terminator: "")
        if let bad = outcomes.first(where: { $0.status != .finished }) {
            throw ExitCode(bad.status == .interrupted ? 130 : 1)
        }
        if resume == nil && only.isEmpty {
            let table = try writeExperimentSummary(experiment: experiment.name, resultsDirectory: resultsURL)
            print("\ntable: \(table.path)")
            try failIfUnreadable(table.unreadable)
        }
    }
}
