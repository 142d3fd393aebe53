import Foundation

/// Renders an `ExperimentReport` as Markdown. Every number has a fixed format and every list a
/// fixed order, so the same run files always give byte-identical text that CI can diff.
public enum ReportMarkdown {
    /// `gapPlot` and `learningRatePlot` are the file names of those plots, when written.
    public static func render(_ r: ExperimentReport, lossPlot: String, paretoPlot: String, gapPlot: String? = nil,
                              learningRatePlot: String? = nil) -> String {
        var out: [String] = ["# \(r.experiment): report", ""]
        if !r.description.isEmpty { out += [r.description, ""] }
        let finished = r.runs.filter { $0.status == RunStatus.finished.rawValue }.count
        out += [
            "- Regenerate this report: `\(r.regenerateCommand)`",
            "- Reproduce the runs (same configs, one thread per job on 2 cores): `\(r.producedBy)`",
            "- Read from: \(r.runs.count) run files (\(finished) finished), "
                + ([r.experiment] + r.including).map { "`\($0)/*.h5`" }.joined(separator: ", ") + " in the results folder"
                + (r.tuning.map { t in "; the tuning section from `\(t.experiment)/*.h5`" } ?? "")
                + (r.sameLearningRate.map { s in "; the secondary table from `\(s.experiment)/*.h5`" } ?? "")
                + "; nothing else",
        ] + (r.ignored.isEmpty ? [] : [
            "- Ignored: \(r.ignored.count) run file\(r.ignored.count == 1 ? "" : "s") that the experiments do not define "
                + "(left from an earlier grid): " + r.ignored.map { "`\($0)`" }.joined(separator: ", "),
        ]) + (r.splitVariants ?? []).map {
            "- **Runs of one name with different configurations**, reported as separate variants: " + $0
        } + [
            "- Runs started: \(r.firstStart) to \(r.lastStart)" + (r.tuning == nil && r.sameLearningRate == nil ? "" : " (the headline runs)"),
            "- Hosts: \(r.hosts.joined(separator: ", "))",
            "- BLAS core: \(r.blasCores.joined(separator: ", ")) (\(r.blasThreads.map(String.init).joined(separator: ", ")) thread\(r.blasThreads == [1] ? "" : "s"))",
        ]
        out += r.validation.map { "- Validation: " + $0 }
        out += r.tokenBudget.map { "- Token budget: " + $0 }
        out += [""]
        out += variantsSection(r) + comparisonSection(r) + gapSection(r, plot: gapPlot)
        if let tuning = r.tuning, let learningRatePlot { out += tuning.markdown(plot: learningRatePlot) }
        if let same = r.sameLearningRate { out += sameLearningRateSection(r, same) }
        out += kvSection(r) + StabilitySummary.markdown(r.stability)
        out += ["## Plots", "", "![Loss curves](\(lossPlot))", "", "![Loss vs KV cache](\(paretoPlot))", ""]
        out += referenceSection(r) + runsSection(r)
        return out.joined(separator: "\n")
    }

    static func metricLabel(_ m: String) -> String {
        m.hasPrefix("bits_per_") ? "bits/" + m.dropFirst("bits_per_".count) : m.replacingOccurrences(of: "_", with: " ")
    }

    static func table(_ header: [String], _ align: [Bool], _ rows: [[String]]) -> [String] {
        ["| " + header.joined(separator: " | ") + " |", "|" + align.map { $0 ? "---:" : "---" }.joined(separator: "|") + "|"]
            + rows.map { "| " + $0.joined(separator: " | ") + " |" }
    }

    /// "2.1234 ± 0.0123 (n=3)"; a single seed has no spread to show.
    static func meanStd(_ s: SampleSummary?, _ digits: Int) -> String {
        guard let s else { return "-" }
        let std = s.std.map { " ± " + fixed($0, digits) } ?? ""
        return fixed(s.mean, digits) + std + " (n=\(s.n))"
    }

    static func opt(_ x: Double?, _ digits: Int) -> String { x.map { fixed($0, digits) } ?? "-" }

    static func signed(_ x: Double, _ digits: Int) -> String { (x >= 0 ? "+" : "") + fixed(x, digits) }

