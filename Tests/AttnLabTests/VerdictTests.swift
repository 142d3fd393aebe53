import Foundation
import Testing

@testable import AttnLab

/// The verdict rule, verdict files and `attnlab verdict`'s report and size ladder.
@Suite struct VerdictTests {
    // MARK: The rule

    @Test func ruleGivesEachWordOnConstructedIntervals() {
        let cases: [(ClaimDirection, Double, Double, VerdictWord)] = [
            (.lower, -0.3, -0.1, .reproduced), (.lower, 0.1, 0.3, .contradicted), (.lower, -0.1, 0.1, .notDistinguishable),
            (.lower, -0.1, 0, .notDistinguishable),
            (.higher, 0.1, 0.3, .reproduced), (.higher, -0.3, -0.1, .contradicted), (.higher, -0.1, 0.1, .notDistinguishable),
            (.within(margin: 0.05), -0.04, 0.03, .reproduced), (.within(margin: 0.05), -0.05, 0.05, .reproduced),
            (.within(margin: 0.05), 0.06, 0.2, .contradicted), (.within(margin: 0.05), -0.2, -0.06, .contradicted),
            (.within(margin: 0.05), 0.01, 0.2, .notDistinguishable), (.within(margin: 0.05), -0.2, 0.2, .notDistinguishable),
        ]
        for (direction, lo, hi, word) in cases {
            #expect(VerdictRule.judge(direction, low: lo, high: hi) == word, "\(direction) [\(lo), \(hi)]")
        }
    }

    @Test func outcomeNeedsTwoPairsAndEveryRunFinished() throws {
        // Differences -0.10, -0.12, -0.11: interval entirely below 0.
        let three = try #require(PairedComparison(variant: "mla", baseline: "mha", pairs: [1: (2.0, 2.1), 2: (2.0, 2.12), 3: (2.0, 2.11)]))
        #expect(VerdictRule.outcome(.lower, comparison: three, finished: 6, total: 6) == .verdict(.reproduced))
        #expect(VerdictRule.outcome(.higher, comparison: three, finished: 6, total: 6) == .verdict(.contradicted))
        let one = try #require(PairedComparison(variant: "mla", baseline: "mha", pairs: [1: (2.0, 2.1)]))
        #expect(VerdictRule.outcome(.lower, comparison: one, finished: 2, total: 2) == .tooFewPairs(n: 1))
        #expect(VerdictRule.outcome(.lower, comparison: nil, finished: 2, total: 2).text == "no verdict (n < 2: 0 paired seeds)")
        let pending = VerdictRule.outcome(.lower, comparison: three, finished: 5, total: 6)
        #expect(pending == .pending(finished: 5, total: 6) && pending.text == "pending: 5 of 6 runs finished" && pending.word == nil)
        #expect(VerdictRule.outcome(.lower, comparison: nil, finished: 0, total: nil).text == "pending: experiment file not written yet")
        // Old-subset and whole-split losses are never compared; pending still comes first.
        let mixed = VerdictRule.outcome(.lower, comparison: three, finished: 6, total: 6, mixedProtocols: true)
        #expect(mixed == .mixedProtocols && mixed.word == nil && mixed.text.hasPrefix("no verdict (runs validated under different protocols"))
        #expect(VerdictRule.outcome(.lower, comparison: three, finished: 5, total: 6, mixedProtocols: true) == .pending(finished: 5, total: 6))
    }

