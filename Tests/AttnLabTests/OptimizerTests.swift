import AttnLab
import Foundation
import Testing

@Suite struct OptimizerTests {
    @Test func adamWMatchesTheUpdateRuleAndSkipsDecayOnNorms() {
        let w = Tensor<Double>(shape: [1, 2], values: [0.5, -1], requiresGrad: true)
        let gain = Tensor<Double>(shape: [2], values: [1, 1], requiresGrad: true)
        var s = AdamW<Double>.Settings()
        s.beta1 = 0.8; s.beta2 = 0.9; s.eps = 1e-8; s.weightDecay = 0.5
        let opt = AdamW([w, gain], settings: s)
        let grads: [[Double]] = [[0.3, -0.2], [0.1, 0.4]]
        var (m, v, ref) = ([0.0, 0.0], [0.0, 0.0], [0.5, -1.0])
        var gref = [1.0, 1.0]
        for (t, gr) in grads.enumerated() {
            for j in 0..<2 { w.grad!.pointer[j] = gr[j]; gain.grad!.pointer[j] = gr[j] }
            opt.update(lr: 0.01)
            for j in 0..<2 {
                m[j] = 0.8 * m[j] + 0.2 * gr[j]
                v[j] = 0.9 * v[j] + 0.1 * gr[j] * gr[j]
                let step = 0.01 * (m[j] / (1 - pow(0.8, Double(t + 1)))) / ((v[j] / (1 - pow(0.9, Double(t + 1)))).squareRoot() + 1e-8)
                ref[j] = ref[j] * (1 - 0.01 * 0.5) - step
                gref[j] -= step
            }
        }
        for j in 0..<2 {
            #expect(abs(w[flat: j] - ref[j]) < 1e-14)
            #expect(abs(gain[flat: j] - gref[j]) < 1e-14)
        }
        #expect(opt.step == 2)
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let a = Tensor<Double>(shape: [2], values: [0, 0], requiresGrad: true)
        let b = Tensor<Double>(shape: [1, 1], values: [0], requiresGrad: true)
        a.grad!.pointer[0] = 3; a.grad!.pointer[1] = 0; b.grad!.pointer[0] = 4
        let before = clipGradients([a, b], maxNorm: 1)
        #expect(abs(before - 5) < 1e-12)
        #expect(abs(gradientNorm([a, b]) - 1) < 1e-6)
        #expect(abs(clipGradients([a, b], maxNorm: 0) - gradientNorm([a, b])) < 1e-15)
    }

    @Test func warmupThenCosineToTheFloor() {
        let s = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110, minRatio: 0.1, kind: .cosine)
        #expect(abs(s.rate(at: 0) - 1e-4) < 1e-15)
        #expect(abs(s.rate(at: 9) - 1e-3) < 1e-15)
        #expect(abs(s.rate(at: 10) - 1e-3) < 1e-15)
        #expect(abs(s.rate(at: 109) - 1e-4) < 1e-15)
        #expect(abs(s.rate(at: 60) - (1e-4 + 0.5 * 9e-4 * (1 + cos(Double.pi * 50 / 99)))) < 1e-15)
        for i in 10..<109 { #expect(s.rate(at: i + 1) <= s.rate(at: i)) }
        let c = LearningRateSchedule(peak: 2, warmupSteps: 0, totalSteps: 5, minRatio: 0, kind: .constant)
        #expect(c.rate(at: 4) == 2)
    }
}
