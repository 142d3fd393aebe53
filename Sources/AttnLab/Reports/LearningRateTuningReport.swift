import Foundation

/// One variant's learning-rate tuning: its grid's final losses and the fit that picks its lr.
public struct VariantLearningRate: Sendable, Equatable, Codable {
    /// The variant's name (run names without their `lr…` and `seed…` parts).
    public var variant: String
    public var attention: String
    /// `train.steps` of the tuning runs (the tuning budget).
    public var steps: Int
    /// Tuning seeds of the variant's runs, ascending.
    public var seeds: [Int]
    public var fit: LearningRateFit
}

/// The tuning runs of an experiment (`results/NAME-tune/*.h5`, written by `attnlab tune NAME`)
/// grouped by variant and fitted (`LearningRateFit`), with their Markdown section and plot.
public struct LearningRateTuningReport: Sendable, Equatable, Codable {
    /// The tuning experiment (`NAME-tune`).
    public var experiment: String
    public var variants: [VariantLearningRate]

    /// Runs that differ only in `optimizer.lr` and `train.seed` form a variant.
    public init(experiment: String, runs: [RunRecord]) {
        self.experiment = experiment
        let normalised = runs.map { r -> RunRecord in
            var copy = r
            copy.config.optimizer.lr = 1
            copy.run = Self.nameWithoutLearningRate(r.run)
            return copy
        }
        let byPath = Dictionary(runs.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        variants = ReportVariant.group(normalised).map { group in
            let members = group.runs.map { byPath[$0.path]! }
            let lrs = Set(members.map(\.config.optimizer.lr)).sorted()
            let points = lrs.map { lr -> LearningRatePoint in
                var losses: [Double] = [], excluded: [String] = [], unstable: [String] = [], untested: [String] = []
                for r in members where r.config.optimizer.lr == lr {
                    let stability = RunStability(variant: group.name, record: r)
                    if !stability.instability.isEmpty { unstable.append("seed \(r.seed): " + stability.instability.joined(separator: ", ")) }
                    if stability.recorded && !stability.spikeTested {
                        untested.append("seed \(r.seed): \(stability.steps) ≤ \(stability.spikeTestsAfterStep) steps")
                    }
                    if r.status != .finished {
                        excluded.append("seed \(r.seed): \(r.status.rawValue) at step \(r.step)")
                    } else if let loss = r.finalValLoss, loss.isFinite {
                        losses.append(loss)
                    } else {
                        excluded.append("seed \(r.seed): no finite final validation loss")
                    }
                }
                return LearningRatePoint(lr: lr, losses: losses, excluded: excluded, unstable: unstable, spikesNotTested: untested)
            }
            return VariantLearningRate(variant: group.name, attention: group.attention,
                                       steps: members.map(\.config.train.steps).max() ?? 0,
                                       seeds: Set(members.map(\.seed)).sorted(), fit: LearningRateFit(points: points))
        }
    }

    /// "mla-lr0.003-seed2" -> "mla-seed2", "lr5e-05-seed1" -> "seed1": a run name without its
    /// learning-rate grid part (Swift spells lrs below 1e-4 with an exponent, hence its `-`).
    public static func nameWithoutLearningRate(_ run: String) -> String {
        let stripped = run.replacing(/(^|-)lr[0-9.]+(e-?[0-9]+)?(?=-|$)/, with: "")
        return stripped.hasPrefix("-") ? String(stripped.dropFirst()) : stripped
    }

    /// A learning rate as reports print it: three significant digits, as the generated
    /// experiment files hold it (`roundedToThreeSignificantDigits`).
    public static func format(_ lr: Double) -> String { TuningSettings.format(lr) }

    /// The Markdown section: how the lr was chosen, the plot, the chosen values, every grid point.
    public func markdown(plot: String) -> [String] {
        var lines = ["## Learning-rate tuning (`\(experiment)`)", "",
                     "Each variant was trained at every learning rate of the grid (runs in `\(experiment)/`). "
                     + "One point per lr: the mean final validation loss over its tuning seeds; runs that diverged, "
                     + "did not finish or ended without a finite loss are left out and listed. A least-squares "
                     + "parabola in ln(lr) is fitted to the points; the chosen lr is its minimum exp(−b/2a) when the "
                     + "lowest loss is not at either end of the grid (else the optimum is not bracketed: widen the grid "
                     + "that way), the parabola opens upwards (a > 0), fits (R² ≥ \(trimmedDecimal(LearningRateFit.minimumRSquared))), "
                     + "its minimum lies inside the grid and it passes within \(trimmedDecimal(LearningRateFit.bestPointTolerance)) nats "
                     + "of the best point's loss; otherwise it is the grid point with the lowest loss, flagged "
                     + "with the reason. With three points the parabola interpolates them (R² = 1 by construction).", "",
                     "The lr is chosen on the validation split the tuned experiment's headline table then compares on: "
                     + "a mild selection bias in favour of every tuned variant. Tuning seeds that the headline runs do not "
                     + "use keep the two sets of runs apart (the default tuning seeds are "
                     + "\(ExperimentValue.array(TuningSettings.defaultSeeds.map { .int($0) }).literal), which the default "
                     + "train.seed 1 and seed grids starting at 1 do not use). These tuning seeds: "
                     + "\(Set(variants.flatMap(\.seeds)).sorted().map(String.init).joined(separator: ", ")).", "",
                     "![Final validation loss vs learning rate](\(plot))", ""]
        let rows = variants.map { v -> [String] in
            let f = v.fit
            let grid = f.points.isEmpty ? "-"
                : "\(Self.format(f.points.first!.lr)) – \(Self.format(f.points.last!.lr)) (\(f.points.count))"
            return [v.variant, grid, String(v.steps), v.seeds.map(String.init).joined(separator: ", "),
                    f.rSquared.map { fixed($0, 3) } ?? "-", f.fittedOptimum.map(Self.format) ?? "-",
                    f.chosen.map(Self.format) ?? "none", f.flag.map { "**\($0.rawValue)**: best grid point" } ?? "fitted optimum"]
        }
        lines += ReportMarkdown.table(["variant", "lr grid (points)", "steps", "seeds", "R²", "fitted optimum", "chosen lr", "chosen as"],
                                      [false, false, true, false, true, true, true, false], rows)
        lines += ["", "Every grid point:", ""]
        let pointRows = variants.flatMap { v in
            v.fit.points.map { p -> [String] in
                [v.variant, Self.format(p.lr), p.meanLoss.map { fixed($0, 4) } ?? "-", String(p.losses.count),
                 p.meanLoss == nil ? "-" : v.fit.predictedLoss(p.lr).map { fixed($0, 4) } ?? "-",
                 p.excluded.isEmpty ? "" : p.excluded.joined(separator: "; "),
                 (p.unstable + p.spikesNotTested.map { "spikes not tested (\($0))" }).joined(separator: "; ")]
            }
        }
        lines += ReportMarkdown.table(["variant", "lr", "final val loss (mean)", "n", "parabola", "left out", "stability"],
                                      [false, true, true, true, true, false, false], pointRows)
        lines += ["", "Stability: the experiment report's rule (" + StabilitySummary.ruleText + "; a training loss above "
                  + "ln(vocab) + \(trimmedDecimal(StabilitySummary.blowUpMargin)) nats is a blown-up update), applied to each "
                  + "tuning run's `/diagnostics`. A flagged run that finished with a finite loss still counts in the fit: "
                  + "the column informs the reader, it does not select."]
        let chosenFlagged = variants.compactMap { v -> String? in
            guard let lr = v.fit.chosen, let nearest = v.fit.points.min(by: { abs(log($0.lr / lr)) < abs(log($1.lr / lr)) }),
                  !nearest.unstable.isEmpty else { return nil }
            return "`\(v.variant)` (chosen lr \(Self.format(lr)); at grid lr \(Self.format(nearest.lr)): "
                + nearest.unstable.joined(separator: "; ") + ")"
        }
        let flaggedCount = variants.reduce(0) { $0 + $1.fit.points.reduce(0) { $0 + $1.unstable.count } }
        let untestedCount = variants.reduce(0) { $0 + $1.fit.points.reduce(0) { $0 + $1.spikesNotTested.count } }
        lines += ["", flaggedCount == 0 ? "No tuning run is flagged."
                  : "\(flaggedCount) tuning run\(flaggedCount == 1 ? " is" : "s are") flagged. "
                    + (chosenFlagged.isEmpty ? "None at the grid point nearest a chosen lr."
                       : "At the grid point nearest a chosen lr: " + chosenFlagged.joined(separator: ", ") + ".")]
        if untestedCount > 0 {
            lines[lines.count - 1] += " \(untestedCount) tuning run\(untestedCount == 1 ? " was" : "s were") too short to be tested for "
                + "spikes (detection starts after step max(\(SpikeDetector.window), warmup)): not flagged says nothing about their spikes."
        }
        return lines + [""]
    }
}