    /// "Next runs": hand-worked seed counts (d = 1, sd = 1: n = 10 gives (2.2622 + 0.8834) / √10 =
    /// 0.9947 ≤ 1, n = 9 gives 1.0650), the distance and direction of each claim kind, and no plan
    /// for a decided row, a pending one or one with a single pair.
    @Test func seedPlanCountsSeedsForEightyPercentPower() throws {
        #expect(VerdictRule.seedsForPower(distance: 1, sd: 1) == 10)
        #expect(VerdictRule.seedsForPower(distance: 0.1, sd: 0) == 2)
        #expect(VerdictRule.seedsForPower(distance: 0, sd: 1) == nil)
        #expect(VerdictRule.seedsForPower(distance: 1e-4, sd: 1) == nil, "beyond the limit")
        // Differences +0.01, +0.05, -0.03: mean +0.01, sd 0.04, not distinguishable for every direction below.
        let mixed = try #require(PairedComparison(variant: "mla", baseline: "mha", pairs: [1: (2.01, 2.0), 2: (2.05, 2.0), 3: (1.97, 2.0)]))
        let sd = try #require(mixed.stdDifference)
        #expect(abs(sd - 0.04) < 1e-12 && abs(mixed.meanDifference - 0.01) < 1e-12)
        let cases: [(ClaimDirection, Double, VerdictWord)] = [
            (.lower, 0.01, .contradicted), (.higher, 0.01, .reproduced),
            (.within(margin: 0.03), 0.02, .reproduced), (.within(margin: 0.004), 0.006, .contradicted),
        ]
        for (direction, distance, towards) in cases {
            let plan = try #require(VerdictRule.seedPlan(direction, comparison: mixed, word: .notDistinguishable))
            #expect(abs(plan.distance - distance) < 1e-12 && plan.towards == towards && plan.seedsNow == 3, "\(direction)")
            #expect(plan.seeds == VerdictRule.seedsForPower(distance: plan.distance, sd: sd))
        }
        #expect(VerdictRule.seedPlan(.lower, comparison: mixed, word: .notDistinguishable)?.rerunAll == false)
        #expect(VerdictRule.seedPlan(.lower, comparison: mixed, word: .notDistinguishable, current: false)?.rerunAll == true)
        #expect(VerdictRule.seedPlan(.lower, comparison: mixed, word: .reproduced) == nil)
        #expect(VerdictRule.seedPlan(.lower, comparison: mixed, word: nil) == nil)
        let one = try #require(PairedComparison(variant: "mla", baseline: "mha", pairs: [1: (2.0, 2.1)]))
        #expect(VerdictRule.seedPlan(.lower, comparison: one, word: .notDistinguishable) == nil)
    }

    // MARK: Verdict files

