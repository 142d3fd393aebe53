/// Stability measurements of one training step's forward passes, per decoder layer, collected
/// only when a `ForwardDiagnostics` is attached to the graph (`Graph.diagnostics`): the ops and
/// layers that compute these quantities anyway report them here, the model says which layer is
/// running (`layer`), and the trainer reads the result. Nothing here changes what the ops compute.
///
/// - `maxAttentionLogit[l]`: the largest pre-softmax attention logit of layer l, i.e. the largest
///   value fed to the softmax (q·k times the attention's scale; causally masked positions are
///   not scores and are excluded), over every head, query and micro-batch of the step.
/// - `latentRMS[l]` (MLA, GLA): the root mean square of the KV latent c_KV = W_DKV h before its
///   RMSNorm (`kv_a_layernorm`), over all its channels (all latent heads of GLA together), tokens
///   and micro-batches; nil for layers that have no latent.
public final class ForwardDiagnostics {
    /// The decoder layer whose forward is running; set by the model before each block.
    public var layer = 0
    private var logitPeak: [Double]
    private var latentSquares: [Double]
    private var latentCount: [Int]

    public init(layers: Int) {
        logitPeak = Array(repeating: -.infinity, count: layers)
        latentSquares = Array(repeating: 0, count: layers)
        latentCount = Array(repeating: 0, count: layers)
    }

    /// Forgets everything recorded (the next step starts afresh).
    public func reset() {
        for l in logitPeak.indices { logitPeak[l] = -.infinity; latentSquares[l] = 0; latentCount[l] = 0 }
        layer = 0
    }

    /// Takes the largest of the recorded and `peak` for the current layer. A NaN peak sticks, so
    /// that a step whose scores went NaN reports NaN.
    public func recordAttentionLogit(_ peak: Double) {
        if peak.isNaN || peak > logitPeak[layer] { logitPeak[layer] = peak }
    }

    /// Adds `count` squared latent values summing to `sumOfSquares` to the current layer.
    public func recordLatent(sumOfSquares: Double, count: Int) {
        latentSquares[layer] += sumOfSquares
        latentCount[layer] += count
    }

    /// Per layer; -infinity for a layer whose attention reported nothing.
    public var maxAttentionLogit: [Double] { logitPeak }

    /// Per layer: √(Σ c² / n), or nil for a layer that reported no latent.
    public var latentRMS: [Double?] {
        zip(latentSquares, latentCount).map { $1 > 0 ? (($0 / Double($1))).squareRoot() : nil }
    }
}

extension Graph {
    /// Reports the squares of a latent tensor (read in Double) to the attached diagnostics;
    /// nothing happens without them.
    public func reportLatent(_ latent: Tensor<T>) {
        guard let diagnostics else { return }
        let p = latent.ptr
        var sum = 0.0
        for i in 0..<latent.count {
            let v = Double(p[i])
            sum += v * v
        }
        diagnostics.recordLatent(sumOfSquares: sum, count: latent.count)
    }
}
