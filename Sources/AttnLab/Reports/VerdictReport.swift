import Foundation

/// The run files of one experiment a verdict file names: only the runs its experiment file
/// defines, grouped by the `[[variants]]` entry they come from.
struct VerdictExperimentRuns {
    let name: String
    /// Runs the experiment file defines; nil when it has no file yet.
    let total: Int?
    let finished: Int
    /// Present runs by variant name, ascending by seed.
    let variants: [String: ReportVariant]
    let unreadable: [UnreadableRunFile]

    var allFinished: Bool { total.map { $0 > 0 && finished == $0 } ?? false }
    var runs: [RunRecord] { variants.keys.sorted().flatMap { variants[$0]!.runs } }

    /// Reads `<results>/<name>/*.h5`; a missing or empty folder means no runs yet.
    init(name: String, definition: VerdictExperiment, resultsDirectory: URL) throws {
        self.name = name
        guard case .defined(let variantOfRun) = definition else {
            (total, finished, variants, unreadable) = (nil, 0, [:], [])
            return
        }
        total = variantOfRun.count
        let folder = resultsDirectory.appendingPathComponent(name)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".h5") }
        var read: [RunRecord] = [], bad: [UnreadableRunFile] = []
        if !files.isEmpty {
            do {
                (read, bad) = try readRunFolders([name], resultsDirectory: resultsDirectory, hint: "attnlab sweep") { try RunRecord(path: $0) }
            } catch let error as RunFileError {
                // Every file unreadable: none counts as finished; each is named.
                bad = files.sorted().map { UnreadableRunFile(path: folder.appendingPathComponent($0).path, reason: "\(error)") }
            }
        }
        var grouped: [String: [RunRecord]] = [:]
        for r in read {
            guard let v = variantOfRun[String(r.fileName.dropLast(".h5".count))] else { continue }
            grouped[v, default: []].append(r)
        }
        variants = grouped.mapValues { runs in
            let sorted = runs.sorted { ($0.seed, $0.fileName) < ($1.seed, $1.fileName) }
            return ReportVariant(name: "", attention: sorted[0].attention, runs: sorted)
        }.reduce(into: [:]) { out, kv in var v = kv.value; v.name = kv.key; out[kv.key] = v }
        finished = variants.values.flatMap(\.runs).filter { $0.status == .finished }.count
        unreadable = bad
    }

    /// The paired comparison of `variant` with `baseline` (finished runs, by seed).
    func comparison(_ variant: String, against baseline: String) -> PairedComparison? {
        guard let v = variants[variant], let b = variants[baseline] else { return nil }
        return ExperimentReport.compare(v, against: b)
    }

    /// "pending: k of n runs finished" (or "experiment file not written yet"); nil when all finished.
    var pendingText: String? {
        allFinished ? nil : EvidenceOutcome.pending(finished: finished, total: total).text
    }
}

/// One loss evidence row with its outcome.
public struct EvidenceResult: Sendable, Equatable, Codable {
    public var protocolLabel: String
    public var experiment: String
    public var variant: String
    public var baseline: String
    /// "lower", "higher" or "within".
    public var direction: String
    public var margin: Double?
    /// "lower than `mha`", as the table prints it.
    public var claimed: String
    /// The verdict column (`EvidenceOutcome.text`).
    public var outcome: String
    public var verdict: VerdictWord?
    /// Nil while pending (no number is shown before every run finished).
    public var comparison: PairedComparison?
    /// `TokenBudget.lines` of the two variants' runs.
    public var budget: [String]
    /// Whether the gap (variant − baseline) was still moving at the end of training
    /// (`VerdictRule.gapAtEnd`); nil while pending or without paired seeds.
    public var gapAtEnd: GapSlope?
    /// Seeds for a decisive word if the observed difference held (`VerdictRule.seedPlan`); nil
    /// unless the row is finished and not distinguishable.
    public var nextSeeds: SeedPlan?
}

