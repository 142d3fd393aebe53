import Foundation

/// What a claim says about the variant's final validation loss relative to the baseline's.
public enum ClaimDirection: Sendable, Equatable {
    /// The variant's loss is lower than the baseline's.
    case lower
    /// The variant's loss is higher than the baseline's.
    case higher
    /// The variant's loss is within `margin` (nats per token) of the baseline's, either way.
    case within(margin: Double)

    /// The `direction` word of the verdict file.
    public var word: String {
        switch self {
        case .lower: return "lower"
        case .higher: return "higher"
        case .within: return "within"
        }
    }

    /// "lower than `mha`", "within ±0.02 of `mha`".
    public func text(baseline: String) -> String {
        switch self {
        case .lower: return "lower than `\(baseline)`"
        case .higher: return "higher than `\(baseline)`"
        case .within(let m): return "within ±\(shortest(m)) of `\(baseline)`"
        }
    }
}

/// One evidence row of a claim: an experiment's variant against its baseline variant under a
/// named protocol. For a loss claim `direction` is set; for a cache claim `paperVariant` and
/// `paperBaseline` name the `attnlab kv` presets whose ratio the paper states.
public struct ClaimEvidence: Sendable, Equatable {
    /// How the runs were trained, as the reader should see it ("same lr, 400 steps").
    public let protocolLabel: String
    public let experiment: String
    public let variant: String
    public let baseline: String
    /// Loss claims only.
    public let direction: ClaimDirection?
    /// Cache claims only: KV presets (`KVPresets`) of the paper's models.
    public let paperVariant: String?
    public let paperBaseline: String?
    /// The experiment may have no file yet (it is part of a study still being designed): its row
    /// is pending instead of an error.
    public let planned: Bool
}

/// What a claim is about: final validation loss (judged by `VerdictRule`) or KV-cache size
/// (a computed figure shown beside the paper's, never judged).
public enum ClaimKind: String, Sendable, Equatable, CaseIterable {
    case loss
    case cache
}

/// A claim of the paper with its evidence rows.
public struct Claim: Sendable, Equatable {
    public let id: String
    /// The claim, paraphrased with the paper's numbers (not a quotation).
    public let text: String
    /// Where the paper states it ("appendix D, Table 8").
    public let source: String
    public let kind: ClaimKind
    public let evidence: [ClaimEvidence]
}

/// The size ladder: one experiment per model size, all with the same variant names; each
/// non-baseline variant's paired gap to the baseline is plotted against the baseline's parameters.
public struct SizeLadderSpec: Sendable, Equatable {
    public let title: String
    public let protocolLabel: String
    public let baseline: String
    /// Non-baseline variants, one plot series each.
    public let variants: [String]
    /// One experiment per model size, in any order (the report orders them by parameters).
    public let experiments: [String]
    /// Experiments (a subset of `experiments`) that may have no file yet.
    public let planned: [String]
}

/// An experiment a verdict file names, as its file defines it.
public enum VerdictExperiment: Sendable, Equatable {
    /// The experiment file exists: its run names (`results/NAME/<run>.h5`) with their variant.
    case defined(variantOfRun: [String: String])
    /// A planned experiment with no file yet.
    case notWritten
}

/// A parsed and checked verdict file (`experiments/verdicts/NAME.toml`, documented in
/// experiments/README.md): claims with evidence, an optional size ladder, and every experiment
/// they name, resolved against the experiments directory.
public struct VerdictFile: Sendable, Equatable {
    public let name: String
    public let title: String
    /// The paper the claims come from.
    public let paper: String
    public let claims: [Claim]
    public let ladder: SizeLadderSpec?
    public let experiments: [String: VerdictExperiment]
    /// The file as displayed in messages.
    public let source: String

    /// Where verdict files live inside the experiments directory.
    public static let folder = "verdicts"
    static let topKeys = ["title", "paper", "claims", "ladder"]
    static let claimKeys = ["id", "claim", "source", "kind", "evidence"]
    static let evidenceKeys = ["protocol", "experiment", "variant", "baseline", "direction", "margin", "paper_variant",
                               "paper_baseline", "planned"]
    static let ladderKeys = ["title", "protocol", "baseline", "variants", "experiments", "planned"]
}

