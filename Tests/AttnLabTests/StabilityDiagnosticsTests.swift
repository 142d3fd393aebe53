@testable import AttnLab
import Foundation
import Testing

/// Stability diagnostics: the reported attention logits and latent RMS against independent
/// Double computations, the spike detector's rule, and `/diagnostics` in run files.
@Suite struct StabilityDiagnosticsTests {
    /// The largest scale · q·k over every visible (query, key) pair, by brute force in Double.
    static func bruteForceMaxLogit(q: Tensor<Double>, k: Tensor<Double>, scale: Double, offset: Int) -> Double {
        let (b, hq, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, tk) = (k.shape[1], k.shape[2])
        var best = -Double.infinity
        for bi in 0..<b { for h in 0..<hq { for i in 0..<tq { for j in 0...(offset + i) {
            let kh = h / (hq / hkv)
            var s = 0.0
            for c in 0..<d { s += q[flat: ((bi * hq + h) * tq + i) * d + c] * k[flat: ((bi * hkv + kh) * tk + j) * d + c] }
            best = max(best, s * scale)
        } } } }
        return best
    }

    static func random(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor<Double> {
        var rng = SeededRandom(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.uniform() * 4 - 2 }, requiresGrad: requiresGrad)
    }

    /// (batch, query heads, KV heads, queries, position offset, head width): several query tiles
    /// of 32 rows, GQA and MQA groups, and cached-decoding offsets.
    @Test(arguments: [(2, 4, 2, 70, 0, 8), (1, 3, 1, 5, 4, 6), (2, 2, 2, 33, 0, 4), (3, 4, 4, 1, 9, 5)])
    func causalAttentionReportsItsLargestVisibleScore(c: (Int, Int, Int, Int, Int, Int)) {
        let (b, hq, hkv, tq, offset, d) = c
        let q = Self.random([b, hq, tq, d], seed: 1, requiresGrad: true)
        let k = Self.random([b, hkv, offset + tq, d], seed: 2, requiresGrad: true)
        let v = Self.random([b, hkv, offset + tq, d], seed: 3, requiresGrad: true)
        let scale = 1 / Double(d).squareRoot()
        let expected = Self.bruteForceMaxLogit(q: q, k: k, scale: scale, offset: offset)
        for schedule in [AttentionSchedule.sequential, .parallel] {
            for recording in [true, false] {
                let plain = Graph<Double>(recording: recording).causalAttention(q, k, v, scale: scale, positionOffset: offset, schedule: schedule)
                let g = Graph<Double>(recording: recording)
                let diagnostics = ForwardDiagnostics(layers: 1)
                g.diagnostics = diagnostics
                let y = g.causalAttention(q, k, v, scale: scale, positionOffset: offset, schedule: schedule)
                #expect(abs(diagnostics.maxAttentionLogit[0] - expected) <= 1e-12 * max(1, abs(expected)), "\(c) \(schedule) \(recording)")
                #expect(y.array == plain.array, "diagnostics changed the output")
                #expect(diagnostics.latentRMS == [nil])
            }
        }
    }

