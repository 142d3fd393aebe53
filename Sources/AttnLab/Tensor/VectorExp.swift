/// e^x for Float over raw buffers, vectorised: Cephes' `expf` range reduction and polynomial
/// (S. L. Moshier, Cephes Math Library, `expf.c`) written as branch-free scalar code that the
/// compiler's loop vectoriser turns into SIMD code on any x86-64 (SSE2 is enough: rounding uses
/// the 1.5·2²³ trick, not `roundps`; selects, not branches, handle the special values).
/// Swift's `SIMD8` comparisons compile to per-lane loops, which is why this is not written on it.
///
/// x = n·ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 split in two so n·ln 2 is
/// exact); e^r ≈ 1 + r + r²·P(r) with Cephes' degree-5 P; then 2ⁿ is applied as two exact
/// power-of-two factors, so results are rounded once.
///
/// Subnormal results are flushed to 0 here, explicitly and in every floating-point mode: e^x is 0
/// for x < `normalBound` (where it would be below 2⁻¹²⁶), and no operation on the way produces a
/// subnormal (x is clamped first), so the function never pays a subnormal assist and gives the
/// same bits whether or not the thread flushes (`SubnormalFlush`).
///
/// Accuracy: at most 1 ulp from the correctly rounded e^x over every 7th Float in
/// [`normalBound`, 89] (measured against libm in Double); `VectorExpTests` requires at most 2 ulp
/// over every 257th. Special values: e^(−∞) = 0, e^(+∞) = +∞, NaN → NaN,
/// x > `overflowBound` → +∞, x < `normalBound` → 0.
///
/// Every element goes through the same IEEE operations (vector lanes and the scalar remainder
/// loop alike; Swift does not contract to FMA), so a value's result never depends on its
/// position in the buffer, its lane or the thread split. Double keeps libm (see
/// `Scalar.exponentials`), on which the gradient checks rely.
public enum VectorExp {
    /// Above this, e^x overflows Float (ln of the largest finite Float, rounded down to a Float).
    public static let overflowBound: Float = 88.72283172607421875
    /// Below this, e^x would be subnormal (ln 2⁻¹²⁶ = −87.336544…; e^(−87.3365) is just above
    /// 2⁻¹²⁶): the result is 0. Inputs in [−87.336544, −87.3365) lose a normal result of at most
    /// 1.2e-38.
    public static let normalBound: Float = -87.3365

    /// e^x for one element; inlined into loops, which the compiler vectorises.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        // Clamping first keeps n in [−126, 128] and every intermediate normal; out-of-range and
        // NaN inputs are replaced below.
        var xc = x < normalBound ? normalBound : x
        xc = xc > 89 ? 89 : xc
        // n = round-to-nearest-even(x · log2 e): adding 1.5·2²³ leaves the integer in the low
        // mantissa bits, so the same sum gives n as a float and as an integer.
        let magic: Float = 12_582_912
        let shifted = xc * 1.44269504088896341 + magic
        let nf = shifted - magic
        let n = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        // r = x − n·ln 2, with ln 2 = 0.693359375 − 2.12194440e-4 (the first part has 9 bits,
        // so n times it is exact).
        let r = xc - nf * 0.693359375 - nf * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * (r * r) + r + 1
        // 2ⁿ = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋): both factors are normal for n in [−126, 128].
        let n1 = n &>> 1, n2 = n &- n1
        let scale1 = Float(bitPattern: UInt32(bitPattern: (n1 &+ 127) &<< 23))
        let scale2 = Float(bitPattern: UInt32(bitPattern: (n2 &+ 127) &<< 23))
        var y = er * scale1 * scale2
        y = x > overflowBound ? .infinity : y
        y = x < normalBound ? 0 : y
        return x != x ? x : y
    }

    /// y[i] = e^(x[i] − shift) for i < count; `y` may be `x` (in place). Used for softmax rows
    /// (shift = the row's maximum) and sigmoids (x negated, shift 0).
    public static func exponentials(
        _ x: UnsafePointer<Float>, minus shift: Float, into y: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { y[i] = exp(x[i] - shift) }
    }
}
