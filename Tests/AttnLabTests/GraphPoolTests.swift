import Testing
import AttnLab

/// The graph's buffer pool: a step that asks for the same sizes reuses its buffers; sizes that
/// change from step to step (decoding, whose buffers grow with the context) do not accumulate.
struct GraphPoolTests {
    @Test func sameSizesAreReused() {
        let g = Graph<Float>(recording: false)
        var first: [UnsafeMutablePointer<Float>] = []
        for step in 0..<3 {
            let buffers = [g.scratch(100), g.scratch(100), g.scratch(7)]
            if step == 0 { first = buffers.map(\.pointer) } else { #expect(Set(buffers.map(\.pointer)) == Set(first)) }
            #expect(g.pooledBytes == 207 * MemoryLayout<Float>.stride)
            g.reset()
        }
    }

    @Test func growingSizesDoNotAccumulate() {
        let g = Graph<Float>(recording: false)
        for context in 1_000..<1_200 {
            _ = g.scratch(context * 8)
            _ = g.scratch(64)
            g.reset()
            // Only what this step used stays pooled (the old pool kept every size: ~200 buffers).
            #expect(g.pooledBytes == (context * 8 + 64) * MemoryLayout<Float>.stride)
        }
    }
}
