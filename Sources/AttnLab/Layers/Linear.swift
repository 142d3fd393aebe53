/// A bias-free linear map with a PyTorch-layout weight [out, in]: y = x Wᵀ.
public struct Linear<T: Scalar> {
    public let weight: Tensor<T>
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(_ store: ParameterStore<T>, _ name: String, in inF: Int, out outF: Int, std: Double) {
        weight = store.make(name + ".weight", [outF, inF], .normal(std: std))
    }

    public func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        g.matmul(x, weight, transB: true)
    }
}
