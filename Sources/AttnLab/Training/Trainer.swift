import Foundation

/// How a run ended.
public struct RunOutcome: Sendable {
    public var path: String
    public var status: RunStatus
    public var step: Int
    /// The final evaluation (whole validation split) of a finished run, else the last periodic
    /// one: column name → value.
    public var finalEval: [String: Double]
    public var tokensPerSecond: Double
    public var seconds: Double
}

/// Trains one run of an experiment and records it in `path`. With `resume`, continues the run
/// in that file from its last checkpoint; otherwise creates the file (never over an existing one,
/// unless `replace`, which removes it first). `stopAfter` is asked after every completed step
/// whether to stop there exactly as a Ctrl-C would (checkpoint, status `interrupted`); tests use
/// it to interrupt one run at a chosen step without touching the process-wide `StopRequest`,
/// which runs trained at the same time would also see.
///
/// The run holds `RunFileLock` on `path` from before it looks at the file until it returns, so
/// a second writer (another `run`, `--resume`, `--overwrite` or sweep child) is refused.
/// A run whose `MemoryEstimate` exceeds the available memory throws `MemoryEstimateError` before
/// any data is loaded or file touched.
///
/// - Throws: `RunFileError` when the lock is held elsewhere or the file does not fit the run;
///   a `RunFileError` naming the file, the cause and the step when writing fails mid-run (a
///   full disk): the file then keeps everything up to its last successful flush and can be
///   resumed once the cause is fixed.
public func trainRun(
    experiment: String, run: ExperimentRun, path: String, resume: Bool = false, replace: Bool = false,
    dataDirectory: String = "data", quiet: Bool = false, stopAfter: ((Int) -> Bool)? = nil
) throws -> RunOutcome {
    let config = run.config
    try config.model.validate()
    try MemoryEstimate(config).requireFits("\(experiment)/\(run.name)", keys: MemoryEstimate.experimentKeys)
    let lock = try RunFileLock.acquire(for: path)
    defer { lock.release() }
    if replace && !resume && FileManager.default.fileExists(atPath: path) {
        try FileManager.default.removeItem(atPath: path)
    }
    useTrainingThreads(config.train.threads)
    var data = try TrainingData(config, seed: config.train.seed, dataDirectory: dataDirectory)
    let model = DecoderLM<Float>(config.model, seed: UInt64(truncatingIfNeeded: config.train.seed))
    let params = model.parameters
    precondition(params.map(\.name) == config.model.parameterSpecs.map(\.name), "model parameters differ from ModelConfig.parameterSpecs")
    var settings = AdamW<Float>.Settings()
    settings.beta1 = config.optimizer.beta1; settings.beta2 = config.optimizer.beta2
    settings.eps = config.optimizer.eps; settings.weightDecay = config.optimizer.weightDecay
    settings.decayNormsAndBiases = config.optimizer.decayNormsAndBiases
    let optimizer = AdamW(params, settings: settings)
    let schedule = LearningRateSchedule(
        peak: config.optimizer.lr, warmupSteps: config.schedule.warmupSteps, totalSteps: config.train.steps,
        minRatio: config.schedule.minLRRatio, kind: config.schedule.kind)

    let writer: RunWriter
    var startStep = 0, elapsedBefore = 0.0
    var resumedEval: [Double] = []
    var finalEvaluation: FinalEvaluation?
    var spikes = SpikeDetector(warmupSteps: config.schedule.warmupSteps)
    if resume {
        let stored = try RunReader(path: path)
        do { try stored.requireResumableFormat() } catch {
            try? stored.close()
            throw error
        }
        let storedConfig = try ExperimentConfig(resolvedTOML: try stored.configTOML, source: path)
        // The spike detector's window: the last steps of /train (those up to the checkpoint).
        let history = try zip(stored.trainSteps(), zip(stored.trainColumn("loss"), stored.trainColumn("grad_norm")))
            .map { (step: $0.0, loss: $0.1.0, gradNorm: $0.1.1) }
        try stored.close()
        guard storedConfig == config else {
            let differing = storedConfig.differences(from: config).joined(separator: "; ")
            throw RunFileError("\(path) was written by a different configuration than \(experiment)/\(run.name) resolves to now (\(differing)); a resume needs the same --set values the run was started with. Compare `attnlab inspect \(path) --config` with `attnlab show \(experiment)`")
        }
        let (w, state, evalAtCheckpoint, finalAtCheckpoint) = try RunWriter.resume(path: path, lock: lock, parameters: params, optimizer: optimizer, evalColumns: data.evalColumns, flushSeconds: config.log.flushSeconds)
        writer = w
        resumedEval = evalAtCheckpoint ?? []
        finalEvaluation = finalAtCheckpoint
        startStep = state.step
        elapsedBefore = state.elapsed
        spikes = SpikeDetector(warmupSteps: config.schedule.warmupSteps, history: history.filter { $0.step <= state.step })
        data.sampler.rng = SeededRandom(state: state.samplerState)
    } else {
        let blas = BLASInfo.current()
        let meta = RunMetadata(
            experiment: experiment, runName: run.name, configTOML: run.resolvedTOML, seed: config.train.seed,
            tokenizer: data.tokenizer.serialized, dataDescription: data.description, threads: Parallel.workers,
            blasCore: blas.coreName, blasThreads: blas.threads)
        writer = try RunWriter.create(
            path: path, lock: lock, metadata: meta, model: config.model, contextLength: config.contextLength,
            parameters: params, evalColumns: data.evalColumns, periodicWindows: data.periodicWindows.count, saveWeights: config.log.saveWeights,
            flushSeconds: config.log.flushSeconds, diagnostics: config.log.diagnostics)
    }

    let progress = ProgressReporter(label: "\(experiment)/\(run.name)", totalSteps: config.train.steps, every: config.log.every)
    if !quiet && startStep > 0 { progress.message("\(experiment)/\(run.name): resuming at step \(startStep) from \(path)") }
    let graph = Graph<Float>()
    // Collected at the logged steps (every log.every steps and the last) of files that hold them.
    let diagnostics = writer.recordsDiagnostics ? ForwardDiagnostics(layers: config.model.nLayers) : nil
    let clock = ContinuousClock()
    let started = clock.now
    // A run killed after its final checkpoint resumes at its last step with nothing left to
    // train; the evaluations stored at the checkpoint's step are not repeated.
    var lastEval = resumedEval
    var tokensPerSecond = 0.0
    let tokensPerStep = config.train.batchSize * data.sampler.seqLen * config.train.gradAccum
    func elapsed() -> Double { elapsedBefore + (clock.now - started).seconds }
    func checkpoint(_ step: Int, last: Bool = false) throws {
        try writer.checkpoint(parameters: params, optimizer: optimizer,
                              state: CheckpointState(step: step, optimizerStep: optimizer.step, samplerState: data.sampler.rng.state, elapsed: elapsed()),
                              last: last)
    }
    func evalText(_ values: [Double]) -> String {
        zip(data.evalColumns, values).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: "  ")
    }
    func finish(_ status: RunStatus, _ step: Int) throws -> RunOutcome {
        try writer.setStatus(status, step: step)
        try writer.close()
        let shown = finalEvaluation?.values ?? Dictionary(uniqueKeysWithValues: zip(data.evalColumns, lastEval))
        return RunOutcome(path: path, status: status, step: step, finalEval: shown,
                          tokensPerSecond: tokensPerSecond, seconds: elapsed())
    }

    var step = startStep
    do {
        while step < config.train.steps {
            let t0 = clock.now
            for p in params { p.zeroGrad() }
            var lossSum = 0.0
            var activationBytes = 0
            let diagnosed = (step + 1) % config.log.every == 0 || step + 1 == config.train.steps
            if diagnosed, let diagnostics {
                diagnostics.reset()
                graph.diagnostics = diagnostics
            }
            defer { graph.diagnostics = nil }
            for _ in 0..<config.train.gradAccum {
                let batch = data.sampler.next()
                let loss = model.loss(graph, ids: batch.inputs, targets: batch.targets, batch: batch.batchSize)
                lossSum += Double(loss[flat: 0])
                graph.backward(loss)
                activationBytes = max(activationBytes, graph.pooledBytes)
                graph.reset()
            }
            if config.train.gradAccum > 1 { scaleGradients(params, by: 1 / Double(config.train.gradAccum)) }
            let loss = lossSum / Double(config.train.gradAccum)
            let gradNorm = clipGradients(params, maxNorm: config.optimizer.clipGradNorm)
            let lr = schedule.rate(at: step)
            step += 1
            // After the step's /train row, so no diagnostics row reaches the file before it.
            func recordDiagnostics() throws {
                if diagnosed, let diagnostics {
                    try writer.logDiagnostics(DiagnosticsRecord(
                        step: step, maxAttentionLogit: diagnostics.maxAttentionLogit,
                        latentRMS: writer.latentDiagnostics ? diagnostics.latentRMS.map { $0 ?? .nan } : nil))
                }
                guard writer.recordsDiagnostics else { return }
                for e in spikes.observe(step: step, loss: loss, gradNorm: gradNorm) {
                    try writer.logSpike(e)
                    if !quiet {
                        progress.message(String(format: "%@/%@: %@ spike at step %d: %.4g (median of the previous %d steps %.4g)",
                                                experiment, run.name, e.kind == .loss ? "loss" : "gradient-norm", step, e.value,
                                                SpikeDetector.window, e.median))
                    }
                }
            }
            if !loss.isFinite || !gradNorm.isFinite {
                try writer.log(TrainRecord(step: step, loss: loss, lr: lr, gradNorm: gradNorm, tokensPerSecond: 0, elapsed: elapsed()))
                try recordDiagnostics()
                if !quiet { progress.message("\(experiment)/\(run.name): diverged at step \(step) (loss \(shortest(loss)), gradient norm \(shortest(gradNorm))); curve kept in \(path)") }
                return try finish(.diverged, step)
            }
            optimizer.update(lr: lr)
            tokensPerSecond = Double(tokensPerStep) / max((clock.now - t0).seconds, 1e-9)
            let record = TrainRecord(step: step, loss: loss, lr: lr, gradNorm: gradNorm, tokensPerSecond: tokensPerSecond, elapsed: elapsed(),
                                     activationBytes: Double(activationBytes), peakRSSBytes: peakResidentBytes())
            try writer.log(record)
            try recordDiagnostics()
            if !quiet { progress.step(record) }
            if step % config.eval.every == 0 || step == config.train.steps {
                lastEval = data.columns(data.evaluate(model, windows: data.periodicWindows))
                try writer.logEval(step: step, values: lastEval)
                if !quiet { progress.message("\(experiment)/\(run.name) eval @ \(step): \(evalText(lastEval))") }
            }
            if config.log.checkpointEvery > 0 && step % config.log.checkpointEvery == 0 && step < config.train.steps { try checkpoint(step) }
            let stopHere = stopAfter?(step) ?? false
            if (stopHere || StopRequest.isRequested) && step < config.train.steps {
                try checkpoint(step)
                if !quiet { progress.message("\(experiment)/\(run.name): interrupted at step \(step); checkpoint written, resume with --resume \(path)") }
                return try finish(.interrupted, step)
            }
        }
        if lastEval.isEmpty {
            lastEval = data.columns(data.evaluate(model, windows: data.periodicWindows))
            try writer.logEval(step: step, values: lastEval)
        }
        if finalEvaluation == nil {
            let result = data.evaluate(model, windows: data.validation.all)
            let values = data.columns(result)
            let evaluation = FinalEvaluation(step: step, values: Dictionary(uniqueKeysWithValues: zip(data.evalColumns, values)),
                                             tokens: result.scoredTokens, windows: result.windows)
            try writer.writeFinalEvaluation(evaluation)
            finalEvaluation = evaluation
            if !quiet {
                progress.message("\(experiment)/\(run.name) final eval @ \(step) (whole validation split, \(result.windows) windows, \(result.scoredTokens) tokens): \(evalText(values))")
            }
        }
        try checkpoint(step, last: true)
        return try finish(.finished, step)
    } catch {
        writer.abandon()
        throw RunFileError("\(experiment)/\(run.name) stopped at step \(step) because writing its run file failed: \(error)\nThe file keeps every step up to its last successful write; fix the cause (e.g. free disk space), then continue with `attnlab run \(experiment) --resume \(path)`")
    }
}

/// Sets the threads a run computes on from `train.threads` (0: every core) for both levels of
/// parallelism, and returns the count. GEMMs too small to split run on OpenBLAS's own threads:
/// those get the same count, or a one-thread job would still occupy two cores (and OpenBLAS's
/// idle threads spin).
@discardableResult
public func useTrainingThreads(_ configured: Int) -> Int {
    Parallel.workers = configured > 0 ? configured : ProcessInfo.processInfo.activeProcessorCount
    BLASThreads.setCount(Parallel.workers)
    return Parallel.workers
}
