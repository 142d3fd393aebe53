import Foundation

/// Renders a `VerdictReport` as Markdown: how to regenerate it, the rule, every budget, the
/// verdict table, the cache figures, the claims' text and the size ladder. Fixed formats and
/// orders, so the same run files give byte-identical text.
public enum VerdictMarkdown {
    /// `ladderPlot` is the file name of the ladder's SVG, beside the Markdown.
    public static func render(_ r: VerdictReport, ladderPlot: String) -> String {
        var out = ["# \(r.title)", ""]
        out += [
            "- Regenerate this file, its JSON and its plot: `\(r.regenerateCommand)` (reads `verdicts/\(r.name).toml` in the experiments "
                + "directory, the experiment files it names and their run files under the results folder; trains nothing)",
            "- Claims from: \(r.paper)",
            "",
        ]
        out += summarySection(r)
        out += ["", "## Verdict rule", ""]
        out += r.rule.map { "- " + $0 }
        out += ["", "## Budgets", "",
                "Every number below comes from the finished runs of these experiments. Tokens per parameter: training tokens "
                    + "over each variant's parameter count.", ""]
        out += ReportMarkdown.table(["experiment", "state", "token budget", "seeds (finished runs)"], [false, false, false, false],
                                    r.budgets.map { b in
                                        [b.experiment, b.pending ?? "all runs finished",
                                         b.tokenBudget.isEmpty ? "-" : b.tokenBudget.joined(separator: "; "),
                                         b.seeds.isEmpty ? "-" : b.seeds.map(String.init).joined(separator: ", ")]
                                    })
        out += ["", "## Verdict table", "",
                "Δ: final validation loss, variant − baseline, nats per token, paired by seed, with its 95% t interval.", ""]
        let rows = r.claims.flatMap { c in
            c.evidence.map { e -> [String] in
                let delta: String, ci: String, n: String
                if let cmp = e.comparison {
                    delta = ReportMarkdown.signed(cmp.meanDifference, 4)
                    ci = cmp.ciLow.flatMap { lo in cmp.ciHigh.map { "[\(ReportMarkdown.signed(lo, 4)), \(ReportMarkdown.signed($0, 4))]" } } ?? "-"
                    n = "\(cmp.n) (\(cmp.seeds.map(String.init).joined(separator: ", ")))"
                } else {
                    (delta, ci, n) = ("-", "-", "-")
                }
                return [c.id, c.source, e.protocolLabel, "\(e.experiment): `\(e.variant)` vs `\(e.baseline)`", e.claimed,
                        delta, ci, n, e.budget.isEmpty ? "-" : e.budget.joined(separator: "; "), "**\(e.outcome)**",
                        gapText(e.gapAtEnd, short: false)]
            }
        }
        out += ReportMarkdown.table(["claim", "paper source", "protocol", "evidence", "claimed: variant's loss", "Δ", "95% CI",
                                     "paired seeds", "budget", "verdict", "gap at the end (slope per 1k steps, last quarter)"],
                                    [false, false, false, false, false, true, true, false, false, false, false], rows)
        out += [""] + nextRunsSection(r)
        let caches = r.claims.flatMap { c in c.cache.map { (c, $0) } }
        if !caches.isEmpty {
            out += ["", "## KV cache size (computed figures, no verdict)", "",
                    "AttnLab's Table-1 figure (elements per token, all layers) for the experiment's variants, from their run files, "
                        + "beside the paper's models (`attnlab kv` presets, same formulas).", ""]
            out += ReportMarkdown.table(["claim", "paper source", "evidence", "AttnLab (variant; baseline)", "AttnLab ratio",
                                         "paper models (variant; baseline)", "paper ratio", "what differs"],
                                        [false, false, false, false, true, false, true, false], caches.map { c, f in
                                            let ours = f.formulas.isEmpty ? f.pending ?? "-"
                                                : f.formulas.map { "`\($0.variant)`: \($0.substituted)" }.joined(separator: "; ")
                                            return [c.id, c.source, "\(f.experiment) (\(f.protocolLabel)): `\(f.variant)` vs `\(f.baseline)`",
                                                    ours, f.ratio.map(percent) ?? "-",
                                                    "\(f.paperVariant): \(f.paperFormulas[0]); \(f.paperBaseline): \(f.paperFormulas[1])",
                                                    percent(f.paperRatio), f.differences ?? "-"]
                                        })
        }
        out += ["", "## The claims, paraphrased with the paper's numbers", ""]
        out += r.claims.map { "- **\($0.id)** (\($0.source)): \($0.claim)" }
        if let ladder = r.ladder { out += [""] + ladderSection(ladder, plot: ladderPlot) }
        if !r.unreadable.isEmpty {
            out += ["", "**Unreadable run files** (counted as not finished):", ""] + r.unreadable.map { "- `\($0)`" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The verdicts at a glance (one row per evidence row: Δ with its interval, seeds, tokens per
    /// parameter and the word), the section `scripts/regenerate-results.sh` copies into README.md's
    /// results section.
    static func summarySection(_ r: VerdictReport) -> [String] {
        var out = ["## Summary", "",
                   "Δ: final validation loss of the variant minus the baseline's, nats per token, paired by seed, with its 95% "
                       + "t interval. The rule: section \"Verdict rule\"; every experiment's tokens and tokens per parameter: section "
                       + "\"Budgets\" of `results/verdict-\(r.name).md`.", ""]
        let rows = r.claims.flatMap { c in
            c.evidence.map { e -> [String] in
                let delta = e.comparison.map { cmp in
                    ReportMarkdown.signed(cmp.meanDifference, 3)
                        + (cmp.ciLow.flatMap { lo in cmp.ciHigh.map { " [\(ReportMarkdown.signed(lo, 3)), \(ReportMarkdown.signed($0, 3))]" } } ?? "")
                } ?? "-"
                return [c.id, e.protocolLabel, "\(e.experiment): `\(e.variant)` vs `\(e.baseline)`", e.claimed, delta,
                        e.comparison.map { "\($0.n)" } ?? "-", "**\(e.outcome)**", gapText(e.gapAtEnd, short: true)]
            }
        }
        out += ReportMarkdown.table(["claim", "protocol", "evidence", "claimed: variant's loss", "Δ [95% CI]", "seeds", "verdict",
                                     "gap at the end"],
                                    [false, false, false, false, true, true, false, false], rows)
        return out
    }

    /// What would settle the rows that are not distinguishable (`VerdictRule.seedPlan`), which rows
    /// need a longer budget, and the commands that add seeds, here or on a Slurm cluster.
    static func nextRunsSection(_ r: VerdictReport) -> [String] {
        var out = ["## Next runs", "",
                   "Planning, not evidence: the seeds each finished row that is not distinguishable would need for a decisive "
                       + "word if its observed difference and spread held (the last rule of section \"Verdict rule\"; "
                       + "\(Int(VerdictRule.plannedPower * 100))% power).", ""]
        let open = r.claims.flatMap { c in c.evidence.compactMap { e in e.nextSeeds.map { (c, e, $0) } } }
        let pending = r.claims.flatMap(\.evidence).filter { $0.comparison == nil && $0.verdict == nil && $0.outcome.hasPrefix("pending") }
        if open.isEmpty {
            out += ["No finished row is left undecided."]
        } else {
            out += ReportMarkdown.table(["claim", "protocol", "evidence", "Δ", "sd of the paired differences", "seeds now",
                                         "seeds for \(Int(VerdictRule.plannedPower * 100))% power", "towards", "gap at the end"],
                                        [false, false, false, true, true, true, true, false, false],
                                        open.map { c, e, plan in
                                            [c.id, e.protocolLabel, "\(e.experiment): `\(e.variant)` vs `\(e.baseline)`",
                                             e.comparison.map { ReportMarkdown.signed($0.meanDifference, 4) } ?? "-", fixed(plan.sd, 4),
                                             String(plan.seedsNow),
                                             plan.seeds.map(String.init) ?? "none up to \(VerdictRule.plannedSeedsLimit): seeds alone are not a plan",
                                             plan.towards.rawValue, gapText(e.gapAtEnd, short: true)]
                                        })
            let large = open.filter { ($0.2.seeds ?? Int.max) > VerdictRule.practicalSeeds }
            if !large.isEmpty {
                out += ["", "More than \(VerdictRule.practicalSeeds) seeds, or none up to \(VerdictRule.plannedSeedsLimit): "
                        + large.map { c, e, _ in "\(c.id), \(e.experiment): `\(e.variant)` vs `\(e.baseline)`" }.joined(separator: "; ")
                        + ". There the observed difference is small against its seed-to-seed spread; more seeds are not a practical "
                        + "plan, and the question such runs can answer is whether the two are within a stated margin of each other "
                        + "(a `within` claim in the verdict file)."]
            }
            var experiments: [String] = []
            for (_, e, _) in open where !experiments.contains(e.experiment) { experiments.append(e.experiment) }
            out += ["", "To add seeds (nothing finished is trained again; `attnlab sweep --status` shows each run's state):", ""]
            out += experiments.map { name in
                let plans = open.filter { $0.1.experiment == name }.map(\.2)
                let most = plans.compactMap(\.seeds).max()
                let target = most.map { "1…\($0)" } ?? "more seeds"
                if plans.contains(where: \.rerunAll) {
                    return "- `\(name)`: its runs were validated on the old validation subset; seeds added now would be validated on "
                        + "the whole split and could not be paired with them (the verdict refuses the mix), so train every seed again: "
                        + "move `results/\(name)/` aside, give `experiments/\(name).toml` a `[grid]` `\"train.seed\"` of \(target), then "
                        + "`attnlab sweep \(name) --slurm --submit` on a cluster or `--jobs 2` here, then `\(r.regenerateCommand)`."
                }
                guard let source = tunedExperimentSource(name) else {
                    return "- `\(name)`: give `experiments/\(name).toml` a `[grid]` `\"train.seed\"` of \(target), then "
                        + "`attnlab sweep \(name) --slurm --submit` on a cluster (README, \"On a cluster: Slurm job arrays\") or "
                        + "`attnlab sweep \(name) --jobs 2` here, then `\(r.regenerateCommand)`."
                }
                return "- `\(name)`: give `experiments/\(source).toml` a `[grid]` `\"train.seed\"` of \(target); `attnlab tune \(source)` "
                    + "then trains nothing (its tuning runs are finished) and writes the same `\(name).toml`; then "
                    + "`attnlab sweep \(name) --slurm --submit` on a cluster (README, \"On a cluster: Slurm job arrays\") or "
                    + "`attnlab sweep \(name) --jobs 2` here, then `\(r.regenerateCommand)`."
            }
        }
        let moving = r.claims.flatMap { c in c.evidence.filter { $0.gapAtEnd?.verdict == "still moving" }.map { (c, $0) } }
        if !moving.isEmpty {
            out += ["", "Still moving at the end of training, so the word holds for that budget only: "
                    + moving.map { c, e in "\(c.id), \(e.experiment): `\(e.variant)` vs `\(e.baseline)`" }.joined(separator: "; ")
                    + ". Settling them takes a longer budget (`train.steps`; for a tuned experiment, tuning again at that budget), "
                    + "not only more seeds."]
        }
        if !pending.isEmpty {
            var names: [String] = []
            for e in pending where !names.contains(e.experiment) { names.append(e.experiment) }
            out += ["", "Pending, to finish first: " + names.map { "`\($0)`" }.joined(separator: ", ") + "."]
        }
        return out
    }

    /// The gap-at-end cell: the slope's verdict, and in the long form its value, interval, curve and window.
    static func gapText(_ g: GapSlope?, short: Bool) -> String {
        guard let g else { return "-" }
        guard !short, let slope = g.perThousandSteps, let lo = g.ciLow, let hi = g.ciHigh else { return g.verdict }
        return "\(g.verdict): \(ReportMarkdown.signed(slope, 4)) [\(ReportMarkdown.signed(lo, 4)), \(ReportMarkdown.signed(hi, 4))] "
            + "(\(g.curve), steps \(g.fromStep)–\(g.toStep), \(g.method))"
    }

    static func ladderSection(_ l: SizeLadderReport, plot: String) -> [String] {
        var out = ["## Size ladder: \(l.title)", "",
                   "Protocol: \(l.protocolLabel). Gap: final validation loss, variant − `\(l.baseline)`, paired by seed, "
                       + "mean [95% t interval], against `\(l.baseline)`'s parameter count.", "",
                   "![Gap by model size](\(plot))", ""]
        let rows = l.sizes.map { s -> [String] in
            guard s.pending == nil else {
                return [s.experiment, s.pending!] + Array(repeating: "-", count: 4 + l.variants.count * 2)
            }
            let params = ([l.baseline] + l.variants).map { v in s.parameters[v].map(grouped) ?? "-" }.joined(separator: " / ")
            let gaps = l.variants.flatMap { v -> [String] in
                guard let g = s.gaps.first(where: { $0.variant == v }) else { return ["-", "-"] }
                let ci = g.ciLow.flatMap { lo in g.ciHigh.map { "[\(ReportMarkdown.signed(lo, 4)), \(ReportMarkdown.signed($0, 4))]" } }
                return [ReportMarkdown.signed(g.meanDifference, 4) + " (n=\(g.n))", ci ?? "n < 2: no interval"]
            }
            return [s.experiment, "all runs finished", params, s.tokens.map(grouped) ?? "-", s.tokensPerParameter.map { fixed($0, 2) } ?? "-",
                    s.seeds.map(String.init).joined(separator: ", ")] + gaps
        }
        out += ReportMarkdown.table(["size (experiment)", "state", "parameters (" + ([l.baseline] + l.variants).joined(separator: " / ") + ")",
                                     "tokens", "tokens per `\(l.baseline)` parameter", "seeds"]
                                        + l.variants.flatMap { ["`\($0)` − `\(l.baseline)`", "95% CI"] },
                                    [false, false, true, true, true, false] + l.variants.flatMap { _ in [true, true] }, rows)
        out += ["", "Trend (computed from the intervals at the smallest and largest finished sizes):", ""]
        out += l.trend.map { "- " + $0 }
        return out
    }
}