    @Test func verdictFileErrorsNameFileKeyAndExpectedValue() throws {
        let box = try VerdictBox()
        defer { box.remove() }
        try box.experiment("exp", variants: ["mha", "mla"])
        func error(_ text: String) throws -> String {
            try box.verdict("bad", text)
            do {
                _ = try loadVerdictFile(name: "bad", experimentsDirectory: box.experiments)
                return "loaded"
            } catch let e as ExperimentError { return e.description }
        }
        let file = box.experiments.appendingPathComponent("verdicts/bad.toml").path
        let unknown = try error(VerdictBox.claim(evidence: VerdictBox.row() + "colour = \"red\"\n"))
        #expect(unknown.contains("\(file): claims[0].evidence[0].colour: unknown key; expected one of protocol, experiment"), "\(unknown)")
        let wrongType = try error(VerdictBox.claim(evidence: VerdictBox.row(direction: "within") + "margin = \"small\"\n"))
        #expect(wrongType.contains("\(file): claims[0].evidence[0].margin: expected a number > 0.0 (nats per token), found string \"small\""),
                "\(wrongType)")
        let badWord = try error(VerdictBox.claim(evidence: VerdictBox.row(direction: "better")))
        #expect(badWord.contains("\(file): claims[0].evidence[0].direction: expected one of lower, higher, within, found string \"better\""))
        let missingVariant = try error(VerdictBox.claim(evidence: VerdictBox.row(variant: "mlaa")))
        #expect(missingVariant.contains("\(file): claims[0].evidence[0].variant: expected a variant of experiment \"exp\" (mha, mla), found \"mlaa\""),
                "\(missingVariant)")
        let missingKey = try error(VerdictBox.claim(evidence: VerdictBox.row().replacingOccurrences(of: "protocol = \"p\"\n", with: "")))
        #expect(missingKey.contains("\(file): claims[0].evidence[0].protocol: missing; expected a non-empty one-line string"))
        let missingExperiment = try error(VerdictBox.claim(evidence: VerdictBox.row(experiment: "nope")))
        #expect(missingExperiment.contains("\(file): claims[0].evidence[0].experiment: expected an experiment in")
                && missingExperiment.contains("found \"nope\" with no file nope.toml"))
        let cacheWithDirection = try error(VerdictBox.claim(kind: "cache", evidence: VerdictBox.row()
                                                             + "paper_variant = \"dsv2-small-mla\"\npaper_baseline = \"dsv2-small-mha\"\n"))
        #expect(cacheWithDirection.contains("claims[0].evidence[0].direction: expected no direction in a cache claim's evidence"))
        let badPreset = try error(VerdictBox.claim(kind: "cache", evidence: VerdictBox.row(direction: nil)
                                                    + "paper_variant = \"dsv2-tiny\"\npaper_baseline = \"dsv2-small-mha\"\n"))
        #expect(badPreset.contains("claims[0].evidence[0].paper_variant: expected an `attnlab kv` preset (") && badPreset.contains("found \"dsv2-tiny\""))
        let topLevel = try error("title = 3\n" + VerdictBox.claim(evidence: VerdictBox.row()).replacingOccurrences(of: "title = \"t\"\n", with: ""))
        #expect(topLevel.contains("\(file): title: expected a non-empty one-line string, found integer 3"))
        // A planned experiment with no file is pending, not an error; one with a file still has its variants checked.
        #expect(try error(VerdictBox.claim(evidence: VerdictBox.row(experiment: "later") + "planned = true\n")) == "loaded")
        let plannedTypo = try error(VerdictBox.claim(evidence: VerdictBox.row(variant: "mqa") + "planned = true\n"))
        #expect(plannedTypo.contains("claims[0].evidence[0].variant: expected a variant of experiment \"exp\" (mha, mla), found \"mqa\""))
        let ladder = VerdictBox.claim(evidence: VerdictBox.row())
            + "[ladder]\ntitle = \"l\"\nprotocol = \"p\"\nbaseline = \"mha\"\nvariants = [\"mla\"]\nexperiments = [\"exp\", \"later\"]\n"
        #expect(try error(ladder + "planned = [\"later\"]\n") == "loaded")
        #expect(try error(ladder).contains("ladder.experiments: expected an experiment in"))
        let ladderTypo = try error(ladder.replacingOccurrences(of: "[\"mla\"]", with: "[\"mlq\"]") + "planned = [\"later\"]\n")
        #expect(ladderTypo.contains("\(file): ladder.variants: expected a variant of experiment \"exp\" (mha, mla), found \"mlq\""))
        // A planned tuned experiment not written yet has its source's variants: a typo is caught now.
        let tunedTypo = try error(VerdictBox.claim(evidence: VerdictBox.row(experiment: "exp-tuned", variant: "mlaa") + "planned = true\n"))
        #expect(tunedTypo.contains("\(file): claims[0].evidence[0].variant: expected a variant of experiment \"exp-tuned\", which "
                                   + "`attnlab tune exp` writes with exp's variants (mha, mla), found \"mlaa\""), "\(tunedTypo)")
        #expect(try error(VerdictBox.claim(evidence: VerdictBox.row(experiment: "exp-tuned") + "planned = true\n")) == "loaded")
        // Rows pair by seed: an experiment whose variants also vary another key is refused.
        try (try String(contentsOf: box.experiments.appendingPathComponent("exp.toml"), encoding: .utf8))
            .replacingOccurrences(of: "\"train.seed\" = [1, 2, 3]", with: "\"optimizer.lr\" = [1e-3, 2e-3]\n\"train.seed\" = [1, 2, 3]")
            .write(to: box.experiments.appendingPathComponent("lrgrid.toml"), atomically: true, encoding: .utf8)
        let lrGrid = try error(VerdictBox.claim(evidence: VerdictBox.row(experiment: "lrgrid")))
        #expect(lrGrid.contains("experiment \"lrgrid\": expected the runs of each variant to differ only in train.seed (rows are paired "
                                + "by seed), found variant \"mha\" with 6 runs over 3 seeds"), "\(lrGrid)")
        // A verdict file that is a directory, or not UTF-8, says so (not "no such verdict file").
        let folder = box.experiments.appendingPathComponent("verdicts/dir.toml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let directory = #expect(throws: ExperimentError.self) { _ = try loadVerdictFile(name: "dir", experimentsDirectory: box.experiments) }
        #expect(directory?.description == "\(folder.path): cannot be read: it is a directory, not a file")
        try Data([0x74, 0x69, 0xFF, 0xFE, 0x0A]).write(to: box.experiments.appendingPathComponent("verdicts/bin.toml"))
        let binary = #expect(throws: ExperimentError.self) { _ = try loadVerdictFile(name: "bin", experimentsDirectory: box.experiments) }
        #expect(binary?.description.hasSuffix("bin.toml: expected UTF-8 text (a TOML verdict file), found bytes that are not valid UTF-8") == true)
    }

    /// The committed verdict file loads against the committed experiments (its planned
    /// experiments may be missing; every existing one must define the variants named).
    @Test func shippedVerdictFileLoads() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments")
        let file = try loadVerdictFile(name: "deepseek-v2", experimentsDirectory: shipped)
        #expect(file.claims.map(\.id) == ["gqa-mqa-below-mha", "mqa-below-gqa", "mla-at-least-mha", "q-compression-harmless",
                                          "mla-cache-14-and-4-percent"])
        #expect(file.ladder?.experiments.count == 3)
        for name in ["ablation-dense", "ablation-mla", "ablation-q-compression"] {
            guard case .defined? = file.experiments[name] else { Issue.record("\(name) is not defined"); continue }
        }
    }

    // MARK: Report and ladder from run files

    @Test func verdictTableAndLadderFromFixtureRuns() throws {
        let box = try VerdictBox()
        defer { box.remove() }
        // Three sizes (d_model 64, 96, 128); mla − mha: clearly positive at the smallest size, around 0 at the largest.
        let sizes: [(String, Int, [Double], [Double])] = [
            ("size64", 64, [0.10, 0.12, 0.11], [0.03, -0.01, 0.02]),
            ("size96", 96, [0.06, 0.08, 0.05], [0.02, 0.00, 0.01]),
            ("size128", 128, [0.01, -0.02, 0.005], [0.02, -0.03, 0.01]),
        ]
        for (name, width, mlaGap, gqaGap) in sizes {
            try box.experiment(name, variants: ["mha", "mla", "gqa"])
            for seed in 1...3 {
                let base = 2.0 + 0.01 * Double(seed)
                for (kind, gap) in [(AttentionKind.mha, 0.0), (.mla, mlaGap[seed - 1]), (.gqa, gqaGap[seed - 1])] {
                    try writeRun(box.results.appendingPathComponent(name), "\(kind.rawValue)-seed\(seed)", kind: kind, seed: seed,
                                 finalVal: base + gap, experiment: name) { $0.model.dModel = width }
                }
            }
        }
        // An experiment with one run unfinished: its row is pending and shows no number.
        try box.experiment("partial", variants: ["mha", "mla"])
        for seed in 1...3 {
            try writeRun(box.results.appendingPathComponent("partial"), "mha-seed\(seed)", kind: .mha, seed: seed, finalVal: 2, experiment: "partial")
            try writeRun(box.results.appendingPathComponent("partial"), "mla-seed\(seed)", kind: .mla, seed: seed, finalVal: 2.1,
                         status: seed == 3 ? .running : .finished, experiment: "partial")
        }
        let claims = VerdictBox.claim(evidence: VerdictBox.row(experiment: "size64", direction: "higher"))
            + "[[claims.evidence]]\n" + VerdictBox.row(experiment: "partial", direction: "higher")
            + "[[claims.evidence]]\n" + VerdictBox.row(experiment: "size128", direction: "within") + "margin = 0.03\n"
            + "[[claims.evidence]]\n" + VerdictBox.row(experiment: "later", direction: "lower") + "planned = true\n"
        try box.verdict("v", claims + """
            [ladder]
            title = "by size"
            protocol = "p"
            baseline = "mha"
            variants = ["gqa", "mla"]
            experiments = ["size128", "later", "size64", "size96"]
            planned = ["later"]
            """)
        let (report, paths) = try writeVerdictReport(name: "v", experimentsDirectory: box.experiments, resultsDirectory: box.results)
        #expect(paths.markdown == box.results.appendingPathComponent("verdict-v.md").path)
        let outputs = [paths.markdown, paths.json, try #require(paths.ladderPlot)]
        let first = try outputs.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let markdown = String(decoding: first[0], as: UTF8.self)

        // The interval computed here, independently: t(0.975, 2) = 4.302653.
        func interval(_ d: [Double]) -> (Double, Double, Double) {
            let mean = d.reduce(0, +) / 3, sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            let half = 4.302653 * sd / 3.0.squareRoot()
            return (mean, mean - half, mean + half)
        }
        let small = interval(sizes[0].2), large = interval(sizes[2].2)
        #expect(markdown.contains(String(format: "| size64: `mla` vs `mha` | higher than `mha` | %+.4f | [%+.4f, %+.4f] | 3 (1, 2, 3) |",
                                         small.0, small.1, small.2)))
        #expect(markdown.contains("| **reproduced** |"))
        // Every finished row says whether its gap still moved at the end (the report's gap slope).
        let row = try #require(report.claims.flatMap(\.evidence).first { $0.experiment == "size64" && $0.variant == "mla" })
        let slope = try #require(row.gapAtEnd)
        let folder = box.results.appendingPathComponent("size64")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".h5") }.sorted()
        let runs = try files.map { try RunRecord(path: folder.appendingPathComponent($0).path) }
        let experimentReport = ExperimentReport(experiment: "size64", variants: ReportVariant.group(runs, primary: "size64"))
        let gap = try #require(experimentReport.gaps.first { $0.variant == "mla" && $0.baseline == "mha" })
        #expect(slope == VerdictRule.gapAtEnd(gap))
        #expect(markdown.contains("| **\(row.outcome)** | \(slope.verdict) |"))
        // The summary (copied into README.md) repeats the row at three decimals.
        #expect(markdown.contains(String(format: "size64: `mla` vs `mha` | higher than `mha` | %+.3f [%+.3f, %+.3f] | 3 |",
                                         small.0, small.1, small.2)))
        #expect(markdown.contains("| partial: `mla` vs `mha` | higher than `mha` | - | - | **pending: 5 of 6 runs finished** |"))
        #expect(markdown.contains("| partial: `mla` vs `mha` | higher than `mha` | - | - | - | - | **pending: 5 of 6 runs finished** |"))
        #expect(markdown.contains(String(format: "| within ±0.03 of `mha` | %+.4f | [%+.4f, %+.4f] |", large.0, large.1, large.2)))
        #expect(markdown.contains("**not distinguishable at this scale** |"))
        #expect(markdown.contains("| later: `mla` vs `mha` | lower than `mha` | - | - | - | - | **pending: experiment file not written yet** |"))
        #expect(markdown.hasPrefix("# t\n\n- Regenerate this file, its JSON and its plot: `attnlab verdict v`"))
        #expect(markdown.contains(VerdictRule.statement[1]))
        let defaults = ExperimentConfig(), perStep = defaults.train.batchSize * defaults.contextLength * defaults.train.gradAccum
        #expect(markdown.contains("| size64 | all runs finished | \(grouped(defaults.train.steps)) steps × \(grouped(perStep)) tokens per step = "
                                  + "\(grouped(defaults.train.steps * perStep)) tokens"))

        // The ladder: sizes by parameters, the pending one last; the table from the run files.
        let ladder = try #require(report.ladder)
        #expect(ladder.sizes.map(\.experiment) == ["size64", "size96", "size128", "later"])
        let params = ladder.sizes.prefix(3).map { $0.parameters["mha"]! }
        #expect(params == params.sorted() && Set(params).count == 3)
        var config = ExperimentConfig()
        config.model.dModel = 64
        #expect(params[0] == config.model.parameterCount)
        let tokens = ladder.sizes[0].tokens!
        #expect(markdown.contains("| size64 | all runs finished | \(grouped(params[0])) / "))
        #expect(tokens == defaults.train.steps * perStep)
        #expect(markdown.contains("| \(grouped(tokens)) | \(fixed(Double(tokens) / Double(params[0]), 2)) | 1, 2, 3 |"))
        #expect(markdown.contains(String(format: "| %+.4f (n=3) | [%+.4f, %+.4f] |", small.0, small.1, small.2)))
        #expect(markdown.contains("| later | pending: experiment file not written yet | - |"))
        // mla: disjoint intervals, lower at the largest size; gqa: overlapping.
        #expect(ladder.trend[1].hasPrefix("`mla` − `mha`: the 95% intervals at the smallest size, size64 (")
                && ladder.trend[1].hasSuffix("do not overlap: the gap (variant − baseline) is lower at the largest size."), "\(ladder.trend)")
        #expect(ladder.trend[0].hasSuffix("overlap: no trend can be claimed."), "\(ladder.trend)")

        let svg = try parseSVG(first[2])
        #expect(svg["ladder-gap", default: []].sorted() == ["gqa", "mla"])
        #expect(svg["point", default: []].sorted() == ["gqa", "gqa", "gqa", "mla", "mla", "mla"])
        #expect(String(decoding: first[2], as: UTF8.self).contains("not plotted (pending): later"))

        // "Next runs": a plan only for the finished, undecided row; pending experiments listed.
        #expect(report.claims[0].evidence.map { $0.nextSeeds != nil } == [false, false, true, false])
        let plan = try #require(report.claims[0].evidence[2].nextSeeds)
        #expect(markdown.contains("## Next runs"))
        #expect(markdown.contains("| \(fixed(plan.sd, 4)) | 3 | \(plan.seeds.map(String.init) ?? "none up to 1000: seeds alone are not a plan") | "
                                  + "\(plan.towards.rawValue) |"))
        #expect(markdown.contains("Pending, to finish first: `partial`, `later`."))

        let json = try JSONDecoder().decode(VerdictReport.self, from: first[1])
        #expect(json == report)
        #expect(json.claims[0].evidence.map(\.verdict) == [.reproduced, nil, .notDistinguishable, nil])

        // Regenerating gives the same bytes.
        _ = try writeVerdictReport(name: "v", experimentsDirectory: box.experiments, resultsDirectory: box.results)
        #expect(try outputs.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == first)
    }

    @Test func cacheClaimShowsBothRatiosAndNoVerdict() throws {
        let box = try VerdictBox()
        defer { box.remove() }
        try box.experiment("exp", variants: ["mha", "mla"])
        for kind in [AttentionKind.mha, .mla] {
            try writeRun(box.results.appendingPathComponent("exp"), "\(kind.rawValue)-seed1", kind: kind, seed: 1, finalVal: 2, experiment: "exp")
        }
        try box.verdict("c", VerdictBox.claim(kind: "cache", evidence: VerdictBox.row(direction: nil)
                                               + "paper_variant = \"dsv2-small-mla\"\npaper_baseline = \"dsv2-small-mha\"\n"))
        let (report, paths) = try writeVerdictReport(name: "c", experimentsDirectory: box.experiments, resultsDirectory: box.results)
        #expect(paths.ladderPlot == nil)
        let figure = try #require(report.claims.first?.cache.first)
        var mha = ExperimentConfig().model, mla = mha
        mla.attention.kind = .mla
        #expect(figure.ratio == Double(mla.kvElementsPerToken) / Double(mha.kvElementsPerToken))
        #expect(figure.paperRatio == 15_552.0 / 110_592.0)
        #expect(report.claims[0].evidence.isEmpty)
        let markdown = try String(contentsOfFile: paths.markdown, encoding: .utf8)
        #expect(markdown.contains("| \(percent(figure.ratio!)) | dsv2-small-mla: (512 + 64) × 27 = 15,552; dsv2-small-mha: 2 × 16 × 128 × 27 = 110,592 | 14.1% |"))
        #expect(markdown.contains("the head counts differ (\(mha.attention.nHeads) here, 16 in the paper)"))
    }
}

