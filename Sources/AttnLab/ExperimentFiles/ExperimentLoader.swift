import Foundation

/// One training run of an experiment: a variant x grid point with `--set` applied.
public struct ExperimentRun: Sendable, Equatable {
    /// Stable and file-name safe: `<variant>-<lastkey><value>...`, or `main` for a plain config.
    public let name: String
    /// The `[[variants]]` entry the run comes from; nil in an experiment without variants.
    public let variant: String?
    public let config: ExperimentConfig
    /// `config` as canonical TOML; stored in run files and printed by `attnlab show`.
    public let resolvedTOML: String
}

public struct Experiment: Sendable, Equatable {
    public let name: String
    public let description: String
    public let runs: [ExperimentRun]
    /// The experiment's own file first, then the bases it inherits from, nearest first.
    public let sourceFiles: [URL]
    /// The `[tune]` table (inherited like any other); nil when the experiment has none.
    public let tuning: TuningSettings?
    /// `[[variants]]` as written, for the experiment files `attnlab tune` generates.
    let variants: [VariantDefinition]
    /// The `[grid]` key paths.
    let gridPaths: [String]
}

/// A `[[variants]]` entry: its name and the keys its `set` gives, by key path.
struct VariantDefinition: Sendable, Equatable {
    let name: String
    let settings: [String: ExperimentValue]
}

/// A line of `attnlab list`.
public struct ExperimentSummary: Sendable, Equatable {
    public let name: String
    /// Empty when the experiment does not load.
    public let description: String
    /// Why the experiment does not load, so one broken file does not hide the others.
    public let problem: String?
}

/// `--experiments DIR` if given, else `$ATTNLAB_EXPERIMENTS`, else `./experiments`.
public func experimentsDirectory(
    option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
) -> URL {
    let env = environment["ATTNLAB_EXPERIMENTS"].flatMap { $0.isEmpty ? nil : $0 }
    return URL(fileURLWithPath: option ?? env ?? "experiments").standardizedFileURL
}

/// Loads `directory/<name>.toml` with its bases, expands variants x grid, applies `overrides`
/// (`key.path=value`, after the grid so they win for every run) and validates every run.
/// Throws `ExperimentError` listing every problem found.
public func loadExperiment(name: String, directory: URL, overrides: [String] = []) throws -> Experiment {
    try ExperimentLoader(directory: directory).load(name: name, overrides: overrides)
}

/// Loads the experiment `name` whose text is `text` (not yet written) as if it were
/// `directory/<name>.toml`; its bases come from `directory`. For checking a generated experiment
/// before writing it. Throws `ExperimentError` like `loadExperiment`.
public func loadExperiment(name: String, text: String, directory: URL) throws -> Experiment {
    try ExperimentLoader(directory: directory, pending: [name: text]).load(name: name)
}

/// Every `*.toml` in `directory` by name, sorted, with its description.
public func listExperiments(directory: URL) throws -> [ExperimentSummary] {
    let loader = ExperimentLoader(directory: directory)
    return try loader.availableNames().map { name in
        do {
            return ExperimentSummary(name: name, description: try loader.load(name: name).description, problem: nil)
        } catch let error as ExperimentError {
            return ExperimentSummary(name: name, description: "", problem: error.description)
        }
    }
}

struct ExperimentLoader {
    let directory: URL
    /// Experiment texts by name that take the place of (or add to) the directory's files.
    var pending: [String: String] = [:]
    let fields = ExperimentSchema.fields

