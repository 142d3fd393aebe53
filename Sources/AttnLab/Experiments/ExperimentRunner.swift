import Foundation

/// Where a run's file goes: `<results>/<experiment>/<run>.h5`.
public func runFilePath(resultsDirectory: URL, experiment: String, run: String) -> String {
    resultsDirectory.appendingPathComponent(experiment).appendingPathComponent(run + ".h5").path
}

/// Runs the runs of an experiment one after another. Every output path and every run's memory
/// estimate (`MemoryEstimate`) is checked before anything is trained or any file created: an
/// existing file is an error unless `overwrite` (explicit) is set, and a run needing more memory
/// than is available throws `MemoryEstimateError`. With `resumePath`, only the run recorded in
/// that file is continued; `only`, if given, must name that run, and `overwrite` must be false.
public func runExperiment(
    _ experiment: Experiment, resultsDirectory: URL, overwrite: Bool = false, resumePath: String? = nil,
    only: [String] = [], dataDirectory: String = "data", quiet: Bool = false
) throws -> [RunOutcome] {
    var selected = experiment.runs
    if !only.isEmpty {
        let unknown = only.filter { n in !experiment.runs.contains { $0.name == n } }
        guard unknown.isEmpty else {
            throw RunFileError("--run: \(unknown.joined(separator: ", ")) not in \(experiment.name); its runs are \(experiment.runs.map(\.name).joined(separator: ", "))")
        }
        selected = selected.filter { only.contains($0.name) }
    }
    if let resumePath {
        if let holder = RunFileLock.holder(of: resumePath) {
            throw RunFileError("\(resumePath) is being written by another attnlab process (\(holder)); one run file has one writer")
        }
        let reader = try RunReader(path: resumePath)
        let (runName, expName, status) = (try reader.attribute("run"), try reader.attribute("experiment"), try reader.status().status)
        try reader.close()
        guard expName == experiment.name, let run = experiment.runs.first(where: { $0.name == runName }) else {
            throw RunFileError("\(resumePath) records run \(expName)/\(runName), which is not a run of \(experiment.name)")
        }
        guard only.isEmpty || only == [runName] else {
            throw RunFileError("\(resumePath) records run \(runName), but --run \(only.joined(separator: ", ")) was given; drop --run, or give the file of that run")
        }
        guard !overwrite else { throw RunFileError("\(resumePath): resuming a run and overwriting it contradict each other; give one of them") }
        guard status != .finished else { throw RunFileError("\(resumePath): run \(expName)/\(runName) already finished; nothing to resume") }
        try requireMemory(experiment, [run])
        return [try trainRun(experiment: experiment.name, run: run, path: resumePath, resume: true, dataDirectory: dataDirectory, quiet: quiet)]
    }
    try requireMemory(experiment, selected)
    let paths = selected.map { runFilePath(resultsDirectory: resultsDirectory, experiment: experiment.name, run: $0.name) }
    // Each run takes its file's lock when it starts; checking all of them first means a run held
    // by another process stops this command before anything is trained, not halfway through.
    for path in paths {
        if let holder = RunFileLock.holder(of: path) {
            throw RunFileError("\(path) is being written by another attnlab process (\(holder)); nothing was trained")
        }
    }
    let existing = paths.filter { FileManager.default.fileExists(atPath: $0) }
    if !existing.isEmpty && !overwrite {
        throw RunFileError("\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing was trained. Pass --overwrite to replace, or --resume FILE to continue an interrupted run")
    }
    try FileManager.default.createDirectory(atPath: resultsDirectory.appendingPathComponent(experiment.name).path, withIntermediateDirectories: true)
    var outcomes: [RunOutcome] = []
    for (run, path) in zip(selected, paths) {
        let outcome = try trainRun(experiment: experiment.name, run: run, path: path, replace: overwrite, dataDirectory: dataDirectory, quiet: quiet)
        outcomes.append(outcome)
        if outcome.status != .finished { break }
    }
    return outcomes
}

/// Refuses the experiment when any of `runs` is estimated to need more memory than is available.
private func requireMemory(_ experiment: Experiment, _ runs: [ExperimentRun]) throws {
    for run in runs {
        try MemoryEstimate(run.config).requireFits(
            "\(experiment.name)/\(run.name) (\(experiment.sourceFiles.first.map(ExperimentLoader.display) ?? experiment.name))",
            keys: MemoryEstimate.experimentKeys)
    }
}
