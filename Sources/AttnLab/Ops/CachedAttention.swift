import Dispatch

extension Graph {
    /// Attention of the newest tokens over a KV cache (inference only, nothing recorded): cached
    /// decoding for MHA, GQA, MQA and GTA. It reads the cache's full-capacity buffers in place,
    /// so no key or value is copied, and attends only to the first `length` positions.
    ///
    /// - q [B, H, Tn, d_k + d_R]: the new tokens' queries; their positions are the last Tn of `length`.
    /// - keys [B, G, capacity, ≥ d_k]: each of the G KV heads' keys are its first d_k columns
    ///   (`keyWidth`); query head h reads KV head h / (H / G).
    /// - ropeKeys [B, 1, capacity, d_R] or nil: a roped key shared by every head, appended to each
    ///   key (GTA's; nil: d_R = 0).
    /// - values [B, G, capacity, d_v]: may be the keys' own tensor (GTA's tied state).
    /// - Returns [B, H, Tn, d_v]: softmax_causal(scale · [Q_k Kᵀ + Q_R Rᵀ]) V per head.
    ///
    /// Work is split over (batch row, KV head) pairs on `Parallel.workers` threads; each pair's
    /// query heads share score tiles of at most `AttentionPlan.tileRows` rows. With `diagnostics` attached, the largest scaled score
    /// reaches them as the current layer's attention logit, as in `causalAttention`.
    public func cachedAttention(
        q: Tensor<T>, keys: Tensor<T>, keyWidth dk: Int, ropeKeys: Tensor<T>?, values: Tensor<T>, length: Int, scale: T
    ) -> Tensor<T> {
        let (b, h, tn, dq) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (groups, capacity, wk, dv) = (keys.shape[1], keys.shape[2], keys.shape[3], values.shape[3])
        let dr = ropeKeys?.shape[3] ?? 0
        precondition(groups > 0 && h % groups == 0 && dk <= wk && dk + dr == dq && keys.shape[0] == b
                     && values.shape[0...2] == keys.shape[0...2] && length <= capacity && tn <= length
                     && (ropeKeys.map { $0.shape == [b, 1, capacity, dr] } ?? true),
                     "cachedAttention: queries \(q.shape) do not match keys \(keys.shape) (width \(dk)), values \(values.shape) and rope keys \(ropeKeys?.shape ?? [])")
        let per = h / groups, rows = per * tn
        let out = output([b, h, tn, dv], grad: false)
        let (qp, kp, vp, op) = (UncheckedSendable(q.ptr), UncheckedSendable(keys.ptr), UncheckedSendable(values.ptr), UncheckedSendable(out.ptr))
        let rp = UncheckedSendable(ropeKeys?.ptr)
        let scoreRows = min(rows, AttentionPlan.tileRows)
        forEachCachedItem(b * groups, scoreCount: scoreRows * length, elementsPerItem: rows * length * (dq + dv)) { item, scores in
            let bi = item / groups, qi = qp.value + item * rows * dq
            return attendSplitKeys(
                q: qi, ldq: dq, qRope: qi + dk, ldqRope: dq, rows: rows, queries: tn,
                keys: kp.value + item * capacity * wk, ldk: wk, keyWidth: dk,
                ropeKeys: rp.value.map { UnsafePointer($0 + bi * capacity * dr) }, ropeWidth: dr,
                values: vp.value + item * capacity * dv, ldv: dv, valueWidth: dv,
                length: length, scale: scale, scores: scores, out: op.value + item * rows * dv)
        }
        return out
    }

