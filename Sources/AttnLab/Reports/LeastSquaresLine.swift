import Foundation

/// The least-squares line y ≈ intercept + slope · x through points, with the slope's standard
/// error from the residuals (ordinary least squares, independent errors assumed).
struct LeastSquaresLine {
    let slope: Double
    let intercept: Double
    /// sqrt(SS_res / (n − 2) / Σ(x − x̄)²); nil with fewer than three points.
    let slopeStandardError: Double?
    let n: Int

    /// Nil with fewer than two points or when every x is the same.
    init?(x: [Double], y: [Double]) {
        precondition(x.count == y.count, "x and y must have the same length")
        n = x.count
        guard n >= 2 else { return nil }
        let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        guard sxx > 0 else { return nil }
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        slope = sxy / sxx
        intercept = my - slope * mx
        if n >= 3 {
            let (b, a) = (slope, intercept)
            let ssRes = zip(x, y).reduce(0) { acc, p in acc + (p.1 - a - b * p.0) * (p.1 - a - b * p.0) }
            slopeStandardError = (ssRes / Double(n - 2) / sxx).squareRoot()
        } else {
            slopeStandardError = nil
        }
    }
}