    /// The training forward of every variant reports, per layer, the largest logit that cached
    /// decoding (one token at a time against the cache; MLA and GLA also in the latent space with
    /// the absorbed weights) reports; for MHA/GQA/MQA it is also the brute-force maximum over
    /// the layer's own q and k. MLA and GLA report the RMS of c_KV, computed here in plain loops.
    @Test(arguments: Variant.allCases)
    func everyVariantReportsItsLogitsAndLatent(variant: Variant) throws {
        let config = variant.config()
        let model = DecoderLM<Double>(config, seed: 7)
        randomizeWeights(model, seed: 8)
        let (batch, t) = (2, 9)
        let ids = tokenSequence(batch * t, vocab: config.vocabSize, seed: 9)
        let g = Graph<Double>()
        let diagnostics = ForwardDiagnostics(layers: config.nLayers)
        g.diagnostics = diagnostics
        let logits = model.logits(g, ids: ids, batch: batch)
        let plain = model.logits(Graph<Double>(), ids: ids, batch: batch)
        #expect(logits.array == plain.array, "diagnostics changed the forward")
        let reported = diagnostics.maxAttentionLogit
        #expect(reported.allSatisfy { $0.isFinite })
        for mode in LatentDecodeMode.allCases {
            let cache = model.makeCache(batch: batch, chunk: 4, latentDecode: mode)
            let decoded = ForwardDiagnostics(layers: config.nLayers)
            var pos = 0
            for step in [3, 1, 1, 1, 1, 1, 1] {
                let dg = Graph<Double>(recording: false)
                dg.diagnostics = decoded
                var chunk: [Int32] = []
                for b in 0..<batch { chunk += ids[(b * t + pos)..<(b * t + pos + step)] }
                _ = model.logits(dg, ids: chunk, batch: batch, cache: cache)
                pos += step
            }
            for (a, e) in zip(reported, decoded.maxAttentionLogit) {
                #expect(abs(a - e) <= 1e-9 * max(1, abs(e)), "\(variant) \(mode): forward \(a), decode \(e)")
            }
        }
        // Layer 0's input: the normalised embeddings.
        let x = model.blocks[0].inputNorm(Graph<Double>(), Graph<Double>().embedding(model.embedding, ids: ids, shape: [batch, t]))
        switch model.blocks[0].attention {
        case .grouped(let a):
            let sg = Graph<Double>()
            let q = sg.rope(sg.splitHeads(a.qProj(sg, x), heads: a.nHeads), base: a.ropeBase, style: a.ropeStyle)
            let k = sg.rope(sg.splitHeads(a.kProj(sg, x), heads: a.nKVHeads), base: a.ropeBase, style: a.ropeStyle)
            let expected = Self.bruteForceMaxLogit(q: q, k: k, scale: a.scale, offset: 0)
            #expect(abs(reported[0] - expected) <= 1e-12 * max(1, abs(expected)))
            #expect(diagnostics.latentRMS.allSatisfy { $0 == nil })
        case .latent(let a):
            try Self.expectLatentRMS(diagnostics, x: x, kvA: a.compression.kvA.weight, width: a.kvLoraRank)
        case .groupedLatent(let a):
            try Self.expectLatentRMS(diagnostics, x: x, kvA: a.compression.kvA.weight, width: a.kvLoraRank)
        case .tied:
            #expect(diagnostics.latentRMS.allSatisfy { $0 == nil })
        }
    }

    /// c_KV = x W_DKVᵀ (the first `width` rows of `kv_a_proj_with_mqa`), its RMS in Double loops.
    static func expectLatentRMS(_ d: ForwardDiagnostics, x: Tensor<Double>, kvA: Tensor<Double>, width: Int) throws {
        let (rows, dm) = (x.count / x.shape.last!, x.shape.last!)
        var sum = 0.0
        for r in 0..<rows { for c in 0..<width {
            var v = 0.0
            for i in 0..<dm { v += x[flat: r * dm + i] * kvA[flat: c * dm + i] }
            sum += v * v
        } }
        let expected = (sum / Double(rows * width)).squareRoot()
        let got = try #require(d.latentRMS[0])
        #expect(abs(got - expected) <= 1e-12 * expected, "latent RMS \(got) vs \(expected)")
        #expect(d.latentRMS.allSatisfy { $0 != nil })
    }

    // MARK: spike detection

    /// A noisy, decaying loss and a wobbling gradient norm, as a stable run logs them.
    static func smooth(_ step: Int) -> (loss: Double, gradNorm: Double) {
        let s = Double(step)
        return (2 + 3 * exp(-s / 100) + 0.05 * sin(1.3 * s), 1 + 0.3 * sin(0.7 * s))
    }

    static func detect(_ steps: Int, warmup: Int, _ series: (Int) -> (loss: Double, gradNorm: Double)) -> [SpikeEvent] {
        var d = SpikeDetector(warmupSteps: warmup)
        return (1...steps).flatMap { d.observe(step: $0, loss: series($0).loss, gradNorm: series($0).gradNorm) }
    }

    @Test func aSmoothSeriesHasNoSpikes() {
        #expect(Self.detect(600, warmup: 20, Self.smooth).isEmpty)
    }

