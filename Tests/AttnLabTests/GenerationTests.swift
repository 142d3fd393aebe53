import AttnLab
import Testing

@Suite struct GenerationTests {
    /// Greedy generation with the cache must pick, at every step, the argmax of a full forward
    /// over everything so far: the cache changes the cost, never the text.
    @Test(arguments: [Variant.mha, .gqa, .mlaTrainOnly, .gta, .gla], LatentDecodeMode.allCases)
    func greedyCachedGenerationEqualsRecomputation(variant: Variant, mode: LatentDecodeMode) throws {
        let config = variant.config()
        let model = DecoderLM<Double>(config, seed: 11)
        randomizeWeights(model, seed: 12)
        let prompt: [Int32] = [1, 5, 2]
        var sampler = try Sampler(temperature: 0)
        var produced: [Int32] = []
        let report = generate(model: model, prompt: prompt, maxNewTokens: 6, sampler: &sampler, latentDecode: mode) { produced.append($0) }
        #expect(report.generatedTokens == 6 && produced.count == 6)
        var seq = prompt
        for tok in produced {
            let logits = model.logits(Graph(recording: false), ids: seq, batch: 1)
            let v = config.vocabSize
            let last = (0..<v).map { logits[flat: (seq.count - 1) * v + $0] }
            #expect(Int32(last.firstIndex(of: last.max()!)!) == tok)
            seq.append(tok)
        }
        // Every token but the last produced one went through the cache.
        #expect(report.cacheUsedBytes == (prompt.count + 5) * model.makeCache(batch: 1).elementsPerToken * 8)
        // The prefill gives the first token: 6 tokens are 5 decode steps, and one token is none
        // (a fresh-user trial saw a "decode 31306.7 tokens/s" for a single token).
        #expect(report.decodeSteps == 5 && report.decodeTokensPerSecond != nil)
        var again = try Sampler(temperature: 0, topK: 0, seed: 1)
        let one = generate(model: model, prompt: prompt, maxNewTokens: 1, sampler: &again, latentDecode: mode) { _ in }
        #expect(one.generatedTokens == 1 && one.decodeSteps == 0 && one.decodeTokensPerSecond == nil)
    }

    @Test func samplingIsSeededAndTopKRestricts() throws {
        let logits: [Float] = [0.1, 2.0, 1.9, -1, 0.5]
        func draw(_ seed: UInt64, topK: Int) throws -> [Int32] {
            var s = try Sampler(temperature: 1, topK: topK, seed: seed)
            return logits.withUnsafeBufferPointer { p in (0..<200).map { _ in s.sample(p.baseAddress!, count: 5) } }
        }
        #expect(try draw(3, topK: 0) == draw(3, topK: 0))
        #expect(try draw(3, topK: 0) != draw(4, topK: 0))
        #expect(try Set(draw(5, topK: 2)) == [1, 2])
        #expect(try Set(draw(5, topK: 0)).count >= 4)
    }

    /// Settings a user types (`--top-k`, `--temperature`) are errors when out of range, not traps.
    @Test(arguments: [(1.0, -1), (-0.5, 0), (Double.nan, 0), (Double.infinity, 3), (-Double.infinity, 0)])
    func outOfRangeSamplingSettingsThrow(temperature: Double, topK: Int) {
        #expect(throws: SamplerError.self) { try Sampler(temperature: temperature, topK: topK) }
    }
}
