/// down(silu(gate(x)) ⊙ up(x)), Llama's feed-forward block.
public struct SwiGLUMLP<T: Scalar> {
    public let gate: Linear<T>, up: Linear<T>, down: Linear<T>

    public init(_ store: ParameterStore<T>, _ prefix: String, d: Int, hidden: Int, std: Double, residualStd: Double) {
        gate = Linear(store, prefix + ".gate_proj", in: d, out: hidden, std: std)
        up = Linear(store, prefix + ".up_proj", in: d, out: hidden, std: std)
        down = Linear(store, prefix + ".down_proj", in: hidden, out: d, std: residualStd)
    }

    public func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        down(g, g.swiglu(gate: gate(g, x), up: up(g, x)))
    }
}
