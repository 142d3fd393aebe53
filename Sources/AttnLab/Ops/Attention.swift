import Dispatch
import Foundation

/// How causal attention spreads its independent (batch, KV head) groups over cores.
enum AttentionSchedule {
    /// Parallel when there are at least as many groups as cores, sequential otherwise.
    case automatic
    /// One group after another, each GEMM free to use OpenBLAS's own threads.
    case sequential
    /// Groups split across cores, each GEMM on one thread.
    case parallel
}

/// Shapes and tiling of one causal attention call. Work is split into groups of one batch
/// element and one KV head: the group's query heads are contiguous in `q`, so a group reads its
/// keys and values and writes its outputs and gradients without sharing memory with any other.
struct AttentionPlan {
    /// Query rows per tile when a head's queries are split; keys past a tile's last visible
    /// position are skipped (at T = 256 the GEMMs do 56% of the full square's work). 24 to 48
    /// rows timed equally at T = 256, Float; 16 loses to call overhead, 128 to wasted keys.
    static let tileRows = 32

    let batch: Int, queryHeads: Int, kvHeads: Int, queries: Int, keyDim: Int, valueDim: Int
    let keyCapacity: Int, positionOffset: Int
    /// Keys any query can see: the first positionOffset + queries.
    let keys: Int
    let tiles: [AttentionTile]
    let maxTileRows: Int

    init(q: [Int], k: [Int], v: [Int], positionOffset: Int) {
        precondition(q.count == 4 && k.count == 4 && v.count == 4,
                     "causalAttention needs rank-4 q, k, v, got q \(q), k \(k), v \(v)")
        precondition(q[0] == k[0] && k[0] == v[0],
                     "causalAttention batch sizes differ: q \(q), k \(k), v \(v)")
        precondition(k[1] == v[1] && k[1] > 0,
                     "causalAttention needs the same positive KV head count in k \(k) and v \(v)")
        precondition(q[1] % k[1] == 0,
                     "causalAttention query heads \(q[1]) are not a multiple of KV heads \(k[1]) (q \(q), k \(k))")
        precondition(k[2] == v[2], "causalAttention k \(k) and v \(v) hold different numbers of keys")
        precondition(q[3] == k[3], "causalAttention query and key widths differ: q \(q), k \(k)")
        precondition(positionOffset >= 0, "causalAttention positionOffset \(positionOffset) is negative")
        precondition(k[2] >= positionOffset + q[2],
                     "causalAttention has \(k[2]) keys (k \(k)) but queries at offset \(positionOffset) need \(positionOffset + q[2])")
        batch = q[0]; queryHeads = q[1]; kvHeads = k[1]; queries = q[2]; keyDim = q[3]; valueDim = v[3]
        keyCapacity = k[2]
        self.positionOffset = positionOffset
        keys = positionOffset + queries
        let group = q[1] / k[1]
        var tiles: [AttentionTile] = []
        if queries <= Self.tileRows {
            // Short query blocks (decoding) stack all heads of a group into one GEMM, which for
            // MQA or absorbed MLA turns one matrix-vector product per head into a single GEMM.
            if queries > 0 { tiles.append(AttentionTile(rowStart: 0, rows: group * queries, keys: keys)) }
        } else {
            for head in 0..<group {
                for start in stride(from: 0, to: queries, by: Self.tileRows) {
                    let rows = min(Self.tileRows, queries - start)
                    tiles.append(AttentionTile(rowStart: head * queries + start, rows: rows,
                                               keys: positionOffset + start + rows))
                }
            }
        }
        self.tiles = tiles
        maxTileRows = tiles.map(\.rows).max() ?? 0
    }

    var groupSize: Int { queryHeads / kvHeads }
    var groups: Int { batch * kvHeads }
    /// Per-worker scratch for one tile's scores (inference) or score gradients (backward),
    /// rounded up so every worker's slice starts on its own cache line.
    var workerScratch: Int { (maxTileRows * keys + 15) / 16 * 16 }