/// Reads `<experiments>/verdicts/<name>.toml` and checks it: unknown keys, wrong types, missing
/// keys, unknown KV presets, and every experiment and variant it names. An experiment whose
/// file is missing is an error unless the row (or the ladder's `planned` list) marks it planned;
/// an experiment whose file exists must define every variant named for it, planned or not.
///
/// - Throws: `ExperimentError` listing every problem, each as `file: key path: expected ..., found ...`.
public func loadVerdictFile(name: String, experimentsDirectory: URL) throws -> VerdictFile {
    let url = experimentsDirectory.appendingPathComponent(VerdictFile.folder).appendingPathComponent(name + ".toml")
    let display = ExperimentLoader.display(url)
    var exists: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &exists) else {
        let folder = experimentsDirectory.appendingPathComponent(VerdictFile.folder)
        let available = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        throw ExperimentError("\(display): no such verdict file; available: "
                              + (available.isEmpty ? "none" : available.joined(separator: ", ")))
    }
    if let problem = RegularFile.problem(url.path) { throw ExperimentError("\(display): cannot be read: \(problem)") }
    let data: Data
    do { data = try RegularFile.read(url.path) } catch { throw ExperimentError("\(display): cannot be read: \(error)") }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ExperimentError("\(display): expected UTF-8 text (a TOML verdict file), found bytes that are not valid UTF-8")
    }
    return try parseVerdictFile(text, name: name, source: display, experimentsDirectory: experimentsDirectory)
}

/// Parses verdict-file text (see `loadVerdictFile`); `source` names it in messages.
public func parseVerdictFile(_ text: String, name: String, source: String, experimentsDirectory: URL) throws -> VerdictFile {
    var p = VerdictParser(source: source)
    let document = try ExperimentParsing.parseDocument(text, source: source)
    let file = p.file(document, name: name)
    guard p.errors.isEmpty, let file else { throw ExperimentError(p.errors) }
    let resolved = resolveVerdictExperiments(file, experimentsDirectory: experimentsDirectory)
    guard resolved.errors.isEmpty else { throw ExperimentError(resolved.errors) }
    return VerdictFile(name: file.name, title: file.title, paper: file.paper, claims: file.claims, ladder: file.ladder,
                       experiments: resolved.experiments, source: source)
}

