import Foundation

/// Whether a loss gap is still moving at the end of training: the slope of the gap over the last
/// quarter of training (steps ≥ ¾ of the last step), in nats per token per 1000 steps, with a 95%
/// interval. With two or more seeds each seed's gap gets its own least-squares slope and the
/// interval is Student t over the seeds' slopes; with one seed it is the regression's own interval
/// (t with k − 2 degrees of freedom, k points), which assumes independent residuals: consecutive
/// points of one curve are autocorrelated, so that interval is too narrow and one seed gets no verdict.
public struct GapSlope: Sendable, Equatable, Codable {
    /// `validation` (the `/eval` curve) or `training` (the `/train` curve, every step).
    public var curve: String
    /// The window: first and last step of the last quarter.
    public var fromStep: Int
    public var toStep: Int
    /// Curve points per seed inside the window.
    public var points: Int
    /// Mean slope (nats per token per 1000 steps); nil with fewer than `minimumPoints` points.
    public var perThousandSteps: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    /// How the interval was formed, e.g. `t over 3 seeds`.
    public var method: String
    /// `still moving` (the interval excludes 0), `flat within noise`, `oneSeedVerdict`, or why there is no slope.
    public var verdict: String

    /// Points per seed below which no slope is given: two points make a line but leave nothing to
    /// judge it by.
    public static let minimumPoints = 3
    /// The verdict with one seed: its interval treats autocorrelated points as independent.
    public static let oneSeedVerdict = "no verdict from one seed (interval too narrow: autocorrelated points)"

    /// `curves` holds one gap curve per seed, all at the same steps (ascending).
    init(curve: String, steps: [Int], curves: [[Double]]) {
        self.curve = curve
        let last = steps.last ?? 0
        let window = steps.indices.filter { 4 * steps[$0] >= 3 * last }
        fromStep = window.first.map { steps[$0] } ?? 0
        toStep = last
        points = window.count
        method = "-"
        let what = curve == "validation" ? "eval points" : "steps"
        guard points >= Self.minimumPoints, !curves.isEmpty else {
            verdict = "too few \(what) (\(points) in the last quarter; a slope needs \(Self.minimumPoints))"
            return
        }
        let x = window.map { Double(steps[$0]) / 1000 }
        let lines = curves.compactMap { c in LeastSquaresLine(x: x, y: window.map { c[$0] }) }
        guard lines.count == curves.count else {
            verdict = "no slope (the window has a single step)"
            return
        }
        if lines.count >= 2 {
            let s = SampleSummary(lines.map(\.slope))!
            perThousandSteps = s.mean
            let half = PairedComparison.halfWidth95(std: s.std!, n: s.n)
            ciLow = s.mean - half
            ciHigh = s.mean + half
            method = "t over \(s.n) seeds"
        } else {
            let line = lines[0]
            perThousandSteps = line.slope
            let half = StudentT.quantile(0.975, df: Double(line.n - 2)) * line.slopeStandardError!
            ciLow = line.slope - half
            ciHigh = line.slope + half
            method = "regression on one seed (\(line.n) points)"
            verdict = Self.oneSeedVerdict
            return
        }
        verdict = (ciLow! > 0 || ciHigh! < 0) ? "still moving" : "flat within noise"
    }
}

/// A variant's loss minus the baseline's against the step, paired by seed (runs with the same seed
/// see the same batches, so the pairing removes most of the data noise): the validation gap's
/// mean over seeds with a 95% Student-t band (two or more seeds), and the slope of the gap over
/// the last quarter of training from the validation curve and from the training curve.
public struct TrainingGap: Sendable, Equatable, Codable {
    public var variant: String
    public var baseline: String
    /// Seeds finished in both variants, ascending.
    public var seeds: [Int]
    /// Eval steps every paired run logged.
    public var steps: [Int]
    /// Mean validation-loss gap (nats per token) at `steps`.
    public var mean: [Double]
    /// The 95% t band of the mean; nil with one seed.
    public var bandLow: [Double]?
    public var bandHigh: [Double]?
    public var validationSlope: GapSlope
    public var trainingSlope: GapSlope
    /// The training-loss gap for the plot: steps, and the mean over seeds smoothed by a centred
    /// moving average of `smoothingWindow` steps. Not written to JSON (the run files hold it).
    public var trainSteps: [Int] = []
    public var trainSmoothed: [Double] = []
    public var smoothingWindow = 1