/// A cache-size row: AttnLab's Table-1 figure for two variants beside the paper's models.
public struct CacheFigure: Sendable, Equatable, Codable {
    public var protocolLabel: String
    public var experiment: String
    public var variant: String
    public var baseline: String
    /// Why there is no figure yet (no run file of one of the variants); nil when shown.
    public var pending: String?
    /// The Table-1 formula rows of the variant and the baseline, from their run files.
    public var formulas: [KVFormulaRow]
    /// Variant elements per token / baseline's.
    public var ratio: Double?
    public var paperVariant: String
    public var paperBaseline: String
    /// The presets' formulas with the paper's widths put in.
    public var paperFormulas: [String]
    public var paperRatio: Double
    /// What differs between AttnLab's models and the paper's, computed from both.
    public var differences: String?
}

/// A claim with its evidence rows' results.
public struct ClaimResult: Sendable, Equatable, Codable {
    public var id: String
    public var claim: String
    public var source: String
    /// "loss" or "cache".
    public var kind: String
    public var evidence: [EvidenceResult]
    public var cache: [CacheFigure]
}

/// The budget behind one experiment's numbers.
public struct ExperimentBudget: Sendable, Equatable, Codable {
    public var experiment: String
    /// Nil when every run finished.
    public var pending: String?
    public var tokenBudget: [String]
    /// Seeds of the experiment's finished runs, ascending.
    public var seeds: [Int]
}

/// Every number of a verdict report, computed from the verdict file and run files alone. The
/// Markdown (`VerdictMarkdown`), JSON and ladder plot (`SizeLadderPlot`) are views of it.
public struct VerdictReport: Sendable, Equatable, Codable {
    public var name: String
    public var title: String
    public var paper: String
    public var regenerateCommand: String
    public var rule: [String]
    public var budgets: [ExperimentBudget]
    public var claims: [ClaimResult]
    public var ladder: SizeLadderReport?
    /// Run files that could not be read, with the reason.
    public var unreadable: [String]

    /// Reads the run files of every experiment `file` names from `resultsDirectory`.
    public init(_ file: VerdictFile, resultsDirectory: URL) throws {
        var runs: [String: VerdictExperimentRuns] = [:]
        for (name, definition) in file.experiments.sorted(by: { $0.key < $1.key }) {
            runs[name] = try VerdictExperimentRuns(name: name, definition: definition, resultsDirectory: resultsDirectory)
        }
        name = file.name
        title = file.title
        paper = file.paper
        regenerateCommand = "attnlab verdict \(file.name)"
        rule = VerdictRule.statement
        var order: [String] = []
        for e in file.claims.flatMap(\.evidence).map(\.experiment) + (file.ladder?.experiments ?? []) where !order.contains(e) { order.append(e) }
        budgets = order.map { e in
            let r = runs[e]!
            return ExperimentBudget(experiment: e, pending: r.pendingText, tokenBudget: TokenBudget.lines(r.runs),
                                    seeds: Array(Set(r.runs.filter { $0.status == .finished }.map(\.seed))).sorted())
        }
        claims = file.claims.map { claim in
            ClaimResult(id: claim.id, claim: claim.text, source: claim.source, kind: claim.kind.rawValue,
                        evidence: claim.kind == .loss ? claim.evidence.map { Self.evidence($0, runs[$0.experiment]!) } : [],
                        cache: claim.kind == .cache ? claim.evidence.map { Self.cache($0, runs[$0.experiment]!) } : [])
        }
        ladder = file.ladder.map { spec in SizeLadderReport(spec, runs: spec.experiments.map { runs[$0]! }) }
        unreadable = runs.keys.sorted().flatMap { runs[$0]!.unreadable.map { "\($0.path): \($0.reason)" } }
    }

