import Foundation

/// One run file as listed in the report's appendix.
public struct ReportRunRow: Sendable, Equatable, Codable {
    public var file: String
    public var run: String
    public var variant: String
    public var seed: Int
    public var status: String
    public var step: Int
    public var finalValLoss: Double?
    public var startTime: String
    public var host: String
}

/// A seed of the paired comparison that has no pair: the variant's or the baseline's run with
/// that seed is missing, diverged, unfinished or has no validation loss.
public struct UnpairedSeed: Sendable, Equatable, Codable {
    public var variant: String
    public var seed: Int
    /// "`mha` diverged at step 7; `mla` has no run with this seed".
    public var reason: String

    /// Every seed of `v` or `b` that the comparison of `v` with `b` cannot use, ascending.
    static func all(_ v: ReportVariant, against b: ReportVariant) -> [UnpairedSeed] {
        let seeds = Set(v.runs.map(\.seed)).union(b.runs.map(\.seed)).sorted()
        return seeds.compactMap { seed in
            let reasons = [v, b].compactMap { g -> String? in
                let runs = g.runs.filter { $0.seed == seed }
                guard !runs.isEmpty else { return "`\(g.name)` has no run with this seed" }
                guard runs.allSatisfy({ $0.unusableReason != nil }) else { return nil }
                return "`\(g.name)` " + runs.compactMap(\.unusableReason).joined(separator: ", ")
            }
            return reasons.isEmpty ? nil : UnpairedSeed(variant: v.name, seed: seed, reason: reasons.joined(separator: "; "))
        }
    }
}

/// A Table 1 formula filled in with one variant's widths, checked against the run file.
public struct KVFormulaRow: Sendable, Equatable, Codable {
    public var variant: String
    public var formula: String
    public var substituted: String
    public var elementsPerToken: Int
    public var matchesRunFile: Bool
    public var paperCapability: String
}

/// The secondary table of a tuned experiment: its variants trained at one shared lr (the runs of
/// the experiment it was tuned from), with their paired comparison.
public struct SameLearningRateComparison: Sendable, Equatable, Codable {
    /// The experiment whose runs these are (`NAME` for `NAME-tuned`).
    public var experiment: String
    public var baseline: String?
    public var variants: [VariantStats]
    public var comparisons: [PairedComparison]
    public var unpaired: [UnpairedSeed]

    public init(experiment: String, runs: [RunRecord]) {
        let report = ExperimentReport(experiment: experiment, variants: ReportVariant.group(runs, primary: experiment))
        self.experiment = experiment
        baseline = report.baseline
        variants = report.variants
        comparisons = report.comparisons
        unpaired = report.unpaired
    }
}

/// Every number of an experiment's report, computed from its run files alone. The Markdown and
/// JSON renderings are views of this value.
public struct ExperimentReport: Sendable, Equatable, Codable {
    public var experiment: String
    public var description: String
    public var regenerateCommand: String
    public var producedBy: String
    /// Earliest and latest run start (ISO 8601, as stored).
    public var firstStart: String
    public var lastStart: String
    public var hosts: [String]
    public var blasCores: [String]
    public var blasThreads: [Int]
    /// The experiments whose runs `--include` added as extra variants.
    public var including: [String]
    /// The training token budget (`TokenBudget.lines`) of the report's runs.
    public var tokenBudget: [String]
    /// Run files (`folder/file.h5`) in the folders read that their experiment does not define
    /// (left from an earlier grid); not in any table.
    public var ignored: [String] = []
    /// Variants whose runs share a name but not a configuration ("gla" and "gla#2": files of one
    /// run name trained with different keys, e.g. with `--set`), each with the keys that set it
    /// apart from the first of that name; nil when there are none.
    public var splitVariants: [String]?
    /// How the runs' validation losses were measured: one line per `ValidationProtocol` used,
    /// with its run count ("old protocol (...): 27 run files").
    public var validation: [String]
    /// The eval column shown beside the loss: "bits_per_byte" (or char/token) or "accuracy".
    public var secondaryMetric: String?
    /// The MHA variant comparisons are made against.
    public var baseline: String?
    public var variants: [VariantStats]
    public var comparisons: [PairedComparison]
    /// Seeds of a variant or of the baseline that could not be paired, with the reason.
    public var unpaired: [UnpairedSeed]
    public var kvFormulas: [KVFormulaRow]
    public var runs: [ReportRunRow]
    public var references: [ReferenceTable]
    /// Each variant's loss minus the baseline's over training, paired by seed.
    public var gaps: [TrainingGap]
    /// For a tuned experiment (`NAME-tuned`): the tuning that chose each variant's lr.
    public var tuning: LearningRateTuningReport?
    /// For a tuned experiment: the same variants all at one lr (`NAME`'s runs), the secondary table.
    public var sameLearningRate: SameLearningRateComparison?
    /// Per run: stability diagnostics (`StabilitySummary`).
    public var stability: [RunStability]

