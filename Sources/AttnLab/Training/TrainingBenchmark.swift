import Foundation

/// What `attnlab bench` times: the fixed reference model (one configuration per attention kind)
/// or the runs of an experiment at their exact configs.
public enum TrainingBenchmarkSource: Sendable {
    /// The reference model of the PyTorch anchors (facts file, section 7): byte vocabulary,
    /// `dModel` wide, `layers` deep, `heads` query heads, SwiGLU hidden 683 · dModel / 256,
    /// `batch` sequences of `seqLen` tokens, no accumulation, every core; the other attention
    /// keys at their defaults (MLA: q_lora_rank 128, kv_lora_rank 64, d_nope 32, d_R 16, d_v 32).
    case reference(kinds: [AttentionKind], batch: Int, seqLen: Int, dModel: Int, layers: Int, heads: Int)
    /// The runs of `experiments/<name>.toml` in `directory`: only `run` when given, else one per
    /// distinct config (runs that differ only in `train.seed`, such as a variant's seeds, train
    /// at the same shape; the first one stands for them).
    case experiment(name: String, directory: URL, run: String?)

    /// The named configurations this source times, in order.
    /// - Throws: `ExperimentError` for a bad experiment file, `TrainingBenchmarkError` for an
    ///   unknown run or reference options that give an invalid model, `ModelConfigError`.
    public func cases() throws -> [(name: String, config: ExperimentConfig)] {
        switch self {
        case let .reference(kinds, batch, seqLen, dModel, layers, heads):
            return try kinds.map { kind in
                var config = ExperimentConfig()
                config.model.dModel = dModel; config.model.nLayers = layers; config.model.maxSeqLen = seqLen
                config.model.mlpHidden = 683 * dModel / 256
                config.model.attention.nHeads = heads
                config.model.attention.kind = kind
                config.data.seqLen = seqLen
                config.train.batchSize = batch
                config.train.threads = 0
                do { try config.model.validate() } catch {
                    throw TrainingBenchmarkError("--d-model \(dModel), --heads \(heads), --layers \(layers), --seq-len \(seqLen) do not give a valid \(kind.rawValue) model: \(error)")
                }
                return (kind.rawValue, config)
            }
        case let .experiment(name, directory, run):
            let experiment = try loadExperiment(name: name, directory: directory)
            if let run {
                guard let found = experiment.runs.first(where: { $0.name == run }) else {
                    throw TrainingBenchmarkError("--run \(run): not in \(name); its runs are \(experiment.runs.map(\.name).joined(separator: ", "))")
                }
                return [(found.name, found.config)]
            }
            var chosen: [(name: String, config: ExperimentConfig)] = []
            for run in experiment.runs where !chosen.contains(where: { Self.sameShape($0.config, run.config) }) {
                chosen.append((run.name, run.config))
            }
            return chosen
        }
    }

    private static func sameShape(_ a: ExperimentConfig, _ b: ExperimentConfig) -> Bool {
        var a = a, b = b
        a.train.seed = 0; b.train.seed = 0
        return a == b
    }
}

/// A benchmark input that cannot be timed (unknown run, invalid reference model).
public struct TrainingBenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One timed configuration of `attnlab bench`. Times are wall-clock milliseconds per optimiser
/// step (all `gradAccum` micro-batches, clipping and the AdamW update).
public struct TrainingBenchmarkRow: Codable, Sendable {
    /// Run name (experiment) or attention kind (reference model).
    public var run: String
    public var attention: String
    /// The row's model with its derived widths written out (`ModelConfig.resolved`); in the JSON
    /// an object keyed like the experiment file's `[model]` table (`d_model`, `norm_eps`,
    /// `attention.query_compression` ...), what the PyTorch twin (`bench/`) builds its model from.
    public var modelConfig: ModelConfig
    public var parameters: Int
    public var batchSize: Int
    public var seqLen: Int
    public var gradAccum: Int
    /// Threads used (`train.threads`, 0 resolved to every core), for ops and OpenBLAS alike.
    public var threads: Int
    /// Tokens per optimiser step: batchSize · seqLen · gradAccum.
    public var tokensPerStep: Int
    /// tokensPerStep over the mean unprofiled step time.
    public var tokensPerSecond: Double
    /// Each unprofiled timed step, after the warm-up steps.
    public var stepMs: [Double]
    public var medianStepMs: Double
    /// Training FLOPs per token (3x forward: `ModelConfig.trainingFLOPsPerToken`, attention included).
    public var trainingFlopsPerToken: Int
    /// Best sgemm rate (1024^3 Float GEMM) measured in this process at `threads` threads, GFLOP/s.
    public var sgemmPeakGFLOPS: Double
    /// trainingFlopsPerToken · tokensPerSecond / sgemm peak (nanoGPT's model FLOPs utilisation).
    public var mfu: Double
    /// Bytes held by the graph's buffer pool after a micro-batch's forward and backward: every
    /// activation, activation gradient and saved scratch (not weights, gradients or AdamW moments).
    public var activationBytes: Int
    /// Mean step time over the profiled steps (run after the unprofiled ones, `OpProfile` on).
    public var profiledStepMs: Double
    /// Mean ms per profiled step by phase: the op families (`OpFamily` raw values, forward and
    /// backward) and `optimizer` (zeroing gradients, accumulation scaling, clipping, AdamW).
    public var phaseMs: [String: Double]
    /// profiledStepMs minus the phases: graph resets and loop glue outside any op.
    public var unattributedMs: Double
    /// Rate of the `matmul` phase: `ModelConfig.trainingMatmulFLOPsPerToken` x tokensPerStep
    /// over the phase's ms per profiled step, GFLOP/s (0 when the phase took no time). Against
    /// `sgemmPeakGFLOPS` it shows how fast BLAS runs at the model's GEMM shapes; MFU below that
    /// fraction is time spent outside the weight GEMMs.
    public var matmulGFLOPS: Double
}

