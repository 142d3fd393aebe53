import Foundation

/// One run's stability diagnostics as the report shows them (`/diagnostics`, results/README.md):
/// nil figures where the run file holds none.
public struct RunStability: Sendable, Equatable, Codable {
    public var variant: String
    public var run: String
    public var file: String
    /// Whether the file has `/diagnostics` at all.
    public var recorded: Bool
    /// Last logged diagnostics step, and the largest attention logit over layers there.
    public var finalStep: Int?
    public var finalMaxAttentionLogit: Double?
    /// Largest attention logit over every logged step and layer, and the step it was logged at.
    public var maxAttentionLogit: Double?
    public var maxAttentionLogitStep: Int?
    /// Smallest and largest latent RMS over layers at the last logged step (MLA, GLA).
    public var finalLatentRMSMin: Double?
    public var finalLatentRMSMax: Double?
    public var lossSpikes: Int?
    public var gradNormSpikes: Int?
    /// The step the run diverged at (non-finite loss or gradient norm), nil otherwise.
    public var divergedAtStep: Int?
    /// Last logged training step.
    public var steps: Int
    /// Steps up to this one are not tested for spikes (`SpikeDetector.quietUntil`).
    public var spikeTestsAfterStep: Int
    /// The largest finite training loss and its step when it exceeds the uniform guess
    /// ln(vocab) by more than `StabilitySummary.blowUpMargin` (checked at every step).
    public var blowUpLoss: Double?
    public var blowUpStep: Int?

    /// A run with at least one loss or gradient-norm spike.
    public var flagged: Bool { (lossSpikes ?? 0) + (gradNormSpikes ?? 0) > 0 }
    /// Whether any step of the run was tested for spikes.
    public var spikeTested: Bool { steps > spikeTestsAfterStep }
    /// Whether the largest attention logit exceeds `StabilitySummary.extremeLogit` (or is NaN).
    public var extremeLogit: Bool { maxAttentionLogit.map { $0.isNaN || $0 > StabilitySummary.extremeLogit } ?? false }

    /// The table's flag cell: diverged, spikes, extreme logits, or spike tests not reached.
    public var flags: [String] {
        var flags: [String] = []
        if let divergedAtStep { flags.append("**diverged at step \(divergedAtStep)**") }
        if let blowUpLoss, let blowUpStep { flags.append("**loss \(fixed(blowUpLoss, 3)) at step \(blowUpStep)**") }
        if flagged { flags.append("**spikes**") }
        if extremeLogit { flags.append("**logit > \(trimmedDecimal(StabilitySummary.extremeLogit))**") }
        if recorded && !spikeTested { flags.append("spikes not tested (\(steps) ≤ \(spikeTestsAfterStep) steps)") }
        return flags
    }

    /// What the stability rule holds against a run that trained to the end (a blown-up loss,
    /// spikes, an extreme attention logit), each with its figures; empty for a clean run.
    /// Divergence and untested spike windows are not in it (see `flags`).
    public var instability: [String] {
        var found: [String] = []
        if let blowUpLoss, let blowUpStep { found.append("loss \(fixed(blowUpLoss, 3)) at step \(blowUpStep)") }
        for (count, kind) in [(lossSpikes ?? 0, "loss"), (gradNormSpikes ?? 0, "grad-norm")] where count > 0 {
            found.append("\(count) \(kind) spike\(count == 1 ? "" : "s")")
        }
        if extremeLogit {
            found.append("max attention logit \(StabilitySummary.logit(maxAttentionLogit))"
                         + (maxAttentionLogitStep.map { " at step \($0)" } ?? "")
                         + " (> \(trimmedDecimal(StabilitySummary.extremeLogit)))")
        }
        return found
    }

    /// How the report and inspect name the run: its run name, after the experiment's for a run of
    /// an included experiment (variant `experiment/variant`).
    public var label: String {
        guard let slash = variant.firstIndex(of: "/") else { return run }
        return variant[..<slash] + "/" + run
    }

    public init(variant: String, record: RunRecord) {
        self.variant = variant
        run = record.run
        file = record.fileName
        divergedAtStep = record.status == .diverged ? record.step : nil
        steps = record.trainSteps.last ?? 0
        spikeTestsAfterStep = SpikeDetector(warmupSteps: record.config.schedule.warmupSteps).quietUntil
        let uniform = log(Double(record.config.model.vocabSize))
        if let i = record.trainLoss.indices.filter({ record.trainLoss[$0].isFinite }).max(by: { record.trainLoss[$0] < record.trainLoss[$1] }),
           record.trainLoss[i] > uniform + StabilitySummary.blowUpMargin {
            blowUpLoss = record.trainLoss[i]
            blowUpStep = record.trainSteps[i]
        }
        guard let d = record.diagnostics else { recorded = false; return }
        recorded = true
        lossSpikes = d.spikes(.loss).count
        gradNormSpikes = d.spikes(.gradNorm).count
        guard let last = d.maxAttentionLogit.indices.last else { return }
        finalStep = d.steps[last]
        finalMaxAttentionLogit = StabilitySummary.largest(d.maxAttentionLogit[last])
        for (i, row) in d.maxAttentionLogit.enumerated() {
            if let m = StabilitySummary.largest(row), maxAttentionLogit.map({ m > $0 }) ?? true {
                maxAttentionLogit = m
                maxAttentionLogitStep = d.steps[i]
            }
        }
        if let rms = d.latentRMS?[last] {
            finalLatentRMSMin = rms.min()
            finalLatentRMSMax = rms.max()
        }
    }
}

