import AttnLab
import Foundation
import Testing

/// The validation protocol: a validation set that depends on the data and seq_len only, a
/// whole-split final evaluation stored in `/final_eval`, and `attnlab eval` reproducing it.
@Suite(.serialized) struct ValidationProtocolTests {
    /// A short run of the sandbox model (8 x 32 tokens per step) that keeps its weights.
    static let short = ["train.steps=6", "schedule.warmup_steps=1", "eval.every=3", "log.checkpoint_every=0"]

    @Test(arguments: ["mha", "gqa", "mqa", "mla", "gta", "gla"])
    func evalReproducesTheStoredFinalLoss(kind: String) throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("v", kinds: [kind])
        let outcome = try #require(try runExperiment(box.load("v", Self.short), resultsDirectory: box.results, quiet: true).first)
        #expect(outcome.status == .finished && outcome.step == 6)
        let record = try RunRecord(path: outcome.path)
        let stored = try #require(record.finalEvaluation)
        #expect(record.formatVersion == 3 && record.validationProtocol == .windows)
        #expect(stored.step == 6 && record.finalValLoss == stored.values["loss"] && outcome.finalEval == stored.values)
        // The /eval curve stays on the periodic subset (eval.windows = 8) at every step, the last included.
        #expect(record.evalSteps == [3, 6] && record.eval["loss"]?.last != stored.values["loss"])
        let result = try evaluateCheckpoint(path: outcome.path, textPath: nil, split: .val, maxTokens: 0)
        let storedLoss = try #require(stored.values["loss"])
        #expect(result.loss == storedLoss, "\(kind): eval \(result.loss) vs stored \(storedLoss)")
        #expect(try #require(result.relativeDifference) <= 1e-6)
        #expect(result.metric == stored.values["bits_per_byte"] && result.windows == stored.windows && result.tokens == stored.tokens)
        #expect(result.description.contains("loss \(storedLoss) nats/token") && result.description.contains("relative difference 0"))
        // The whole split: 6,000 validation bytes of the sandbox corpus at seq_len 32.
        let data = try TrainingData(record.config, seed: 1)
        #expect(stored.windows == data.validation.count && stored.tokens == data.validation.count * 32)
        // --tokens: the first windows covering that many tokens; no stored value to compare with.
        let part = try evaluateCheckpoint(path: outcome.path, textPath: nil, split: .val, maxTokens: 40)
        #expect(part.windows == 2 && part.tokens == 64 && part.stored == nil)
    }

    /// `attnlab generate` with a prompt longer than max_seq_len keeps its last max_seq_len tokens
    /// and says in the status line how many it dropped; a prompt that fits says nothing of it.
    /// A latent decoding path given for a run without a latent is refused, not ignored.
    @Test func generationSaysWhenThePromptIsCut() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("v", kinds: ["mla", "gqa"])
        let outcomes = try runExperiment(box.load("v", Self.short), resultsDirectory: box.results, quiet: true)
        let outcome = try #require(outcomes.first { $0.path.hasSuffix("mla.h5") })
        let gqa = try #require(outcomes.first { $0.path.hasSuffix("gqa.h5") })
        let limit = try RunRecord(path: outcome.path).config.model.maxSeqLen
        let long = String(repeating: "b", count: limit + 7)
        var text = ""
        let cut = try generateFromCheckpoint(path: outcome.path, prompt: long, maxNewTokens: 3, temperature: 0, topK: 0, seed: 1,
                                             latentDecode: .naive) { text += $0 }
        #expect(cut.hasPrefix("\(limit) prompt + 1 generated token; "), "\(cut)")
        #expect(cut.contains("the prompt's first 7 of \(limit + 7) tokens were dropped: the model saw its last max_seq_len = \(limit)"), "\(cut)")
        let fits = try generateFromCheckpoint(path: outcome.path, prompt: "bb", maxNewTokens: 3, temperature: 0, topK: 0, seed: 1,
                                              latentDecode: .absorbed) { _ in }
        #expect(fits.hasPrefix("2 prompt + 3 generated tokens") && !fits.contains("dropped"), "\(fits)")
        for mode in LatentDecodeMode.allCases {
            #expect(throws: RunFileError.self) {
                _ = try generateFromCheckpoint(path: gqa.path, prompt: "bb", maxNewTokens: 1, temperature: 0, topK: 0, seed: 1,
                                               latentDecode: mode) { _ in }
            }
        }
        let plain = try generateFromCheckpoint(path: gqa.path, prompt: "bb", maxNewTokens: 1, temperature: 0, topK: 0, seed: 1,
                                               latentDecode: nil) { _ in }
        #expect(plain.contains("(gqa)"), "\(plain)")
    }

    /// `attnlab eval --dump-logits --cached`: the logits computed one token at a time through the
    /// KV cache (both latent paths) equal the full forward's to float rounding, and say which
    /// path made them; a latent path is refused without --cached and for a run without a latent.
    @Test func cachedLogitsEqualTheFullForward() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("v", kinds: ["mla", "gqa"])
        let outcomes = try runExperiment(box.load("v", Self.short), resultsDirectory: box.results, quiet: true)
        let text = "abcabd abba cab"
        for outcome in outcomes {
            let full = try CheckpointLogits(runPath: outcome.path, text: text)
            #expect(full.path == "full")
            let latent = outcome.path.hasSuffix("mla.h5")
            let modes: [LatentDecodeMode?] = latent ? [nil, .naive, .absorbed] : [nil]
            for mode in modes {
                let cached = try CheckpointLogits(runPath: outcome.path, text: text, cached: true, latentDecode: mode)
                #expect(cached.path == (latent ? "cached-\((mode ?? .absorbed).rawValue)" : "cached"))
                #expect(cached.tokenIDs == full.tokenIDs && cached.logits.count == full.logits.count)
                let scale = full.logits.map { abs($0) }.max()!
                let diff = zip(cached.logits, full.logits).map { abs($0 - $1) }.max()!
                #expect(diff <= 1e-4 * scale, "\(outcome.path) \(cached.path): max |diff| \(diff), max |logit| \(scale)")
            }
            #expect(throws: RunFileError.self) { _ = try CheckpointLogits(runPath: outcome.path, text: text, latentDecode: .naive) }
            if !latent {
                #expect(throws: RunFileError.self) {
                    _ = try CheckpointLogits(runPath: outcome.path, text: text, cached: true, latentDecode: .absorbed)
                }
            }
        }
    }

    /// A run killed after its final checkpoint (the file still says `running`) resumes with
    /// nothing left to train and keeps the final evaluation it has: the stored value, altered
    /// here to tell, survives the resume, and `/eval` gets no second row at the last step.
    @Test func aResumedRunDoesNotRepeatItsFinalEvaluation() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("v", kinds: ["gqa"])
        let exp = try box.load("v", Self.short)
        let outcome = try #require(try runExperiment(exp, resultsDirectory: box.results, quiet: true).first)
        let file = try HDF5File.open(path: outcome.path, mode: .readWrite)
        try file.root.dataset("final_eval/loss").overwrite([123.0])
        try file.root.stringDataset("status").write("running")
        try file.close()
        let resumed = try trainRun(experiment: exp.name, run: exp.runs[0], path: outcome.path, resume: true, quiet: true)
        #expect(resumed.status == .finished && resumed.step == 6 && resumed.finalEval["loss"] == 123)
        let record = try RunRecord(path: outcome.path)
        #expect(record.finalValLoss == 123 && record.evalSteps == [3, 6] && record.finalEvaluation?.step == 6)
    }

    /// Same data and seq_len, different batch size, accumulation and threads: the same windows,
    /// and the same loss for the same weights.
    @Test func validationDoesNotDependOnBatchSizeAccumulationOrThreads() throws {
        // Exclusive: it sets the process-wide thread counts, which concurrent training would see.
        let box = try TrainingSandbox(exclusive: true)
        defer { box.remove() }
        try box.experiment("b", kinds: ["mla"])
        let settings = [["train.batch_size=16", "train.grad_accum=1", "train.threads=1"],
                        ["train.batch_size=4", "train.grad_accum=4", "train.threads=2"],
                        ["train.batch_size=1", "train.grad_accum=16", "train.threads=2"]]
        let configs = try settings.map { try box.load("b", $0).runs[0].config }
        let data = try configs.map { try TrainingData($0, seed: 1) }
        for d in data.dropFirst() {
            #expect(d.validation == data[0].validation && d.periodicWindows == data[0].periodicWindows)
        }
        let model = DecoderLM<Float>(configs[0].model, seed: 3)
        let saved = Parallel.workers
        defer { Parallel.workers = saved; BLASThreads.setCount(saved) }
        var losses: [Double] = []
        for threads in [1, 2] {
            Parallel.workers = threads
            BLASThreads.setCount(threads)
            for d in data { losses.append(d.evaluate(model, windows: d.validation.all).loss) }
        }
        #expect(Set(losses).count == 1, "losses \(losses)")
    }

    /// 16 x 1 and 4 x 4 at equal tokens draw the same windows in the same order and are
    /// validated on the same set; the gradients are summed in a different order (one mean over 16
    /// rows against four means over 4 rows), so the weights, and the final losses, differ by
    /// float rounding only, which is why the tolerance is not zero.
    @Test func batchTimesAccumulationAtEqualTokensGivesTheSameValidationLoss() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("acc", kinds: ["mha"])
        let common = ["train.steps=30", "schedule.warmup_steps=3", "eval.every=10"]
        let a = try runExperiment(box.load("acc", common + ["train.batch_size=16", "train.grad_accum=1"]),
                                  resultsDirectory: box.results.appendingPathComponent("a"), quiet: true)[0]
        let b = try runExperiment(box.load("acc", common + ["train.batch_size=4", "train.grad_accum=4"]),
                                  resultsDirectory: box.results.appendingPathComponent("b"), quiet: true)[0]
        let (ra, rb) = (try RunRecord(path: a.path), try RunRecord(path: b.path))
        let (fa, fb) = (try #require(ra.finalEvaluation), try #require(rb.finalEvaluation))
        #expect(fa.windows == fb.windows && fa.tokens == fb.tokens && ra.evalSteps == rb.evalSteps)
        let (la, lb) = (try #require(fa.values["loss"]), try #require(fb.values["loss"]))
        // Measured: 1.0e-9 relative after these 30 steps; the bound leaves room for rounding to grow.
        #expect(abs(la - lb) / la < 1e-5, "16x1 \(la) vs 4x4 \(lb)")
    }

    @Test func evalBatchesIsRefusedNamingItsReplacement() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("old", "")
        let path = box.experiments.appendingPathComponent("old.toml")
        let text = try String(contentsOf: path, encoding: .utf8).replacingOccurrences(of: "windows = 8", with: "batches = 4")
        try text.write(to: path, atomically: true, encoding: .utf8)
        let fromFile = errorText { _ = try box.load("old") }
        #expect(fromFile.contains("old.toml") && fromFile.contains("eval.batches") && fromFile.contains("replaced by eval.windows"))
        try box.experiment("new", "")
        let fromSet = errorText { _ = try box.load("new", ["eval.batches=2"]) }
        #expect(fromSet.contains("eval.batches") && fromSet.contains("replaced by eval.windows"))
    }

    /// A format-2 file (old protocol, `eval.batches` in its stored config, no final evaluation):
    /// it reads, its final loss is the last `/eval` row, and it says which protocol it used.
    @Test func olderRunFilesStillRead() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("v", kinds: ["mha"])
        let outcome = try #require(try runExperiment(box.load("v", Self.short), resultsDirectory: box.results, quiet: true).first)
        // Rewrite what distinguishes format 2: the version, and a stored config with eval.batches.
        let record = try RunRecord(path: outcome.path)
        let oldConfig = record.configTOML.replacingOccurrences(of: "windows = 8", with: "batches = 4")
        #expect(oldConfig != record.configTOML)
        let file = try HDF5File.open(path: outcome.path, mode: .readWrite)
        try file.root.setAttribute("format_version", .int(2))
        try file.root.setAttribute("config", .string(oldConfig))
        try file.root.dataset("final_eval/step").overwrite([Int64(0)])
        try file.close()
        let old = try RunRecord(path: outcome.path)
        #expect(old.formatVersion == 2 && old.validationProtocol == .batches && old.finalEvaluation == nil)
        #expect(old.finalValLoss == old.eval["loss"]?.last && old.config.eval.windows == ExperimentConfig().eval.windows)
        #expect(ValidationProtocol.batches.description.contains("old protocol"))
        // Format 3's line gives the periodic window count from the run's config.
        let fresh = ReportMarkdown.render(ExperimentReport(experiment: "v", variants: ReportVariant.group([record])), lossPlot: "l.svg", paretoPlot: "p.svg")
        #expect(fresh.contains("periodic evaluations on eval.windows of them (eval.windows = 8): 1 run file"))
        #expect(summaryMarkdown([record], title: "v").contains("(eval.windows = 8): \(record.run)."))
        #expect(ValidationProtocol.windows.description(evalWindows: [0]).hasSuffix("(eval.windows = 0: all)"))
        let report = ReportMarkdown.render(ExperimentReport(experiment: "v", variants: ReportVariant.group([old])), lossPlot: "l.svg", paretoPlot: "p.svg")
        #expect(report.contains("- Validation: old protocol (eval.batches x batch_size windows at stride seq_len+1; MQAR: every example, a Float mean per batch of batch_size): 1 run file"))
        // A resume would mix the two protocols: refused.
        let exp = try box.load("v", Self.short)
        let refusal = errorText { _ = try trainRun(experiment: "v", run: exp.runs[0], path: outcome.path, resume: true, quiet: true) }
        #expect(refusal.contains("format 2") && refusal.contains("--overwrite"))
        // A committed results file (format 1) reads the same way.
        let committed = ArchitectureTests.repository.appendingPathComponent("results/ablation-mla/mla-seed1.h5").path
        if FileManager.default.fileExists(atPath: committed) {
            let c = try RunRecord(path: committed)
            #expect(c.formatVersion == 1 && c.validationProtocol == .batches && c.finalValLoss == c.eval["loss"]?.last)
        }
    }
}

/// The description of the error `body` throws ("" when it throws none, which the callers' checks reject).
private func errorText(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return ""
}
