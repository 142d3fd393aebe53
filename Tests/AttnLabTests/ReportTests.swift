import AttnLab
import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ReportTests {
    // MARK: Student t

    @Test func studentTPValuesMatchPublishedValues() {
        #expect(abs(StudentT.twoSidedP(2.0, df: 5) - 0.1019) < 1e-4)
        #expect(abs(StudentT.twoSidedP(1.0, df: 10) - 0.3409) < 1e-4)
        #expect(abs(StudentT.twoSidedP(3.0, df: 2) - 0.0955) < 1e-4)
        #expect(abs(StudentT.twoSidedP(-2.0, df: 5) - 0.1019) < 1e-4)
        #expect(StudentT.cdf(0, df: 7) == 0.5)
        // df = 1 is the Cauchy distribution: P(T <= 1) = 3/4 exactly.
        #expect(abs(StudentT.cdf(1, df: 1) - 0.75) < 1e-12)
        #expect(abs(StudentT.cdf(-1, df: 1) - 0.25) < 1e-12)
    }

    @Test func studentTQuantilesMatchTables() {
        let table: [(Double, Double)] = [(1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281), (30, 2.0423)]
        for (df, t) in table { #expect(abs(StudentT.quantile(0.975, df: df) - t) < 1e-4, "df \(df)") }
        #expect(abs(StudentT.quantile(0.975, df: 1e7) - 1.959964) < 1e-5)
        #expect(abs(StudentT.quantile(0.025, df: 5) + 2.5706) < 1e-4)
    }

    @Test func incompleteBetaMatchesClosedForms() {
        // I_x(1, 1) = x and I_x(2, 1) = x^2.
        #expect(abs(StudentT.regularizedIncompleteBeta(a: 1, b: 1, x: 0.3) - 0.3) < 1e-12)
        #expect(abs(StudentT.regularizedIncompleteBeta(a: 2, b: 1, x: 0.7) - 0.49) < 1e-12)
    }

    // MARK: Paired comparison

    @Test func pairedIntervalMatchesHandComputation() throws {
        // Differences 0.1, 0.3, 0.2, 0.4: mean 0.25, sd sqrt(0.05 / 3) = 0.1290994,
        // half-width t(0.975, 3) * sd / 2 = 3.182446 * 0.0645497 = 0.205426; t = 3.872983,
        // p = 0.030466 (scipy.stats.t.sf).
        let pairs: [Int: (Double, Double)] = [1: (2.1, 2.0), 2: (2.3, 2.0), 3: (2.2, 2.0), 4: (2.4, 2.0)]
        let c = try #require(PairedComparison(variant: "mla", baseline: "mha", pairs: pairs))
        #expect(c.n == 4)
        #expect(c.seeds == [1, 2, 3, 4])
        #expect(abs(c.meanDifference - 0.25) < 1e-12)
        #expect(abs(try #require(c.stdDifference) - 0.1290994) < 1e-6)
        #expect(abs(try #require(c.ciLow) - (0.25 - 0.205426)) < 1e-5)
        #expect(abs(try #require(c.ciHigh) - (0.25 + 0.205426)) < 1e-5)
        #expect(abs(try #require(c.t) - 3.872983) < 1e-5)
        #expect(abs(try #require(c.p) - 0.030466) < 1e-5)
        #expect(abs(PairedComparison.halfWidth95(std: 0.1290994, n: 4) - 0.205426) < 1e-5)
    }

    @Test func singlePairHasNoInterval() throws {
        let c = try #require(PairedComparison(variant: "gqa", baseline: "mha", pairs: [7: (3.0, 2.5)]))
        #expect(c.n == 1 && c.ciLow == nil && c.p == nil && c.meanDifference == 0.5)
        #expect(PairedComparison(variant: "gqa", baseline: "mha", pairs: [:]) == nil)
    }

    @Test func sampleSummaryAndMedian() throws {
        let s = try #require(SampleSummary([1, 2, 3, 4]))
        #expect(s.mean == 2.5 && s.n == 4 && s.min == 1 && s.max == 4)
        #expect(abs(try #require(s.std) - (5.0 / 3).squareRoot()) < 1e-12)
        #expect(SampleSummary([5])?.std == nil)
        #expect(median([3, 1, 2]) == 2 && median([4, 1, 3, 2]) == 2.5 && median([]) == nil)
    }

    // MARK: Grouping

    @Test func seedPartIsRemovedFromRunNames() {
        #expect(VariantGrouping.nameWithoutSeed("mla-seed2") == "mla")
        #expect(VariantGrouping.nameWithoutSeed("seed3") == "")
        #expect(VariantGrouping.nameWithoutSeed("mla-seed12-lr0.01") == "mla-lr0.01")
        #expect(VariantGrouping.nameWithoutSeed("seedling") == "seedling")
        #expect(VariantGrouping.nameWithoutSeed("main") == "main")
    }

    @Test func runsDifferingOnlyInSeedShareAVariant() {
        func config(_ kind: AttentionKind, seed: Int, rank: Int = 64) -> ExperimentConfig {
            var c = ExperimentConfig()
            c.model.attention.kind = kind
            c.model.attention.kvLoraRank = rank
            c.train.seed = seed
            return c
        }
        let runs: [(name: String, config: ExperimentConfig)] = [
            ("mla-seed1", config(.mla, seed: 1)), ("mha-seed1", config(.mha, seed: 1)),
            ("mla-seed2", config(.mla, seed: 2)), ("mha-seed2", config(.mha, seed: 2)),
            ("seed1", config(.mla, seed: 1, rank: 32)), ("seed2", config(.mla, seed: 2, rank: 32)),
        ]
        let groups = VariantGrouping.group(runs, fallback: { "kind\($0)" })
        #expect(groups.map(\.name) == ["mla", "mha", "kind4"])
        #expect(groups.map(\.members) == [[0, 2], [1, 3], [4, 5]])
        #expect(VariantGrouping.key(config(.mla, seed: 1)) == VariantGrouping.key(config(.mla, seed: 9)))
        #expect(VariantGrouping.key(config(.mla, seed: 1)) != VariantGrouping.key(config(.mla, seed: 1, rank: 32)))
    }

    /// Reproducer: study-attention's MHA tuning runs at lr 1e-3 to 8e-3 were trained at 2 threads
    /// and those at 5e-4 and 1.6e-2 at 1 (sweeps with another `--jobs`); the tuning report split
    /// them into "mha" and "mha#2" and `tune` picked MHA's lr from the two-point group. What does
    /// not make another run (`runIdentity`) must not make another variant either, and everything
    /// that does must: the grouping, the sweep's plan and manifests agree on each key.
    @Test func variantsAndRunsAgreeOnWhatMakesAnotherRun() {
        func config(_ kind: AttentionKind, _ edit: (inout ExperimentConfig) -> Void = { _ in }) -> ExperimentConfig {
            var c = ExperimentConfig()
            c.model.attention.kind = kind
            c.train.seed = 1
            edit(&c)
            return c
        }
        let cases: [(kind: AttentionKind, edit: (inout ExperimentConfig) -> Void, same: Bool)] = [
            (.mha, { $0.train.threads = 2 }, true),
            (.gla, { $0.train.threads = 3 }, true),
            (.mha, { $0.model.attention.latentNormEps = 1e-3 }, true),
            (.gta, { $0.model.attention.latentNormEps = 1e-3 }, true),
            // GLA normalises its latent heads with latent_norm_eps: another eps is another run.
            (.gla, { $0.model.attention.latentNormEps = 1e-3 }, false),
            (.mla, { $0.model.attention.latentNormEps = 1e-3 }, false),
            (.mha, { $0.optimizer.lr = 0.5 }, false),
            (.mha, { $0.train.steps += 1 }, false),
        ]
        for (kind, edit, same) in cases {
            let (a, b) = (config(kind), config(kind, edit))
            let grouped = VariantGrouping.group([("x-seed1", a), ("x-seed2", b)], fallback: { "v\($0)" })
            #expect((grouped.count == 1) == same, "\(kind): \(grouped.map(\.name))")
            #expect(sameRunConfig(a, b) == same, "\(kind)")
            #expect((RunManifest.configHash(a) == RunManifest.configHash(b)) == same, "\(kind)")
            #expect(runConfigDifferences(stored: a, now: b).isEmpty == same, "\(kind)")
        }
    }

    /// Two seeds of one run name trained with different keys (here GLA's latent_norm_eps, set with
    /// `--set` for one of them) are two variants, and the report says what tells them apart
    /// (a fresh-user trial saw "gla" and "gla#2" with no word why); runs that differ only in
    /// their thread count stay one variant and get no such line.
    @Test func reportNamesWhatSplitsRunsOfOneName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-split-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runsDir = dir.appendingPathComponent("synth")
        for seed in [1, 2] {
            try writeRun(runsDir, "mha-seed\(seed)", kind: .mha, seed: seed, finalVal: 2.5) { $0.train.threads = seed }
            try writeRun(runsDir, "gla-seed\(seed)", kind: .gla, seed: seed, finalVal: 2.4) {
                if seed == 2 { $0.model.attention.latentNormEps = 1e-3 }
            }
        }
        let paths = try writeExperimentReport(experiment: "synth", resultsDirectory: dir)
        let markdown = try String(contentsOfFile: paths.markdown, encoding: .utf8)
        let report = try JSONDecoder().decode(ExperimentReport.self, from: Data(contentsOf: URL(fileURLWithPath: paths.json)))
        #expect(report.variants.map(\.name).sorted() == ["gla", "gla#2", "mha"])
        #expect(report.splitVariants == ["`gla#2` (gla-seed2.h5) differs from `gla` in model.attention.latent_norm_eps: 0.001 here, 1e-06 there"])
        #expect(markdown.contains("**Runs of one name with different configurations**"))
        for seed in [1, 2] { try FileManager.default.removeItem(at: runsDir.appendingPathComponent("gla-seed\(seed).h5")) }
        let plain = try writeExperimentReport(experiment: "synth", resultsDirectory: dir)
        let again = try JSONDecoder().decode(ExperimentReport.self, from: Data(contentsOf: URL(fileURLWithPath: plain.json)))
        #expect(again.splitVariants == nil && again.variants.map(\.name) == ["mha"])
        #expect(!(try String(contentsOf: URL(fileURLWithPath: plain.json), encoding: .utf8)).contains("splitVariants"))
    }

    @Test func paretoFrontKeepsOnlyUndominatedPoints() {
        let points: [(x: Double, y: Double)] = [(512, 4.45), (128, 4.54), (256, 4.55), (160, 4.50), (128, 4.60)]
        #expect(ParetoPlot.front(points) == [1, 3, 0])
    }

    // MARK: Reports from run files

    @Test func reportFromSyntheticRunFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runsDir = dir.appendingPathComponent("synth")
        let mhaLoss: [Int: Double] = [1: 2.50, 2: 2.56, 3: 2.47]
        let mlaLoss: [Int: Double] = [1: 2.45, 2: 2.53, 3: 2.46]
        for (seed, loss) in mhaLoss { try writeRun(runsDir, "mha-seed\(seed)", kind: .mha, seed: seed, finalVal: loss) }
        for (seed, loss) in mlaLoss { try writeRun(runsDir, "mla-seed\(seed)", kind: .mla, seed: seed, finalVal: loss) }
        // An interrupted seed is listed but stays out of the statistics.
        try writeRun(runsDir, "mla-seed4", kind: .mla, seed: 4, finalVal: 9.0, status: .interrupted)

        let paths = try writeExperimentReport(experiment: "synth", resultsDirectory: dir)
        #expect(paths.markdown == dir.appendingPathComponent("synth.md").path)
        let markdown = try String(contentsOfFile: paths.markdown, encoding: .utf8)
        let first = try [paths.markdown, paths.json, paths.lossPlot, paths.paretoPlot].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        // Mean and sample std (n - 1) computed here, independently of the report's code.
        func cell(_ losses: [Int: Double]) -> String {
            let v = Array(losses.values), mean = v.reduce(0, +) / Double(v.count)
            let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
            return String(format: "%.4f ± %.4f (n=%d)", mean, std, v.count)
        }
        #expect(markdown.contains("| mha | mha | "))
        #expect(markdown.contains(cell(mhaLoss)), "MHA val loss cell \(cell(mhaLoss)) missing")
        #expect(markdown.contains(cell(mlaLoss)), "MLA val loss cell \(cell(mlaLoss)) missing")
        #expect(markdown.contains("`attnlab report synth`") && markdown.contains("`attnlab sweep synth --jobs 2`"))
        #expect(markdown.contains("](synth-loss.svg)") && markdown.contains("](synth-pareto.svg)"))
        #expect(markdown.contains("| mla-seed4.h5 | mla-seed4 | mla | 4 | interrupted |"))
        #expect(markdown.contains("15,552 (15.6K)") && markdown.contains("14.1%"))
        // Tokens/s is 2000 in every logged row; a step is 16 x 128 tokens: 1024 ms.
        #expect(markdown.contains("| 2000 | 1024.0 |"))

        // Paired differences by seed; t(0.975, 2) = 4.302653 from printed tables.
        let diffs = [1, 2, 3].map { mlaLoss[$0]! - mhaLoss[$0]! }
        let dMean = diffs.reduce(0, +) / 3
        let dStd = (diffs.map { ($0 - dMean) * ($0 - dMean) }.reduce(0, +) / 2).squareRoot()
        let half = 4.302653 * dStd / 3.0.squareRoot()
        #expect(markdown.contains(String(format: "| mla | 1, 2, 3 | 3 | %+.4f | [%+.4f, %+.4f] |", dMean, dMean - half, dMean + half)))

        let json = try JSONDecoder().decode(ExperimentReport.self, from: first[1])
        #expect(json.variants.map(\.name) == ["mha", "mla"])
        #expect(json.variants[1].seeds == [1, 2, 3])
        #expect(abs(try #require(json.variants[1].finalValLoss?.mean) - mlaLoss.values.reduce(0, +) / 3) < 1e-12)
        #expect(json.comparisons.count == 1 && json.comparisons[0].n == 3)
        #expect(json.variants[1].kvRatioToMHA == Double(json.variants[1].kvElementsPerToken) / Double(json.variants[0].kvElementsPerToken))

        // Regenerating from the same files gives the same bytes.
        _ = try writeExperimentReport(experiment: "synth", resultsDirectory: dir)
        let second = try [paths.markdown, paths.json, paths.lossPlot, paths.paretoPlot].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(first == second)

        for (svg, series) in [(first[2], "val-mean"), (first[3], "point")] {
            let found = try parseSVG(svg)
            #expect(found[series, default: []].sorted() == ["mha", "mla"], "one \(series) per variant")
        }
        #expect(try parseSVG(first[2])["train-mean", default: []].sorted() == ["mha", "mla"])
    }

    /// A seed whose baseline diverged or is unfinished is named with the reason in the paired
    /// comparison, the variants table and the stability section, not "no seed shared".
    @Test func divergedAndUnfinishedSeedsAreNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runsDir = dir.appendingPathComponent("synth")
        try writeRun(runsDir, "mha-seed1", kind: .mha, seed: 1, finalVal: 2.5, status: .diverged, statusStep: 7)
        try writeRun(runsDir, "mha-seed2", kind: .mha, seed: 2, finalVal: 2.5, status: .running)
        for seed in [1, 2] { try writeRun(runsDir, "mla-seed\(seed)", kind: .mla, seed: seed, finalVal: 2.4) }
        let markdown = try String(contentsOfFile: try writeExperimentReport(experiment: "synth", resultsDirectory: dir).markdown, encoding: .utf8)
        #expect(markdown.contains("| mla | - | 0 | - | seed 1: `mha` diverged at step 7; seed 2: `mha` unfinished: running at step 20 | - | - |"))
        #expect(!markdown.contains("no seed shared"))
        #expect(markdown.contains("Not in these figures: `mha` seed 1: diverged at step 7; `mha` seed 2: unfinished: running at step 20."))
        #expect(markdown.contains("Diverged (non-finite loss or gradient norm; left out of every statistic): `mha-seed1` at step 7."))
        #expect(markdown.contains("- BLAS core: TestCore (1 thread)\n"))

        // With one shared seed, the unpaired ones are listed under the table.
        try writeRun(runsDir, "mha-seed3", kind: .mha, seed: 3, finalVal: 2.5)
        try writeRun(runsDir, "mla-seed3", kind: .mla, seed: 3, finalVal: 2.4)
        let again = try String(contentsOfFile: try writeExperimentReport(experiment: "synth", resultsDirectory: dir).markdown, encoding: .utf8)
        #expect(again.contains("| mla | 3 | 1 | -0.1000 | n < 2: no interval | - | - |"))
        #expect(again.contains("Seeds left out of the pairing: `mla` seed 1 (`mha` diverged at step 7); `mla` seed 2 (`mha` unfinished: running at step 20)."))
    }

    @Test func missingResultsFolderIsAnError() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-report-none-\(UUID().uuidString)")
        #expect(throws: RunFileError.self) { try writeExperimentReport(experiment: "nothing", resultsDirectory: dir) }
    }
}

