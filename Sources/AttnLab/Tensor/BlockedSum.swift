/// Sums and dot products over raw buffers in eight interleaved partial sums (element i goes to
/// partial i mod 8; the partials are added pairwise at the end). The order is fixed by the
/// count alone, so results are reproducible, and the independent partials let the compiler use
/// SIMD instead of one serial chain of additions. Rounding differs from a left-to-right sum by
/// the usual reassociation error (a few ulp of the sum of magnitudes).
public enum BlockedSum {
    /// Σ x[i] for i < count.
    @inline(__always)
    public static func sum<T: Scalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        reduce(count) { x[$0] }
    }

    /// Σ a[i]·b[i] for i < count.
    @inline(__always)
    public static func dot<T: Scalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count: Int) -> T {
        reduce(count) { a[$0] * b[$0] }
    }

    /// Σ a[i]·b[i]·c[i] for i < count.
    @inline(__always)
    public static func dot<T: Scalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>, count: Int) -> T {
        reduce(count) { a[$0] * b[$0] * c[$0] }
    }

    /// The largest of x[0..<count] (count >= 1) in eight interleaved partial maxima, which the
    /// compiler can keep in vector registers. NaNs are skipped (a comparison with NaN is false)
    /// unless x[0] is NaN; the maximum itself does not depend on the order.
    @inline(__always)
    public static func maximum<T: Scalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        @inline(__always) func larger(_ a: T, _ b: T) -> T { b > a ? b : a }
        var m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0], m4 = x[0], m5 = x[0], m6 = x[0], m7 = x[0]
        var i = 0
        while i + 8 <= count {
            m0 = larger(m0, x[i]); m1 = larger(m1, x[i + 1]); m2 = larger(m2, x[i + 2]); m3 = larger(m3, x[i + 3])
            m4 = larger(m4, x[i + 4]); m5 = larger(m5, x[i + 5]); m6 = larger(m6, x[i + 6]); m7 = larger(m7, x[i + 7])
            i += 8
        }
        while i < count { m0 = larger(m0, x[i]); i += 1 }
        return larger(larger(larger(m0, m4), larger(m1, m5)), larger(larger(m2, m6), larger(m3, m7)))
    }

    @inline(__always)
    private static func reduce<T: Scalar>(_ count: Int, _ term: (Int) -> T) -> T {
        var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0, s4: T = 0, s5: T = 0, s6: T = 0, s7: T = 0
        var i = 0
        while i + 8 <= count {
            s0 += term(i); s1 += term(i + 1); s2 += term(i + 2); s3 += term(i + 3)
            s4 += term(i + 4); s5 += term(i + 5); s6 += term(i + 6); s7 += term(i + 7)
            i += 8
        }
        // The remainder goes to the partials of its positions, as if the count were padded.
        if i < count { s0 += term(i) }
        if i + 1 < count { s1 += term(i + 1) }
        if i + 2 < count { s2 += term(i + 2) }
        if i + 3 < count { s3 += term(i + 3) }
        if i + 4 < count { s4 += term(i + 4) }
        if i + 5 < count { s5 += term(i + 5) }
        if i + 6 < count { s6 += term(i + 6) }
        return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7))
    }
}
