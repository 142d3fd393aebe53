/// Multi-query associative recall, following HazyResearch zoology's `multiquery_ar.py` (one
/// pass): `numKVPairs` key-value pairs first (key, value, key, value, ...), keys drawn without
/// replacement from [1, V/2) and values from [V/2, V); then each key is queried once in the
/// remaining positions at an even offset `2 * gap`, the gaps drawn without replacement with
/// probability proportional to (gap + 1)^(powerA - 1). The target at a queried key's position is
/// its value; every other target is `ignoreIndex`. With `randomNonQueries` the positions that hold
/// neither a pair nor a query get uniform tokens from [0, V), as zoology does.
///
/// The construction is zoology's; the random stream is this project's `SeededRandom`, so the
/// examples differ from numpy's for the same seed.
public struct MQARGenerator: Sendable {
    public let vocab: Int
    public let seqLen: Int
    public let numKVPairs: Int
    public let powerA: Double
    public let randomNonQueries: Bool
    /// Cumulative gap weights over [0, space), space = (seqLen - 2 * numKVPairs) / 2.
    private let gapWeights: [Double]

    public init(vocab: Int, seqLen: Int, numKVPairs: Int, powerA: Double = 0.01, randomNonQueries: Bool = true) throws {
        guard numKVPairs >= 1 else { throw DataError("mqar: num_kv_pairs is \(numKVPairs); expected >= 1") }
        guard numKVPairs * 4 <= seqLen else {
            throw DataError("mqar: num_kv_pairs * 4 = \(numKVPairs * 4) exceeds seq_len \(seqLen); expected num_kv_pairs <= \(seqLen / 4)")
        }
        guard seqLen % 2 == 0 else { throw DataError("mqar: seq_len is \(seqLen); expected an even length (queries sit at even offsets)") }
        guard vocab > seqLen else { throw DataError("mqar: vocab \(vocab) must exceed seq_len \(seqLen); expected vocab > \(seqLen)") }
        guard powerA > 0 && powerA <= 1 else { throw DataError("mqar: power_a is \(powerA); expected 0 < power_a <= 1") }
        self.vocab = vocab; self.seqLen = seqLen; self.numKVPairs = numKVPairs
        self.powerA = powerA; self.randomNonQueries = randomNonQueries
        let space = (seqLen - 2 * numKVPairs) / 2
        self.gapWeights = (1...space).map { Double.power(Double($0), powerA - 1) }
    }

    /// `count` examples (row-major [count, seqLen]) drawn from `rng`.
    public func generate(count: Int, rng: inout SeededRandom) -> TokenBatch {
        var inputs = [Int32](repeating: 0, count: count * seqLen)
        var targets = [Int32](repeating: ignoreIndex, count: count * seqLen)
        var keys = [Int32](), values = [Int32](), gaps = [Int]()
        var weights = gapWeights
        let context = 2 * numKVPairs
        for n in 0..<count {
            sampleDistinct(into: &keys, from: 1, to: vocab / 2, rng: &rng)
            sampleDistinct(into: &values, from: vocab / 2, to: vocab, rng: &rng)
            sampleGaps(into: &gaps, weights: &weights, rng: &rng)
            let row = n * seqLen
            for i in 0..<numKVPairs {
                inputs[row + 2 * i] = keys[i]
                inputs[row + 2 * i + 1] = values[i]
                let q = row + context + 2 * gaps[i]
                inputs[q] = keys[i]
                targets[q] = values[i]
            }
            // Filler: zoology overwrites every 0 of the input with a uniform token; keys are >= 1
            // and values >= V/2, so the zeros are exactly the non-pair, non-query positions.
            if randomNonQueries {
                for p in (row + context)..<(row + seqLen) where inputs[p] == 0 {
                    inputs[p] = Int32(rng.below(vocab))
                }
            }
        }
        return TokenBatch(batchSize: count, seqLen: seqLen, inputs: inputs, targets: targets)
    }

    public func generate(count: Int, seed: UInt64) -> TokenBatch {
        var rng = SeededRandom(seed: seed)
        return generate(count: count, rng: &rng)
    }

    /// `numKVPairs` distinct values of [lo, hi) in random order, by rejection: vocab > seqLen >=
    /// 4 * numKVPairs makes each range about twice numKVPairs or more, so redraws stay rare.
    private func sampleDistinct(into out: inout [Int32], from lo: Int, to hi: Int, rng: inout SeededRandom) {
        out.removeAll(keepingCapacity: true)
        while out.count < numKVPairs {
            let v = Int32(lo + rng.below(hi - lo))
            if !out.contains(v) { out.append(v) }
        }
    }

    /// Successive weighted draws without replacement (what numpy's `choice(p=, replace=False)`
    /// samples); a drawn gap's weight is zeroed, then restored for the next example.
    private func sampleGaps(into out: inout [Int], weights: inout [Double], rng: inout SeededRandom) {
        out.removeAll(keepingCapacity: true)
        var total = 0.0
        for w in weights { total += w }
        while out.count < numKVPairs {
            var r = rng.uniform() * total
            var pick = weights.count - 1
            for (i, w) in weights.enumerated() where w > 0 {
                if r < w { pick = i; break }
                r -= w
            }
            // Rounding can leave r past the last positive weight; take the last undrawn gap.
            while weights[pick] == 0 { pick -= 1 }
            out.append(pick)
            total -= weights[pick]
            weights[pick] = 0
        }
        for g in out { weights[g] = gapWeights[g] }
    }
}
