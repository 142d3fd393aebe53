import Foundation

/// The one word a loss claim gets from its evidence.
public enum VerdictWord: String, Sendable, Equatable, Codable {
    case reproduced
    case contradicted
    case notDistinguishable = "not distinguishable at this scale"
}

/// The state of one loss evidence row: a verdict, or why there is none.
public enum EvidenceOutcome: Sendable, Equatable {
    case verdict(VerdictWord)
    /// Fewer than two seeds could be paired, so there is no interval.
    case tooFewPairs(n: Int)
    /// The row's runs were validated under different protocols (run-file formats before and
    /// from 3), whose losses are not comparable, so there is no interval.
    case mixedProtocols
    /// Not every run of the experiment has finished (`finished` of `total`), or it has no file
    /// yet (`total` nil): no number is shown.
    case pending(finished: Int, total: Int?)

    /// The verdict column: the word, "no verdict (n < 2)" or "pending: k of n runs finished".
    public var text: String {
        switch self {
        case .verdict(let w): return w.rawValue
        case .tooFewPairs(let n): return "no verdict (n < 2: \(n) paired seed\(n == 1 ? "" : "s"))"
        case .mixedProtocols: return "no verdict (runs validated under different protocols: old subset and whole split)"
        case .pending(let k, let n?): return "pending: \(k) of \(n) runs finished"
        case .pending(_, nil): return "pending: experiment file not written yet"
        }
    }

    public var word: VerdictWord? { if case .verdict(let w) = self { return w } else { return nil } }
}

/// How a loss claim is judged from the paired-by-seed 95% Student-t interval [lo, hi] of the
/// mean difference (variant − baseline) in final validation loss (`PairedComparison`).
/// Stated here once; the report prints `statement`.
public enum VerdictRule {
    /// The rule in words, as the verdict report prints it.
    public static let statement = [
        "Each loss row pairs the variant's and the baseline's finished runs by seed and takes the 95% Student-t interval "
            + "[lo, hi] of the mean difference (variant − baseline) in final validation loss (nats per token): "
            + "mean ± t(0.975, n − 1) · sd / √n, the interval of `attnlab report`'s paired comparison.",
        "\"lower\" claims: **reproduced** when hi < 0, **contradicted** when lo > 0, otherwise **not distinguishable at this scale**.",
        "\"higher\" claims: **reproduced** when lo > 0, **contradicted** when hi < 0, otherwise **not distinguishable at this scale**.",
        "\"within m\" claims: **reproduced** when −m ≤ lo and hi ≤ m, **contradicted** when hi < −m or lo > m (the interval "
            + "lies entirely outside [−m, +m]), otherwise **not distinguishable at this scale**.",
        "Runs of one row validated under different protocols (the old validation subset and the whole split, run-file "
            + "formats before and from 3) are not compared: no verdict.",
        "Fewer than 2 paired seeds: no interval, no verdict (\"n < 2\"). An experiment whose runs have not all finished "
            + "(or that has no file yet) is **pending**: no number and no verdict.",
        "Each finished row also says whether its gap was still moving at the end of training: the least-squares slope of the "
            + "paired gap (variant − baseline) over the last quarter of training, per seed, with a 95% t interval over seeds, as "
            + "in `attnlab report`'s gap section; from the validation curve when that gives a verdict (3 or more evaluations in the "
            + "window and 2 or more seeds), else from the training curve. **still moving** (the interval excludes 0): the word holds for this budget only, the ordering "
            + "has not settled; **flat within noise**: no change of the gap was detected at the end.",
        "Cache-size claims are computed figures (Table 1 formulas), shown beside the paper's; they get no verdict word.",
        "Planning, not a verdict (section \"Next runs\"): for a finished row that is not distinguishable, the distance its "
            + "interval has to clear is d = |Δ| for \"lower\" and \"higher\" claims, and for \"within m\" m − |Δ| (towards "
            + "reproduced) when |Δ| < m, else |Δ| − m (towards contradicted); the seeds to plan for are the smallest n ≥ 2 with "
            + "(t(0.975, n − 1) + t(\(trimmedDecimal(plannedPower)), n − 1)) · sd / √n ≤ d, sd the observed standard deviation of "
            + "the paired differences: the usual \(Int(plannedPower * 100))% power approximation of a paired t test, if the true "
            + "difference and its spread were the observed ones (both uncertain with this few seeds). None up to "
            + "\(plannedSeedsLimit) seeds, or d = 0: more seeds alone are not a plan.",
    ]

    /// Power the "Next runs" seed counts plan for.
    public static let plannedPower = 0.8
    /// The largest seed count "Next runs" reports; beyond it, more seeds alone are not a plan.
    public static let plannedSeedsLimit = 1000
    /// Seed counts above this are named as impractical on one machine or a small allocation
    /// (100 seeds of the smallest study experiment are 200 runs).
    public static let practicalSeeds = 100

