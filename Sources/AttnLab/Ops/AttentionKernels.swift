// Element-wise parts of causal attention, on one tile of rows of the score matrix. They are
// called from generic Graph<T> code that other modules instantiate, so each is specialised
// explicitly; otherwise every exp and multiply would go through protocol witnesses.

/// One block of query rows handled by a single pair of GEMMs. `rowStart` indexes the rows of a
/// KV group's stacked queries (query head within the group × query position), and `keys` is how
/// many leading keys any row of the tile can see, so later keys are never touched.
struct AttentionTile {
    let rowStart: Int
    let rows: Int
    let keys: Int
}

/// Turns scaled scores into causal softmax probabilities in place. Row `r` of the tile is query
/// position `(tile.rowStart + r) % queries`, which sees `positionOffset + position + 1` keys; the
/// remaining columns up to `tile.keys` are set to exactly zero so that `P V` ignores them.
/// Returns the largest visible score of the tile (NaN when a visible score is NaN), which the
/// softmax needs anyway: the stability diagnostics' maximum attention logit.
///
/// Each row: its maximum in eight interleaved partial maxima, `Scalar.exponentials` of the
/// shifted scores (vectorised for Float, libm for Double), a `BlockedSum`, one scaling pass. The
/// order of every reduction depends only on the row's length, so results do not depend on
/// threads or tiling.
@_specialize(exported: false, where T == Float)
@_specialize(exported: false, where T == Double)
@discardableResult
func causalSoftmaxRows<T: Scalar>(
    _ s: UnsafeMutablePointer<T>, ld: Int, tile: AttentionTile, queries: Int, positionOffset: Int
) -> T {
    var tilePeak = -T.infinity
    for r in 0..<tile.rows {
        let row = s + r * ld
        let visible = positionOffset + (tile.rowStart + r) % queries + 1
        let peak = rowMaximum(row, count: visible)
        T.exponentials(row, minus: peak, into: row, count: visible)
        let total = BlockedSum.sum(row, count: visible)
        let inv = 1 / total
        for j in 0..<visible { row[j] *= inv }
        // A NaN score makes the sum NaN even where the maximum skipped it.
        let rowPeak = total.isNaN ? T.nan : peak
        if rowPeak > tilePeak || rowPeak.isNaN { tilePeak = rowPeak }
        if visible < tile.keys { (row + visible).update(repeating: 0, count: tile.keys - visible) }
    }
    return tilePeak
}

/// The largest of `x[0..<count]` (count >= 1) in eight interleaved partial maxima, which the
/// compiler can keep in vector registers. NaNs are skipped (a comparison with NaN is false)
/// unless every element is NaN; the maximum itself does not depend on the order.
@inline(__always)
private func rowMaximum<T: Scalar>(_ x: UnsafePointer<T>, count: Int) -> T {
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

/// Softmax backward for a tile, in place on `dp`: dS = P ⊙ (dP − rowsum(dO ⊙ O)) · scale.
/// Masked entries have P = 0, so they come out as zero without a separate mask.
@_specialize(exported: false, where T == Float)
@_specialize(exported: false, where T == Double)
func causalSoftmaxBackwardRows<T: Scalar>(
    p: UnsafePointer<T>, ldp: Int, dp: UnsafeMutablePointer<T>, lddp: Int,
    dOut: UnsafePointer<T>, out: UnsafePointer<T>, valueDim: Int,
    rows: Int, keys: Int, scale: T
) {
    for r in 0..<rows {
        let dor = dOut + r * valueDim, orow = out + r * valueDim
        var delta: T = 0
        for c in 0..<valueDim { delta += dor[c] * orow[c] }
        let prow = p + r * ldp, drow = dp + r * lddp
        for j in 0..<keys { drow[j] = prow[j] * (drow[j] - delta) * scale }
    }
}
