/// How a parameter starts: GPT-2's scheme (normal with a small std; residual output projections
/// scaled down by sqrt(2·layers)), norm weights at one.
public enum ParameterInit: Sendable {
    case normal(std: Double)
    case ones
}

/// Owns a model's parameters in creation order, each with its hierarchical name. Creation order
/// is the order of `ModelConfig.parameterSpecs` (derived from it), so checkpoints and optimizers
/// can rely on it.
public final class ParameterStore<T: Scalar> {
    public private(set) var tensors: [Tensor<T>] = []
    /// Every parameter's name and shape, in creation order.
    public private(set) var shapes: [(name: String, shape: [Int])] = []
    private var rng: SeededRandom
    private let recordingOnly: Bool

    public init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
        recordingOnly = false
    }

    /// A store that records names and shapes only and allocates nothing: building a layer on it
    /// lists the layer's parameters (`ModelConfig.parameterSpecs`) at any size. Its tensors are
    /// empty placeholders, so the layer built on it must not be run.
    public init(recordingShapes: Void) {
        rng = SeededRandom(seed: 0)
        recordingOnly = true
    }

    public func make(_ name: String, _ shape: [Int], _ initial: ParameterInit) -> Tensor<T> {
        precondition(!shapes.contains { $0.name == name }, "duplicate parameter name \(name)")
        shapes.append((name, shape))
        if recordingOnly { return Tensor<T>(shape: [0], data: Buffer<T>(count: 0), name: name) }
        let t = Tensor<T>(zeros: shape, requiresGrad: true, name: name)
        switch initial {
        case .ones: t.data.fill(1)
        case .normal(let std):
            let p = t.ptr
            for i in 0..<t.count { p[i] = T(rng.normal() * std) }
        }
        tensors.append(t)
        return t
    }

    public subscript(name: String) -> Tensor<T>? { tensors.first { $0.name == name } }
}
