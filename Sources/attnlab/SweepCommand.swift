import ArgumentParser
import AttnLab
import Foundation

/// `attnlab sweep NAME`: trains the runs of an experiment that are not finished yet, in parallel.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train an experiment's unfinished runs in parallel child processes; re-running completes only what is missing.",
        discussion: """
            Each run is an `attnlab run NAME --run RUN` child with its output in results/NAME/RUN.log and \
            --set train.threads=max(1, cores/jobs) unless --set gives train.threads. Finished runs with the \
            same config are skipped (train.threads aside); interrupted or killed runs resume from their \
            checkpoint with the thread count they were written with; one without a checkpoint is renamed \
            to RUN.h5.incomplete-N and restarted. Diverged runs are reported, not retried. A file written \
            by a different config stops the sweep before anything trains. Ctrl-C stops the children after \
            their next step with a checkpoint and exits 130; a second Ctrl-C stops them at once.
            """)

    @Argument(help: "Experiment name: NAME.toml in the experiments directory.") var name: String
    @Option(help: "Runs trained at the same time.") var jobs = 1
    @OptionGroup var overrides: OverridesOption
    @OptionGroup var experiments: ExperimentsOption
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Directory of downloaded corpora (attnlab data fetch).", valueName: "dir")) var dataDir = "data"

    func validate() throws {
        try checkOption("--jobs", jobs, in: 1...1024)
    }

    func run() throws {
        let options = SweepOptions(
            experiment: name, experimentsDirectory: experiments.url,
            resultsDirectory: URL(fileURLWithPath: results), dataDirectory: dataDir, overrides: overrides.values, jobs: jobs)
        // Written unbuffered: the lines are progress, and a pipe would otherwise hold them back.
        let report = try runSweep(options) { line in FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!) }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
