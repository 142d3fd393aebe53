extension Graph {
    /// `op(a) · op(b)` where `op` transposes the last two axes when asked. Leading axes are
    /// batch axes and must match, except that a rank-2 `b` (a weight) is shared by every batch.
    /// With a rank-2 `b` and untransposed `a`, all leading axes fold into one GEMM.
    public func matmul(_ a: Tensor<T>, _ b: Tensor<T>, transA: Bool = false, transB: Bool = false) -> Tensor<T> {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2, got \(a.shape) and \(b.shape)")
        let sharedB = b.rank == 2
        let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        var m = transA ? aCols : aRows
        let k = transA ? aRows : aCols
        let kB = transB ? bCols : bRows
        let n = transB ? bRows : bCols
        precondition(k == kB, "matmul inner dimensions differ: \(a.shape)\(transA ? "ᵀ" : "") x \(b.shape)\(transB ? "ᵀ" : "")")
        let batchShape = Array(a.shape.dropLast(2))
        if !sharedB {
            precondition(Array(b.shape.dropLast(2)) == batchShape,
                         "matmul batch axes differ: \(a.shape) and \(b.shape)")
        }
        var batches = batchShape.reduce(1, *)
        if sharedB && !transA { m *= batches; batches = 1 }
        let outShape = batchShape + [transA ? aCols : aRows, n]
        let grad = needsGrad(a, b)
        let y = output(outShape, grad: grad)
        let lda = aCols, ldb = bCols
        let aStride = m * k, bStride = sharedB ? 0 : k * n, yStride = m * n
        let ap = a.ptr, bp = b.ptr, yp = y.ptr
        for i in 0..<batches {
            T.parallelGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                   a: ap + i * aStride, lda: lda, b: bp + i * bStride, ldb: ldb,
                   beta: 0, c: yp + i * yStride, ldc: n)
        }
        guard grad else { return y }
        record(.matmul, output: y) {
            let dy = y.gptr
            // Each batch's GEMM writes its whole block of dA and of dB (a shared b: the same block
            // each time), so a gradient that stands for zeros is assigned (beta 0) on its first
            // GEMM and added to (beta 1) after.
            let aBeta: T = (a.grad?.claimFirstWrite() ?? false) ? 0 : 1
            var bBeta: T = (b.grad?.claimFirstWrite() ?? false) ? 0 : 1
            for i in 0..<batches {
                let dyi = dy + i * yStride
                if let ga = a.grad {
                    let dai = ga.pointer + i * aStride
                    if !transA {  // dA[m,k] += dY · op(B)ᵀ
                        T.parallelGemm(transA: false, transB: !transB, m: m, n: k, k: n, alpha: 1,
                               a: dyi, lda: n, b: bp + i * bStride, ldb: ldb, beta: aBeta, c: dai, ldc: lda)
                    } else {  // dA[k,m] += op(B) · dYᵀ
                        T.parallelGemm(transA: transB, transB: true, m: k, n: m, k: n, alpha: 1,
                               a: bp + i * bStride, lda: ldb, b: dyi, ldb: n, beta: aBeta, c: dai, ldc: lda)
                    }
                }
                if let gb = b.grad {
                    let dbi = gb.pointer + i * bStride
                    if !transB {  // dB[k,n] += op(A)ᵀ · dY
                        T.parallelGemm(transA: !transA, transB: false, m: k, n: n, k: m, alpha: 1,
                               a: ap + i * aStride, lda: lda, b: dyi, ldb: n, beta: bBeta, c: dbi, ldc: ldb)
                    } else {  // dB[n,k] += dYᵀ · op(A)
                        T.parallelGemm(transA: true, transB: transA, m: n, n: k, k: m, alpha: 1,
                               a: dyi, lda: n, b: ap + i * aStride, ldb: lda, beta: bBeta, c: dbi, ldc: ldb)
                    }
                    if sharedB { bBeta = 1 }
                }
            }
        }
        return y
    }
}