/// Writes a run file with fixed curves ending in `finalVal`, as a finished training run would,
/// of `experiment` with `configure` applied to its config (shared with `VerdictTests`).
func writeRun(_ dir: URL, _ name: String, kind: AttentionKind, seed: Int, finalVal: Double,
              status: RunStatus = .finished, statusStep: Int = 20, experiment: String = "synth",
              configure: (inout ExperimentConfig) -> Void = { _ in }) throws {
    var config = ExperimentConfig()
    config.description = "synthetic runs for ReportTests"
    config.model.attention.kind = kind
    config.train.seed = seed
    configure(&config)
    let metadata = RunMetadata(experiment: experiment, runName: name, configTOML: config.canonicalTOML(), seed: seed,
                               tokenizer: "byte", dataDescription: "synthetic", threads: 1, blasCore: "TestCore", blasThreads: 1)
    let path = dir.appendingPathComponent(name + ".h5").path
    let lock = try RunFileLock.acquire(for: path)
    defer { lock.release() }
    let writer = try RunWriter.create(path: path, lock: lock, metadata: metadata,
                                      model: config.model, contextLength: 128, parameters: [],
                                      evalColumns: ["loss", "bits_per_byte"], periodicWindows: 4, saveWeights: false, flushSeconds: 100)
    for step in 1...20 {
        let loss = finalVal + Double(20 - step) * 0.1
        try writer.log(TrainRecord(step: step, loss: loss, lr: 1e-3, gradNorm: 1, tokensPerSecond: 2000,
                                   elapsed: Double(step), activationBytes: 1_048_576, peakRSSBytes: 50 * 1_048_576))
        if step % 10 == 0 { try writer.logEval(step: step, values: [loss + 0.01 * Double(20 - step), loss / log(2)]) }
    }
    try writer.setStatus(status, step: statusStep)
    try writer.close()
}

/// Variant names (`data-variant`) of the SVG's elements by class; throws if the XML is malformed
/// (shared with `VerdictTests`).
func parseSVG(_ data: Data) throws -> [String: [String]] {
    final class Collector: NSObject, XMLParserDelegate {
        var byClass: [String: [String]] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if let c = attributes["class"], let v = attributes["data-variant"] { byClass[c, default: []].append(v) }
        }
    }
    let parser = XMLParser(data: data)
    let collector = Collector()
    parser.delegate = collector
    guard parser.parse() else { throw RunFileError("SVG is not well-formed XML: \(String(describing: parser.parserError))") }
    return collector.byClass
}