    /// Runs `body(item, scores)` for items 0..<count, split into contiguous parts on up to
    /// `Parallel.workers` threads (single-threaded BLAS inside), each part with its own score block
    /// of `scoreCount` elements; the largest peak `body` returns goes to `diagnostics`.
    func forEachCachedItem(
        _ count: Int, scoreCount: Int, elementsPerItem: Int, _ body: (Int, UnsafeMutablePointer<T>) -> T
    ) {
        let parts = max(1, min(Parallel.workers, count / Parallel.grain(elementsPerItem: elementsPerItem)))
        let scores = scratch(parts * scoreCount), peaks = scratch(count)
        let (sp, pp) = (UncheckedSendable(scores.pointer), UncheckedSendable(peaks.pointer))
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            let run = { (part: Int) in
                for item in (count * part / parts)..<(count * (part + 1) / parts) {
                    pp.value[item] = work.value(item, sp.value + part * scoreCount)
                }
            }
            if parts == 1 { run(0); return }
            let runPart = UncheckedSendable(run)
            BLASThreads.withSingleThread {
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    SubnormalFlush.enableOnThisThread()
                    runPart.value(part)
                }
            }
        }
        if let diagnostics { for item in 0..<count { diagnostics.recordAttentionLogit(Double(peaks.pointer[item])) } }
    }
}

/// One query block's attention over a cached sequence whose keys come in two parts: `rows` query
/// rows (row r is query position r % `queries` of the last `queries` of `length`), each with its
/// key part q_k (d_k) at `q` + r · `ldq` and its rope part q_R (d_R) at `qRope` + r · `ldqRope`;
/// keys K [length, d_k] at stride `ldk`; an optional shared roped key R [length, d_R]; values
/// V [length, d_v] at stride `ldv`.
///   S = scale · (Q_k Kᵀ + Q_R Rᵀ), causal softmax, out [rows, d_v] = P V (contiguous).
/// The rows go in tiles of `AttentionPlan.tileRows`, so `scores` needs `min(rows, tileRows) · length`
/// elements however long the prefill. A single row uses matrix-vector products (BLAS GEMM with one
/// row packs the whole cache first). Returns the largest scaled score (NaN if any row had one).
func attendSplitKeys<T: Scalar>(
    q: UnsafePointer<T>, ldq: Int, qRope: UnsafePointer<T>, ldqRope: Int, rows: Int, queries: Int,
    keys k: UnsafePointer<T>, ldk: Int, keyWidth dk: Int,
    ropeKeys r: UnsafePointer<T>?, ropeWidth dr: Int,
    values v: UnsafePointer<T>, ldv: Int, valueWidth dv: Int,
    length: Int, scale: T, scores s: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>
) -> T {
    var peak = -T.infinity
    for start in stride(from: 0, to: rows, by: AttentionPlan.tileRows) {
        let m = min(AttentionPlan.tileRows, rows - start)
        let (qt, qrt, ot) = (q + start * ldq, qRope + start * ldqRope, out + start * dv)
        if dk == 0 {  // BLAS returns early for an empty product without writing its result
            s.update(repeating: 0, count: m * length)
        } else if m == 1 {
            T.gemv(trans: false, m: length, n: dk, alpha: scale, a: k, lda: ldk, x: qt, beta: 0, y: s)
        } else {
            T.gemm(transA: false, transB: true, m: m, n: length, k: dk, alpha: scale,
                   a: qt, lda: ldq, b: k, ldb: ldk, beta: 0, c: s, ldc: length)
        }
        if let r, dr > 0 {
            if m == 1 {
                T.gemv(trans: false, m: length, n: dr, alpha: scale, a: r, lda: dr, x: qrt, beta: 1, y: s)
            } else {
                T.gemm(transA: false, transB: true, m: m, n: length, k: dr, alpha: scale,
                       a: qrt, lda: ldqRope, b: r, ldb: dr, beta: 1, c: s, ldc: length)
            }
        }
        let tilePeak = causalSoftmaxRows(s, ld: length, tile: AttentionTile(rowStart: start, rows: m, keys: length),
                                         queries: queries, positionOffset: length - queries)
        if tilePeak > peak || tilePeak.isNaN { peak = tilePeak }
        if m == 1 {
            T.gemv(trans: true, m: length, n: dv, alpha: 1, a: v, lda: ldv, x: s, beta: 0, y: ot)
        } else {
            T.gemm(transA: false, transB: false, m: m, n: dv, k: length, alpha: 1,
                   a: s, lda: length, b: v, ldb: ldv, beta: 0, c: ot, ldc: dv)
        }
    }
    return peak
}