/// The stability section of an experiment report and the diagnostics lines of `attnlab inspect`,
/// from the run files' `/diagnostics` (and nothing else: files without it say so).
public enum StabilitySummary {
    /// One row per run, in the report's variant order.
    public static func rows(_ variants: [ReportVariant]) -> [RunStability] {
        variants.flatMap { v in v.runs.map { RunStability(variant: v.name, record: $0) } }
    }

    /// The largest value, NaN winning (a NaN logit is the worst sign there is).
    static func largest(_ values: [Double]) -> Double? {
        values.contains(where: \.isNaN) ? .nan : values.max()
    }

    /// Largest pre-softmax attention logit above which a run is flagged. At 100 bf16's spacing
    /// is 0.5 (8-bit significand, values in [64, 128)), so rounding alone moves a softmax weight by
    /// a factor e^0.5 ≈ 1.65; and a logit 100 above the others gives them weight e^-100 ≈ 4e-44,
    /// below float32's and bf16's smallest normal number (1.2e-38): the softmax is one-hot, its
    /// gradient to every other key vanishes (attention-entropy collapse, Zhai et al. 2023;
    /// logit growth, Dehghani et al. 2023, ViT-22B). Stable runs stay far below it.
    public static let extremeLogit = 100.0

    /// Nats/token above ln(vocab) (the loss of a uniform guess, where an initialised model starts)
    /// beyond which a training loss is a blown-up update, at any step, also before spike
    /// detection starts. The 51 committed runs' largest training loss is at most 0.09 above it.
    public static let blowUpMargin = 1.0

    static let ruleText = "spikes are steps whose gradient norm before clipping exceeds "
        + "\(trimmedDecimal(SpikeDetector.gradNormFactor))× the median of the previous \(SpikeDetector.window) steps, or whose loss exceeds "
        + "that window's median by more than \(trimmedDecimal(SpikeDetector.lossMargin)) nats/token; steps up to "
        + "max(\(SpikeDetector.window), warmup) are not tested; a largest logit above \(trimmedDecimal(extremeLogit)) is flagged "
        + "(bf16 rounds such logits by 0.5 or more, and the softmax is one-hot to float precision)"