    @Test func aSpikeIsFlaggedAgainstTheMedianOfTheWindowBeforeIt() throws {
        let events = Self.detect(400, warmup: 20) { s in
            let (l, g) = Self.smooth(s)
            return s == 200 ? (l + 0.8, 10 * g) : s == 300 ? (l, 6 * g) : (l, g)
        }
        #expect(events.map(\.step) == [200, 200, 300])
        #expect(events.map(\.kind) == [.loss, .gradNorm, .gradNorm])
        let window = (150..<200).map(Self.smooth)
        let sortedLoss = window.map(\.loss).sorted(), sortedGrad = window.map(\.gradNorm).sorted()
        #expect(events[0].median == (sortedLoss[24] + sortedLoss[25]) / 2)
        #expect(events[1].median == (sortedGrad[24] + sortedGrad[25]) / 2)
        #expect(events[0].value == Self.smooth(200).loss + 0.8)
        #expect(events[1].value == 10 * Self.smooth(200).gradNorm)
    }

    @Test func nothingIsTestedWhileTheWindowFillsOrDuringWarmup() {
        let spiky: (Int) -> (loss: Double, gradNorm: Double) = { s in
            let (l, g) = Self.smooth(s)
            return [30, 70, 120].contains(s) ? (l + 2, 20 * g) : (l, g)
        }
        // Window of 50: step 30 is not tested; warmup 100: step 70 is not either.
        #expect(Self.detect(150, warmup: 100, spiky).map(\.step) == [120, 120])
        #expect(Self.detect(150, warmup: 10, spiky).map(\.step) == [70, 70, 120, 120])
    }

    @Test func belowTheThresholdsAndNonFiniteValuesAreNotSpikes() {
        var d = SpikeDetector(warmupSteps: 0)
        for s in 1...50 { _ = d.observe(step: s, loss: 2, gradNorm: 1) }
        #expect(d.observe(step: 51, loss: 2 + SpikeDetector.lossMargin, gradNorm: SpikeDetector.gradNormFactor).isEmpty)
        #expect(d.observe(step: 52, loss: .nan, gradNorm: .infinity).isEmpty)
        #expect(d.observe(step: 53, loss: 2.6, gradNorm: 1).map(\.kind) == [.loss])
    }

    /// A detector rebuilt from the steps before a checkpoint flags what the uninterrupted one does.
    @Test func aDetectorRebuiltFromHistoryContinuesExactly() {
        let series: (Int) -> (loss: Double, gradNorm: Double) = { s in
            let (l, g) = Self.smooth(s)
            return s % 37 == 0 ? (l + 1, 8 * g) : (l, g)
        }
        let whole = Self.detect(300, warmup: 20, series)
        let history = (1...140).map { (step: $0, loss: series($0).loss, gradNorm: series($0).gradNorm) }
        var resumed = SpikeDetector(warmupSteps: 20, history: history)
        let after = (141...300).flatMap { resumed.observe(step: $0, loss: series($0).loss, gradNorm: series($0).gradNorm) }
        #expect(!after.isEmpty)
        #expect(whole.filter { $0.step > 140 } == after)
    }

    // MARK: run files

