import Foundation

/// Training-step throughput of a model on random tokens: forward, backward and AdamW update,
/// as a real run does them. Used by `attnlab bench` to compare with the PyTorch anchors.
public struct ThroughputResult: Sendable {
    public var variant: String
    public var tokensPerSecond: Double
    public var stepSeconds: [Double]
    public var parameterCount: Int
    public var pooledBytes: Int
}

public func measureTrainingThroughput(
    config: ModelConfig, batch: Int, seqLen: Int, steps: Int, warmup: Int = 2, seed: UInt64 = 1
) -> ThroughputResult {
    let model = DecoderLM<Float>(config, seed: seed)
    let opt = AdamW(model.parameters, settings: .init())
    var rng = SeededRandom(seed: seed &+ 1)
    let ids = (0..<(batch * seqLen)).map { _ in Int32(rng.below(config.vocabSize)) }
    let targets = (0..<(batch * seqLen)).map { _ in Int32(rng.below(config.vocabSize)) }
    let g = Graph<Float>()
    var times: [Double] = []
    let clock = ContinuousClock()
    for i in 0..<(warmup + steps) {
        let t0 = clock.now
        for p in model.parameters { p.zeroGrad() }
        let loss = model.loss(g, ids: ids, targets: targets, batch: batch)
        g.backward(loss)
        clipGradients(model.parameters, maxNorm: 1)
        opt.update(lr: 1e-4)
        g.reset()
        if i >= warmup { times.append((clock.now - t0).seconds) }
    }
    let total = times.reduce(0, +)
    return ThroughputResult(
        variant: config.attention.kind.rawValue, tokensPerSecond: Double(batch * seqLen * steps) / total,
        stepSeconds: times, parameterCount: model.parameters.reduce(0) { $0 + $1.count }, pooledBytes: g.pooledBytes)
}
