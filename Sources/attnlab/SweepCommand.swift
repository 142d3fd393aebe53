import ArgumentParser
import AttnLab
import Foundation

/// `attnlab sweep NAME`: trains the runs of an experiment that are not finished yet, in parallel,
/// or hands them to another engine (`--manifest`, `--slurm`), or shows where they stand (`--status`).
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

            --manifest FILE writes the runs still to do (index, run, config hash) instead of training; \
            `attnlab run NAME --manifest FILE --index I` trains line I by the same rules. \
            --slurm writes results/NAME/slurm/N/ with that manifest and an sbatch job array over it \
            (--pack runs per task, threads from SLURM_CPUS_PER_TASK, one log per task); --submit also \
            runs sbatch and prints the job id. --status prints each run's state (finished, running, \
            interrupted, diverged, failed, missing) from the run files, and from squeue/sacct for \
            submitted jobs.
            """)

    @Argument(help: "Experiment name: NAME.toml in the experiments directory.") var name: String
    @Option(parsing: .unconditional, help: "Runs trained at the same time (default 1).") var jobs: Int?
    @OptionGroup var overrides: OverridesOption
    @OptionGroup var experiments: ExperimentsOption
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Directory of downloaded corpora (attnlab data fetch).", valueName: "dir")) var dataDir = "data"

    @Option(help: ArgumentHelp("Write the runs still to do to this file instead of training them.", valueName: "file"))
    var manifest: String?
    @Flag(help: "Write an sbatch job array over the runs still to do (results/NAME/slurm/N/).") var slurm = false
    @Flag(help: "With --slurm: submit the script with sbatch and print the job id.") var submit = false
    @Flag(help: "Print each run's state instead of training.") var status = false
    @Option(help: ArgumentHelp("With --slurm: partition (sbatch --partition).", valueName: "name")) var partition: String?
    @Option(help: ArgumentHelp("With --slurm: time limit per array task.", valueName: "[D-]HH:MM:SS")) var time: SlurmTimeLimit?
    @Option(parsing: .unconditional, help: "With --slurm: CPUs per array task; each run uses that many threads (default 1).") var cpusPerTask: Int?
    @Option(help: ArgumentHelp("With --slurm: memory per task, e.g. 2G (sbatch --mem).", valueName: "size[K|M|G|T]")) var mem: SlurmMemory?
    @Option(parsing: .unconditional, help: "With --slurm: runs per array task, run one after another (default 1).") var pack: Int?
    @Option(parsing: .unconditional, help: "With --slurm: at most this many array tasks at once (--array=0-N%LIMIT).") var arrayLimit: Int?

    func validate() throws {
        if let jobs { try checkOption("--jobs", jobs, in: 1...1024) }
        if let cpusPerTask { try checkOption("--cpus-per-task", cpusPerTask, in: 1...1024) }
        if let pack { try checkOption("--pack", pack, in: 1...1_000_000) }
        if let arrayLimit { try checkOption("--array-limit", arrayLimit, in: 1...1_000_000) }
        if let partition {
            try checkOption("--partition", partition, SlurmJobOptions.isValidPartition(partition),
                            expected: "a partition name (letters, digits, _ - . and commas)")
        }
        let modes = [(manifest != nil, "--manifest"), (slurm, "--slurm"), (status, "--status")].filter(\.0).map(\.1)
        if modes.count > 1 { throw ValidationError("\(modes.joined(separator: " and ")) cannot be combined") }
        if jobs != nil && !modes.isEmpty { throw ValidationError("--jobs applies to a local sweep, not to \(modes[0])") }
        let slurmOnly = [(submit, "--submit"), (partition != nil, "--partition"), (time != nil, "--time"),
                         (cpusPerTask != nil, "--cpus-per-task"), (mem != nil, "--mem"), (pack != nil, "--pack"),
                         (arrayLimit != nil, "--array-limit")].filter(\.0).map(\.1)
        if !slurm, let first = slurmOnly.first { throw ValidationError("\(first) needs --slurm") }
    }

    func run() throws {
        let resultsURL = URL(fileURLWithPath: results)
        if status {
            let experiment = try loadExperiment(name: name, directory: experiments.url, overrides: overrides.values)
            print(SweepStatusReport(experiment: experiment, resultsDirectory: resultsURL).text, terminator: "")
        } else if let manifest {
            let experiment = try loadExperiment(name: name, directory: experiments.url, overrides: overrides.values)
            let plan = planExperimentRuns(experiment, resultsDirectory: resultsURL)
            let m = try RunManifest(experiment: experiment, plan: plan, overrides: overrides.values)
            try m.write(to: manifest)
            print("manifest: \(manifest): \(m.entries.count) of \(plan.count) runs to do\(planNotes(plan))")
        } else if slurm {
            try runSlurm(resultsURL)
        } else {
            let options = SweepOptions(
                experiment: name, experimentsDirectory: experiments.url,
                resultsDirectory: resultsURL, dataDirectory: dataDir, overrides: overrides.values, jobs: jobs ?? 1)
            // Written unbuffered: the lines are progress, and a pipe would otherwise hold them back.
            let report = try runSweep(options) { line in FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!) }
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        }
    }

    private func runSlurm(_ resultsURL: URL) throws {
        let experiment = try loadExperiment(name: name, directory: experiments.url, overrides: overrides.values)
        let plan = planExperimentRuns(experiment, resultsDirectory: resultsURL)
        let options = SlurmJobOptions(partition: partition, time: time, cpusPerTask: cpusPerTask ?? 1, memory: mem,
                                      pack: pack ?? 1, arrayLimit: arrayLimit)
        guard var submission = try SlurmSubmission.prepare(
            experiment: experiment, plan: plan, overrides: overrides.values, options: options, resultsDirectory: resultsURL,
            experimentsDirectory: experiments.url, dataDirectory: dataDir, executable: currentExecutablePath()) else {
            print("nothing to submit: none of the \(plan.count) runs of \(experiment.name) is left to do\(planNotes(plan))")
            return
        }
        print("manifest: \(submission.manifestPath): \(submission.manifest.entries.count) of \(plan.count) runs to do\(planNotes(plan))")
        print("script: \(submission.scriptPath): array \(submission.array.arraySpec(limit: options.arrayLimit)), \(submission.array.taskCount) task\(submission.array.taskCount == 1 ? "" : "s") of up to \(options.pack) run\(options.pack == 1 ? "" : "s"), logs \(submission.directory.path)/task-N.log")
        if submit {
            let id = try submission.submit()
            print("submitted: job \(id)")
        }
    }
}

/// `; skipped: 2 finished, 1 diverged` for the runs a manifest leaves out, or "".
private func planNotes(_ plan: [SweepPlanEntry]) -> String {
    let finished = plan.filter { $0.action == .skip }.count
    let diverged = plan.filter { if case .diverged = $0.action { true } else { false } }.count
    let parts = [(finished, "finished"), (diverged, "diverged (not retried)")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
    return parts.isEmpty ? "" : "; left out: " + parts.joined(separator: ", ")
}
