import Foundation

/// Everything the experiment report needs from one run file, read through `RunReader` only.
public struct ReportRun: Sendable {
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
    public var statusStep: Int
    public var attention: String
    public var parameters: Int
    public var kvElementsPerToken: Int
    public var trainSteps: [Int]
    public var trainLoss: [Double]
    public var tokensPerSecond: [Double]
    public var activationBytes: [Double]
    public var peakRSSBytes: [Double]
    public var evalSteps: [Int]
    /// Eval columns by name ("loss", "bits_per_byte" or "accuracy", ...), aligned with `evalSteps`.
    public var eval: [String: [Double]]

    public init(path: String) throws {
        let r = try RunReader(path: path)
        defer { try? r.close() }
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
        (status, statusStep) = try r.status()
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
        trainSteps = try r.trainSteps()
        trainLoss = try r.trainColumn("loss")
        tokensPerSecond = try r.trainColumn("tokens_per_s")
        activationBytes = try r.trainColumn("activation_bytes")
        peakRSSBytes = try r.trainColumn("peak_rss_bytes")
        evalSteps = try r.evalSteps()
        var eval: [String: [Double]] = [:]
        for c in try r.evalColumns() { eval[c] = try r.evalColumn(c) }
        self.eval = eval
    }

    public var finalValLoss: Double? { eval["loss"]?.last }

    /// Tokens one optimiser step consumes: micro-batch sequences x their length x accumulation.
    /// MQAR examples have their own length.
    public var tokensPerStep: Int {
        let seqLen = config.data.source == .mqar ? config.data.mqar.seqLen : config.data.seqLen
        return config.train.batchSize * seqLen * config.train.gradAccum
    }

    /// Median logged throughput; zero rows (steps too short to time) are left out.
    public var medianTokensPerSecond: Double? { median(tokensPerSecond.filter { $0 > 0 }) }
}