    enum CodingKeys: String, CodingKey {
        case variant, baseline, seeds, steps, mean, bandLow, bandHigh, validationSlope, trainingSlope
    }

    /// Nil when the two variants share no finished seed.
    init?(_ v: ReportVariant, against b: ReportVariant) {
        var baseBySeed: [Int: RunRecord] = [:]
        for r in b.finished { baseBySeed[r.seed] = r }
        let pairs = v.finished.compactMap { r in baseBySeed[r.seed].map { (r, $0) } }.sorted { $0.0.seed < $1.0.seed }
        guard !pairs.isEmpty else { return nil }
        variant = v.name
        baseline = b.name
        seeds = pairs.map(\.0.seed)
        let (evalSteps, evalGaps) = Self.pairedGaps(pairs.map {
            (($0.0.evalSteps, $0.0.eval["loss"] ?? []), ($0.1.evalSteps, $0.1.eval["loss"] ?? []))
        })
        steps = evalSteps
        mean = evalSteps.indices.map { i in evalGaps.reduce(0) { $0 + $1[i] } / Double(evalGaps.count) }
        if evalGaps.count >= 2 {
            let halves = evalSteps.indices.map { i in
                PairedComparison.halfWidth95(std: SampleSummary(evalGaps.map { $0[i] })!.std!, n: evalGaps.count)
            }
            bandLow = zip(mean, halves).map { $0 - $1 }
            bandHigh = zip(mean, halves).map { $0 + $1 }
        }
        validationSlope = GapSlope(curve: "validation", steps: evalSteps, curves: evalGaps)
        let (tSteps, tGaps) = Self.pairedGaps(pairs.map { (($0.0.trainSteps, $0.0.trainLoss), ($0.1.trainSteps, $0.1.trainLoss)) })
        trainingSlope = GapSlope(curve: "training", steps: tSteps, curves: tGaps)
        trainSteps = tSteps
        let trainMean = tSteps.indices.map { i in tGaps.reduce(0) { $0 + $1[i] } / Double(tGaps.count) }
        smoothingWindow = Swift.max(1, tSteps.count / 40) | 1
        trainSmoothed = Self.movingAverage(trainMean, window: smoothingWindow)
    }

    /// Per pair, variant − baseline at the steps every pair logged (finite values only).
    static func pairedGaps(
        _ pairs: [((steps: [Int], values: [Double]), (steps: [Int], values: [Double]))]
    ) -> (steps: [Int], gaps: [[Double]]) {
        let maps = pairs.map { p -> [Int: Double] in
            let base = Dictionary(zip(p.1.steps, p.1.values), uniquingKeysWith: { _, last in last })
            var out: [Int: Double] = [:]
            for (s, v) in zip(p.0.steps, p.0.values) { if let bv = base[s], (v - bv).isFinite { out[s] = v - bv } }
            return out
        }
        guard let first = maps.first else { return ([], []) }
        let shared = first.keys.filter { s in maps.allSatisfy { $0[s] != nil } }.sorted()
        return (shared, maps.map { m in shared.map { m[$0]! } })
    }

    /// Centred moving average; the window shrinks at the ends so every output is a true mean.
    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        let half = window / 2
        return values.indices.map { i in
            let lo = Swift.max(0, i - half), hi = Swift.min(values.count - 1, i + half)
            return values[lo...hi].reduce(0, +) / Double(hi - lo + 1)
        }
    }
}