    /// Writes `/diagnostics` rows and spikes, checkpoints at step 6, keeps writing to step 10,
    /// resumes from the checkpoint (which drops what came after it) and writes on: the file reads
    /// back exactly what was kept and written.
    @Test func diagnosticsRoundTripThroughAResume() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("exp/run.h5").path
        var config = ExperimentConfig()
        config.description = "synthetic MLA run for StabilityDiagnosticsTests"
        config.model.attention.kind = .mla
        config.model.nLayers = 3
        let metadata = RunMetadata(experiment: "exp", runName: "run", configTOML: config.canonicalTOML(), seed: 1,
                                   tokenizer: "byte", dataDescription: "none", threads: 1, blasCore: "x", blasThreads: 1)
        let params = [Tensor<Float>(zeros: [4, 4], name: "w")]
        let optimizer = AdamW(params, settings: .init())
        func row(_ step: Int) -> DiagnosticsRecord {
            DiagnosticsRecord(step: step, maxAttentionLogit: (0..<3).map { Double(step) + Double($0) / 10 },
                              latentRMS: (0..<3).map { 1 / Double(step + $0) })
        }
        func spike(_ step: Int, _ kind: SpikeKind) -> SpikeEvent { SpikeEvent(step: step, kind: kind, value: Double(step), median: 0.5) }
        do {
            let lock = try RunFileLock.acquire(for: path)
            defer { lock.release() }
            let writer = try RunWriter.create(path: path, lock: lock, metadata: metadata, model: config.model, contextLength: 8,
                                              parameters: params, evalColumns: ["loss"], periodicWindows: 4, saveWeights: true, flushSeconds: 1000,
                                              diagnostics: true)
            for step in 1...10 {
                try writer.log(TrainRecord(step: step, loss: 1, lr: 1e-3, gradNorm: 1, tokensPerSecond: 1, elapsed: 1))
                if step % 2 == 0 { try writer.logDiagnostics(row(step)) }
                if step == 3 { try writer.logSpike(spike(3, .loss)); try writer.logSpike(spike(3, .gradNorm)) }
                if step == 7 { try writer.logSpike(spike(7, .gradNorm)) }
                if step == 6 {
                    try writer.checkpoint(parameters: params, optimizer: optimizer,
                                          state: CheckpointState(step: 6, optimizerStep: 6, samplerState: [1, 2, 3, 4], elapsed: 1))
                }
            }
            try writer.close()
        }
        let before = try #require(try RunReader(path: path).diagnostics())
        #expect(before.steps == [2, 4, 6, 8, 10])
        #expect(before.maxAttentionLogit == [2, 4, 6, 8, 10].map { row($0).maxAttentionLogit })
        #expect(before.latentRMS == [2, 4, 6, 8, 10].map { row($0).latentRMS! })
        #expect(before.spikes == [spike(3, .loss), spike(3, .gradNorm), spike(7, .gradNorm)])

