import Foundation

/// Next-token sampling from one row of logits: temperature 0 is greedy; top-k keeps the k most
/// likely tokens (ties broken by lower id so the result is deterministic).
public struct Sampler: Sendable {
    public var temperature: Double
    public var topK: Int
    private var rng: SeededRandom

    /// `temperature` must be finite and >= 0 and `topK` >= 0 (0 keeps every token); otherwise
    /// throws `SamplerError` naming the setting.
    public init(temperature: Double = 1, topK: Int = 0, seed: UInt64 = 0) throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw SamplerError("temperature: expected a finite number >= 0, found \(temperature)")
        }
        guard topK >= 0 else { throw SamplerError("top-k: expected a count >= 0 (0 = all tokens), found \(topK)") }
        self.temperature = temperature; self.topK = topK
        rng = SeededRandom(seed: seed)
    }

    public mutating func sample<T: Scalar>(_ logits: UnsafePointer<T>, count v: Int) -> Int32 {
        var best = 0
        for j in 1..<v where logits[j] > logits[best] { best = j }
        if temperature == 0 || topK == 1 { return Int32(best) }
        var candidates = Array(0..<v)
        if topK > 0 && topK < v {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates = Array(candidates.prefix(topK))
        }
        let maxLogit = Double(logits[best])
        let weights = candidates.map { Double.expo((Double(logits[$0]) - maxLogit) / temperature) }
        var u = rng.uniform() * weights.reduce(0, +)
        for (c, w) in zip(candidates, weights) {
            u -= w
            if u < 0 { return Int32(c) }
        }
        return Int32(candidates.last!)
    }
}

/// A sampling setting out of range.
public struct SamplerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
