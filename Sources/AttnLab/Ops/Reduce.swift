extension Graph {
    /// Sum of all elements, as a tensor of shape [1]. Accumulates in Double so Float sums over
    /// large tensors do not lose low-order bits.
    public func sum(_ x: Tensor<T>) -> Tensor<T> { total(x, factor: 1) }

    /// Mean of all elements, shape [1].
    public func mean(_ x: Tensor<T>) -> Tensor<T> { total(x, factor: 1 / Double(max(x.count, 1))) }

    private func total(_ x: Tensor<T>, factor: Double) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output([1], grad: grad)
        let n = x.count, xp = x.ptr
        var s = 0.0
        for i in 0..<n { s += Double(xp[i]) }
        y.ptr[0] = T(s * factor)
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let d = y.gptr[0] * T(factor), dx = x.gptr, assign = x.grad!.claimFirstWrite()
            for i in 0..<n { dx[i] = gradientSum(dx[i], d, assign: assign) }
        }
        return y
    }
}