/// A benchmark's rows with where and how they were measured.
public struct TrainingBenchmarkReport: Codable, Sendable {
    public var environment: BenchmarkEnvironment
    public var warmupSteps: Int
    public var rows: [TrainingBenchmarkRow]

    /// The phase columns in table order.
    public static let phases = OpFamily.allCases.map(\.rawValue) + ["optimizer"]

    /// A Markdown table, one line per row, under a line naming the environment (what
    /// `attnlab bench` prints). Phase columns are ms per profiled step; `other` is the
    /// unattributed rest.
    public var table: String {
        let header = ["run", "attention", "params", "tokens/step", "threads", "tokens/s", "step ms (median)", "MFU", "sgemm peak GFLOP/s",
                      "activations MiB", "profiled step ms"] + Self.phases.map { "\($0) ms" } + ["other ms", "matmul GFLOP/s"]
        var lines = [environment.summary, "", "| " + header.joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: header.count)]
        for r in rows {
            let cells = [r.run, r.attention, grouped(r.parameters), grouped(r.tokensPerStep), "\(r.threads)",
                         fixed(r.tokensPerSecond, 0), fixed(r.medianStepMs, 1), percent(r.mfu), fixed(r.sgemmPeakGFLOPS, 1),
                         fixed(Double(r.activationBytes) / 1_048_576, 1), fixed(r.profiledStepMs, 1)]
                + Self.phases.map { fixed(r.phaseMs[$0] ?? 0, 1) } + [fixed(r.unattributedMs, 1), fixed(r.matmulGFLOPS, 1)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Times the training step (forward, backward, gradient clipping, AdamW) of each configuration
/// of `source` on random token ids (seeded, uniform over the vocabulary), exactly as `trainRun`
/// steps: `gradAccum` micro-batches of `batchSize` x `seqLen`, at `train.threads` threads.
/// Per configuration: `warmup` untimed steps, `steps` timed steps, then `steps` profiled steps
/// for the phase split. `progress` receives one line before each configuration. With `json`,
/// the report is also written to that file (`writeBenchmarkJSON`).
/// - Throws: what `TrainingBenchmarkSource.cases()` throws; `MemoryEstimateError` when a
///   configuration does not fit in the available memory (before anything is timed);
///   `BenchmarkOutputError` when `json` cannot be written.
public func benchmarkTraining(
    _ source: TrainingBenchmarkSource, steps: Int, warmup: Int = 2, json: String? = nil,
    progress: (String) -> Void = { _ in }
) throws -> TrainingBenchmarkReport {
    precondition(steps >= 1 && warmup >= 0, "benchmark needs steps >= 1 and warmup >= 0")
    if let json { try checkBenchmarkOutput(json) }
    let environment = BenchmarkEnvironment.current()
    let cases = try source.cases()
    for (name, config) in cases {
        try MemoryEstimate(config).requireFits(name, keys: MemoryEstimate.experimentKeys)
    }
    var peaks: [Int: Double] = [:]
    var rows: [TrainingBenchmarkRow] = []
    for (name, config) in cases {
        let threads = useTrainingThreads(config.train.threads)
        if peaks[threads] == nil {
            peaks[threads] = try measureSgemmThroughput(size: 1024, warmups: 3, repetitions: 10).bestGFLOPS
        }
        progress("timing \(name): \(warmup) warm-up, \(steps) timed and \(steps) profiled steps at \(threads) thread(s)")
        rows.append(benchmarkTrainingStep(name: name, config: config, steps: steps, warmup: warmup, peakGFLOPS: peaks[threads]!))
    }
    let report = TrainingBenchmarkReport(environment: environment, warmupSteps: warmup, rows: rows)
    if let json { try writeBenchmarkJSON(report, to: json) }
    return report
}

/// One row of `benchmarkTraining`, at the threads already set.
private func benchmarkTrainingStep(
    name: String, config: ExperimentConfig, steps: Int, warmup: Int, peakGFLOPS: Double
) -> TrainingBenchmarkRow {
    let seed = UInt64(truncatingIfNeeded: config.train.seed)
    let model = DecoderLM<Float>(config.model, seed: seed)
    let params = model.parameters
    var settings = AdamW<Float>.Settings()
    settings.beta1 = config.optimizer.beta1; settings.beta2 = config.optimizer.beta2
    settings.eps = config.optimizer.eps; settings.weightDecay = config.optimizer.weightDecay
    settings.decayNormsAndBiases = config.optimizer.decayNormsAndBiases
    let optimizer = AdamW(params, settings: settings)
    let batch = config.train.batchSize, seqLen = config.contextLength, accum = config.train.gradAccum
    var rng = SeededRandom(seed: seed &+ 1)
    let ids = (0..<(batch * seqLen)).map { _ in Int32(rng.below(config.model.vocabSize)) }
    let targets = (0..<(batch * seqLen)).map { _ in Int32(rng.below(config.model.vocabSize)) }
    let graph = Graph<Float>()
    let clock = ContinuousClock()
    var activationBytes = 0

    /// One optimiser step; returns its seconds and the optimiser's part of them.
    func step() -> (seconds: Double, optimizer: Double) {
        let t0 = clock.now
        for p in params { p.zeroGrad() }
        var optimizerSeconds = (clock.now - t0).seconds
        for _ in 0..<accum {
            graph.profile?.startForward()
            let loss = model.loss(graph, ids: ids, targets: targets, batch: batch)
            graph.backward(loss)
            activationBytes = max(activationBytes, graph.pooledBytes)
            graph.reset()
        }
        let t1 = clock.now
        if accum > 1 { scaleGradients(params, by: 1 / Double(accum)) }
        _ = clipGradients(params, maxNorm: config.optimizer.clipGradNorm)
        optimizer.update(lr: config.optimizer.lr)
        let t2 = clock.now
        optimizerSeconds += (t2 - t1).seconds
        return ((t2 - t0).seconds, optimizerSeconds)
    }

    for _ in 0..<warmup { _ = step() }
    let timed = (0..<steps).map { _ in step().seconds }
    let profile = OpProfile()
    graph.profile = profile
    var profiledSeconds = 0.0, optimizerSeconds = 0.0
    for _ in 0..<steps {
        let (seconds, optimizer) = step()
        profiledSeconds += seconds
        optimizerSeconds += optimizer
    }
    graph.profile = nil

    let perStepMs = 1000 / Double(steps)
    var phaseMs = Dictionary(uniqueKeysWithValues: OpFamily.allCases.map { ($0.rawValue, (profile.seconds[$0] ?? 0) * perStepMs) })
    phaseMs["optimizer"] = optimizerSeconds * perStepMs
    let profiledStepMs = profiledSeconds * perStepMs
    let tokensPerStep = batch * seqLen * accum
    let tokensPerSecond = Double(tokensPerStep * steps) / timed.reduce(0, +)
    let flops = config.model.trainingFLOPsPerToken(context: seqLen)
    let matmulFLOPs = Double(config.model.trainingMatmulFLOPsPerToken) * Double(tokensPerStep)
    let matmulMs = phaseMs[OpFamily.matmul.rawValue] ?? 0
    return TrainingBenchmarkRow(
        run: name, attention: config.model.attention.kind.rawValue, modelConfig: config.model.resolved, parameters: params.reduce(0) { $0 + $1.count },
        batchSize: batch, seqLen: seqLen, gradAccum: accum, threads: Parallel.workers, tokensPerStep: tokensPerStep,
        tokensPerSecond: tokensPerSecond, stepMs: timed.map { $0 * 1000 }, medianStepMs: (median(timed) ?? 0) * 1000,
        trainingFlopsPerToken: flops, sgemmPeakGFLOPS: peakGFLOPS,
        mfu: Double(flops) * tokensPerSecond / (peakGFLOPS * 1e9), activationBytes: activationBytes,
        profiledStepMs: profiledStepMs, phaseMs: phaseMs,
        unattributedMs: profiledStepMs - phaseMs.values.reduce(0, +),
        matmulGFLOPS: matmulMs > 0 ? Double(matmulFLOPs) / (matmulMs / 1000) / 1e9 : 0)
}
