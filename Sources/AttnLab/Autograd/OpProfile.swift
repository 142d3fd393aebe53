/// The op families a training step's time is split into (`attnlab bench`'s phase columns).
public enum OpFamily: String, Sendable, CaseIterable, Codable {
    /// `matmul`: projections, MLP and LM head GEMMs (forward and both input gradients).
    case matmul
    /// `causalAttention`: scores, causal softmax and the weighted values, fused per
    /// (batch, KV group) tile, including the GEMMs inside it.
    case attention
    /// RMSNorm, SiLU/SwiGLU, element-wise add/sub/mul/scale, RoPE, head split/merge/broadcast,
    /// split/concat copies and reductions.
    case normElementwise = "norm_elementwise"
    /// Token embedding lookup and the cross-entropy loss over the vocabulary.
    case embeddingLoss = "embedding_loss"
}

/// Wall-clock seconds spent in each op family, forward and backward, while attached to a graph
/// (`Graph.profile`). Nil on a graph, the default, costs one nil check per recorded op.
///
/// Attribution: an op's backward is timed around its tape closure. Its forward is the time from
/// the previous recorded op (or from `startForward()`) to its `record` call, so layer code
/// between two ops (views, bookkeeping) counts towards the next op. Time outside ops (graph
/// reset, the optimizer) is not here; the caller times it.
public final class OpProfile {
    /// Seconds per family, forward and backward summed, since creation or `clear()`.
    public private(set) var seconds: [OpFamily: Double] = [:]
    /// Of `seconds`, the backward part.
    public private(set) var backwardSeconds: [OpFamily: Double] = [:]
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    public init() { mark = clock.now }

    /// Starts a forward pass: the next recorded op's forward time begins now.
    public func startForward() { mark = clock.now }

    /// Zeroes every family's seconds.
    public func clear() {
        seconds = [:]
        backwardSeconds = [:]
    }

    /// Seconds of all families together.
    public var totalSeconds: Double { seconds.values.reduce(0, +) }

    /// Called by `Graph.record`: the forward of an op of `family` ended now.
    func endForward(_ family: OpFamily) {
        let now = clock.now
        seconds[family, default: 0] += (now - mark).seconds
        mark = now
    }

    /// `backward` wrapped so that running it adds its duration to `family`.
    func timed(_ family: OpFamily, _ backward: @escaping () -> Void) -> () -> Void {
        {
            let t0 = self.clock.now
            backward()
            let dt = (self.clock.now - t0).seconds
            self.seconds[family, default: 0] += dt
            self.backwardSeconds[family, default: 0] += dt
        }
    }
}