/// Each experiment the file names, loaded from the experiments directory, with the variants
/// named for it checked against its `[[variants]]`.
private func resolveVerdictExperiments(_ file: VerdictFile, experimentsDirectory: URL)
    -> (experiments: [String: VerdictExperiment], errors: [String])
{
    struct Use { let experiment: String, experimentPath: String, variant: String, variantPath: String, planned: Bool }
    var uses: [Use] = []
    for (c, claim) in file.claims.enumerated() {
        for (e, row) in claim.evidence.enumerated() {
            let at = "claims[\(c)].evidence[\(e)]"
            uses.append(Use(experiment: row.experiment, experimentPath: at + ".experiment", variant: row.variant,
                            variantPath: at + ".variant", planned: row.planned))
            uses.append(Use(experiment: row.experiment, experimentPath: at + ".experiment", variant: row.baseline,
                            variantPath: at + ".baseline", planned: row.planned))
        }
    }
    if let ladder = file.ladder {
        for experiment in ladder.experiments {
            let planned = ladder.planned.contains(experiment)
            for (variant, path) in [(ladder.baseline, "ladder.baseline")] + ladder.variants.map({ ($0, "ladder.variants") }) {
                uses.append(Use(experiment: experiment, experimentPath: "ladder.experiments", variant: variant, variantPath: path,
                                planned: planned))
            }
        }
    }
    var experiments: [String: VerdictExperiment] = [:]
    var futureVariants: [String: (source: String, variants: Set<String>)] = [:]
    var errors: [String] = []
    for name in Set(uses.map(\.experiment)).sorted() {
        let url = experimentsDirectory.appendingPathComponent(name + ".toml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            if let use = uses.first(where: { $0.experiment == name && !$0.planned }) {
                errors.append("\(file.source): \(use.experimentPath): expected an experiment in \(ExperimentLoader.display(experimentsDirectory)) "
                              + "(or planned = true for one not written yet), found \"\(name)\" with no file \(name).toml")
            } else {
                experiments[name] = .notWritten
                // A tuned experiment not written yet will have exactly its source's variants
                // (`attnlab tune SOURCE` writes it), so a typo is caught now, not after the study.
                let source = String(name.dropLast(tunedExperimentSuffix.count))
                if name.hasSuffix(tunedExperimentSuffix), !source.isEmpty,
                   FileManager.default.fileExists(atPath: experimentsDirectory.appendingPathComponent(source + ".toml").path) {
                    do {
                        let variants = Set(try loadExperiment(name: source, directory: experimentsDirectory).runs.compactMap(\.variant))
                        futureVariants[name] = (source, variants)
                    } catch {
                        errors.append("\(file.source): experiment \"\(source)\" (which `attnlab tune \(source)` turns into \(name)) "
                                      + "does not load: \(error)")
                    }
                }
            }
            continue
        }
        do {
            let experiment = try loadExperiment(name: name, directory: experimentsDirectory)
            var variantOfRun: [String: String] = [:]
            for run in experiment.runs { if let v = run.variant { variantOfRun[run.name] = v } }
            // Rows pair a variant's runs with the baseline's by seed: within a variant, runs may
            // differ only in train.seed (a grid over lr or anything else would pair several runs
            // with one seed).
            var seedsOfVariant: [String: [Int]] = [:]
            for run in experiment.runs { if let v = run.variant { seedsOfVariant[v, default: []].append(run.config.train.seed) } }
            for (v, seeds) in seedsOfVariant.sorted(by: { $0.key < $1.key }) where Set(seeds).count != seeds.count {
                errors.append("\(file.source): experiment \"\(name)\": expected the runs of each variant to differ only in train.seed "
                              + "(rows are paired by seed), found variant \"\(v)\" with \(seeds.count) runs over \(Set(seeds).count) seed"
                              + (Set(seeds).count == 1 ? "" : "s") + " (a grid over another key)")
            }
            experiments[name] = .defined(variantOfRun: variantOfRun)
        } catch {
            errors.append("\(file.source): experiment \"\(name)\" does not load: \(error)")
        }
    }
    for use in uses {
        if let future = futureVariants[use.experiment], !future.variants.contains(use.variant) {
            let message = "\(file.source): \(use.variantPath): expected a variant of experiment \"\(use.experiment)\", which `attnlab "
                + "tune \(future.source)` writes with \(future.source)'s variants (\(future.variants.sorted().joined(separator: ", "))), "
                + "found \"\(use.variant)\""
            if !errors.contains(message) { errors.append(message) }
        }
        guard case .defined(let variantOfRun)? = experiments[use.experiment] else { continue }
        let defined = Set(variantOfRun.values)
        if !defined.contains(use.variant) {
            let message = "\(file.source): \(use.variantPath): expected a variant of experiment \"\(use.experiment)\" "
                + "(\(defined.sorted().joined(separator: ", "))), found \"\(use.variant)\""
            if !errors.contains(message) { errors.append(message) }
        }
    }
    return (experiments, errors)
}

/// Walks the parsed TOML of a verdict file, collecting every problem rather than stopping at the first.
private struct VerdictParser {
    let source: String
    var errors: [String] = []

    init(source: String) { self.source = source }

    mutating func fail(_ path: String, _ text: String) { errors.append("\(source): \(path): \(text)") }