    /// The report's "Stability" section.
    public static func markdown(_ rows: [RunStability]) -> [String] {
        var lines = ["## Stability", ""]
        let recorded = rows.filter(\.recorded)
        let diverged = rows.filter { $0.divergedAtStep != nil }
        let divergedLine = diverged.isEmpty ? []
            : ["Diverged (non-finite loss or gradient norm; left out of every statistic): "
               + diverged.map { "`\($0.label)` at step \($0.divergedAtStep!)" }.joined(separator: ", ") + ".", ""]
        guard !recorded.isEmpty else {
            return lines + ["None of these \(rows.count) run files holds stability diagnostics (`/diagnostics`: they were "
                            + "written before it existed, or with `log.diagnostics = false`), so this report has no attention-logit, "
                            + "latent-RMS or spike figures for them.", ""] + divergedLine
        }
        lines += ["From each run file's `/diagnostics` (results/README.md): the largest pre-softmax attention logit of any "
                  + "layer at the last logged step and over all logged steps (every `log.every` steps), the smallest and largest "
                  + "latent RMS over layers at the last logged step (MLA, GLA: c_KV before `kv_a_layernorm`), and spike counts; "
                  + ruleText + ".", ""]
        let tested = recorded.filter(\.spikeTested)
        let flagged = tested.filter(\.flagged)
        if tested.isEmpty {
            lines += ["No run was tested for spikes.", ""]
        } else if flagged.isEmpty {
            lines += [tested.count == recorded.count ? "No run has a loss or gradient-norm spike."
                      : "No tested run has a loss or gradient-norm spike.", ""]
        } else {
            lines += ["Runs with spikes: " + flagged.map { "`\($0.label)`" }.joined(separator: ", ") + ".", ""]
        }
        let untested = recorded.filter { !$0.spikeTested }
        if !untested.isEmpty {
            lines += ["Not tested for spikes (spike detection starts after step max(\(SpikeDetector.window), warmup); these runs end "
                      + "at or before it): " + untested.map { "`\($0.label)` (starts after step \($0.spikeTestsAfterStep); \($0.steps) steps)" }
                          .joined(separator: ", ") + ".", ""]
        }
        let blownUp = rows.filter { $0.blowUpStep != nil }
        if !blownUp.isEmpty {
            lines += ["Training loss above ln(vocab) + \(trimmedDecimal(blowUpMargin)) nats (a uniform guess plus \(trimmedDecimal(blowUpMargin)); "
                      + "checked at every step): " + blownUp.map { "`\($0.label)` (\(fixed($0.blowUpLoss!, 3)) at step \($0.blowUpStep!))" }
                          .joined(separator: ", ") + ".", ""]
        }
        let extreme = recorded.filter(\.extremeLogit)
        if !extreme.isEmpty {
            lines += ["Attention logits above \(trimmedDecimal(extremeLogit)): " + extreme.map {
                "`\($0.label)` (\(logit($0.maxAttentionLogit)) at step \($0.maxAttentionLogitStep.map(String.init) ?? "-"))"
            }.joined(separator: ", ") + ".", ""]
        }
        lines += divergedLine
        let table = rows.map { s -> [String] in
            guard s.recorded else { return [s.variant, s.run, "not recorded", "-", "-", "-", "-", s.flags.joined(separator: ", ")] }
            let last = s.finalStep.map { "\(logit(s.finalMaxAttentionLogit)) (step \($0))" } ?? "-"
            let peak = s.maxAttentionLogitStep.map { "\(logit(s.maxAttentionLogit)) (step \($0))" } ?? "-"
            let rms = s.finalLatentRMSMin.map { "\(fixed($0, 3))–\(fixed(s.finalLatentRMSMax ?? $0, 3))" } ?? "-"
            return [s.variant, s.run, last, peak, rms, String(s.lossSpikes ?? 0), String(s.gradNormSpikes ?? 0),
                    s.flags.joined(separator: ", ")]
        }
        lines += ReportMarkdown.table(
            ["variant", "run", "max logit, last logged step", "max logit, whole run", "latent RMS, last step (layers)",
             "loss spikes", "grad-norm spikes", "flag"],
            [false, false, true, true, true, true, true, false], table)
        return lines + [""]
    }

    /// `attnlab inspect`'s lines about a run's diagnostics.
    public static func inspectLines(_ record: RunRecord) -> [String] {
        guard let d = record.diagnostics else {
            return ["diagnostics: none in this file (written before run-file diagnostics existed, or log.diagnostics = false)"]
        }
        let summary = RunStability(variant: record.run, record: record)
        var lines = ["diagnostics: \(d.steps.count) logged steps, \(d.layers) layers"]
        if let last = d.steps.indices.last {
            let overall = d.maxAttentionLogit[0].indices.map { l in largest(d.maxAttentionLogit.map { $0[l] }) ?? .nan }
            lines.append("  max attention logit per layer at step \(d.steps[last]): " + d.maxAttentionLogit[last].map(logit).joined(separator: " "))
            lines.append("  max attention logit per layer over training:  " + overall.map(logit).joined(separator: " "))
            if let rms = d.latentRMS?[last] {
                lines.append("  latent RMS (c_KV before its norm) per layer at step \(d.steps[last]): " + rms.map { fixed($0, 4) }.joined(separator: " "))
            }
        }
        if summary.extremeLogit {
            lines.append("  flag: largest attention logit \(logit(summary.maxAttentionLogit)) is above \(trimmedDecimal(extremeLogit)) "
                         + "(bf16 rounds such logits by 0.5 or more; the softmax is one-hot to float precision)")
        }
        if let loss = summary.blowUpLoss, let step = summary.blowUpStep {
            lines.append("  flag: training loss \(fixed(loss, 3)) at step \(step) is more than \(trimmedDecimal(blowUpMargin)) nats above "
                         + "ln(vocab) = \(fixed(log(Double(record.config.model.vocabSize)), 3)) (a blown-up update)")
        }
        guard summary.spikeTested else {
            return lines + ["  spikes: not tested: spike detection starts after step \(summary.spikeTestsAfterStep); this run has \(summary.steps) steps"]
        }
        let spikes = d.spikes
        lines.append("  spikes (steps \(summary.spikeTestsAfterStep + 1)–\(summary.steps) tested): \(d.spikes(.loss).count) loss, \(d.spikes(.gradNorm).count) gradient-norm"
                     + (spikes.isEmpty ? "" : " (" + spikes.prefix(5).map { "\($0.kind.rawValue) @ \($0.step): " + String(format: "%.4g vs median %.4g", $0.value, $0.median) }.joined(separator: "; ")
                                              + (spikes.count > 5 ? "; ..." : "") + ")"))
        return lines
    }

    static func logit(_ x: Double?) -> String { x.map { fixed($0, 3) } ?? "-" }
    static func logit(_ x: Double) -> String { fixed(x, 3) }
}