        let lock = try RunFileLock.acquire(for: path)
        defer { lock.release() }
        let (writer, state, _, _) = try RunWriter.resume(path: path, lock: lock, parameters: params, optimizer: optimizer,
                                                      evalColumns: ["loss"], flushSeconds: 1000)
        #expect(state.step == 6 && writer.recordsDiagnostics)
        // Past the detector's window, so the report counts the run as tested.
        for step in 7...60 { try writer.log(TrainRecord(step: step, loss: 1, lr: 1e-3, gradNorm: 1, tokensPerSecond: 1, elapsed: 1)) }
        try writer.logDiagnostics(row(8))
        try writer.logSpike(spike(9, .gradNorm))
        try writer.close()
        let after = try #require(try RunRecord(path: path).diagnostics)
        #expect(after.steps == [2, 4, 6, 8])
        #expect(after.maxAttentionLogit == [2, 4, 6, 8].map { row($0).maxAttentionLogit })
        #expect(after.spikes == [spike(3, .loss), spike(3, .gradNorm), spike(9, .gradNorm)])
        let stability = RunStability(variant: "v", record: try RunRecord(path: path))
        #expect(stability.flagged && stability.lossSpikes == 1 && stability.gradNormSpikes == 2)
        #expect(stability.maxAttentionLogit == 8.2 && stability.maxAttentionLogitStep == 8 && stability.finalStep == 8)
        #expect(stability.finalLatentRMSMin == 1.0 / 10 && stability.finalLatentRMSMax == 1.0 / 8)
        let section = StabilitySummary.markdown([stability])
        #expect(section.contains("Runs with spikes: `run`."))
        #expect(section.contains("| v | run | 8.200 (step 8) | 8.200 (step 8) | 0.100–0.125 | 1 | 2 | **spikes** |"))
        #expect(StabilitySummary.inspectLines(try RunRecord(path: path)).last == "  spikes (steps 51–60 tested): 1 loss, 2 gradient-norm (loss @ 3: 3 vs median 0.5; grad_norm @ 3: 3 vs median 0.5; grad_norm @ 9: 9 vs median 0.5)")
    }

    /// Writes a synthetic MHA run file with diagnostics (2 layers): `steps` training steps, a
    /// diagnostics row every 10 steps whose layer-1 logit is `logit(step)`, eval rows at `evalSteps`,
    /// then `status` at the last step.
    static func writeSyntheticRun(_ path: String, steps: Int, status: RunStatus, evalSteps: [Int] = [],
                                  logit: (Int) -> Double = { _ in 5 }, loss: (Int) -> Double = { _ in 3 }) throws {
        var config = ExperimentConfig()
        config.description = "synthetic run for StabilityDiagnosticsTests"
        config.model.nLayers = 2
        let metadata = RunMetadata(experiment: "exp", runName: "run", configTOML: config.canonicalTOML(), seed: 1,
                                   tokenizer: "byte", dataDescription: "none", threads: 1, blasCore: "x", blasThreads: 1)
        let lock = try RunFileLock.acquire(for: path)
        defer { lock.release() }
        let writer = try RunWriter.create(path: path, lock: lock, metadata: metadata, model: config.model, contextLength: 8,
                                          parameters: [], evalColumns: ["loss", "bits_per_byte"], periodicWindows: 4, saveWeights: false,
                                          flushSeconds: 1000, diagnostics: true)
        for step in 1...steps {
            let last = step == steps && status == .diverged
            try writer.log(TrainRecord(step: step, loss: last ? .nan : loss(step), lr: 1e-3, gradNorm: last ? -.nan : 1, tokensPerSecond: 1, elapsed: 1))
            if evalSteps.contains(step) { try writer.logEval(step: step, values: [2.5, 3.5]) }
            if step % 10 == 0 { try writer.logDiagnostics(DiagnosticsRecord(step: step, maxAttentionLogit: [1, logit(step)], latentRMS: nil)) }
        }
        try writer.setStatus(status, step: steps)
        try writer.close()
    }

    /// A run that ends before the detector's first tested step is "not tested", never "no spike";
    /// a logit above `extremeLogit` is flagged, with its step.
    @Test func shortRunsAreNotTestedAndExtremeLogitsAreFlagged() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("exp/run.h5").path
        try Self.writeSyntheticRun(path, steps: 40, status: .finished) { $0 == 30 ? 150 : 5 }
        let record = try RunRecord(path: path)
        let s = RunStability(variant: "run", record: record)
        #expect(!s.spikeTested && s.spikeTestsAfterStep == 50 && s.steps == 40 && s.extremeLogit)
        let section = StabilitySummary.markdown([s])
        #expect(!section.contains { $0.hasPrefix("No run has") })
        #expect(section.contains("No run was tested for spikes."))
        #expect(section.contains("Not tested for spikes (spike detection starts after step max(50, warmup); these runs end at or before it): `run` (starts after step 50; 40 steps)."))
        #expect(section.contains("Attention logits above 100: `run` (150.000 at step 30)."))
        #expect(section.contains("| run | run | 5.000 (step 40) | 150.000 (step 30) | - | 0 | 0 | **logit > 100**, spikes not tested (40 ≤ 50 steps) |"))
        let lines = StabilitySummary.inspectLines(record)
        #expect(lines.first == "diagnostics: 4 logged steps, 2 layers")
        #expect(lines.contains { $0.hasPrefix("  flag: largest attention logit 150.000 is above 100") })
        #expect(lines.last == "  spikes: not tested: spike detection starts after step 50; this run has 40 steps")
    }

    /// The tuning report shows each grid point's stability flags: a study tuning run whose
    /// attention logits passed 1,000 was counted usable with no word of it. The chosen lr's
    /// nearest grid point is named when flagged, and the flags inform without changing the fit.
    @Test func tuningReportShowsEachGridPointsStabilityFlags() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let clean = box.results.appendingPathComponent("exp/clean.h5").path
        let sharp = box.results.appendingPathComponent("exp/sharp.h5").path
        let calm = box.results.appendingPathComponent("exp/calm.h5").path
        try Self.writeSyntheticRun(clean, steps: 60, status: .finished, evalSteps: [60])
        try Self.writeSyntheticRun(calm, steps: 60, status: .finished, evalSteps: [60])
        try Self.writeSyntheticRun(sharp, steps: 60, status: .finished, evalSteps: [60],
                                   logit: { $0 == 30 ? 1500 : 5 }, loss: { $0 == 55 ? 9 : 3 })
        func run(_ path: String, lr: Double, loss: Double) throws -> RunRecord {
            var r = try RunRecord(path: path)
            r.config.optimizer.lr = lr
            r.run = "mha-lr\(lr)-seed1"
            r.finalEvaluation = nil
            r.eval["loss"] = [loss]
            return r
        }
        #expect(RunStability(variant: "mha", record: try RunRecord(path: clean)).instability.isEmpty)
        #expect(RunStability(variant: "mha", record: try RunRecord(path: sharp)).instability
                == ["loss 9.000 at step 55", "max attention logit 1500.000 at step 30 (> 100)"])

        let runs = [try run(clean, lr: 1e-3, loss: 2.6), try run(sharp, lr: 2e-3, loss: 2.4), try run(calm, lr: 4e-3, loss: 2.5)]
        let tuning = LearningRateTuningReport(experiment: "exp-tune", runs: runs)
        let v = try #require(tuning.variants.first)
        #expect(tuning.variants.count == 1 && v.fit.points.map(\.unstable.count) == [0, 1, 0])
        let unflagged = LearningRateFit(points: v.fit.points.map { LearningRatePoint(lr: $0.lr, losses: $0.losses) })
        #expect(v.fit.chosen == unflagged.chosen && v.fit.flag == unflagged.flag, "flags do not select")
        let chosen = LearningRateTuningReport.format(try #require(v.fit.chosen))
        let markdown = tuning.markdown(plot: "p.svg")
        #expect(markdown.contains("| variant | lr | final val loss (mean) | n | parabola | left out | stability |"))
        #expect(markdown.contains { $0.hasPrefix("| \(v.variant) | 0.001 | 2.6000 | 1 |") && $0.hasSuffix("|  |  |") })
        #expect(markdown.contains { $0.hasPrefix("| \(v.variant) | 0.002 | 2.4000 | 1 |")
                                    && $0.hasSuffix("|  | seed 1: loss 9.000 at step 55, max attention logit 1500.000 at step 30 (> 100) |") })
        #expect(markdown.contains("1 tuning run is flagged. At the grid point nearest a chosen lr: `\(v.variant)` (chosen lr \(chosen); "
                                  + "at grid lr 0.002: seed 1: loss 9.000 at step 55, max attention logit 1500.000 at step 30 (> 100))."))
        let sharpFree = LearningRateTuningReport(experiment: "exp-tune", runs: [try run(clean, lr: 1e-3, loss: 2.6),
                                                                               try run(calm, lr: 2e-3, loss: 2.4)])
        #expect(sharpFree.markdown(plot: "p.svg").contains("No tuning run is flagged."))
    }

    /// A diverged run: flagged in the stability section; inspect says it will not finish, shows
    /// the last periodic evaluation (loss first) or says there is none, counts layers from the
    /// file's `layer` scale when no diagnostics row was logged, and prints no "-nan".
    @Test func divergedRunsAreFlaggedAndInspectedAsSuch() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let early = box.results.appendingPathComponent("exp/early.h5").path
        try Self.writeSyntheticRun(early, steps: 2, status: .diverged)
        let lines = try RunInspection.lines(path: early, config: false)
        #expect(lines.contains("status:      diverged at step 2"))
        #expect(lines.contains("final eval:  none: the run diverged at step 2 and will not finish; it has no periodic evaluation"))
        #expect(!lines.contains { $0.hasPrefix("val ") })
        #expect(lines.contains("diagnostics: 0 logged steps, 2 layers"))
        #expect(lines.last == "  spikes: not tested: spike detection starts after step 50; this run has 2 steps")
        let s = RunStability(variant: "run", record: try RunRecord(path: early))
        let section = StabilitySummary.markdown([s])
        #expect(section.contains("Diverged (non-finite loss or gradient norm; left out of every statistic): `run` at step 2."))
        #expect(section.last { $0.hasPrefix("| run |") }?.hasSuffix("| **diverged at step 2**, spikes not tested (2 ≤ 50 steps) |") == true)

        let late = box.results.appendingPathComponent("exp/late.h5").path
        try Self.writeSyntheticRun(late, steps: 27, status: .diverged, evalSteps: [10, 20])
        let lateLines = try RunInspection.lines(path: late, config: false)
        let final = try #require(lateLines.firstIndex(of: "final eval:  none: the run diverged at step 27 and will not finish; values below are the last periodic evaluation (step 20)"))
        #expect(Array(lateLines[(final + 1)...(final + 2)]) == ["val loss: 2.5000", "val bits_per_byte: 3.5000"])
        #expect(!lateLines.joined().contains("-nan"))
        #expect(fixed(-.nan, 3) == "nan" && shortest(-.nan) == "nan" && shortest(0.5) == "0.5")
    }

    /// A loss far above a uniform guess (ln 256 + 1) is flagged at any step, also before spike
    /// detection starts; just below the margin is not.
    @Test func aBlownUpLossIsFlaggedAtAnyStep() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("exp/run.h5").path
        try Self.writeSyntheticRun(path, steps: 150, status: .finished, loss: { $0 == 5 ? 304 : $0 == 62 ? 300 : 3 })
        let s = RunStability(variant: "run", record: try RunRecord(path: path))
        #expect(s.blowUpStep == 5 && s.blowUpLoss == 304)
        let section = StabilitySummary.markdown([s])
        #expect(section.contains("Training loss above ln(vocab) + 1 nats (a uniform guess plus 1; checked at every step): `run` (304.000 at step 5)."))
        #expect(s.flags.first == "**loss 304.000 at step 5**")
        #expect(StabilitySummary.inspectLines(try RunRecord(path: path)).contains(
            "  flag: training loss 304.000 at step 5 is more than 1 nats above ln(vocab) = 5.545 (a blown-up update)"))
        let quiet = box.results.appendingPathComponent("exp/quiet.h5").path
        try Self.writeSyntheticRun(quiet, steps: 10, status: .finished, loss: { $0 == 5 ? log(256) + 0.99 : 3 })
        #expect(RunStability(variant: "quiet", record: try RunRecord(path: quiet)).blowUpStep == nil)
    }

    /// Files without `/diagnostics` (the committed format-1 runs; format-2 files, as a run with
    /// `log.diagnostics = false` writes them) read as having none, and the report says so instead
    /// of showing figures.
    @Test func filesWithoutDiagnosticsStillRead() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = repository.appendingPathComponent("results/ablation-mla/mla-seed1.h5").path
        let record = try RunRecord(path: committed)
        #expect(try RunReader(path: committed).intAttribute("format_version") == 1)
        #expect(record.diagnostics == nil)
        #expect(!record.trainLoss.isEmpty)
        let stability = RunStability(variant: "mla", record: record)
        #expect(!stability.recorded && !stability.flagged && stability.maxAttentionLogit == nil)
        #expect(StabilitySummary.markdown([stability])[2].hasPrefix("None of these 1 run files holds stability diagnostics"))

        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("off")
        let o = try runExperiment(box.load("off", ["log.diagnostics=false", "train.steps=4", "schedule.warmup_steps=0"]), resultsDirectory: box.results, quiet: true)[0]
        #expect(try RunReader(path: o.path).hasDiagnostics() == false)
        #expect(try RunRecord(path: o.path).diagnostics == nil)
    }

    /// A real run (MLA) logs diagnostics at every `log.every` steps and the last, identically
    /// when interrupted and resumed.
    @Test func trainingRecordsDiagnosticsIdenticallyAcrossAResume() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("resume", kinds: ["mla"])
        let sets = ["train.steps=36", "log.every=8"]
        let full = try runExperiment(box.load("resume", sets), resultsDirectory: box.results.appendingPathComponent("full"), quiet: true)[0]
        let exp = try box.load("resume", sets)
        let path = box.path("resume", "mla")
        _ = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, quiet: true) { step in step == 19 }
        _ = try runExperiment(exp, resultsDirectory: box.results, resumePath: path, quiet: true)
        let a = try #require(try RunRecord(path: full.path).diagnostics)
        let b = try #require(try RunRecord(path: path).diagnostics)
        #expect(a.steps == [8, 16, 24, 32, 36])
        #expect(a.maxAttentionLogit.allSatisfy { $0.count == 2 && $0.allSatisfy { $0.isFinite } })
        #expect(a.latentRMS?.allSatisfy { $0.allSatisfy { $0 > 0 } } == true)
        #expect(a == b)
    }
}