    mutating func unknown(_ table: [String: ExperimentValue], at prefix: String, allowed: [String]) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            fail(prefix.isEmpty ? key : "\(prefix).\(key)", "unknown key; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    /// A required (or optional, with `required: false`) one-line non-empty string.
    mutating func string(_ table: [String: ExperimentValue], _ key: String, at prefix: String, required: Bool = true) -> String? {
        let path = prefix.isEmpty ? key : "\(prefix).\(key)"
        guard let value = table[key] else {
            if required { fail(path, "missing; expected a non-empty one-line string") }
            return nil
        }
        guard case .string(let s) = value, !s.isEmpty, !s.contains(where: \.isNewline) else {
            fail(path, "expected a non-empty one-line string, found \(value.typeName) \(value.found)")
            return nil
        }
        return s
    }

    mutating func strings(_ table: [String: ExperimentValue], _ key: String, at prefix: String, required: Bool = true) -> [String]? {
        let path = "\(prefix).\(key)"
        guard let value = table[key] else {
            if required { fail(path, "missing; expected a non-empty array of distinct strings") }
            return nil
        }
        guard case .array(let items) = value, !items.isEmpty else {
            fail(path, "expected a non-empty array of distinct strings, found \(value.found)")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item, !s.isEmpty else {
                fail("\(path)[\(i)]", "expected a non-empty string, found \(item.typeName) \(item.found)")
                continue
            }
            if out.contains(s) { fail("\(path)[\(i)]", "expected distinct strings, found \"\(s)\" twice") }
            out.append(s)
        }
        return out.count == items.count ? out : nil
    }

    mutating func tables(_ table: [String: ExperimentValue], _ key: String, at prefix: String) -> [[String: ExperimentValue]]? {
        let path = prefix.isEmpty ? key : "\(prefix).\(key)"
        guard let value = table[key] else {
            fail(path, "missing; expected a non-empty array of tables")
            return nil
        }
        guard case .array(let items) = value, !items.isEmpty else {
            fail(path, "expected a non-empty array of tables, found \(value.found)")
            return nil
        }
        var out: [[String: ExperimentValue]] = []
        for (i, item) in items.enumerated() {
            guard case .table(let t) = item else {
                fail("\(path)[\(i)]", "expected a table, found \(item.found)")
                continue
            }
            out.append(t)
        }
        return out.count == items.count ? out : nil
    }

    mutating func file(_ top: [String: ExperimentValue], name: String) -> VerdictFile? {
        unknown(top, at: "", allowed: VerdictFile.topKeys)
        let title = string(top, "title", at: "")
        let paper = string(top, "paper", at: "")
        var claims: [Claim] = []
        var ids: Set<String> = []
        for (i, t) in (tables(top, "claims", at: "") ?? []).enumerated() {
            guard let claim = claim(t, at: "claims[\(i)]") else { continue }
            if !ids.insert(claim.id).inserted { fail("claims[\(i)].id", "expected a unique id, found \"\(claim.id)\" twice") }
            claims.append(claim)
        }
        var ladder: SizeLadderSpec?
        if let value = top["ladder"] {
            if case .table(let t) = value { ladder = self.ladder(t) } else { fail("ladder", "expected a table ([ladder]), found \(value.found)") }
        }
        guard let title, let paper, errors.isEmpty else { return nil }
        return VerdictFile(name: name, title: title, paper: paper, claims: claims, ladder: ladder, experiments: [:], source: source)
    }

    mutating func claim(_ t: [String: ExperimentValue], at path: String) -> Claim? {
        unknown(t, at: path, allowed: VerdictFile.claimKeys)
        let id = string(t, "id", at: path), text = string(t, "claim", at: path), src = string(t, "source", at: path)
        var kind: ClaimKind?
        if let value = t["kind"] {
            let words = ClaimKind.allCases.map(\.rawValue)
            if case .string(let s) = value, let k = ClaimKind(rawValue: s) { kind = k } else {
                fail("\(path).kind", "expected one of \(words.joined(separator: ", ")), found \(value.typeName) \(value.found)")
            }
        } else {
            kind = .loss
        }
        var rows: [ClaimEvidence] = []
        for (i, e) in (tables(t, "evidence", at: path) ?? []).enumerated() {
            if let kind, let row = evidence(e, kind: kind, at: "\(path).evidence[\(i)]") { rows.append(row) }
        }
        guard let id, let text, let src, let kind else { return nil }
        return Claim(id: id, text: text, source: src, kind: kind, evidence: rows)
    }

    mutating func evidence(_ t: [String: ExperimentValue], kind: ClaimKind, at path: String) -> ClaimEvidence? {
        unknown(t, at: path, allowed: VerdictFile.evidenceKeys)
        let label = string(t, "protocol", at: path), experiment = string(t, "experiment", at: path)
        let variant = string(t, "variant", at: path), baseline = string(t, "baseline", at: path)
        if let variant, variant == baseline { fail("\(path).baseline", "expected a variant other than variant \"\(variant)\", found the same") }
        var planned = false
        if let value = t["planned"] {
            if case .bool(let b) = value { planned = b } else { fail("\(path).planned", "expected true or false, found \(value.typeName) \(value.found)") }
        }
        var direction: ClaimDirection?
        var paperVariant: String?, paperBaseline: String?
        switch kind {
        case .loss:
            for key in ["paper_variant", "paper_baseline"] where t[key] != nil {
                fail("\(path).\(key)", "expected no \(key) in a loss claim's evidence (only kind = \"cache\" compares with KV presets)")
            }
            direction = self.direction(t, at: path)
        case .cache:
            for key in ["direction", "margin"] where t[key] != nil {
                fail("\(path).\(key)", "expected no \(key) in a cache claim's evidence (a cache ratio is computed, not judged)")
            }
            paperVariant = preset(t, "paper_variant", at: path)
            paperBaseline = preset(t, "paper_baseline", at: path)
        }
        guard let label, let experiment, let variant, let baseline else { return nil }
        if kind == .loss && direction == nil { return nil }
        if kind == .cache && (paperVariant == nil || paperBaseline == nil) { return nil }
        return ClaimEvidence(protocolLabel: label, experiment: experiment, variant: variant, baseline: baseline, direction: direction,
                             paperVariant: paperVariant, paperBaseline: paperBaseline, planned: planned)
    }

    mutating func direction(_ t: [String: ExperimentValue], at path: String) -> ClaimDirection? {
        let words = ["lower", "higher", "within"]
        guard let value = t["direction"] else {
            fail("\(path).direction", "missing; expected one of \(words.joined(separator: ", "))")
            return nil
        }
        guard case .string(let word) = value, words.contains(word) else {
            fail("\(path).direction", "expected one of \(words.joined(separator: ", ")), found \(value.typeName) \(value.found)")
            return nil
        }
        let marginType = ExperimentFieldType.double(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
        if word != "within" {
            if t["margin"] != nil { fail("\(path).margin", "expected no margin with direction = \"\(word)\" (only \"within\" takes one)") }
            return word == "lower" ? .lower : .higher
        }
        guard let m = t["margin"] else {
            fail("\(path).margin", "missing; expected \(marginType.expectation) (nats per token) with direction = \"within\"")
            return nil
        }
        switch marginType.check(m) {
        case .success(.double(let d)): return .within(margin: d)
        case .success(.int(let i)): return .within(margin: Double(i))
        case .success: return nil
        case .failure(let mismatch):
            fail("\(path).margin", "expected \(mismatch.expected) (nats per token), found \(mismatch.found)")
            return nil
        }
    }

    mutating func preset(_ t: [String: ExperimentValue], _ key: String, at path: String) -> String? {
        guard t[key] != nil else {
            fail("\(path).\(key)", "missing; expected an `attnlab kv` preset (\(KVPresets.names.joined(separator: ", ")))")
            return nil
        }
        guard let name = string(t, key, at: path) else { return nil }
        guard KVPresets.names.contains(name) else {
            fail("\(path).\(key)", "expected an `attnlab kv` preset (\(KVPresets.names.joined(separator: ", "))), found \"\(name)\"")
            return nil
        }
        return name
    }

    mutating func ladder(_ t: [String: ExperimentValue]) -> SizeLadderSpec? {
        let path = "ladder"
        unknown(t, at: path, allowed: VerdictFile.ladderKeys)
        let title = string(t, "title", at: path), label = string(t, "protocol", at: path), baseline = string(t, "baseline", at: path)
        let variants = strings(t, "variants", at: path), experiments = strings(t, "experiments", at: path)
        let planned = strings(t, "planned", at: path, required: false) ?? []
        if let experiments, experiments.count < 2 {
            fail("\(path).experiments", "expected at least 2 experiments (one per model size), found \(experiments.count)")
        }
        if let variants, let baseline, variants.contains(baseline) {
            fail("\(path).variants", "expected the non-baseline variants only, found the baseline \"\(baseline)\"")
        }
        for p in planned where !(experiments ?? []).contains(p) {
            fail("\(path).planned", "expected a subset of ladder.experiments, found \"\(p)\"")
        }
        guard let title, let label, let baseline, let variants, let experiments else { return nil }
        return SizeLadderSpec(title: title, protocolLabel: label, baseline: baseline, variants: variants,
                              experiments: experiments, planned: planned)
    }
}
