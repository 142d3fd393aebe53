import Foundation

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
/// Float rows run 16 lanes at a time (`causalSoftmaxRowFloat`); Double keeps the scalar loop
/// that the finite-difference checks use. Both sum a row in a fixed order that depends only on
/// the row's length, so results do not depend on threads or tiling.
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
        let peak: T
        if T.self == Float.self {
            let f = UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self)
            peak = T(causalSoftmaxRowFloat(f, visible: visible))
        } else {
            peak = causalSoftmaxRowScalar(row, visible: visible)
        }
        if peak > tilePeak || peak.isNaN { tilePeak = peak }
        if visible < tile.keys { (row + visible).update(repeating: 0, count: tile.keys - visible) }
    }
    return tilePeak
}

/// Softmax of `row[0..<visible]` in place, one element at a time; returns the row's largest
/// score (NaN when one is NaN).
@inline(__always)
private func causalSoftmaxRowScalar<T: Scalar>(_ row: UnsafeMutablePointer<T>, visible: Int) -> T {
    var peak = row[0]
    for j in 1..<visible where row[j] > peak { peak = row[j] }
    var total: T = 0
    for j in 0..<visible {
        let e = T.expo(row[j] - peak)
        row[j] = e
        total += e
    }
    let inv = 1 / total
    for j in 0..<visible { row[j] *= inv }
    return total.isNaN ? .nan : peak
}

/// Float softmax of `row[0..<visible]` in place, 16 lanes at a time: lane-wise maximum, exp of
/// the shifted scores, a sum kept in 16 lane accumulators added in a fixed order, then one
/// scaling pass. Returns the row's largest score (NaN when one is NaN).
@inline(__always)
private func causalSoftmaxRowFloat(_ row: UnsafeMutablePointer<Float>, visible n: Int) -> Float {
    typealias V = SIMD16<Float>
    let raw = UnsafeMutableRawPointer(row)
    let full = n / 16 * 16
    var lanes = V(repeating: -.infinity)
    var j = 0
    while j < full {
        let v = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self)
        lanes.replace(with: v, where: v .> lanes)
        j += 16
    }
    var peak = lanes.max()
    while j < n { if row[j] > peak { peak = row[j] }; j += 1 }
    var sums = V(repeating: 0)
    j = 0
    while j < full {
        var v = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self) - peak
        for l in 0..<16 { v[l] = Foundation.exp(v[l]) }
        sums += v
        raw.storeBytes(of: v, toByteOffset: j * 4, as: V.self)
        j += 16
    }
    var total = sums.sum()
    while j < n { let e = Foundation.exp(row[j] - peak); row[j] = e; total += e; j += 1 }
    let inv = 1 / total
    j = 0
    while j < full {
        let v = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self) * inv
        raw.storeBytes(of: v, toByteOffset: j * 4, as: V.self)
        j += 16
    }
    while j < n { row[j] *= inv; j += 1 }
    return total.isNaN ? .nan : peak
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