    /// Workers for `schedule`, at most the configured thread count (`Parallel.workers`, i.e.
    /// `train.threads`), so a sweep's one-thread runs stay on one core each.
    func workers(_ schedule: AttentionSchedule) -> Int {
        let cores = Parallel.workers
        switch schedule {
        case .sequential: return 1
        case .parallel: return max(1, min(cores, groups))
        case .automatic: return groups >= cores ? cores : 1
        }
    }

    /// Runs `body` for every group exactly once. Each worker gets a fixed contiguous range of
    /// groups, and a group's result never depends on which worker ran it.
    func forEachGroup(workers: Int, _ body: @Sendable (_ worker: Int, _ group: Int) -> Void) {
        if workers <= 1 {
            for g in 0..<groups { body(0, g) }
            return
        }
        BLASThreads.withSingleThread {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                SubnormalFlush.enableOnThisThread()
                for g in (w * groups / workers)..<((w + 1) * groups / workers) { body(w, g) }
            }
        }
    }
}

extension Graph {
    /// q [B, Hq, Tq, Dk], k [B, Hkv, Tk, Dk], v [B, Hkv, Tk, Dv] -> [B, Hq, Tq, Dv]
    /// softmax(q kᵀ · scale + causal mask) v. Query head h uses KV head h / (Hq / Hkv) (GQA; MQA is Hkv = 1).
    /// Query i sits at absolute position positionOffset + i, key j at position j; query i sees keys j <= positionOffset + i.
    /// Requires Hq % Hkv == 0 and Tk >= positionOffset + Tq (keys of earlier positions may precede the
    /// queries'; cached decoding uses `cachedAttention`, which reads the KV cache in place).
    /// With `diagnostics` attached, reports the largest score fed to the softmax (masked
    /// positions excluded) as the current layer's attention logit.
    public func causalAttention(_ q: Tensor<T>, _ k: Tensor<T>, _ v: Tensor<T>, scale: T, positionOffset: Int = 0) -> Tensor<T> {
        causalAttention(q, k, v, scale: scale, positionOffset: positionOffset, schedule: .automatic)
    }

