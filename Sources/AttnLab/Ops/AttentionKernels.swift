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
/// Each row: its maximum (`BlockedSum.maximum`), `Scalar.exponentials` of the
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
        let peak = BlockedSum.maximum(row, count: visible)
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