    /// The seeds a not-distinguishable row would need for a decisive word (see `statement`):
    /// nil unless `word` is not distinguishable and the comparison has n ≥ 2 and a finite sd.
    /// `current` says whether the row's runs use the current validation protocol; when not, new
    /// seeds could not be compared with them and the plan is to train every seed again.
    public static func seedPlan(_ direction: ClaimDirection, comparison: PairedComparison?, word: VerdictWord?,
                                current: Bool = true) -> SeedPlan? {
        guard word == .notDistinguishable, let c = comparison, c.n >= 2, let sd = c.stdDifference, sd.isFinite,
              c.meanDifference.isFinite else { return nil }
        let mean = c.meanDifference
        let distance: Double, towards: VerdictWord
        switch direction {
        case .lower: (distance, towards) = (abs(mean), mean < 0 ? .reproduced : .contradicted)
        case .higher: (distance, towards) = (abs(mean), mean > 0 ? .reproduced : .contradicted)
        case .within(let m): (distance, towards) = abs(mean) < m ? (m - abs(mean), .reproduced) : (abs(mean) - m, .contradicted)
        }
        return SeedPlan(distance: distance, sd: sd, seedsNow: c.n, seeds: seedsForPower(distance: distance, sd: sd),
                        towards: towards, rerunAll: !current)
    }

    /// Smallest n ≥ 2 with (t(0.975, n − 1) + t(`plannedPower`, n − 1)) · sd / √n ≤ distance; nil
    /// when distance is not positive or no n up to `plannedSeedsLimit` is enough. sd 0 gives 2.
    public static func seedsForPower(distance: Double, sd: Double) -> Int? {
        guard distance > 0 else { return nil }
        for n in 2...plannedSeedsLimit {
            let df = Double(n - 1)
            let need = (StudentT.quantile(0.975, df: df) + StudentT.quantile(plannedPower, df: df)) * sd / Double(n).squareRoot()
            if need <= distance { return n }
        }
        return nil
    }


    /// The slope that says whether a gap has settled: the validation curve's when it gives a
    /// verdict over seeds (3 or more evaluations in the last quarter, 2 or more seeds), else the
    /// training curve's.
    public static func gapAtEnd(_ gap: TrainingGap) -> GapSlope {
        let judged = ["still moving", "flat within noise"]
        return judged.contains(gap.validationSlope.verdict) ? gap.validationSlope : gap.trainingSlope
    }

    /// The word for an interval [lo, hi] under `direction`.
    public static func judge(_ direction: ClaimDirection, low lo: Double, high hi: Double) -> VerdictWord {
        switch direction {
        case .lower: return hi < 0 ? .reproduced : lo > 0 ? .contradicted : .notDistinguishable
        case .higher: return lo > 0 ? .reproduced : hi < 0 ? .contradicted : .notDistinguishable
        case .within(let m):
            if lo >= -m && hi <= m { return .reproduced }
            return hi < -m || lo > m ? .contradicted : .notDistinguishable
        }
    }

    /// The row's outcome: pending unless all `total` runs of the experiment finished (`total`
    /// nil: no experiment file), no verdict below two pairs, else `judge` on the interval.
    public static func outcome(_ direction: ClaimDirection, comparison: PairedComparison?, finished: Int, total: Int?,
                               mixedProtocols: Bool = false) -> EvidenceOutcome {
        guard let total, total > 0, finished == total else { return .pending(finished: finished, total: total) }
        guard !mixedProtocols else { return .mixedProtocols }
        guard let c = comparison, let lo = c.ciLow, let hi = c.ciHigh, c.n >= 2 else { return .tooFewPairs(n: comparison?.n ?? 0) }
        return .verdict(judge(direction, low: lo, high: hi))
    }
}

/// How many paired seeds a not-distinguishable loss row would need for a decisive word, if its
/// observed difference and spread held (`VerdictRule.seedPlan`). Planning, not evidence.
public struct SeedPlan: Sendable, Equatable, Codable {
    /// What the interval has to clear: |Δ|, or the distance of |Δ| to a "within" margin.
    public var distance: Double
    /// Observed standard deviation of the paired differences (nats per token).
    public var sd: Double
    /// Paired seeds so far.
    public var seedsNow: Int
    /// Paired seeds for `VerdictRule.plannedPower`; nil when none up to `plannedSeedsLimit`.
    public var seeds: Int?
    /// The word the row would get if the observed difference held.
    public var towards: VerdictWord
    /// The row's runs use an older validation protocol: seeds added now would be validated on the
    /// whole split and could not be paired with them, so every seed has to be trained again.
    public var rerunAll: Bool
}
