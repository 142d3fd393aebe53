import AttnLab
import Testing

/// `BlockedSum`: every element counted once whatever the remainder, and the fixed order.
@Suite struct BlockedSumTests {
    /// Integers are summed exactly in Float, so any lost, repeated or misplaced element shows.
    @Test(arguments: Array(0...19) + [64, 257])
    func sumsAndDotsCountEveryElementOnce(count: Int) {
        let a = (0..<count).map { Float($0 % 7 + 1) }, b = (0..<count).map { Float($0 % 5) - 2 }
        let c = (0..<count).map { Float($0 % 3 + 1) }
        let sum = a.withUnsafeBufferPointer { BlockedSum.sum($0.baseAddress!, count: count) }
        let dot = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { BlockedSum.dot(pa.baseAddress!, $0.baseAddress!, count: count) }
        }
        let dot3 = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeBufferPointer { BlockedSum.dot(pa.baseAddress!, pb.baseAddress!, $0.baseAddress!, count: count) }
            }
        }
        #expect(sum == a.reduce(0, +))
        #expect(dot == zip(a, b).map { $0 * $1 }.reduce(0, +))
        #expect(dot3 == (0..<count).map { a[$0] * b[$0] * c[$0] }.reduce(0, +))
    }

    /// Element i goes to partial i mod 8: 1 followed by seven tiny values in one partial each
    /// keeps them (added pairwise among themselves first); a left-to-right sum would lose them.
    @Test func partialsAreAddedPairwise() {
        let tiny = Float.ulpOfOne / 4
        let x: [Float] = [1] + [Float](repeating: tiny, count: 7) + [0, tiny, tiny, tiny, tiny, tiny, tiny, tiny]
        let blocked = x.withUnsafeBufferPointer { BlockedSum.sum($0.baseAddress!, count: x.count) }
        #expect(x.reduce(0, +) == 1)
        #expect(blocked > 1)
    }

    /// The largest element for every count from 1 to 19 and for 64, wherever it sits; NaNs after
    /// the first element are skipped.
    @Test func maximumFindsTheLargestWhereverItIs() {
        for count in Array(1...19) + [64] {
            for position in 0..<count {
                var x = (0..<count).map { Float($0 % 5) - 10 }
                x[position] = 3
                if count > 1 && position != 1 { x[1] = .nan }
                if position == 1 || count == 1 { x[position] = 3 }
                #expect(BlockedSum.maximum(x, count: count) == 3, "count \(count), largest at \(position)")
            }
        }
    }
}