    static func evidence(_ row: ClaimEvidence, _ runs: VerdictExperimentRuns) -> EvidenceResult {
        let direction = row.direction!
        let these = [row.variant, row.baseline].flatMap { runs.variants[$0]?.runs ?? [] }
        let mixed = Set(these.filter { $0.status == .finished }.map(\.validationProtocol)).count > 1
        let comparison = runs.allFinished && !mixed ? runs.comparison(row.variant, against: row.baseline) : nil
        let outcome = VerdictRule.outcome(direction, comparison: comparison, finished: runs.finished, total: runs.total,
                                          mixedProtocols: mixed)
        var margin: Double?
        if case .within(let m) = direction { margin = m }
        var gap: GapSlope?
        if comparison != nil, let v = runs.variants[row.variant], let b = runs.variants[row.baseline] {
            gap = TrainingGap(v, against: b).map(VerdictRule.gapAtEnd)
        }
        return EvidenceResult(protocolLabel: row.protocolLabel, experiment: row.experiment, variant: row.variant, baseline: row.baseline,
                              direction: direction.word, margin: margin, claimed: direction.text(baseline: row.baseline),
                              outcome: outcome.text, verdict: outcome.word, comparison: comparison,
                              budget: runs.allFinished ? TokenBudget.lines(these) : [], gapAtEnd: gap,
                              nextSeeds: VerdictRule.seedPlan(direction, comparison: comparison, word: outcome.word,
                                                              current: these.allSatisfy { $0.validationProtocol == .windows }))
    }

    static func cache(_ row: ClaimEvidence, _ runs: VerdictExperimentRuns) -> CacheFigure {
        let paperVariant = try! KVPresets.named(row.paperVariant!), paperBaseline = try! KVPresets.named(row.paperBaseline!)
        let paperRatio = Double(paperVariant.kvElementsPerToken) / Double(paperBaseline.kvElementsPerToken)
        var figure = CacheFigure(protocolLabel: row.protocolLabel, experiment: row.experiment, variant: row.variant, baseline: row.baseline,
                                 pending: nil, formulas: [], ratio: nil, paperVariant: paperVariant.name, paperBaseline: paperBaseline.name,
                                 paperFormulas: [paperVariant.substitutedFormula, paperBaseline.substitutedFormula],
                                 paperRatio: paperRatio, differences: nil)
        guard let v = runs.variants[row.variant], let b = runs.variants[row.baseline] else {
            figure.pending = runs.total == nil ? EvidenceOutcome.pending(finished: 0, total: nil).text
                : "pending: no run file of `\(runs.variants[row.variant] == nil ? row.variant : row.baseline)` yet"
            return figure
        }
        figure.formulas = [ExperimentReport.formulaRow(v), ExperimentReport.formulaRow(b)]
        let ours = (v.runs[0].kvElementsPerToken, b.runs[0].kvElementsPerToken)
        figure.ratio = Double(ours.0) / Double(ours.1)
        // Per layer, the variant's cache in units of the baseline's head width, over the
        // baseline's 2 n_h: the ratio is this quotient in both models.
        let ourHeads = b.runs[0].config.model.attention.nHeads, ourDh = b.runs[0].config.model.headDim
        let paperHeads = paperBaseline.attention.nHeads, paperDh = paperBaseline.attention.headDim
        let ourWidths = Double(v.runs[0].kvElementsPerTokenPerLayer) / Double(ourDh)
        let paperWidths = Double(paperVariant.kvElementsPerTokenPerLayer) / Double(paperDh)
        func layers(_ lv: Int, _ lb: Int) -> String { lv == lb ? "" : " × \(lv) / \(lb) layers" }
        let ourLayers = layers(v.runs[0].config.model.nLayers, b.runs[0].config.model.nLayers)
        figure.differences = "per layer, `\(row.variant)` caches \(trimmedDecimal(ourWidths)) d_h (d_h = \(ourDh)) against "
            + "`\(row.baseline)`'s 2 n_h d_h with n_h = \(ourHeads) heads, so \(trimmedDecimal(ourWidths)) / \(2 * ourHeads)\(ourLayers) = "
            + "\(percent(figure.ratio!)); the paper's \(paperVariant.name) caches \(trimmedDecimal(paperWidths)) d_h (d_h = \(paperDh)) "
            + "against n_h = \(paperHeads) heads, so \(trimmedDecimal(paperWidths)) / \(2 * paperHeads)"
            + "\(layers(paperVariant.layers, paperBaseline.layers)) = \(percent(paperRatio))"
            + (ourHeads == paperHeads ? "" : "; the head counts differ (\(ourHeads) here, \(paperHeads) in the paper)")
        return figure
    }
}