    /// `tuning` and `sameLearningRate` are the tuned experiment's extra sections (nil otherwise).
    public init(experiment: String, variants groups: [ReportVariant], including: [String] = [],
                tuning: LearningRateTuningReport? = nil, sameLearningRate: SameLearningRateComparison? = nil) {
        let all = groups.flatMap(\.runs)
        self.experiment = experiment
        description = all.first { $0.experiment == experiment }?.config.description ?? all.first?.config.description ?? ""
        regenerateCommand = "attnlab report \(experiment)" + including.map { " --include \($0)" }.joined()
        producedBy = "attnlab sweep \(experiment) --jobs 2"
        let starts = all.map(\.startTime).sorted()
        firstStart = starts.first ?? "-"
        lastStart = starts.last ?? "-"
        hosts = Array(Set(all.map(\.host))).sorted()
        blasCores = Array(Set(all.map(\.blasCore))).sorted()
        blasThreads = Array(Set(all.map(\.blasThreads))).sorted()
        self.including = including
        tokenBudget = TokenBudget.lines(all)
        validation = ValidationProtocol.allCases.compactMap { p in
            let these = all.filter { $0.validationProtocol == p }, n = these.count
            return n > 0 ? "\(p.description(evalWindows: these.map(\.config.eval.windows))): \(n) run file\(n == 1 ? "" : "s")" : nil
        }
        let metrics = Set(all.flatMap(\.eval.keys)).subtracting(["loss"]).sorted()
        secondaryMetric = metrics.first
        let base = groups.first { $0.attention == AttentionKind.mha.rawValue }
        baseline = base?.name
        let mhaKV = base?.runs[0].kvElementsPerToken
        variants = groups.map { VariantStats($0, secondaryMetric: metrics.first, mhaKV: mhaKV) }
        comparisons = base.map { b in
            groups.filter { $0.name != b.name }.compactMap { Self.compare($0, against: b) }
        } ?? []
        unpaired = base.map { b in groups.filter { $0.name != b.name }.flatMap { UnpairedSeed.all($0, against: b) } } ?? []
        kvFormulas = groups.map(Self.formulaRow)
        runs = groups.flatMap { g in
            g.runs.map { r in
                ReportRunRow(file: r.fileName, run: r.run, variant: g.name, seed: r.seed, status: r.status.rawValue,
                             step: r.step, finalValLoss: r.finalValLoss, startTime: r.startTime, host: r.host)
            }
        }
        references = PaperReference.tables(kinds: Set(groups.map(\.attention)))
        gaps = base.map { b in groups.filter { $0.name != b.name }.compactMap { TrainingGap($0, against: b) } } ?? []
        self.tuning = tuning
        self.sameLearningRate = sameLearningRate
        stability = StabilitySummary.rows(groups)
        let split = groups.compactMap { g -> String? in
            guard let name = VariantGrouping.unsuffixedName(g.name), let first = groups.first(where: { $0.name == name }) else { return nil }
            var (a, b) = (g.runs[0].config.runIdentity, first.runs[0].config.runIdentity)
            (a.train.seed, b.train.seed) = (0, 0)
            return "`\(g.name)` (\(g.runs.map(\.fileName).joined(separator: ", "))) differs from `\(name)` in "
                + a.differences(from: b, labels: ("here", "there")).joined(separator: "; ")
        }
        splitVariants = split.isEmpty ? nil : split
    }

    /// Final validation losses paired by seed over the finished runs of both variants.
    static func compare(_ v: ReportVariant, against b: ReportVariant) -> PairedComparison? {
        var baseBySeed: [Int: Double] = [:]
        for r in b.finished { if let l = r.finalValLoss { baseBySeed[r.seed] = l } }
        var pairs: [Int: (Double, Double)] = [:]
        for r in v.finished { if let l = r.finalValLoss, let bl = baseBySeed[r.seed] { pairs[r.seed] = (l, bl) } }
        return PairedComparison(variant: v.name, baseline: b.name, pairs: pairs)
    }

    static func formulaRow(_ v: ReportVariant) -> KVFormulaRow {
        let run = v.runs[0]
        var attention = run.config.model.attention
        attention.headDim = run.config.model.headDim
        let model = KVModel(name: v.name, source: run.fileName, attention: attention, layers: run.config.model.nLayers)
        return KVFormulaRow(variant: v.name, formula: model.formula, substituted: model.substitutedFormula,
                            elementsPerToken: model.kvElementsPerToken,
                            matchesRunFile: model.kvElementsPerToken == run.kvElementsPerToken,
                            paperCapability: PaperReference.capability(v.attention))
    }
}
