/// Unigram (order-0) entropy in bits per token: the loss a model reaches by predicting only the
/// token frequencies, so a trained model must go below it (in nats: bits * ln 2).
public func unigramEntropy(_ tokens: [Int32], vocab: Int) -> Double {
    tokens.withUnsafeBufferPointer { unigramEntropy($0, vocab: vocab) }
}

public func unigramEntropy(_ tokens: ArraySlice<Int32>, vocab: Int) -> Double {
    tokens.withUnsafeBufferPointer { unigramEntropy($0, vocab: vocab) }
}

/// Bits per byte of raw text.
public func unigramEntropy(bytes: [UInt8]) -> Double {
    var counts = [Int](repeating: 0, count: 256)
    bytes.withUnsafeBufferPointer { b in for x in b { counts[Int(x)] += 1 } }
    return entropy(counts: counts, total: bytes.count)
}

func unigramEntropy(_ tokens: UnsafeBufferPointer<Int32>, vocab: Int) -> Double {
    var counts = [Int](repeating: 0, count: vocab)
    counts.withUnsafeMutableBufferPointer { c in
        for t in tokens {
            precondition(t >= 0 && Int(t) < vocab, "token \(t) outside vocabulary of \(vocab)")
            c[Int(t)] += 1
        }
    }
    return entropy(counts: counts, total: tokens.count)
}

func entropy(counts: [Int], total: Int) -> Double {
    guard total > 0 else { return 0 }
    let n = Double(total)
    var h = 0.0
    for c in counts where c > 0 {
        let p = Double(c) / n
        h -= p * Double.logarithm(p)
    }
    return h / Double.logarithm(2)
}
