import Foundation

/// What `attnlab tune NAME` was asked to do.
public struct TuneOptions: Sendable {
    public var experiment: String
    public var experimentsDirectory: URL
    public var resultsDirectory: URL
    public var dataDirectory: String
    /// Tuning runs trained at the same time.
    public var jobs: Int
    /// Replace generated experiment files that differ from what would be generated.
    public var force: Bool
    /// The `attnlab` executable the sweep's children run.
    public var executable: String
    public var cores: Int

    public init(experiment: String, experimentsDirectory: URL, resultsDirectory: URL, dataDirectory: String = "data",
                jobs: Int = 1, force: Bool = false, executable: String = currentExecutablePath(),
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.experiment = experiment; self.experimentsDirectory = experimentsDirectory
        self.resultsDirectory = resultsDirectory; self.dataDirectory = dataDirectory; self.jobs = jobs
        self.force = force; self.executable = executable; self.cores = cores
    }
}

/// How `attnlab tune` ended.
public struct TuneOutcome: Sendable {
    /// The sweep of the tuning runs.
    public var sweep: SweepReport
    /// `experiments/NAME-tune.toml`.
    public var tuningExperimentPath: String
    /// Nil when the sweep was stopped (Ctrl-C) before the fit.
    public var tuning: LearningRateTuningReport?
    public var reportPaths: TuningReportPaths?
    /// `experiments/NAME-tuned.toml`, once written.
    public var tunedExperimentPath: String?
    /// 0, 1 (a tuning run failed or diverged; the fit went ahead without it) or 130 (Ctrl-C).
    public var exitCode: Int32 { sweep.exitCode }
}

/// `attnlab tune NAME`: writes the tuning experiment `NAME-tune` from NAME's `[tune]` table,
/// trains its runs with `runSweep` (resumable, parallel), fits each variant's final validation
/// loss against ln(lr) (`LearningRateFit`), writes `<results>/NAME-tune.md`, `.json` and
/// `-lr.svg`, and writes the tuned experiment `NAME-tuned` whose variants run at their own lr.
/// Running it again trains nothing that is finished and writes identical files.
///
/// - Throws: `ExperimentError` for a missing or bad `[tune]` table, or a generated file that was
///   changed (without `force`); `RunFileError` when no tuning run can be read.
public func runLearningRateTuning(_ options: TuneOptions, out: (String) -> Void) throws -> TuneOutcome {
    let experiment = try loadExperiment(name: options.experiment, directory: options.experimentsDirectory)
    let tuneText = try experiment.tuningExperimentTOML()
    let tunePath = options.experimentsDirectory.appendingPathComponent(experiment.tuningExperimentName + ".toml").path
    try writeGeneratedExperiment(tuneText, to: tunePath, force: options.force, out: out)

    let sweep = try runSweep(SweepOptions(
        experiment: experiment.tuningExperimentName, experimentsDirectory: options.experimentsDirectory,
        resultsDirectory: options.resultsDirectory, dataDirectory: options.dataDirectory, jobs: options.jobs,
        executable: options.executable, cores: options.cores), out: out)
    var outcome = TuneOutcome(sweep: sweep, tuningExperimentPath: tunePath)
    guard !sweep.stoppedBySignal, !sweep.plan.contains(where: { if case .conflict = $0.action { true } else { false } }) else {
        out("tune \(experiment.name): stopped before the fit; run `attnlab tune \(experiment.name)` again to finish")
        return outcome
    }

    let (tuning, paths) = try writeLearningRateTuningReport(experiment: experiment.tuningExperimentName,
                                                            resultsDirectory: options.resultsDirectory)
    outcome.tuning = tuning
    outcome.reportPaths = paths
    let choices = tuning.variants.compactMap { v -> TunedLearningRate? in
        guard let lr = v.fit.chosen else { return nil }
        return TunedLearningRate(variant: experiment.runs.contains { $0.variant == v.variant } ? v.variant : nil,
                                 lr: lr, notes: tuningNotes(v))
    }
    out("")
    for v in tuning.variants {
        out("lr \(v.variant): " + (v.fit.chosen.map(LearningRateTuningReport.format) ?? "none")
            + (v.fit.flag.map { " (\($0.rawValue): best grid point)" } ?? " (fitted optimum)"))
    }
    let tunedPath = options.experimentsDirectory.appendingPathComponent(experiment.tunedExperimentName + ".toml").path
    try writeGeneratedExperiment(try experiment.tunedExperimentTOML(choices), to: tunedPath, force: options.force, out: out)
    outcome.tunedExperimentPath = tunedPath
    out("tuning report: \(paths.markdown)")
    out("tuning plot:   \(paths.plot)")
    out("tuned experiment: \(tunedPath); train it with `attnlab sweep \(experiment.tunedExperimentName)`")
    return outcome
}

/// The comment lines above a variant in the tuned experiment file.
private func tuningNotes(_ v: VariantLearningRate) -> [String] {
    let f = v.fit
    let grid = f.points.isEmpty ? "no grid" : "grid \(LearningRateTuningReport.format(f.points.first!.lr)) to "
        + "\(LearningRateTuningReport.format(f.points.last!.lr)), \(f.usable.count) of \(f.points.count) points usable"
    let fit = f.rSquared.map { "R² \(fixed($0, 3))" } ?? "no fit"
    let optimum = f.fittedOptimum.map { ", fitted optimum \(LearningRateTuningReport.format($0))" } ?? ""
    let how = f.flag.map { "best grid point, flagged: \($0.rawValue)" } ?? "fitted optimum"
    return ["\(v.variant): lr \(f.chosen.map(LearningRateTuningReport.format) ?? "none") (\(how)); \(grid); \(fit)\(optimum); "
            + "\(v.steps) steps, seeds \(v.seeds.map(String.init).joined(separator: ", "))"]
}

/// Writes a generated experiment file, unless the same text is already there. A file that
/// differs (edited, or generated from another `[tune]` table or other results) is replaced only
/// with `force`.
private func writeGeneratedExperiment(_ text: String, to path: String, force: Bool, out: (String) -> Void) throws {
    if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
        if existing == text {
            out("unchanged: \(path)")
            return
        }
        guard force else {
            throw ExperimentError("\(path): differs from what `attnlab tune` would write now (edited, or the [tune] table "
                                  + "or the tuning results changed); expected the generated text, found other text. "
                                  + "Move it away or pass --force to replace it")
        }
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    out("wrote \(path)")
}
