/// RMSNorm with a learned per-channel gain.
public struct RMSNormLayer<T: Scalar> {
    public let weight: Tensor<T>
    public let eps: T

    public init(_ store: ParameterStore<T>, _ name: String, width: Int, eps: Double) {
        weight = store.make(name + ".weight", [width], .ones)
        self.eps = T(eps)
    }

    public func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        g.rmsNorm(x, weight: weight, eps: eps)
    }
}
