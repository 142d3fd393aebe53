import Foundation

/// The resources and limits `attnlab sweep --slurm` asks Slurm for.
public struct SlurmJobOptions: Sendable, Equatable {
    /// `--partition`; nil leaves the cluster's default.
    public var partition: String?
    /// `--time` per array task; nil leaves the partition's default.
    public var time: SlurmTimeLimit?
    /// `--cpus-per-task`; each run uses this many threads (`train.threads`).
    public var cpusPerTask: Int
    /// `--mem` per task; nil leaves the cluster's default.
    public var memory: SlurmMemory?
    /// Manifest lines per array task.
    public var pack: Int
    /// At most this many tasks at once (`--array=...%LIMIT`); nil for no limit.
    public var arrayLimit: Int?

    public init(partition: String? = nil, time: SlurmTimeLimit? = nil, cpusPerTask: Int = 1, memory: SlurmMemory? = nil,
                pack: Int = 1, arrayLimit: Int? = nil) {
        self.partition = partition; self.time = time; self.cpusPerTask = cpusPerTask; self.memory = memory
        self.pack = pack; self.arrayLimit = arrayLimit
    }

    /// Whether `name` can be a partition list: letters, digits, `_`, `-`, `.` and commas.
    public static func isValidPartition(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.,".contains($0)) }
    }
}

/// An sbatch script that runs the lines of a `RunManifest` as a job array (see `SlurmJobArray`):
/// each task runs its lines with `attnlab run NAME --manifest FILE --index I`, one after
/// another, with `train.threads` and `OPENBLAS_NUM_THREADS` from `SLURM_CPUS_PER_TASK`, writing
/// to the shared results directory and its output to one log per task.
public struct SlurmBatchScript: Sendable, Equatable {
    public var experiment: String
    /// The `attnlab` executable on the compute nodes (absolute; on a shared file system).
    public var executable: String
    public var manifestPath: String
    public var experimentsDirectory: String
    public var resultsDirectory: String
    public var dataDirectory: String
    /// `--chdir`: relative `data.path` values resolve from here, as they did where the sweep ran.
    public var workingDirectory: String
    /// `task-<array task id>.log` files go here.
    public var logDirectory: String
    public var array: SlurmJobArray
    public var options: SlurmJobOptions
    /// The manifest's overrides set `train.threads` themselves; then the task leaves it.
    public var overridesSetThreads: Bool

    public init(experiment: String, executable: String, manifestPath: String, experimentsDirectory: String, resultsDirectory: String,
                dataDirectory: String, workingDirectory: String, logDirectory: String, array: SlurmJobArray, options: SlurmJobOptions,
                overridesSetThreads: Bool = false) {
        self.experiment = experiment; self.executable = executable; self.manifestPath = manifestPath
        self.experimentsDirectory = experimentsDirectory; self.resultsDirectory = resultsDirectory; self.dataDirectory = dataDirectory
        self.workingDirectory = workingDirectory; self.logDirectory = logDirectory; self.array = array; self.options = options
        self.overridesSetThreads = overridesSetThreads
    }

    /// The log of array task `task`.
    public func logPath(task: Int) -> String { (logDirectory as NSString).appendingPathComponent("task-\(task).log") }

    /// The script. `#SBATCH` lines cannot quote, so directories used there must not contain
    /// whitespace or `%` (Slurm's filename pattern character).
    ///
    /// - Throws: `RunManifestError` naming a path that cannot go into the script.
    public func text() throws -> String {
        for (what, path) in [("working directory", workingDirectory), ("log directory", logDirectory)]
        where path.contains(where: { $0.isWhitespace || $0 == "%" }) || !path.hasPrefix("/") {
            throw RunManifestError("the \(what) \(path.debugDescription) cannot go on an #SBATCH line: it must be absolute, without whitespace or %")
        }
        for path in [executable, manifestPath, experimentsDirectory, resultsDirectory, dataDirectory, workingDirectory, logDirectory]
        where path.contains(where: \.isNewline) {
            throw RunManifestError("\(path.debugDescription): a path in a batch script cannot contain a line break")
        }
        var lines = [
            "#!/bin/bash",
            "# Written by `attnlab sweep \(experiment) --slurm`: \(array.runs) run\(array.runs == 1 ? "" : "s") of the manifest",
            "# \(manifestPath)",
            "# in \(array.taskCount) array task\(array.taskCount == 1 ? "" : "s") of up to \(array.pack) run\(array.pack == 1 ? "" : "s") each. Submit with: sbatch \(shellQuoted(logDirectory + "/job.sbatch"))",
            "#SBATCH --job-name=attnlab-\(experiment)",
            "#SBATCH --array=\(array.arraySpec(limit: options.arrayLimit))",
            "#SBATCH --cpus-per-task=\(options.cpusPerTask)",
            "#SBATCH --ntasks=1",
        ]
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = options.time { lines.append("#SBATCH --time=\(t)") }
        if let m = options.memory { lines.append("#SBATCH --mem=\(m)") }
        lines += [
            "#SBATCH --chdir=\(workingDirectory)",
            "#SBATCH --output=\(logDirectory)/task-%a.log",
            "set -u",
            "attnlab=\(shellQuoted(executable))",
            "manifest=\(shellQuoted(manifestPath))",
            "pack=\(array.pack)",
            "runs=\(array.runs)",
            "threads=\"${SLURM_CPUS_PER_TASK:-1}\"",
            "export OPENBLAS_NUM_THREADS=\"$threads\"",
            "first=$(( SLURM_ARRAY_TASK_ID * pack ))",
            "last=$(( first + pack < runs ? first + pack : runs ))",
            "echo \"attnlab: task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname): manifest lines $first..$(( last - 1 )), $threads thread(s)\"",
            "status=0",
            "for (( i = first; i < last; i++ )); do",
            "    \"$attnlab\" run \(shellQuoted(experiment)) --manifest \"$manifest\" --index \"$i\" \\",
            "        --experiments \(shellQuoted(experimentsDirectory)) --results \(shellQuoted(resultsDirectory)) --data-dir \(shellQuoted(dataDirectory))"
                + (overridesSetThreads ? "" : " \\\n        --set \"train.threads=$threads\""),
            "    code=$?",
            "    echo \"attnlab: line $i exit code $code\"",
            "    # 130: stopped by SIGTERM (time limit, scancel) after a checkpoint; the next attempt resumes.",
            "    if (( code == 130 )); then exit 130; fi",
            "    if (( code != 0 )); then status=$code; fi",
            "done",
            "exit $status",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `text` in single quotes for a POSIX shell (`'` written as `'\''`).
public func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
