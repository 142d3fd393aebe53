import Foundation

/// Student's t distribution, enough for paired comparisons between seeds: the CDF through the
/// regularized incomplete beta function and the quantile by bisection on that CDF, so no
/// statistics library is needed and every figure can be checked against printed tables.
public enum StudentT {
    /// P(T <= t) for `df` degrees of freedom (df > 0).
    public static func cdf(_ t: Double, df: Double) -> Double {
        precondition(df > 0, "Student t needs df > 0, got \(df)")
        if t.isInfinite { return t > 0 ? 1 : 0 }
        // P(|T| > |t|) = I_x(df/2, 1/2) with x = df / (df + t^2).
        let tail = 0.5 * regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + t * t))
        return t >= 0 ? 1 - tail : tail
    }

    /// Two-sided p-value of an observed t statistic: P(|T| >= |t|).
    public static func twoSidedP(_ t: Double, df: Double) -> Double {
        precondition(df > 0, "Student t needs df > 0, got \(df)")
        if t.isInfinite { return 0 }
        return regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + t * t))
    }

    /// The t with P(T <= t) = p, for p in (0, 1). Bisection converges to full double precision
    /// in about a hundred CDF evaluations, which is nothing next to reading the run files.
    public static func quantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs p in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while cdf(hi, df: df) < p { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            if cdf(mid, df: df) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// I_x(a, b), following Numerical Recipes (`betai`): the continued fraction converges fast
    /// for x < (a + 1) / (a + b + 2); otherwise the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) is used.
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        precondition(a > 0 && b > 0, "incomplete beta needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    /// The continued fraction of the incomplete beta function by the modified Lentz method.
    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-15
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            // Even step of the recurrence.
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            // Odd step.
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return h
    }
}
