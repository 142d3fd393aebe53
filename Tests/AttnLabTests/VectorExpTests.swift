@testable import AttnLab
import Foundation
import Testing

/// `VectorExp` (Float e^x over buffers) against libm evaluated in Double and rounded to Float.
@Suite struct VectorExpTests {
    /// Distance in units in the last place between two finite non-negative Floats.
    func ulps(_ a: Float, _ b: Float) -> Int { abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    func vectorExp(_ xs: [Float]) -> [Float] {
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in
                VectorExp.exponentials(x.baseAddress!, minus: 0, into: y.baseAddress!, count: x.count)
            }
        }
        return ys
    }

    /// Every 257th Float from −104 to 89 (about 8.7 million inputs, both signs, through the
    /// subnormal and overflow edges): at most 2 ulp from the correctly rounded result where that
    /// is normal, and exactly 0 below `normalBound` (subnormals flushed).
    @Test func withinTwoUlpOfLibmOverTheWholeRange() {
        var xs: [Float] = []
        var bits = UInt32(0x8000_0000)  // −0, then more negative
        while Float(bitPattern: bits) >= -104 { xs.append(Float(bitPattern: bits)); bits &+= 257 }
        bits = 0
        while Float(bitPattern: bits) <= 89 { xs.append(Float(bitPattern: bits)); bits &+= 257 }
        let ys = vectorExp(xs)
        var worst = 0, worstX: Float = 0, notFlushed: [Float] = []
        for (x, y) in zip(xs, ys) {
            if x < VectorExp.normalBound {
                if y != 0 { notFlushed.append(x) }
                continue
            }
            let reference = Float(Foundation.exp(Double(x)))
            let error = ulps(y, reference)
            if error > worst { (worst, worstX) = (error, x) }
        }
        #expect(worst <= 2, "largest error \(worst) ulp at x = \(worstX)")
        #expect(notFlushed.isEmpty, "e^x not flushed to 0 for x = \(notFlushed.prefix(5))")
    }

    @Test func specialValues() {
        let xs: [Float] = [-.infinity, .infinity, .nan, 0, -0.0, 1, -1,
                           VectorExp.overflowBound, VectorExp.overflowBound.nextUp, 200,
                           -103.97208404541016, -104, -1000,
                           -87.5, VectorExp.normalBound.nextDown,  // subnormal results: flushed
                           VectorExp.normalBound]  // the smallest input with a result
        let ys = vectorExp(xs)
        #expect(ys[0] == 0)
        #expect(ys[1] == .infinity)
        #expect(ys[2].isNaN)
        #expect(ys[3] == 1 && ys[4] == 1)
        #expect(ys[5] == Float(Foundation.exp(1.0)) && ys[6] == Float(Foundation.exp(-1.0)))
        #expect(ys[7].isFinite && ys[7] > 3.4e38)
        #expect(ys[8] == .infinity && ys[9] == .infinity)
        #expect(ys[10] == 0 && ys[11] == 0 && ys[12] == 0 && ys[13] == 0 && ys[14] == 0)
        #expect(ys[15] >= Float.leastNormalMagnitude && ulps(ys[15], Float(Foundation.exp(Double(xs[15])))) <= 1)
    }

    /// The shift is subtracted first, a value's result does not depend on where it sits (vector
    /// body or remainder), and in place gives the same bits.
    @Test func resultDoesNotDependOnPositionOrShift() {
        let values: [Float] = (0..<37).map { Float($0) * 0.731 - 13 }
        let alone = values.map { vectorExp([$0])[0] }
        for offset in 0..<9 {
            let padded = [Float](repeating: 5, count: offset) + values
            #expect(Array(vectorExp(padded).dropFirst(offset)) == alone)
        }
        var shifted = [Float](repeating: 0, count: values.count)
        let plus3 = values.map { $0 + 3 }
        plus3.withUnsafeBufferPointer { x in
            shifted.withUnsafeMutableBufferPointer { y in
                VectorExp.exponentials(x.baseAddress!, minus: 3, into: y.baseAddress!, count: x.count)
            }
        }
        #expect(shifted == vectorExp(values.indices.map { plus3[$0] - 3 }))
        var inPlace = values
        inPlace.withUnsafeMutableBufferPointer { Float.exponentials($0.baseAddress!, minus: 0, into: $0.baseAddress!, count: $0.count) }
        #expect(inPlace == alone)
    }

    /// Double keeps libm, bit for bit (the gradient checks rely on it).
    @Test func doubleIsLibm() {
        let xs: [Double] = (0..<50).map { Double($0) * 0.37 - 9 }
        var ys = [Double](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in
                Double.exponentials(x.baseAddress!, minus: 0.5, into: y.baseAddress!, count: x.count)
            }
        }
        #expect(ys == xs.map { Foundation.exp($0 - 0.5) })
    }
}

/// Subnormals are flushed in every thread that runs AttnLab's numerics.
@Suite struct SubnormalFlushTests {
    @Test func graphsAndForkJoinPartsFlushSubnormals() {
        #if arch(x86_64)
        _ = Graph<Float>()
        #expect(SubnormalFlush.isEnabledOnThisThread)
        let tiny = Float.leastNormalMagnitude
        // Opaque to the optimiser: the product is computed at run time, in this thread's mode.
        let half = [Float(0.5)].withUnsafeBufferPointer { $0[0] }
        #expect(tiny * half == 0, "a subnormal result is flushed")
        let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 64)
        defer { flags.deallocate() }
        flags.initialize(repeating: false)
        let out = UncheckedSendable(flags)
        ProcessWideSettings.gate.enterExclusive()
        let before = Parallel.workers
        Parallel.workers = 2
        Parallel.forRanges(64, grain: 1) { range in
            for i in range { out.value[i] = SubnormalFlush.isEnabledOnThisThread }
        }
        Parallel.workers = before
        ProcessWideSettings.gate.leaveExclusive()
        #expect(flags.allSatisfy { $0 })
        #endif
    }
}