    /// Paths under the current directory are shown relative to it, as the user typed them.
    static func display(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    func availableNames() throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw ExperimentError(
                "\(Self.display(directory)): no such experiments directory "
                    + "(choose one with --experiments DIR or ATTNLAB_EXPERIMENTS)")
        }
        return Set(entries.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) } + pending.keys).sorted()
    }

    func load(name requested: String, overrides: [String] = []) throws -> Experiment {
        let name = requested.hasSuffix(".toml") ? String(requested.dropLast(5)) : requested
        let available = try availableNames()
        guard available.contains(name) else {
            throw ExperimentError(
                "\(Self.display(directory)): no experiment named \"\(name)\"; available: "
                    + (available.isEmpty ? "none" : available.joined(separator: ", ")))
        }
        let (files, merged) = try inheritanceChain(name, available: available)
        var overrideLayer: ExperimentLayer = [:]
        for argument in overrides {
            let (path, leaf) = try ExperimentParsing.override(argument)
            overrideLayer = overrideLayer.overlaid(with: [path: leaf])
        }
        let unknown = ExperimentParsing.unknownKeys(overrideLayer, index: ExperimentKeyIndex(fields: fields))
        guard unknown.isEmpty else { throw ExperimentError(unknown) }

        let expansion = ExperimentExpansion(fields: fields, defaultSource: Self.display(files[0]))
        let (tuning, tuningErrors) = TuningSettings.parse(merged)
        guard tuningErrors.isEmpty else { throw ExperimentError(tuningErrors) }
        let expanded = try expansion.runs(merged, overrides: overrideLayer) { run in
            ["AttnLab experiment \"\(name)\", run \"\(run)\": fully resolved, every key shown."]
                + (overrides.isEmpty ? [] : ["Overrides: --set " + overrides.joined(separator: " --set ")])
        }
        let runs = expanded.runs
        // Dimension consistency (heads dividing, rope widths, ...) is the model's own rule set.
        let modelProblems = runs.compactMap { run -> String? in
            do { try run.config.model.validate(); return nil } catch {
                return "\(Self.display(files[0])) (run \(run.name)): \(error)"
            }
        }
        guard modelProblems.isEmpty else { throw ExperimentError(modelProblems) }
        var description = ""
        if case .string(let text)? = merged["description"]?.value { description = text }
        return Experiment(name: name, description: description, runs: runs, sourceFiles: files, tuning: tuning,
                          variants: expanded.variants, gridPaths: expanded.gridPaths)
    }

    /// The experiment's file and its bases, merged so that each file overrides its base.
    private func inheritanceChain(_ name: String, available: [String]) throws -> ([URL], ExperimentLayer) {
        var visited: [String] = []
        var layers: [ExperimentLayer] = []
        var files: [URL] = []
        var next: (name: String, referencedAt: ExperimentOrigin?)? = (name, nil)
        while let step = next {
            let (current, referencedAt) = step
            if let referencedAt, visited.contains(current) {
                throw ExperimentError(referencedAt.message(
                    "expected a chain of bases without a cycle, found "
                        + (visited + [current]).joined(separator: " -> ")))
            }
            if let referencedAt, !available.contains(current) {
                throw ExperimentError(referencedAt.message(
                    "expected the name of an experiment in \(Self.display(directory)) (available: "
                        + available.joined(separator: ", ") + "), found \"\(current)\""))
            }
            visited.append(current)
            let url = directory.appendingPathComponent(current + ".toml")
            files.append(url)
            let (layer, base) = try readFile(url)
            layers.append(layer)
            next = base
        }
        return (files, layers.reversed().reduce([:]) { $0.overlaid(with: $1) })
    }

    /// One file's keys (checked against the schema) and the base it names, if any.
    private func readFile(_ url: URL) throws -> (ExperimentLayer, (name: String, referencedAt: ExperimentOrigin)?) {
        let source = Self.display(url)
        let text: String
        if let pendingText = pending[url.deletingPathExtension().lastPathComponent] {
            text = pendingText
        } else {
            if let problem = RegularFile.problem(url.path) { throw ExperimentError("\(source): cannot be read: \(problem)") }
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw ExperimentError("\(source): cannot be read: \(error.localizedDescription)")
            }
        }
        var layer = ExperimentParsing.leaves(try ExperimentParsing.parseDocument(text, source: source), source: source)
        var base: (String, ExperimentOrigin)?
        if let leaf = layer.removeValue(forKey: "base") {
            guard case .string(let name) = leaf.value, !name.isEmpty, !name.contains("/") else {
                throw ExperimentError(leaf.origin.message(
                    "expected the name of another experiment in the same folder, found \(leaf.value.found)"))
            }
            base = (name.hasSuffix(".toml") ? String(name.dropLast(5)) : name, leaf.origin)
        }
        // Variants and grid entries are checked when runs are expanded (their origins still
        // name this file); everything else must be a config key.
        let configKeys = layer.filter { path, _ in
            !ExperimentSchema.fileOnlyKeys.contains(where: { path == $0 || path.hasPrefix($0 + ".") })
        }
        let index = ExperimentKeyIndex(fields: fields, extraTopLevel: ExperimentSchema.fileOnlyKeys)
        let unknown = ExperimentParsing.unknownKeys(configKeys, index: index)
        guard unknown.isEmpty else { throw ExperimentError(unknown) }
        return (layer, base)
    }
}
