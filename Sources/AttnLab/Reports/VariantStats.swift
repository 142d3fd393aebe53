import Foundation

/// One row of the report's main table: a variant's size, KV cache, final quality and speed,
/// each quality figure over the variant's finished seeds.
public struct VariantStats: Sendable, Equatable, Codable {
    public var name: String
    public var attention: String
    /// Peak learning rate (`optimizer.lr`) of the variant's first run.
    public var lr: Double
    public var runs: [String]
    /// Seeds of the finished runs the statistics use.
    public var seeds: [Int]
    public var parameters: Int
    public var kvElementsPerToken: Int
    public var kvBytesPerTokenFP32: Int
    public var kvBytesPerTokenBF16: Int
    /// KV cache relative to the MHA variant's; nil without an MHA variant.
    public var kvRatioToMHA: Double?
    public var finalValLoss: SampleSummary?
    /// Bits per byte (or char/token) for text, accuracy for MQAR; named by `ExperimentReport.secondaryMetric`.
    public var finalSecondary: SampleSummary?
    public var finalTrainLossMean: Double?
    /// Per-run median tokens/s, averaged over seeds.
    public var tokensPerSecond: Double?
    public var tokensPerStep: Int
    /// tokens per step / tokens per second, averaged over seeds.
    public var stepTimeMs: Double?
    /// Largest value of the column over all steps of all seeds, in MiB.
    public var peakActivationMiB: Double?
    public var peakRSSMiB: Double?
    /// The runs left out of the quality figures and why ("seed 1: diverged at step 7").
    public var leftOut: [String]

    public init(_ v: ReportVariant, secondaryMetric: String?, mhaKV: Int?) {
        let runs = v.finished
        let first = v.runs[0]
        name = v.name
        attention = v.attention
        lr = first.config.optimizer.lr
        self.runs = v.runs.map(\.run)
        seeds = runs.map(\.seed)
        parameters = first.parameters
        kvElementsPerToken = first.kvElementsPerToken
        kvBytesPerTokenFP32 = first.kvElementsPerToken * KVPrecision.fp32.bytesPerElement
        kvBytesPerTokenBF16 = first.kvElementsPerToken * KVPrecision.bf16.bytesPerElement
        kvRatioToMHA = mhaKV.map { Double(first.kvElementsPerToken) / Double($0) }
        finalValLoss = SampleSummary(runs.compactMap(\.finalValLoss))
        finalSecondary = secondaryMetric.flatMap { m in SampleSummary(runs.compactMap { $0.finalEval[m] }) }
        finalTrainLossMean = SampleSummary(runs.compactMap(\.trainLoss.last))?.mean
        let medians = runs.compactMap(\.medianTokensPerSecond)
        tokensPerSecond = SampleSummary(medians)?.mean
        tokensPerStep = first.tokensPerStep
        stepTimeMs = SampleSummary(runs.compactMap { r in r.medianTokensPerSecond.map { 1000 * Double(r.tokensPerStep) / $0 } })?.mean
        let mib = 1024.0 * 1024.0
        peakActivationMiB = runs.flatMap(\.activationBytes).max().map { $0 / mib }
        peakRSSMiB = runs.flatMap(\.peakRSSBytes).max().map { $0 / mib }
        leftOut = v.runs.compactMap { r in r.unusableReason.map { "seed \(r.seed): \($0)" } }
    }
}
