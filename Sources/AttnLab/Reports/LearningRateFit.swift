import Foundation

/// One learning rate of a tuning grid and the final validation losses its runs reached.
public struct LearningRatePoint: Sendable, Equatable, Codable {
    /// Peak learning rate (`optimizer.lr`).
    public var lr: Double
    /// Final validation loss (nats per token) of every run at this lr that finished with a finite
    /// loss, in the order given.
    public var losses: [Double]
    /// Runs left out of the fit and why, e.g. `seed 2: diverged at step 31`.
    public var excluded: [String]
    /// Runs at this lr that the stability rule flags (`RunStability.flags`: spikes, attention
    /// logits above `StabilitySummary.extremeLogit`, a blown-up loss), e.g. `seed 0: **logit >
    /// 100** (1234.5 at step 300)`. Shown beside the point; a flagged run that finished with a
    /// finite loss still counts in the fit (the flag informs, it does not select).
    public var unstable: [String]
    /// Runs at this lr too short to be tested for spikes (`RunStability.spikeTested`), e.g.
    /// `seed 0: 20 ≤ 50 steps`: "not flagged" says nothing about their spikes.
    public var spikesNotTested: [String]
    /// Mean of `losses`: the value the fit uses; nil when every run was left out.
    public var meanLoss: Double? { losses.isEmpty ? nil : losses.reduce(0, +) / Double(losses.count) }

    public init(lr: Double, losses: [Double], excluded: [String] = [], unstable: [String] = [], spikesNotTested: [String] = []) {
        self.lr = lr; self.losses = losses; self.excluded = excluded; self.unstable = unstable
        self.spikesNotTested = spikesNotTested
    }
}

/// Why a tuning did not take the fitted optimum but its best grid point instead.
public enum LearningRateFitFlag: String, Sendable, Equatable, Codable {
    /// Fewer than three learning rates with a usable loss: a parabola is not determined.
    case tooFewPoints = "too few points"
    /// The fitted parabola opens downwards (or is flat): it has no minimum.
    case concave = "concave fit"
    /// R² below `LearningRateFit.minimumRSquared`: the parabola does not describe the losses.
    case poorFit = "poor fit"
    /// The parabola's minimum lies outside the grid: widen the grid towards it.
    case optimumOutsideGrid = "optimum outside the grid"
    /// The best usable point is the grid's lowest lr: the optimum is not bracketed.
    case bestAtLowerEdge = "best at the grid's lower edge: widen the grid downward"
    /// The best usable point is the grid's highest lr: the optimum is not bracketed.
    case bestAtUpperEdge = "best at the grid's upper edge: widen the grid upward"
    /// The parabola's loss at the best grid point differs from its mean loss by more than
    /// `LearningRateFit.bestPointTolerance`: the parabola does not describe the minimum.
    case missesBestPoint = "parabola misses the best point"
}

/// The learning-rate fit of one variant: a least-squares parabola of the final validation loss in
/// x = ln(lr), over the grid's learning rates (one point per lr: the mean over its tuning seeds;
/// runs that diverged or ended with a non-finite loss are left out and listed). The chosen lr is
/// the parabola's minimum exp(x*) with x* = −b / 2a when the best usable point is not at either end
/// of the grid (else the optimum is not bracketed, whatever the parabola says), the parabola opens
/// upwards (a > 0), fits (R² ≥ `minimumRSquared`), has x* inside the grid's range and passes within
/// `bestPointTolerance` of the best point's mean loss; otherwise it is the grid point with the
/// lowest mean loss, and `flag` says why (checked in that order). With exactly three points the parabola
/// interpolates them and R² is 1 by construction: the fit check needs four or more.
public struct LearningRateFit: Sendable, Equatable, Codable {
    /// The R² below which a fit counts as poor.
    public static let minimumRSquared = 0.8
    /// The largest |parabola − mean loss| at the best grid point (nats per token) for which the
    /// fitted optimum is taken.
    public static let bestPointTolerance = 0.02

    /// Every grid point, ascending in lr, including those whose runs were all left out.
    public var points: [LearningRatePoint]
    /// The parabola is y = a·u² + b·u + c in u = ln(lr) − `center` (centred for conditioning);
    /// nil with fewer than three usable points.
    public var center: Double?
    public var a: Double?
    public var b: Double?
    public var c: Double?
    /// 1 − SS_res / SS_tot over the usable points (1 when the losses are all equal and fitted).
    public var rSquared: Double?
    /// exp(x*), the parabola's minimum, when a > 0 (it may lie outside the grid).
    public var fittedOptimum: Double?
    /// The lr the tuned experiment uses; nil when no grid point has a usable loss.
    public var chosen: Double?
    /// Nil when `chosen` is the fitted optimum, else why the best grid point was taken.
    public var flag: LearningRateFitFlag?

