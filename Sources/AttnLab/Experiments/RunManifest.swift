import Foundation

/// The runs of an experiment still to do, one numbered line each: the contract between AttnLab's
/// planner and whatever runs the work (a Slurm job array, a shell loop, another scheduler).
///
/// `attnlab sweep NAME --manifest FILE` writes it from `planExperimentRuns` (finished and
/// diverged runs are left out); `attnlab run NAME --manifest FILE --index I` trains line `I`
/// idempotently (see `ManifestRun`). The text form is
///
///     # attnlab run manifest 1
///     # experiment: tiny
///     # set: train.steps=60
///     # index<TAB>run<TAB>config-sha256
///     0<TAB>mha<TAB>3f1c...
///
/// `# set:` lines are the `--set` overrides the plan was made with, in order; the runner applies
/// them again, so the manifest alone resolves every run. The hash is `RunManifest.configHash`.
public struct RunManifest: Sendable, Equatable {
    /// The first line of every manifest; a file without it is refused.
    public static let signature = "# attnlab run manifest 1"

    /// Experiment name (`NAME.toml` in the experiments directory).
    public var experiment: String
    /// `--set key.path=value` overrides, applied after variants and grid, in this order.
    public var overrides: [String]
    /// One line per run still to do; `entries[i].index == i`.
    public var entries: [RunManifestEntry]

    public init(experiment: String, overrides: [String], entries: [RunManifestEntry]) {
        self.experiment = experiment; self.overrides = overrides; self.entries = entries
    }

    /// The manifest of the runs in `plan` that still train (train, resume, restart), numbered
    /// from 0 in plan order. Finished runs are left out, and so are diverged ones (retrying would
    /// diverge again; `attnlab sweep --status` shows them).
    ///
    /// - Throws: `RunManifestError` when the plan has a conflict (a file written by another
    ///   config, or being written right now): nothing should be scheduled until it is resolved;
    ///   or when an override cannot be written on one line.
    public init(experiment: Experiment, plan: [SweepPlanEntry], overrides: [String]) throws {
        let conflicts = plan.compactMap { e -> String? in
            if case .conflict(let why) = e.action { return "\(e.run): \(why)" }
            return nil
        }
        guard conflicts.isEmpty else {
            throw RunManifestError("no manifest written; resolve these first:\n  " + conflicts.joined(separator: "\n  "))
        }
        for o in overrides where o.contains(where: \.isNewline) || o.contains("\t") {
            throw RunManifestError("--set \(o.debugDescription): a manifest override must fit on one line without tabs")
        }
        let configs = Dictionary(uniqueKeysWithValues: experiment.runs.map { ($0.name, $0.config) })
        var entries: [RunManifestEntry] = []
        for e in plan where e.action.trains {
            guard let config = configs[e.run] else { throw RunManifestError("\(e.run) is not a run of \(experiment.name)") }
            entries.append(RunManifestEntry(index: entries.count, run: e.run, configHash: RunManifest.configHash(config)))
        }
        self.init(experiment: experiment.name, overrides: overrides, entries: entries)
    }

    /// SHA-256 (hex) of a run's canonical resolved `runIdentity`: the thread count is chosen where
    /// the run executes (`SLURM_CPUS_PER_TASK`, `--jobs`) and is not part of what the run is.
    public static func configHash(_ config: ExperimentConfig) -> String {
        SHA256.hex(Array(config.runIdentity.canonicalTOML().utf8))
    }

    /// The text form described above, ending with a newline.
    public var text: String {
        var lines = [RunManifest.signature, "# experiment: \(experiment)"]
        lines += overrides.map { "# set: \($0)" }
        lines.append("# index\trun\tconfig-sha256")
        lines += entries.map { "\($0.index)\t\($0.run)\t\($0.configHash)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the text form. `source` names the file in error messages.
    ///
    /// - Throws: `RunManifestError` naming the file and line for a missing signature, an unknown
    ///   comment, a line without three tab-separated fields, an index out of sequence, a bad run
    ///   name or hash, or a missing `# experiment:` line.
    public init(text: String, source: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == RunManifest.signature else {
            throw RunManifestError("\(source): not an attnlab run manifest (the first line must be \"\(RunManifest.signature)\")")
        }
        var experiment: String?
        var overrides: [String] = []
        var entries: [RunManifestEntry] = []
        for (n, line) in lines.enumerated().dropFirst() {
            func fail(_ why: String) -> RunManifestError { RunManifestError("\(source):\(n + 1): \(why)") }
            if line.hasPrefix("# experiment: ") {
                guard experiment == nil else { throw fail("a second # experiment: line") }
                experiment = String(line.dropFirst("# experiment: ".count))
            } else if line.hasPrefix("# set: ") {
                guard entries.isEmpty else { throw fail("# set: lines must come before the runs") }
                overrides.append(String(line.dropFirst("# set: ".count)))
            } else if line == "# index\trun\tconfig-sha256" {
                continue
            } else if line.hasPrefix("#") {
                throw fail("unknown comment line \(line.debugDescription)")
            } else {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count == 3 else { throw fail("expected index<TAB>run<TAB>config-sha256, found \(line.debugDescription)") }
                guard let index = Int(fields[0]), index == entries.count else {
                    throw fail("expected index \(entries.count), found \(fields[0].debugDescription)")
                }
                guard !fields[1].isEmpty, fields[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    throw fail("bad run name \(fields[1].debugDescription)")
                }
                guard fields[2].count == 64, fields[2].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                    throw fail("bad config hash \(fields[2].debugDescription): expected 64 lowercase hex digits")
                }
                entries.append(RunManifestEntry(index: index, run: fields[1], configHash: fields[2]))
            }
        }
        guard let experiment, !experiment.isEmpty else { throw RunManifestError("\(source): no \"# experiment: NAME\" line") }
        self.init(experiment: experiment, overrides: overrides, entries: entries)
    }

    /// Reads and parses a manifest file.
    public init(contentsOf path: String) throws {
        let text: String
        if let problem = RegularFile.problem(path) { throw RunManifestError("cannot read the manifest \(path): \(problem)") }
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RunManifestError("cannot read the manifest \(path): \(error.localizedDescription)")
        }
        try self.init(text: text, source: path)
    }

    /// Writes `text` to `path` (atomically: a reader never sees half a manifest).
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

/// One line of a `RunManifest`.
public struct RunManifestEntry: Sendable, Equatable {
    /// Position in the manifest, from 0: what `--index` and `SLURM_ARRAY_TASK_ID` refer to.
    public var index: Int
    /// Run name within the experiment (`<results>/<experiment>/<run>.h5`).
    public var run: String
    /// `RunManifest.configHash` of the run's resolved config when the manifest was written.
    public var configHash: String

    public init(index: Int, run: String, configHash: String) {
        self.index = index; self.run = run; self.configHash = configHash
    }
}

/// A manifest that cannot be written, read or run; the message names the file and line.
public struct RunManifestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