    /// The lr column is shown when the variants' learning rates differ, were tuned, or `showLR`.
    static func variantsSection(_ r: ExperimentReport, title: String = "## Variants", showLR: Bool = false) -> [String] {
        let showLR = showLR || r.tuning != nil || Set(r.variants.map(\.lr)).count > 1
        var header = ["variant", "attention"] + (showLR ? ["lr"] : []) + ["params", "KV elem/token", "KV B/token fp32", "KV B/token bf16"]
        if r.baseline != nil { header.append("KV vs MHA") }
        header += ["final val loss"] + (r.secondaryMetric.map { ["final val " + metricLabel($0)] } ?? [])
        header += ["final train loss", "median tokens/s", "median step ms", "peak activations MiB", "peak RSS MiB"]
        // A tuned lr that is the best grid point rather than the fitted optimum is marked.
        let flagged = Set(r.tuning?.variants.filter { $0.fit.flag != nil }.map(\.variant) ?? [])
        let rows = r.variants.map { v -> [String] in
            var row = [v.name, v.attention]
                + (showLR ? [LearningRateTuningReport.format(v.lr) + (flagged.contains(v.name) ? " †" : "")] : [])
            row += [grouped(v.parameters), grouped(v.kvElementsPerToken), grouped(v.kvBytesPerTokenFP32), grouped(v.kvBytesPerTokenBF16)]
            if r.baseline != nil { row.append(v.kvRatioToMHA.map(percent) ?? "-") }
            row.append(meanStd(v.finalValLoss, 4))
            if r.secondaryMetric != nil { row.append(meanStd(v.finalSecondary, 4)) }
            row += [opt(v.finalTrainLossMean, 4), opt(v.tokensPerSecond, 0), opt(v.stepTimeMs, 1),
                    opt(v.peakActivationMiB, 1), opt(v.peakRSSMiB, 1)]
            return row
        }
        let tuned = r.tuning.map { t in
            ["Tuned vs tuned: every variant trained at the learning rate its own tuning chose (`\(t.experiment)`, "
             + "section Learning-rate tuning below); "
             + (r.sameLearningRate == nil
                ? "the same variants at one shared lr: not available, run `attnlab sweep \(tunedExperimentSource(r.experiment) ?? r.experiment)` for them."
                : "the same variants at one shared lr are the secondary table further down."), ""]
                + (flagged.isEmpty ? [] : ["† The tuning took the best grid point for this variant, not a fitted optimum (its flag is in the "
                                            + "tuning section): the lr is known only to the grid's spacing.", ""])
                + ["Each tuning grid point is the loss of \(Set(t.variants.flatMap(\.seeds)).count) tuning seed"
                   + (Set(t.variants.flatMap(\.seeds)).count == 1 ? "" : "s") + " per lr: two lrs whose losses differ by less than "
                   + "the seed-to-seed standard deviation of the final val loss below are not told apart by the tuning.", ""]
        } ?? []
        return [title, ""] + tuned + [
                "Runs that differ only in `train.seed` form a variant. Quality figures are mean ± sample standard "
                + "deviation over the variant's finished seeds (n seeds); train loss is the mean of the last logged "
                + "values; median tokens/s is each run's median, averaged over seeds; median step ms = tokens per step "
                + "(batch_size × seq_len × grad_accum) / median tokens/s; peaks are the largest logged values of any seed.", ""]
            + table(header, header.indices.map { $0 >= 2 }, rows) + [""] + leftOutLines(r.variants)
    }

    /// The runs missing from the variants table's quality figures (diverged, unfinished), if any.
    static func leftOutLines(_ variants: [VariantStats]) -> [String] {
        let notes = variants.flatMap { v in v.leftOut.map { "`\(v.name)` \($0)" } }
        return notes.isEmpty ? [] : ["Not in these figures: " + notes.joined(separator: "; ") + ".", ""]
    }

    static func comparisonSection(_ r: ExperimentReport, level: String = "##") -> [String] {
        guard let base = r.baseline else {
            return ["\(level) Paired comparison", "", "No MHA variant in this experiment: no paired comparison.", ""]
        }
        var lines = ["\(level) Paired comparison with MHA (`\(base)`)", "",
                     "Final validation loss, variant − `\(base)`, paired by seed (finished runs with the same seed). "
                     + "95% interval: mean ± t(0.975, n − 1) · sd / √n; p: two-sided paired t-test. "
                     + "Negative differences mean lower loss than MHA.", ""]
        let others = r.variants.filter { $0.name != base }
        guard !others.isEmpty else { return lines + ["Only the MHA variant was run: nothing to compare.", ""] }
        let rows = others.map { v -> [String] in
            guard let c = r.comparisons.first(where: { $0.variant == v.name }) else {
                let reasons = r.unpaired.filter { $0.variant == v.name }.map { "seed \($0.seed): \($0.reason)" }
                return [v.name, "-", "0", "-", reasons.isEmpty ? "no seed shared with `\(base)`" : reasons.joined(separator: "; "), "-", "-"]
            }
            let ci: String
            if let lo = c.ciLow, let hi = c.ciHigh { ci = "[\(signed(lo, 4)), \(signed(hi, 4))]" } else { ci = "n < 2: no interval" }
            let p = c.p.map { $0 < 0.0001 ? "< 0.0001" : fixed($0, 4) } ?? "-"
            return [v.name, c.seeds.map(String.init).joined(separator: ", "), String(c.n), signed(c.meanDifference, 4), ci,
                    c.t.map { fixed($0, 3) } ?? "-", p]
        }
        lines += table(["variant", "seeds", "n", "mean Δ val loss", "95% CI", "t", "p"],
                       [false, false, true, true, true, true, true], rows)
        let paired = Set(r.comparisons.map(\.variant))
        let unpaired = r.unpaired.filter { paired.contains($0.variant) }
        if !unpaired.isEmpty {
            lines += ["", "Seeds left out of the pairing: " + unpaired.map { "`\($0.variant)` seed \($0.seed) (\($0.reason))" }.joined(separator: "; ") + "."]
        }
        return lines + [""]
    }