    /// The usable points: those with at least one finite loss.
    public var usable: [LearningRatePoint] { points.filter { $0.meanLoss != nil } }

    /// The usable point with the lowest mean loss.
    public var bestGridPoint: LearningRatePoint? { usable.min { $0.meanLoss! < $1.meanLoss! } }

    /// The parabola's loss at `lr`; nil without a parabola.
    public func predictedLoss(_ lr: Double) -> Double? {
        guard let center, let a, let b, let c else { return nil }
        let u = Foundation.log(lr) - center
        return a * u * u + b * u + c
    }

    /// Fits `points` (any order; learning rates must be positive and distinct).
    public init(points: [LearningRatePoint]) {
        self.points = points.sorted { $0.lr < $1.lr }
        let use = usable
        let best = bestGridPoint?.lr
        chosen = best
        let edge: LearningRateFitFlag? = best == nil || self.points.count < 2 ? nil
            : best == self.points.first!.lr ? .bestAtLowerEdge : best == self.points.last!.lr ? .bestAtUpperEdge : nil
        guard use.count >= 3 else {
            flag = edge ?? .tooFewPoints
            return
        }
        let xs = use.map { Foundation.log($0.lr) }, ys = use.map { $0.meanLoss! }
        let center = xs.reduce(0, +) / Double(xs.count)
        let us = xs.map { $0 - center }
        // Normal equations of y ≈ c + b u + a u², solved with partial pivoting.
        func moment(_ k: Int) -> Double { us.reduce(0) { $0 + Foundation.pow($1, Double(k)) } }
        func weighted(_ k: Int) -> Double { zip(us, ys).reduce(0) { $0 + Foundation.pow($1.0, Double(k)) * $1.1 } }
        let m = [[moment(0), moment(1), moment(2)], [moment(1), moment(2), moment(3)], [moment(2), moment(3), moment(4)]]
        guard let solution = Self.solve3(m, [weighted(0), weighted(1), weighted(2)]) else {
            flag = edge ?? .tooFewPoints
            return
        }
        let (c, b, a) = (solution[0], solution[1], solution[2])
        self.center = center; self.a = a; self.b = b; self.c = c
        let meanY = ys.reduce(0, +) / Double(ys.count)
        let ssTot = ys.reduce(0) { $0 + ($1 - meanY) * ($1 - meanY) }
        let ssRes = zip(us, ys).reduce(0) { acc, p in
            let r = p.1 - (a * p.0 * p.0 + b * p.0 + c)
            return acc + r * r
        }
        let r2 = ssTot > 0 ? 1 - ssRes / ssTot : 1
        rSquared = r2
        guard a > 0 else {
            flag = edge ?? .concave
            return
        }
        let uStar = -b / (2 * a)
        fittedOptimum = Foundation.exp(center + uStar)
        if let edge {
            flag = edge
        } else if r2 < Self.minimumRSquared {
            flag = .poorFit
        } else if uStar < us.min()! || uStar > us.max()! {
            flag = .optimumOutsideGrid
        } else if let bestPoint = bestGridPoint, abs(predictedLoss(bestPoint.lr)! - bestPoint.meanLoss!) > Self.bestPointTolerance {
            flag = .missesBestPoint
        } else {
            chosen = fittedOptimum
        }
    }

    /// Solves the 3×3 system `m · x = v` by Gaussian elimination with partial pivoting; nil when
    /// it is singular (fewer than three distinct abscissae).
    static func solve3(_ m: [[Double]], _ v: [Double]) -> [Double]? {
        var a = zip(m, v).map { $0 + [$1] }
        let scale = m.flatMap { $0 }.map(abs).max() ?? 0
        for col in 0..<3 {
            let pivot = (col..<3).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            guard abs(a[pivot][col]) > 1e-14 * scale else { return nil }
            a.swapAt(col, pivot)
            for row in (col + 1)..<3 {
                let f = a[row][col] / a[col][col]
                for k in col...3 { a[row][k] -= f * a[col][k] }
            }
        }
        var x = [0.0, 0, 0]
        for row in stride(from: 2, through: 0, by: -1) {
            var s = a[row][3]
            for k in (row + 1)..<3 { s -= a[row][k] * x[k] }
            x[row] = s / a[row][row]
        }
        return x
    }
}
