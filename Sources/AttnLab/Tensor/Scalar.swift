import CBLAS
import Foundation

/// Element type of tensors. Float is used for training; Double exists so that finite-difference
/// gradient checks are precise. Matrix products dispatch to sgemm/dgemm.
public protocol Scalar: BinaryFloatingPoint, Sendable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = alpha · op(A) x + beta · y with A row-major [m, n] (leading dimension lda), op(A) = Aᵀ
    /// when `trans`; x and y contiguous. sgemv/dgemv.
    static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    static func expo(_ x: Self) -> Self
    /// y[i] = e^(x[i] − shift) for i < count, over raw buffers; `y` may be `x` (in place).
    /// Float: vectorised (`VectorExp`, within 2 ulp of libm); Double: libm per element.
    static func exponentials(_ x: UnsafePointer<Self>, minus shift: Self, into y: UnsafeMutablePointer<Self>, count: Int)
    static func logarithm(_ x: Self) -> Self
    static func squareRoot(_ x: Self) -> Self
    static func cosine(_ x: Self) -> Self
    static func sine(_ x: Self) -> Self
    static func power(_ x: Self, _ y: Self) -> Self
    /// Bytes per element, as stored in checkpoints.
    static var byteSize: Int { get }
    static var typeName: String { get }
}

@inline(__always)
private func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: Scalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTrans(transA), cblasTrans(transB), Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inline(__always)
    public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, cblasTrans(trans), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    @inline(__always) public static func expo(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always)
    public static func exponentials(_ x: UnsafePointer<Float>, minus shift: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        VectorExp.exponentials(x, minus: shift, into: y, count: count)
    }
    @inline(__always) public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) public static func squareRoot(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func cosine(_ x: Float) -> Float { Foundation.cos(x) }
    @inline(__always) public static func sine(_ x: Float) -> Float { Foundation.sin(x) }
    @inline(__always) public static func power(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
    public static var byteSize: Int { 4 }
    public static var typeName: String { "float32" }
}

extension Double: Scalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTrans(transA), cblasTrans(transB), Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inline(__always)
    public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(CblasRowMajor, cblasTrans(trans), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    @inline(__always) public static func expo(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always)
    public static func exponentials(_ x: UnsafePointer<Double>, minus shift: Double, into y: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { y[i] = Foundation.exp(x[i] - shift) }
    }
    @inline(__always) public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func squareRoot(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) public static func cosine(_ x: Double) -> Double { Foundation.cos(x) }
    @inline(__always) public static func sine(_ x: Double) -> Double { Foundation.sin(x) }
    @inline(__always) public static func power(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    public static var byteSize: Int { 8 }
    public static var typeName: String { "float64" }
}
