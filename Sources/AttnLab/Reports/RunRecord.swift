import Foundation

/// Everything the tables, reports, sweeps and `attnlab inspect` read from one run file, read
/// through `RunReader` only (results/README.md describes the layout). The one record type of a
/// run file: a missing or mistyped attribute throws, naming the file, rather than reading as 0.
public struct RunRecord: Sendable {
    public var path: String
    public var fileName: String
    public var run: String
    public var experiment: String
    public var seed: Int
    public var configTOML: String
    public var config: ExperimentConfig
    public var startTime: String
    public var host: String
    public var blasCore: String
    public var blasThreads: Int
    public var status: RunStatus
    /// The step `status` was recorded at.
    public var step: Int
    public var attention: String
    public var parameters: Int
    public var kvElementsPerToken: Int
    public var kvElementsPerTokenPerLayer: Int
    public var trainSteps: [Int]
    public var trainLoss: [Double]
    public var tokensPerSecond: [Double]
    public var activationBytes: [Double]
    public var peakRSSBytes: [Double]
    /// Wall seconds since the run started, per logged step.
    public var elapsedSeconds: [Double]
    public var evalSteps: [Int]
    /// Eval columns by name ("loss", "bits_per_byte" or "accuracy", ...), aligned with `evalSteps`.
    public var eval: [String: [Double]]
    /// The run-file format (1, 2 or 3).
    public var formatVersion: Int
    /// How the file's validation losses were measured (`ValidationProtocol`, from the format).
    public var validationProtocol: ValidationProtocol
    /// The whole-split final evaluation (`/final_eval`, format 3, finished runs only).
    public var finalEvaluation: FinalEvaluation?
    /// `/diagnostics` (stability diagnostics), or nil when the file has none.
    public var diagnostics: RunDiagnostics?

    /// - Throws: `RunFileError` (or the HDF5 layer's error) when the file cannot be opened or
    ///   lacks an attribute or dataset of the layout.
    public init(path: String) throws {
        let r = try RunReader(path: path)
        defer { try? r.close() }
        self.path = path
        fileName = URL(fileURLWithPath: path).lastPathComponent
        run = try r.attribute("run")
        experiment = try r.attribute("experiment")
        seed = try r.intAttribute("seed")
        configTOML = try r.configTOML
        config = try ExperimentConfig(resolvedTOML: configTOML, source: "\(path): /config")
        startTime = try r.attribute("start_time")
        host = try r.attribute("host")
        blasCore = try r.attribute("blas_core")
        blasThreads = try r.intAttribute("blas_threads")
        (status, step) = try r.status()
        guard case .string(let kind) = try r.modelAttribute("attention") else {
            throw RunFileError("\(path): /model attribute 'attention' is not a string")
        }
        attention = kind
        func modelInt(_ name: String) throws -> Int {
            guard case .int(let v) = try r.modelAttribute(name) else {
                throw RunFileError("\(path): /model attribute '\(name)' is not an integer")
            }
            return v
        }
        parameters = try modelInt("param_count")
        kvElementsPerToken = try modelInt("kv_elements_per_token")
        kvElementsPerTokenPerLayer = try modelInt("kv_elements_per_token_per_layer")
        trainSteps = try r.trainSteps()
        trainLoss = try r.trainColumn("loss")
        tokensPerSecond = try r.trainColumn("tokens_per_s")
        activationBytes = try r.trainColumn("activation_bytes")
        peakRSSBytes = try r.trainColumn("peak_rss_bytes")
        elapsedSeconds = try r.trainColumn("elapsed_s")
        evalSteps = try r.evalSteps()
        var eval: [String: [Double]] = [:]
        for c in try r.evalColumns() { eval[c] = try r.evalColumn(c) }
        self.eval = eval
        formatVersion = try r.formatVersion()
        validationProtocol = ValidationProtocol(formatVersion: formatVersion)
        finalEvaluation = try r.finalEvaluation()
        diagnostics = try r.diagnostics()
    }

    /// `status` as a person reads it. A file saying `running` is either being written right now
    /// (its `RunFileLock` is held) or was left by a run that was killed or stopped by a failed
    /// write, which `--resume` continues from its last checkpoint.
    public var statusDescription: String {
        guard status == .running else { return "\(status.rawValue) at step \(step)" }
        let logged = trainSteps.last ?? 0
        if let holder = RunFileLock.holder(of: path) {
            return "running (being written by \(holder)); \(logged) steps logged so far"
        }
        return "not running: killed, or stopped by a failed write, after step \(logged) (the file still says `running`); continue it with --resume from its last checkpoint, if it has one"
    }

    /// Why the run has no final validation loss the statistics can use ("diverged at step 7",
    /// "unfinished: running at step 12"), or nil when it is finished with one.
    public var unusableReason: String? {
        switch status {
        case .finished: return finalValLoss == nil ? "finished without a validation loss" : nil
        case .diverged: return "diverged at step \(step)"
        case .running, .interrupted: return "unfinished: \(status.rawValue) at step \(trainSteps.last ?? step)"
        }
    }

    public var finalTrainLoss: Double? { trainLoss.last }
    /// The final validation loss: the whole-split final evaluation when the file has one, else
    /// (old-protocol files, unfinished runs) the last row of `/eval`.
    public var finalValLoss: Double? { finalEval["loss"] }
    /// Every eval column's final value, by the rule of `finalValLoss`.
    public var finalEval: [String: Double] { finalEvaluation?.values ?? eval.compactMapValues(\.last) }

    /// Tokens one optimiser step consumes: micro-batch sequences x their length x accumulation.
    /// MQAR examples have their own length.
    public var tokensPerStep: Int {
        config.train.batchSize * config.contextLength * config.train.gradAccum
    }

    /// Median logged throughput; zero rows (steps too short to time) are left out.
    public var medianTokensPerSecond: Double? { median(tokensPerSecond.filter { $0 > 0 }) }
}