    static func gapSection(_ r: ExperimentReport, plot: String?) -> [String] {
        guard let base = r.baseline, !r.gaps.isEmpty else { return [] }
        var lines = ["## Gap to MHA (`\(base)`) over training", "",
                     "Loss of each variant minus `\(base)`'s at the same step, paired by seed (runs with the same seed see the "
                     + "same batches). Plot: validation gap, mean over seeds with a 95% t band, and the training gap "
                     + "smoothed by a centred moving average. Slope: least-squares slope of the gap over the last quarter "
                     + "of training (steps ≥ ¾ of the last), in nats per token per 1000 steps, per seed, then mean with a "
                     + "95% t interval over seeds; \"still moving\" when the interval excludes 0. With one seed the "
                     + "regression's own interval is shown but treats the autocorrelated points of one curve as independent "
                     + "(too narrow), so no verdict is given. The window is the \"last quarter\" column: for short runs a "
                     + "slope per 1000 steps extrapolates far beyond it. A slope needs \(GapSlope.minimumPoints) points "
                     + "per seed in the window.", ""]
        if let plot { lines += ["![Gap over training](\(plot))", ""] }
        func slope(_ s: GapSlope) -> String {
            guard let m = s.perThousandSteps, let lo = s.ciLow, let hi = s.ciHigh else { return s.verdict }
            return "\(signed(m, 4)) [\(signed(lo, 4)), \(signed(hi, 4))], \(s.method): **\(s.verdict)**"
        }
        let rows = r.gaps.map { g -> [String] in
            [g.variant, g.seeds.map(String.init).joined(separator: ", "), g.mean.last.map { signed($0, 4) } ?? "-",
             "\(g.trainingSlope.fromStep)–\(g.trainingSlope.toStep)", slope(g.validationSlope), slope(g.trainingSlope)]
        }
        lines += table(["variant", "seeds", "final val gap", "last quarter (steps)", "val gap slope /1k steps [95% CI]",
                        "train gap slope /1k steps [95% CI]"], [false, false, true, false, false, false], rows)
        return lines + [""]
    }

    static func sameLearningRateSection(_ r: ExperimentReport, _ same: SameLearningRateComparison) -> [String] {
        var secondary = r
        secondary.tuning = nil
        secondary.variants = same.variants
        secondary.comparisons = same.comparisons
        secondary.unpaired = same.unpaired
        secondary.baseline = same.baseline
        return ["## Secondary: the same variants at one shared learning rate (`\(same.experiment)`)", "",
                "The runs of `\(same.experiment)` (every variant at its lr), for comparison with the tuned table above.", ""]
            + variantsSection(secondary, title: "### Variants at one lr", showLR: true) + comparisonSection(secondary, level: "###")
    }

    static func kvSection(_ r: ExperimentReport) -> [String] {
        let rows = r.kvFormulas.map {
            [$0.variant, "`\($0.formula)`", $0.substituted, grouped($0.elementsPerToken),
             $0.matchesRunFile ? "yes" : "NO", $0.paperCapability]
        }
        return ["## KV cache per token (DeepSeek-V2 Table 1 formulas)", "",
                "Each variant's widths put into the paper's Table 1 formula and checked against the count stored "
                + "in its run file. The capability column is the paper's claim (reference, not measured here).", ""]
            + table(["variant", "formula", "this variant", "elements/token", "matches run file", "paper: capability"],
                    [false, false, false, true, false, false], rows) + [""]
    }

    static func referenceSection(_ r: ExperimentReport) -> [String] {
        guard !r.references.isEmpty else { return [] }
        var lines = ["## Reference figures: \(PaperReference.label)", "",
                     "Published numbers for models far larger than these; shown for orientation only and "
                     + "excluded from every statistic above.", ""]
        for t in r.references {
            lines += ["### \(t.title)", "", "Source: \(t.source).", ""]
            lines += table(t.header, t.header.indices.map { $0 > 0 }, t.rows)
            lines += [""] + t.notes.flatMap { [$0, ""] }
        }
        return lines
    }

    static func runsSection(_ r: ExperimentReport) -> [String] {
        let rows = r.runs.map {
            [$0.file, $0.run, $0.variant, String($0.seed), $0.status, String($0.step), opt($0.finalValLoss, 4), $0.startTime, $0.host]
        }
        return ["## Runs", ""]
            + table(["file", "run", "variant", "seed", "status", "step", "final val loss", "started", "host"],
                    [false, false, false, true, false, true, true, false, false], rows) + [""]
    }
}