    func causalAttention(
        _ q: Tensor<T>, _ k: Tensor<T>, _ v: Tensor<T>, scale: T, positionOffset: Int,
        schedule: AttentionSchedule
    ) -> Tensor<T> {
        let plan = AttentionPlan(q: q.shape, k: k.shape, v: v.shape, positionOffset: positionOffset)
        let grad = needsGrad(q, k, v)
        let y = output([plan.batch, plan.queryHeads, plan.queries, plan.valueDim], grad: grad)
        guard y.count > 0 else { return y }
        let workers = plan.workers(schedule)
        // Recorded: probabilities are kept for the backward, and the worker scratch then holds
        // score gradients. Unrecorded: the worker scratch holds one tile of probabilities.
        let probs = grad ? scratch(plan.batch * plan.queryHeads * plan.queries * plan.keys) : nil
        let work = scratch(workers * plan.workerScratch)
        let (dk, dv, keys, tq, off) = (plan.keyDim, plan.valueDim, plan.keys, plan.queries, plan.positionOffset)
        let groupRows = plan.groupSize * tq, kvRows = plan.keyCapacity
        // One slot per group for its largest score, only when diagnostics are collected.
        let peaks = diagnostics == nil ? nil : scratch(plan.groups)

        // Workers capture the tensors and buffers (Sendable references) rather than raw pointers.
        plan.forEachGroup(workers: workers) { w, g in
            let qp = q.ptr, kp = k.ptr, vp = v.ptr, yp = y.ptr, pp = probs?.pointer, wp = work.pointer
            let qg = qp + g * groupRows * dk, og = yp + g * groupRows * dv
            let kg = kp + g * kvRows * dk, vg = vp + g * kvRows * dv
            var groupPeak = -T.infinity
            for tile in plan.tiles {
                let n = tile.keys
                let (s, lds) = pp.map { ($0 + (g * groupRows + tile.rowStart) * keys, keys) }
                    ?? (wp + w * plan.workerScratch, n)
                T.gemm(transA: false, transB: true, m: tile.rows, n: n, k: dk, alpha: scale,
                       a: qg + tile.rowStart * dk, lda: dk, b: kg, ldb: dk, beta: 0, c: s, ldc: lds)
                let tilePeak = causalSoftmaxRows(s, ld: lds, tile: tile, queries: tq, positionOffset: off)
                if tilePeak > groupPeak || tilePeak.isNaN { groupPeak = tilePeak }
                T.gemm(transA: false, transB: false, m: tile.rows, n: dv, k: n, alpha: 1,
                       a: s, lda: lds, b: vg, ldb: dv, beta: 0, c: og + tile.rowStart * dv, ldc: dv)
            }
            peaks?.pointer[g] = groupPeak
        }
        if let diagnostics, let peaks {
            for g in 0..<plan.groups { diagnostics.recordAttentionLogit(Double(peaks.pointer[g])) }
        }
        guard grad, let probs else { return y }

        record(.attention, output: y) {
            // Each group owns its query heads' dQ rows and its KV head's dK/dV rows, and adds
            // into them in tile order, so the sums do not depend on scheduling. The tiles add
            // into overlapping parts of dK and dV, so gradients that stand for zeros are
            // zero-filled first.
            q.grad?.materialize(); k.grad?.materialize(); v.grad?.materialize()
            plan.forEachGroup(workers: workers) { w, g in
                let qp = q.ptr, kp = k.ptr, vp = v.ptr, yp = y.ptr, pp = probs.pointer, wp = work.pointer
                let dqp = q.grad?.pointer, dkp = k.grad?.pointer, dvp = v.grad?.pointer, dyp = y.gptr
                let qOff = g * groupRows * dk, oOff = g * groupRows * dv
                let kOff = g * kvRows * dk, vOff = g * kvRows * dv
                for tile in plan.tiles {
                    let n = tile.keys
                    let p = pp + (g * groupRows + tile.rowStart) * keys
                    let dO = dyp + oOff + tile.rowStart * dv
                    if let dvp {  // dV += Pᵀ dO
                        T.gemm(transA: true, transB: false, m: n, n: dv, k: tile.rows, alpha: 1,
                               a: p, lda: keys, b: dO, ldb: dv, beta: 1, c: dvp + vOff, ldc: dv)
                    }
                    guard dqp != nil || dkp != nil else { continue }
                    let ds = wp + w * plan.workerScratch
                    // dP = dO Vᵀ, then dS in place.
                    T.gemm(transA: false, transB: true, m: tile.rows, n: n, k: dv, alpha: 1,
                           a: dO, lda: dv, b: vp + vOff, ldb: dv, beta: 0, c: ds, ldc: n)
                    causalSoftmaxBackwardRows(
                        p: p, ldp: keys, dp: ds, lddp: n, dOut: dO, out: yp + oOff + tile.rowStart * dv,
                        valueDim: dv, rows: tile.rows, keys: n, scale: scale)
                    let qTile = tile.rowStart * dk
                    if let dqp {  // dQ += dS K
                        T.gemm(transA: false, transB: false, m: tile.rows, n: dk, k: n, alpha: 1,
                               a: ds, lda: n, b: kp + kOff, ldb: dk, beta: 1, c: dqp + qOff + qTile, ldc: dk)
                    }
                    if let dkp {  // dK += dSᵀ Q
                        T.gemm(transA: true, transB: false, m: n, n: dk, k: tile.rows, alpha: 1,
                               a: ds, lda: n, b: qp + qOff + qTile, ldb: dk, beta: 1, c: dkp + kOff, ldc: dk)
                    }
                }
            }
        }
        return y
    }
}
