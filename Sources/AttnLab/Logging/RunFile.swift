import Foundation

/// What a run file says about where the run stands.
public enum RunStatus: String, Sendable, CaseIterable {
    case running, finished, diverged, interrupted
}

/// Identity and provenance of a run, written as root attributes.
public struct RunMetadata: Sendable {
    public var experiment: String
    public var runName: String
    public var configTOML: String
    public var seed: Int
    public var tokenizer: String
    public var dataDescription: String
    public var threads: Int
    public var blasCore: String
    public var blasThreads: Int
    public init(experiment: String, runName: String, configTOML: String, seed: Int, tokenizer: String,
                dataDescription: String, threads: Int, blasCore: String, blasThreads: Int) {
        self.experiment = experiment; self.runName = runName; self.configTOML = configTOML; self.seed = seed
        self.tokenizer = tokenizer; self.dataDescription = dataDescription; self.threads = threads
        self.blasCore = blasCore; self.blasThreads = blasThreads
    }
}

/// One logged optimiser step.
public struct TrainRecord: Sendable, Equatable {
    public var step: Int, loss: Double, lr: Double, gradNorm: Double, tokensPerSecond: Double, elapsed: Double
    /// Bytes of activations, their gradients and saved scratch held by the step's graph pool.
    public var activationBytes: Double
    /// The process's peak resident memory so far (getrusage), in bytes.
    public var peakRSSBytes: Double
    public init(step: Int, loss: Double, lr: Double, gradNorm: Double, tokensPerSecond: Double, elapsed: Double,
                activationBytes: Double = 0, peakRSSBytes: Double = 0) {
        self.step = step; self.loss = loss; self.lr = lr; self.gradNorm = gradNorm
        self.tokensPerSecond = tokensPerSecond; self.elapsed = elapsed
        self.activationBytes = activationBytes; self.peakRSSBytes = peakRSSBytes
    }
}

/// Peak resident set size of this process in bytes.
public func peakResidentBytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) * 1024
}

/// Where a checkpoint leaves the run: enough to continue it bit for bit.
public struct CheckpointState: Sendable, Equatable {
    /// Optimiser steps completed.
    public var step: Int
    public var optimizerStep: Int
    public var samplerState: [UInt64]
    public var elapsed: Double
    public init(step: Int, optimizerStep: Int, samplerState: [UInt64], elapsed: Double) {
        self.step = step; self.optimizerStep = optimizerStep; self.samplerState = samplerState; self.elapsed = elapsed
    }
}

/// What `checkpoint/meta` records, by name: which slot holds the last complete checkpoint and
/// where that checkpoint leaves the run. On disk it stays one int64 dataset of eight values in
/// `fields` order (also written as the dataset's `fields` attribute), so that the writer
/// switches to a new slot with a single write and files written before this type read
/// unchanged; this type is the one place that knows the order.
struct CheckpointMeta: Equatable {
    static let fields = ["slot", "step", "optimizer_step", "rng0", "rng1", "rng2", "rng3", "format_version"]
    /// The value every field holds while no checkpoint exists.
    static let none = [Int64](repeating: -1, count: fields.count)

    var slot: Int
    var step: Int
    var optimizerStep: Int
    /// The batch sampler's four PRNG words.
    var samplerState: [UInt64]
    var formatVersion: Int

    init(slot: Int, state: CheckpointState, formatVersion: Int = RunLayout.formatVersion) {
        self.slot = slot; step = state.step; optimizerStep = state.optimizerStep
        samplerState = state.samplerState; self.formatVersion = formatVersion
    }

    /// Reads the stored values; nil when they say there is no checkpoint.
    init?(_ values: [Int64]) {
        guard values.count == Self.fields.count, values[0] >= 0 else { return nil }
        slot = Int(values[0]); step = Int(values[1]); optimizerStep = Int(values[2])
        samplerState = values[3..<7].map { UInt64(bitPattern: $0) }
        formatVersion = Int(values[7])
    }

    var values: [Int64] {
        [Int64(slot), Int64(step), Int64(optimizerStep)] + samplerState.map { Int64(bitPattern: $0) } + [Int64(formatVersion)]
    }

    func state(elapsed: Double) -> CheckpointState {
        CheckpointState(step: step, optimizerStep: optimizerStep, samplerState: samplerState, elapsed: elapsed)
    }
}

/// The whole-split evaluation of a finished run (`/final_eval`, run-file format 3).
public struct FinalEvaluation: Sendable, Equatable {
    /// Optimiser steps completed when it was computed (the run's last step).
    public var step: Int
    /// The eval columns: `loss` (nats/token) and `bits_per_<unit>` or `accuracy`.
    public var values: [String: Double]
    /// Tokens scored (targets; MQAR: labelled positions) and windows evaluated.
    public var tokens: Int
    public var windows: Int
    public init(step: Int, values: [String: Double], tokens: Int, windows: Int) {
        self.step = step; self.values = values; self.tokens = tokens; self.windows = windows
    }
}

/// The validation protocols run files have used, by format version.
public enum ValidationProtocol: String, Sendable, CaseIterable {
    /// Formats 1 and 2: `eval.batches x train.batch_size` windows of seq_len + 1 tokens at
    /// stride seq_len + 1 from the start of the split, the same at every evaluation (MQAR: every
    /// validation example, in batches of `train.batch_size`); the final validation loss is the
    /// last row of `/eval`.
    case batches
    /// Format 3: periodic evaluations on `eval.windows` windows spread over the split, the final
    /// evaluation on the whole split (`ValidationSet`), stored in `/final_eval`.
    case windows

    /// The protocol of a run file of format `version`.
    public init(formatVersion version: Int) { self = version >= 3 ? .windows : .batches }

    /// One line for reports and `attnlab inspect`.
    public var description: String {
        switch self {
        case .batches: return "old protocol (eval.batches x batch_size windows at stride seq_len+1; MQAR: every example, a Float mean per batch of batch_size)"
        case .windows: return "whole validation split (windows of seq_len+1 tokens at stride seq_len; MQAR: every example), periodic evaluations on eval.windows of them"
        }
    }

    /// `description` with the runs' `eval.windows` values filled in for format 3 ("... on
    /// eval.windows of them (eval.windows = 16)"; 0 means every window).
    public func description(evalWindows: [Int]) -> String {
        let values = Set(evalWindows).sorted()
        guard self == .windows, !values.isEmpty else { return description }
        return description + " (eval.windows = " + values.map { $0 == 0 ? "0: all" : String($0) }.joined(separator: ", ") + ")"
    }
}

/// Names of the run file's objects; the layout is documented in results/README.md.
enum RunLayout {
    static let trainColumns = ["step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s", "activation_bytes", "peak_rss_bytes"]
    static let status = "status", statusStep = "status_step"
    /// Root attribute, one line per resume (absent in a run that was never resumed).
    static let resumes = "resumes"
    static let checkpointMeta = "checkpoint/meta"
    static let checkpointElapsed = "checkpoint/elapsed_s"
    static let formatVersion = 3
    static let finalEval = "final_eval"
    /// Integer and float datasets of `/final_eval` besides the eval columns.
    static let finalEvalStep = "final_eval/step", finalEvalTokens = "final_eval/tokens", finalEvalWindows = "final_eval/windows"
    static func slot(_ i: Int) -> String { "checkpoint/slot\(i)" }
}
