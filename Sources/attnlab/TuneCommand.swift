import ArgumentParser
import AttnLab
import Foundation

/// `attnlab tune NAME`: per-variant learning-rate tuning from the experiment's `[tune]` table.
/// Parsing only; generating, sweeping, fitting and writing live in the library.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune each variant's learning rate: train the [tune] grid, fit, and write the tuned experiment.",
        discussion: """
            Writes experiments/NAME-tune.toml (NAME's variants at every lr of its [tune] table, at the tuning \
            budget and seeds), trains it like `attnlab sweep` (finished runs are skipped, interrupted ones \
            resumed), fits a parabola in ln(lr) to each variant's final validation loss, writes \
            results/NAME-tune.md, .json and -lr.svg, and writes experiments/NAME-tuned.toml with each variant \
            at its chosen lr. Train that with `attnlab sweep NAME-tuned` and report it with \
            `attnlab report NAME-tuned`. A generated file that differs from what would be written is \
            replaced only with --force.
            """)

    @Argument(help: "Experiment name: NAME.toml in the experiments directory, with a [tune] table.") var name: String
    @Option(help: "Tuning runs trained at the same time (default 1).") var jobs: Int?
    @OptionGroup var experiments: ExperimentsOption
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Directory of downloaded corpora (attnlab data fetch).", valueName: "dir")) var dataDir = "data"
    @Flag(help: "Replace generated experiment files (NAME-tune.toml, NAME-tuned.toml) that differ.") var force = false

    func validate() throws {
        if let jobs { try checkOption("--jobs", jobs, in: 1...1024) }
    }

    func run() throws {
        let options = TuneOptions(experiment: name, experimentsDirectory: experiments.url,
                                  resultsDirectory: URL(fileURLWithPath: results), dataDirectory: dataDir,
                                  jobs: jobs ?? 1, force: force)
        // Written unbuffered: the lines are progress, and a pipe would otherwise hold them back.
        let outcome = try runLearningRateTuning(options) { line in FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!) }
        if let unreadable = outcome.reportPaths?.unreadable { try failIfUnreadable(unreadable) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