/// A scratch experiments directory (with `verdicts/`) and results directory.
private struct VerdictBox {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-verdict-\(UUID().uuidString)")
    var experiments: URL { root.appendingPathComponent("experiments") }
    var results: URL { root.appendingPathComponent("results") }

    init() throws {
        try FileManager.default.createDirectory(at: experiments.appendingPathComponent("verdicts"), withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// experiments/NAME.toml: the given variants (kind = name when it is one), seeds 1-3, 60 steps of 8 x 128 tokens.
    func experiment(_ name: String, variants: [String]) throws {
        let text = "description = \"verdict fixture \(name)\"\n[train]\nsteps = 60\nbatch_size = 8\n[grid]\n\"train.seed\" = [1, 2, 3]\n"
            + variants.map { "[[variants]]\nname = \"\($0)\"\nset = { \"model.attention.kind\" = \"\($0)\" }\n" }.joined()
        try text.write(to: experiments.appendingPathComponent(name + ".toml"), atomically: true, encoding: .utf8)
    }

    func verdict(_ name: String, _ text: String) throws {
        try text.write(to: experiments.appendingPathComponent("verdicts/\(name).toml"), atomically: true, encoding: .utf8)
    }

    /// A file with one claim whose first evidence row is `evidence`.
    static func claim(kind: String = "loss", evidence: String) -> String {
        "title = \"t\"\npaper = \"p\"\n[[claims]]\nid = \"c\"\nclaim = \"text\"\nsource = \"Table 8\"\nkind = \"\(kind)\"\n[[claims.evidence]]\n" + evidence
    }

    static func row(experiment: String = "exp", variant: String = "mla", direction: String? = "lower") -> String {
        "protocol = \"p\"\nexperiment = \"\(experiment)\"\nvariant = \"\(variant)\"\nbaseline = \"mha\"\n"
            + (direction.map { "direction = \"\($0)\"\n" } ?? "")
    }
}
