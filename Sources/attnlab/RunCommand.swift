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
    @Option(help: ArgumentHelp("With --index: train one line of a manifest written by `attnlab sweep NAME --manifest`.", valueName: "file"))
    var manifest: String?
    @Option(parsing: .unconditional, help: "With --manifest: the line to train (from 0); skipped if finished, resumed if interrupted.") var index: Int?
    @OptionGroup var experiments: ExperimentsOption
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Directory of downloaded corpora (attnlab data fetch).", valueName: "dir")) var dataDir = "data"

    func validate() throws {
        if let index { try checkOption("--index", index, in: 0...100_000_000) }
        if (manifest == nil) != (index == nil) { throw ValidationError(manifest == nil ? "--index needs --manifest" : "--manifest needs --index") }
        if resume != nil && overwrite {
            throw ValidationError("--resume continues the run in its file and --overwrite replaces it: give one of them")
        }
        if manifest != nil {
            let other = [(!only.isEmpty, "--run"), (resume != nil, "--resume"), (overwrite, "--overwrite")].filter(\.0).map(\.1)
            if let first = other.first { throw ValidationError("--manifest cannot be combined with \(first): the manifest line names the run and decides whether it resumes") }
        }
    }

    func run() throws {
        if let manifest, let index {
            StopRequest.install()
            let line = ManifestRun(manifestPath: manifest, index: index, experiment: name, experimentsDirectory: experiments.url,
                                   resultsDirectory: URL(fileURLWithPath: results), dataDirectory: dataDir, extraOverrides: overrides.values)
            // Unbuffered, so in a batch log these lines stay in order with the training progress on stderr.
            func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
            let result = try line.perform(out: say)
            switch result {
            case .finished: say("finished")
            case .skipped: say("skipped: already finished")
            case .interrupted: say("interrupted: run the line again to resume")
            case .diverged(let step): say("diverged at step \(step); not retried")
            case .failed(let reason): FileHandle.standardError.write(Data("error: \(reason)\n".utf8))
            }
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
            return
        }
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
