import Foundation

/// One `attnlab sweep NAME --slurm`: a numbered folder `<results>/<NAME>/slurm/<N>/` holding the
/// manifest of the runs still to do (`manifest.tsv`), the batch script (`job.sbatch`), the task
/// logs (`task-<i>.log`) and, once submitted, `job` with the Slurm job id and the packing, which
/// `attnlab sweep --status` uses to ask `squeue`/`sacct` about the runs.
public struct SlurmSubmission: Sendable, Equatable {
    /// `<results>/<NAME>/slurm/<N>`.
    public let directory: URL
    public let manifest: RunManifest
    public let array: SlurmJobArray
    /// The Slurm job id once submitted.
    public var jobID: String?

    public var manifestPath: String { directory.appendingPathComponent("manifest.tsv").path }
    public var scriptPath: String { directory.appendingPathComponent("job.sbatch").path }
    var jobRecordPath: String { directory.appendingPathComponent("job").path }

    /// Where an experiment's submissions live.
    public static func folder(resultsDirectory: URL, experiment: String) -> URL {
        resultsDirectory.appendingPathComponent(experiment).appendingPathComponent("slurm")
    }

    /// Writes a new numbered submission folder with the manifest of `plan` and its batch script.
    /// Returns nil, writing nothing, when no run is left to do.
    ///
    /// - Parameters:
    ///   - executable, experimentsDirectory, resultsDirectory, dataDirectory, workingDirectory:
    ///     made absolute here; they must be the same paths on the compute nodes (a shared file
    ///     system), which is how clusters run software from a home or project directory.
    /// - Throws: `RunManifestError` for conflicts in the plan (see `RunManifest.init(experiment:plan:overrides:)`)
    ///   or paths that cannot go into a script; file system errors.
    public static func prepare(
        experiment: Experiment, plan: [SweepPlanEntry], overrides: [String], options: SlurmJobOptions,
        resultsDirectory: URL, experimentsDirectory: URL, dataDirectory: String, executable: String,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> SlurmSubmission? {
        let manifest = try RunManifest(experiment: experiment, plan: plan, overrides: overrides)
        guard let array = SlurmJobArray(runs: manifest.entries.count, pack: options.pack) else { return nil }
        let results = resultsDirectory.standardizedFileURL.absoluteURL
        let parent = folder(resultsDirectory: results, experiment: experiment.name)
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        var directory: URL
        var n = (numberedFolders(parent).last ?? 0) + 1
        while true {
            directory = parent.appendingPathComponent(String(n))
            if mkdir(directory.path, 0o755) == 0 { break }
            guard errno == EEXIST else {
                throw RunManifestError("cannot create \(directory.path): \(String(cString: strerror(errno)))")
            }
            n += 1
        }
        let submission = SlurmSubmission(directory: directory, manifest: manifest, array: array, jobID: nil)
        let script = SlurmBatchScript(
            experiment: experiment.name, executable: absolutePath(executable, from: workingDirectory),
            manifestPath: submission.manifestPath, experimentsDirectory: absolutePath(experimentsDirectory.path, from: workingDirectory),
            resultsDirectory: results.path, dataDirectory: absolutePath(dataDirectory, from: workingDirectory),
            workingDirectory: absolutePath(workingDirectory, from: "/"), logDirectory: directory.path, array: array, options: options,
            overridesSetThreads: AttnLab.overridesSetThreads(overrides))
        do {
            try manifest.write(to: submission.manifestPath)
            try script.text().write(toFile: submission.scriptPath, atomically: true, encoding: .utf8)
            chmod(submission.scriptPath, 0o755)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return submission
    }

    /// Submits `job.sbatch` with `sbatch --parsable`, records the job id in the folder's `job`
    /// file and returns it.
    ///
    /// - Throws: `RunManifestError` with sbatch's own message when it cannot be started or refuses.
    public mutating func submit(sbatch: String = "sbatch") throws -> String {
        let result = try runTool(sbatch, ["--parsable", scriptPath])
        guard result.status == 0 else {
            throw RunManifestError("sbatch \(scriptPath) failed (exit \(result.status)): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        let id = result.output.split(whereSeparator: \.isNewline).last.map { String($0.split(separator: ";")[0]) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw RunManifestError("sbatch \(scriptPath) printed no job id: \(result.output.debugDescription)")
        }
        jobID = id
        try "job \(id)\npack \(array.pack)\n".write(toFile: jobRecordPath, atomically: true, encoding: .utf8)
        return id
    }

    /// The submitted submissions of an experiment, oldest first (folders without a `job` file,
    /// i.e. scripts written but never submitted by attnlab, are left out).
    public static func submitted(resultsDirectory: URL, experiment: String) -> [SlurmSubmission] {
        let parent = folder(resultsDirectory: resultsDirectory, experiment: experiment)
        return numberedFolders(parent).compactMap { n in
            let dir = parent.appendingPathComponent(String(n))
            guard let record = try? String(contentsOf: dir.appendingPathComponent("job"), encoding: .utf8),
                  let manifest = try? RunManifest(contentsOf: dir.appendingPathComponent("manifest.tsv").path) else { return nil }
            var fields: [String: String] = [:]
            for line in record.split(separator: "\n") {
                let kv = line.split(separator: " ", maxSplits: 1).map(String.init)
                if kv.count == 2 { fields[kv[0]] = kv[1] }
            }
            guard let id = fields["job"], let pack = fields["pack"].flatMap(Int.init),
                  let array = SlurmJobArray(runs: manifest.entries.count, pack: pack) else { return nil }
            return SlurmSubmission(directory: dir, manifest: manifest, array: array, jobID: id)
        }
    }

    private static func numberedFolders(_ parent: URL) -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).compactMap { Int($0) }.filter { $0 > 0 }.sorted()
    }
}

private func absolutePath(_ path: String, from base: String) -> String {
    let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: base).appendingPathComponent(path)
    return url.standardizedFileURL.path
}
