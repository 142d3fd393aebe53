import Dispatch
import Foundation

/// AttnLab's own parallelism: work is split into a fixed number of contiguous parts, so results
/// never depend on scheduling (same config, seed and thread count give the same bits).
public enum Parallel {
    /// Worker count, set once at start-up (`train.threads`, default: all cores).
    nonisolated(unsafe) public static var workers = ProcessInfo.processInfo.activeProcessorCount

    /// The fewest elements a part of a fork-join loop should touch for the split to pay.
    public static let minimumElementsPerPart = 16384

    /// Items per part for a loop whose items touch `elementsPerItem` elements each, so that a
    /// part touches at least `minimumElementsPerPart`; at least 1, also for empty items (a
    /// zero-width MLA RoPE key).
    @inline(__always)
    public static func grain(elementsPerItem: Int) -> Int { max(minimumElementsPerPart / max(elementsPerItem, 1), 1) }

    /// Runs `body` over `count` items split into at most `workers` contiguous ranges, in
    /// parallel when there are at least `grain` items per part.
    @inline(__always)
    public static func forRanges(_ count: Int, grain: Int = minimumElementsPerPart, _ body: (Range<Int>) -> Void) {
        let parts = min(workers, count / max(grain, 1))
        if parts <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                SubnormalFlush.enableOnThisThread()
                work.value(count * i / parts ..< count * (i + 1) / parts)
            }
        }
    }
}

/// Lets a closure or pointer that is only used inside a fork-join region cross into
/// `concurrentPerform`'s @Sendable closure; the region's parts touch disjoint memory.
struct UncheckedSendable<V>: @unchecked Sendable {
    let value: V
    init(_ value: V) { self.value = value }
}

extension Scalar {
    /// `T.gemm` split over `Parallel.workers` threads along the larger of M and N, with each
    /// part on a single-threaded BLAS call. The split is fixed, so results are reproducible.
    public static func parallelGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        let parts = min(Parallel.workers, m * n * k >= 1 << 20 ? max(m, n) / 32 : 1)
        if parts <= 1 {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let splitRows = m >= n
        let (a, b, c) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        BLASThreads.withSingleThread {
        DispatchQueue.concurrentPerform(iterations: parts) { i in
            SubnormalFlush.enableOnThisThread()
            let (a, b, c) = (a.value, b.value, c.value)
            if splitRows {
                let r0 = m * i / parts, r1 = m * (i + 1) / parts
                // Row block of op(A): rows of A, or columns of Aᵀ.
                let ap = transA ? a + r0 : a + r0 * lda
                gemm(transA: transA, transB: transB, m: r1 - r0, n: n, k: k, alpha: alpha, a: ap, lda: lda,
                     b: b, ldb: ldb, beta: beta, c: c + r0 * ldc, ldc: ldc)
            } else {
                let c0 = n * i / parts, c1 = n * (i + 1) / parts
                let bp = transB ? b + c0 * ldb : b + c0
                gemm(transA: transA, transB: transB, m: m, n: c1 - c0, k: k, alpha: alpha, a: a, lda: lda,
                     b: bp, ldb: ldb, beta: beta, c: c + c0, ldc: ldc)
            }
        }
        }
    }
}
