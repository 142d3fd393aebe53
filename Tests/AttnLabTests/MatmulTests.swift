import AttnLab
import Testing

@Suite struct MatmulTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gradientBatched(transA: Bool, transB: Bool) {
        var rng = TestRNG(1)
        let (m, k, n) = (3, 5, 4)
        let a = rng.tensor(transA ? [2, k, m] : [2, m, k])
        let b = rng.tensor(transB ? [2, n, k] : [2, k, n])
        let err = maxGradError([a, b]) { g in
            g.weightedSum(g.matmul(a, b, transA: transA, transB: transB))
        }
        #expect(err <= 1e-6)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gradientSharedWeight(transA: Bool, transB: Bool) {
        var rng = TestRNG(2)
        let (m, k, n) = (7, 3, 5)
        let a = rng.tensor(transA ? [2, 3, k, m] : [2, 3, m, k])
        let w = rng.tensor(transB ? [n, k] : [k, n])
        let err = maxGradError([a, w]) { g in
            g.weightedSum(g.matmul(a, w, transA: transA, transB: transB))
        }
        #expect(err <= 1e-6)
    }

    @Test func forwardMatchesNaiveProduct() {
        var rng = TestRNG(3)
        let a = rng.tensor([2, 3, 4], grad: false)
        let b = rng.tensor([2, 5, 4], grad: false)
        let y = Graph<Double>(recording: false).matmul(a, b, transB: true)
        #expect(y.shape == [2, 3, 5])
        for bi in 0..<2 { for i in 0..<3 { for j in 0..<5 {
            var s = 0.0
            for p in 0..<4 { s += a[flat: bi * 12 + i * 4 + p] * b[flat: bi * 20 + j * 4 + p] }
            #expect(abs(y[flat: bi * 15 + i * 5 + j] - s) < 1e-12)
        } } }
    }
}
