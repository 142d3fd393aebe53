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
    /// subnormal and overflow edges): at most 2 ulp from the correctly rounded result.
    @Test func withinTwoUlpOfLibmOverTheWholeRange() {
        var xs: [Float] = []
        var bits = UInt32(0x8000_0000)  // −0, then more negative
        while Float(bitPattern: bits) >= -104 { xs.append(Float(bitPattern: bits)); bits &+= 257 }
        bits = 0
        while Float(bitPattern: bits) <= 89 { xs.append(Float(bitPattern: bits)); bits &+= 257 }
        let ys = vectorExp(xs)
        var worst = 0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let reference = Float(Foundation.exp(Double(x)))
            let error = ulps(y, reference)
            if error > worst { (worst, worstX) = (error, x) }
        }
        #expect(worst <= 2, "largest error \(worst) ulp at x = \(worstX)")
    }

    @Test func specialValues() {
        let xs: [Float] = [-.infinity, .infinity, .nan, 0, -0.0, 1, -1,
                           VectorExp.overflowBound, VectorExp.overflowBound.nextUp, 200,
                           VectorExp.underflowBound, VectorExp.underflowBound.nextDown, -1000,
                           -87.5, -100,  // subnormal results
                           VectorExp.underflowBound.nextUp]  // the smallest subnormal
        let ys = vectorExp(xs)
        #expect(ys[0] == 0)
        #expect(ys[1] == .infinity)
        #expect(ys[2].isNaN)
        #expect(ys[3] == 1 && ys[4] == 1)
        #expect(ys[5] == Float(Foundation.exp(1.0)) && ys[6] == Float(Foundation.exp(-1.0)))
        #expect(ys[7].isFinite && ys[7] > 3.4e38)
        #expect(ys[8] == .infinity && ys[9] == .infinity)
        #expect(ys[10] == 0 && ys[11] == 0 && ys[12] == 0 && ys[15] > 0)
        for i in [13, 14] {
            #expect(ys[i].isSubnormal || ys[i] < Float.leastNormalMagnitude)
            #expect(ulps(ys[i], Float(Foundation.exp(Double(xs[i])))) <= 1)
        }
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
