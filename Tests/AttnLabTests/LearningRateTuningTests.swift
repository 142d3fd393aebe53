@testable import AttnLab
import Foundation
import Testing

/// Learning-rate tuning: the fit, the `[tune]` table, the generated experiments, the gap over
/// training, and `attnlab tune` end to end at tiny size.
@Suite struct LearningRateTuningTests {
    /// Points of y = c + k (ln lr − ln lr*)² at the given learning rates, one seed each.
    static func parabola(_ lrs: [Double], optimum: Double, k: Double = 0.3, c: Double = 2) -> [LearningRatePoint] {
        lrs.map { LearningRatePoint(lr: $0, losses: [c + k * pow(log($0) - log(optimum), 2)]) }
    }

    // MARK: the fit

    @Test func aSyntheticParabolaGivesBackItsOptimum() throws {
        let lrs = [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2]
        let fit = LearningRateFit(points: Self.parabola(lrs, optimum: 3.3e-3))
        #expect(fit.flag == nil)
        let chosen = try #require(fit.chosen)
        #expect(abs(log(chosen) - log(3.3e-3)) < 1e-9, "chosen \(chosen)")
        #expect(abs(try #require(fit.rSquared) - 1) < 1e-12)
        #expect(abs(try #require(fit.predictedLoss(3.3e-3)) - 2) < 1e-9)
    }

    @Test func aBestPointAtTheGridsEdgeIsFlaggedWithTheDirectionWhateverTheParabolaSays() throws {
        // A minimum beyond the top of the grid: the best point is the highest lr.
        let up = LearningRateFit(points: Self.parabola([1e-3, 2e-3, 4e-3, 8e-3], optimum: 5e-2))
        #expect(up.flag == .bestAtUpperEdge && up.flag?.rawValue == "best at the grid's upper edge: widen the grid upward")
        #expect(up.chosen == 8e-3)
        #expect(abs(log(try #require(up.fittedOptimum)) - log(5e-2)) < 1e-6)
        // And below the bottom.
        let down = LearningRateFit(points: Self.parabola([1e-2, 2e-2, 4e-2, 8e-2], optimum: 1e-3))
        #expect(down.flag == .bestAtLowerEdge && down.flag?.rawValue == "best at the grid's lower edge: widen the grid downward")
        #expect(down.chosen == 1e-2)
        // The trial's reproducers: tiny-tune's MHA (fitted optimum 0.027 inside the grid, but the
        // lowest loss at its top), lr_min 2e-3 .. lr_max 5e-2 (losses still falling, parabola
        // minimum below the best measured lr), and a grid entirely too low (concave).
        let tiny = zip([1e-3, 3e-3, 1e-2, 3e-2], [3.95, 3.62, 3.4417, 3.4272]).map { LearningRatePoint(lr: $0, losses: [$1]) }
        #expect(LearningRateFit(points: tiny).flag == .bestAtUpperEdge && LearningRateFit(points: tiny).chosen == 3e-2)
        let falling = zip([2e-3, 5.85e-3, 1.71e-2, 5e-2], [4.15, 3.95, 3.6645, 3.4542]).map { LearningRatePoint(lr: $0, losses: [$1]) }
        #expect(LearningRateFit(points: falling).flag == .bestAtUpperEdge && LearningRateFit(points: falling).chosen == 5e-2)
        let low = zip([1e-4, 2e-4, 4e-4, 8e-4], [5.2, 5.0, 4.7, 4.2]).map { LearningRatePoint(lr: $0, losses: [$1]) }
        #expect(LearningRateFit(points: low).flag == .bestAtUpperEdge && LearningRateFit(points: low).chosen == 8e-4)
        // A best point at an edge with too few usable points says the direction too.
        let few = LearningRateFit(points: [LearningRatePoint(lr: 1e-3, losses: [2.0]), LearningRatePoint(lr: 1e-2, losses: [2.5])])
        #expect(few.flag == .bestAtLowerEdge && few.chosen == 1e-3)
    }

    @Test func aMinimumOutsideTheGridWithAnInteriorBestPointIsFlagged() throws {
        // The top lr diverged: the best usable point (8e-3) is not the grid's edge, but the
        // parabola through the usable points has its minimum beyond them.
        var points = Self.parabola([1e-3, 2e-3, 4e-3, 8e-3], optimum: 5e-2)
        points.append(LearningRatePoint(lr: 1.6e-2, losses: [], excluded: ["seed 0: diverged at step 4"]))
        let fit = LearningRateFit(points: points)
        #expect(fit.flag == .optimumOutsideGrid)
        #expect(fit.chosen == 8e-3)
    }

    @Test func aConcaveFitIsFlagged() {
        var points = Self.parabola([1e-3, 3e-3, 1e-2, 3e-2], optimum: 5e-3, k: -0.2)
        points.append(LearningRatePoint(lr: 0.1, losses: [], excluded: ["seed 0: diverged at step 2"]))
        let fit = LearningRateFit(points: points)
        #expect(fit.flag == .concave)
        #expect(fit.fittedOptimum == nil)
        // The lowest loss of a downward parabola is at an end of the usable points.
        #expect(fit.chosen == 3e-2)
        #expect(fit.predictedLoss(0.1) != nil, "the parabola exists; the report leaves its column empty for left-out points")
    }

    @Test func aParabolaThatMissesTheBestPointIsFlagged() throws {
        // A smooth bowl with one interior point well below it: R² stays high, the minimum is
        // inside the grid, but the parabola passes far above the best point.
        var points = Self.parabola([1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2], optimum: 5e-3, k: 0.3)
        points[3].losses = [points[3].losses[0] - 0.15]
        let fit = LearningRateFit(points: points)
        #expect(try #require(fit.rSquared) >= LearningRateFit.minimumRSquared)
        let best = try #require(fit.bestGridPoint)
        #expect(best.lr == 8e-3)
        #expect(abs(try #require(fit.predictedLoss(best.lr)) - best.meanLoss!) > LearningRateFit.bestPointTolerance)
        #expect(fit.flag == .missesBestPoint && fit.chosen == 8e-3)
    }

    @Test func aPoorFitIsFlagged() throws {
        let losses = [3.0, 2.0, 3.0, 2.0, 3.0, 2.1]
        let points = zip([1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2], losses).map { LearningRatePoint(lr: $0, losses: [$1]) }
        let fit = LearningRateFit(points: points)
        #expect(try #require(fit.rSquared) < LearningRateFit.minimumRSquared)
        #expect(fit.flag == .poorFit || fit.flag == .concave)
        #expect(fit.chosen == 2e-3)
    }

    @Test func divergedPointsAreLeftOutOfTheFit() throws {
        var points = Self.parabola([1e-3, 2e-3, 4e-3, 8e-3], optimum: 3e-3)
        points.append(LearningRatePoint(lr: 3.2e-2, losses: [], excluded: ["seed 1: diverged at step 12"]))
        let fit = LearningRateFit(points: points)
        #expect(fit.points.count == 5 && fit.usable.count == 4)
        #expect(fit.flag == nil)
        #expect(abs(log(try #require(fit.chosen)) - log(3e-3)) < 1e-9)
        #expect(fit.points.last?.excluded == ["seed 1: diverged at step 12"])
    }

    @Test func fewerThanThreePointsAreFlagged() {
        let fit = LearningRateFit(points: [LearningRatePoint(lr: 1e-3, losses: [3.0]), LearningRatePoint(lr: 1e-2, losses: [2.5, 2.7]),
                                           LearningRatePoint(lr: 1e-1, losses: [], excluded: ["seed 1: diverged at step 3"])])
        #expect(fit.flag == .tooFewPoints)
        #expect(fit.a == nil)
        #expect(fit.chosen == 1e-2)
        #expect(LearningRateFit(points: []).chosen == nil)
    }

    @Test func runNamesLoseTheirLearningRatePart() {
        #expect(LearningRateTuningReport.nameWithoutLearningRate("mla-lr0.003-seed2") == "mla-seed2")
        #expect(LearningRateTuningReport.nameWithoutLearningRate("lr5e-05-seed1") == "seed1")
        #expect(LearningRateTuningReport.nameWithoutLearningRate("gqa2-lr1e-05") == "gqa2")
        #expect(LearningRateTuningReport.nameWithoutLearningRate("lrx-seed1") == "lrx-seed1")
    }

    // MARK: the gap over training

    @Test func gapSlopeOverTheLastQuarter() throws {
        let steps = Array(stride(from: 10, through: 400, by: 10))
        // Two seeds closing at 0.5 and 0.7 nats per 1000 steps, with a small wiggle.
        let curves = [0.5, 0.7].map { rate in steps.map { 0.2 - rate * Double($0) / 1000 + 0.001 * sin(Double($0)) } }
        let slope = GapSlope(curve: "validation", steps: steps, curves: curves)
        #expect(slope.fromStep == 300 && slope.toStep == 400 && slope.points == 11)
        #expect(abs(try #require(slope.perThousandSteps) + 0.6) < 0.02)
        #expect(slope.method == "t over 2 seeds")
        #expect(slope.verdict == "still moving" || slope.verdict == "flat within noise")
        // With one seed the regression's own interval is shown, but it treats autocorrelated
        // points as independent: no verdict, even for a clean trend.
        let one = GapSlope(curve: "training", steps: steps, curves: [curves[0]])
        #expect(one.verdict == GapSlope.oneSeedVerdict && one.method.hasPrefix("regression on one seed"))
        let (low, high) = (try #require(one.ciLow), try #require(one.ciHigh))
        #expect(low < -0.5 + 0.02 && high > -0.5 - 0.02)
        // A flat noisy gap over two seeds is flat within noise.
        let flat = GapSlope(curve: "training", steps: steps, curves: [1.7, 2.3].map { f in steps.map { 0.1 + 0.01 * sin(Double($0) * f) } })
        #expect(flat.verdict == "flat within noise")
        // Eval every 100 of 400 steps: two points in the last quarter, no slope invented.
        let sparse = GapSlope(curve: "validation", steps: [100, 200, 300, 400], curves: [[0.3, 0.2, 0.15, 0.1]])
        #expect(sparse.perThousandSteps == nil && sparse.verdict.hasPrefix("too few eval points (2 in the last quarter"))
    }

    // MARK: the [tune] table

    @Test func tuneTableIsParsedInheritedAndKeptOutOfRunConfigs() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("plain", "[grid]\n\"train.seed\" = [1, 2]", kinds: ["mha", "mla"])
        try box.file("spaced", "base = \"plain\"\n[tune]\nlr_min = 1e-3\nlr_max = 0.1\npoints = 5\nsteps = 10")
        let plain = try box.load("plain"), spaced = try box.load("spaced")
        #expect(plain.tuning == nil)
        let tuning = try #require(spaced.tuning)
        #expect(tuning.learningRates == [0.001, 0.00316, 0.01, 0.0316, 0.1])
        #expect(tuning.steps == 10 && tuning.seeds == TuningSettings.defaultSeeds && TuningSettings.defaultSeeds == [0])
        // The table is experiment-level: every run's resolved config is the same without it.
        #expect(plain.runs.map(\.config) == spaced.runs.map(\.config))
        #expect(plain.runs.map(\.variant) == ["mha", "mha", "mla", "mla"])

        try box.file("child", "base = \"spaced\"\n[tune]\nseeds = [3, 1]")
        let child = try #require(try box.load("child").tuning)
        #expect(child.learningRates == tuning.learningRates && child.steps == 10 && child.seeds == [1, 3])
    }

    @Test func badTuneTablesNameFileKeyAndExpectation() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let cases: [(String, String)] = [
            ("[tune]\nlr = [1e-3, 1e-2]", "spec.toml: tune.lr: expected 3 to 64 learning rates (a parabola needs three), found 2"),
            ("[tune]\nlr = [1e-3, 1e-2, -1.0]", "spec.toml: tune.lr[2]: expected a number > 0.0, found -1.0"),
            ("[tune]\nlr = [1e-3, 1e-2, 1e-1]\nlr_min = 1e-3", "spec.toml: tune.lr: expected either lr = [...] or lr_min, lr_max and points, found both (lr_min too)"),
            ("[tune]\nlr_min = 1e-3\nlr_max = 1e-2", "spec.toml: tune: expected lr_min, lr_max and points together, found no points"),
            ("[tune]\nlr_min = 1e-2\nlr_max = 1e-3\npoints = 3", "spec.toml: tune.lr_max: expected a number > lr_min (0.01), found 0.001"),
            ("[tune]\nlr = [1e-3, 1e-2, 1e-1]\nrate = 2", "spec.toml: tune.rate: unknown key; [tune] accepts lr, lr_min, lr_max, points, steps, seeds"),
            ("[tune]\nlr = [1e-3, 1e-2, 1e-1]\nsteps = 0", "spec.toml: tune.steps: expected an integer in [1, 2147483648], found 0"),
            ("[tune]\nlr = [1e-3, 1e-2, 1e-1]\nseeds = [1, 1]", "spec.toml: tune.seeds: expected distinct seeds, found [1, 1]"),
            ("tune = 3", "spec.toml: tune: expected a [tune] table (lr or lr_min/lr_max/points, steps, seeds), found 3"),
        ]
        try box.experiment("b")
        for (extra, message) in cases {
            try box.file("spec", "base = \"b\"\n" + extra)
            let error = try #require(throws: ExperimentError.self) { try box.load("spec") }
            #expect(error.messages.contains { $0.hasSuffix(message) }, "\(extra): got \(error.messages)")
        }
    }

    @Test func generatedExperimentsLoadAndRefuseGridsTheyCannotTune() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("base", "[grid]\n\"train.seed\" = [1, 2]\n[tune]\nlr = [1e-3, 3e-3, 1e-2]\nsteps = 10\nseeds = [4]", kinds: ["mha", "mla"])
        let experiment = try box.load("base")
        try experiment.tuningExperimentTOML().write(to: box.experiments.appendingPathComponent("base-tune.toml"), atomically: true, encoding: .utf8)
        let tune = try box.load("base-tune")
        #expect(tune.runs.map(\.name) == ["mha-lr0.001-seed4", "mha-lr0.003-seed4", "mha-lr0.01-seed4",
                                          "mla-lr0.001-seed4", "mla-lr0.003-seed4", "mla-lr0.01-seed4"])
        #expect(tune.runs.allSatisfy { $0.config.train.steps == 10 })
        #expect(tune.runs.map(\.config.optimizer.lr) == [1e-3, 3e-3, 1e-2, 1e-3, 3e-3, 1e-2])

        let tuned = try experiment.tunedExperimentTOML([
            TunedLearningRate(variant: "mha", lr: 0.0031622776, notes: ["mha: fitted"]),
            TunedLearningRate(variant: "mla", lr: 0.001, notes: ["mla: flagged"]),
        ])
        #expect(tuned.contains("# mha: fitted\n[[variants]]\nname = \"mha\"\nset = { \"model.attention.kind\" = \"mha\", \"optimizer.lr\" = 0.00316 }"))
        try tuned.write(to: box.experiments.appendingPathComponent("base-tuned.toml"), atomically: true, encoding: .utf8)
        let loaded = try box.load("base-tuned")
        #expect(loaded.runs.map(\.name) == ["mha-seed1", "mha-seed2", "mla-seed1", "mla-seed2"])
        #expect(loaded.runs.map(\.config.optimizer.lr) == [0.00316, 0.00316, 0.001, 0.001])
        #expect(loaded.runs.map(\.config.train.steps) == experiment.runs.map(\.config.train.steps))
        #expect(throws: ExperimentError.self) { try experiment.tunedExperimentTOML([TunedLearningRate(variant: "mha", lr: 1e-3, notes: [])]) }

        try box.experiment("wide", "[grid]\n\"model.d_model\" = [32, 64]\n[tune]\nlr = [1e-3, 3e-3, 1e-2]")
        let error = try #require(throws: ExperimentError.self) { try box.load("wide").tuningExperimentTOML() }
        #expect(error.description.contains("wide.toml: grid.model.d_model: expected a grid over train.seed only"))
        try box.experiment("none")
        #expect(throws: ExperimentError.self) { try box.load("none").tuningExperimentTOML() }
    }

    // MARK: end to end

    /// `attnlab tune` at tiny size: grid, fit, tuning report and plot, the tuned experiment, its
    /// sweep and report with the tuning and gap plots; a second tune trains nothing and writes
    /// the same files; an edited generated file is refused without --force.
    @Test func tuneRunsEndToEnd() throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("ttbase", kinds: ["mha", "mla"])
        try box.file("tt", "base = \"ttbase\"\n[train]\nsteps = 16\n[eval]\nevery = 4\n[grid]\n\"train.seed\" = [1, 2]\n"
                     + "[tune]\nlr = [3e-3, 1e-2, 3e-2]\nsteps = 12")
        let options = TuneOptions(experiment: "tt", experimentsDirectory: box.experiments, resultsDirectory: box.results,
                                  jobs: 2, executable: exe.path, cores: 2)
        // --dry-run: the grid, the file it would write and each run's state; nothing written or trained.
        var plan: [String] = []
        try describeLearningRateTuning(options) { plan.append($0) }
        #expect(plan.contains("grid: lr 0.003, 0.01, 0.03 (3) x seeds 0, 12 steps per run ([tune] steps)"))
        #expect(plan.contains { $0.hasSuffix("tt-tune.toml: would be written") })
        #expect(plan.filter { $0.hasSuffix("  train") }.count == 6 && plan.last == "6 tuning runs: 6 to train, 0 finished (skipped)")
        #expect(plan.contains { $0.hasSuffix("tt-tuned.toml: written once every tuning run has finished") })
        #expect(!FileManager.default.fileExists(atPath: box.experiments.appendingPathComponent("tt-tune.toml").path))
        #expect(!FileManager.default.fileExists(atPath: box.results.appendingPathComponent("tt-tune").path))

        var lines: [String] = []
        let outcome = try runLearningRateTuning(options) { lines.append($0) }
        #expect(outcome.exitCode == 0, "\(lines.joined(separator: "\n"))")
        plan = []
        try describeLearningRateTuning(options) { plan.append($0) }
        #expect(plan.contains { $0.hasSuffix("tt-tune.toml: unchanged") })
        #expect(plan.filter { $0.hasSuffix("  skip (finished)") }.count == 6 && plan.last == "6 tuning runs: 0 to train, 6 finished (skipped)")
        #expect(plan.contains { $0.hasSuffix("tt-tuned.toml: unchanged") }, "the dry run fits the finished grid read-only")
        let tunedFile = box.experiments.appendingPathComponent("tt-tuned.toml").path
        let generatedTuned = try String(contentsOfFile: tunedFile, encoding: .utf8)
        try generatedTuned.replacingOccurrences(of: "optimizer.lr", with: "optimizer.lr ").write(toFile: tunedFile, atomically: true, encoding: .utf8)
        plan = []
        try describeLearningRateTuning(options) { plan.append($0) }
        #expect(plan.contains { $0.hasSuffix("tt-tuned.toml: differs from what the fit gives now; `attnlab tune` refuses to replace it without --force") })
        try generatedTuned.write(toFile: tunedFile, atomically: true, encoding: .utf8)
        let generatedTune = try String(contentsOfFile: outcome.tuningExperimentPath, encoding: .utf8)
        try ("# edited\n" + generatedTune).write(toFile: outcome.tuningExperimentPath, atomically: true, encoding: .utf8)
        plan = []
        try describeLearningRateTuning(options) { plan.append($0) }
        #expect(plan.contains { $0.hasSuffix("tt-tune.toml: differs from what would be written; `attnlab tune` refuses to replace it without --force") })
        try generatedTune.write(toFile: outcome.tuningExperimentPath, atomically: true, encoding: .utf8)
        #expect(outcome.sweep.finished.count == 6)
        let tuning = try #require(outcome.tuning)
        #expect(tuning.variants.map(\.variant) == ["mha", "mla"])
        #expect(tuning.variants.allSatisfy { $0.fit.points.count == 3 && $0.fit.chosen != nil && $0.steps == 12 })
        let paths = try #require(outcome.reportPaths)
        let generated = [outcome.tuningExperimentPath, try #require(outcome.tunedExperimentPath), paths.markdown, paths.json, paths.plot]
        let first = try generated.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        // 12-step runs are never tested for spikes: the stability column says so, not a clean bill.
        let tuningText = String(decoding: first[2], as: UTF8.self)
        #expect(tuningText.contains("|  | spikes not tested (seed 0: 12 ≤ 50 steps) |"))
        #expect(tuningText.contains("6 tuning runs were too short to be tested for spikes"))
        #expect(String(decoding: first[4], as: UTF8.self).contains("class=\"mean\" data-variant=\"mla\""))
        // The legend lists only the marks that occur: every tuning run finished, so no cross.
        #expect(tuning.variants.allSatisfy { $0.fit.usable.count == $0.fit.points.count })
        #expect(!String(decoding: first[4], as: UTF8.self).contains("× all runs left out"))
        #expect(String(decoding: first[4], as: UTF8.self).contains("dashed ◇") == tuning.variants.contains { $0.fit.flag != nil })

        let tuned = try box.load("tt-tuned")
        for v in tuning.variants {
            let lr = roundedToThreeSignificantDigits(try #require(v.fit.chosen))
            #expect(tuned.runs.filter { $0.variant == v.variant }.allSatisfy { $0.config.optimizer.lr == lr })
        }

        var again: [String] = []
        let second = try runLearningRateTuning(options) { again.append($0) }
        #expect(second.sweep.skipped.count == 6 && second.sweep.finished.isEmpty)
        #expect(try generated.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == first)

        let sweep = try runSweep(SweepOptions(experiment: "tt-tuned", experimentsDirectory: box.experiments, resultsDirectory: box.results,
                                              jobs: 2, executable: exe.path, cores: 2)) { _ in }
        #expect(sweep.exitCode == 0 && sweep.finished.count == 4)
        // Tuning again now points at the report, not at training what is trained.
        #expect(again.contains { $0.contains("(0 of 4 runs finished); train it with `attnlab sweep tt-tuned") })
        var afterSweep: [String] = []
        _ = try runLearningRateTuning(options) { afterSweep.append($0) }
        #expect(afterSweep.last?.hasSuffix("tt-tuned.toml; its 4 runs are all finished: `attnlab report tt-tuned --experiments "
                                           + "\(box.experiments.path) --results \(box.results.path)`") == true, "\(afterSweep)")
        let report = try writeExperimentReport(experiment: "tt-tuned", resultsDirectory: box.results)
        let markdown = try String(contentsOfFile: report.markdown, encoding: .utf8)
        #expect(markdown.contains("## Learning-rate tuning (`tt-tune`)") && markdown.contains("](tt-tuned-lr.svg)"))
        #expect(markdown.contains("## Gap to MHA (`mha`) over training") && markdown.contains("](tt-tuned-gap.svg)"))
        #expect(!markdown.contains("## Secondary"), "no results/tt/ yet")
        #expect(markdown.contains("the same variants at one shared lr: not available, run `attnlab sweep tt` for them."))
        #expect(markdown.contains("- Read from: 4 run files (4 finished), `tt-tuned/*.h5` in the results folder; "
                                  + "the tuning section from `tt-tune/*.h5`; nothing else"))
        #expect(markdown.contains("- Token budget: 16 steps × "), "the headline runs' budget")
        #expect(markdown.contains("tt at each variant's tuned lr (generated by attnlab tune)"))
        // Flagged lrs are marked in the headline table, and the tuning's resolution is stated.
        #expect(markdown.contains(" † |") == tuning.variants.contains { $0.fit.flag != nil })
        #expect(markdown.contains("Each tuning grid point is the loss of 1 tuning seed per lr"))
        // The next steps printed by tune repeat the folder options it was given.
        #expect(lines.contains { $0.contains("`attnlab sweep tt-tuned --experiments \(box.experiments.path) --results \(box.results.path)`") })
        // The tuning grid's own report is the tuning report: `report` refuses to overwrite it.
        let refused = try #require(throws: ExperimentError.self) { try writeExperimentReport(experiment: "tt-tune", resultsDirectory: box.results) }
        #expect(refused.description.contains("attnlab tune tt") && refused.description.contains("attnlab report tt-tuned"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: paths.markdown)) == first[2], "the tuning report is untouched")
        // Generated experiments are not tuned again (they inherit [tune] through base).
        let generatedRefused = try #require(throws: ExperimentError.self) {
            var t = options
            t.experiment = "tt-tuned"
            _ = try runLearningRateTuning(t) { _ in }
        }
        #expect(generatedRefused.description.contains("tt-tuned.toml: expected an experiment of your own"))
        #expect(!FileManager.default.fileExists(atPath: box.experiments.appendingPathComponent("tt-tuned-tune.toml").path))
        let gapPlot = try String(contentsOfFile: try #require(report.gapPlot), encoding: .utf8)
        #expect(gapPlot.contains("class=\"val-gap\" data-variant=\"mla\"") && gapPlot.contains("class=\"gap-band\""))
        #expect(FileManager.default.fileExists(atPath: try #require(report.learningRatePlot)))

        // With the untuned runs present the report adds them as the secondary, same-lr table.
        let untuned = try runSweep(SweepOptions(experiment: "tt", experimentsDirectory: box.experiments, resultsDirectory: box.results,
                                                jobs: 2, executable: exe.path, cores: 2)) { _ in }
        #expect(untuned.exitCode == 0)
        let full = try String(contentsOfFile: try writeExperimentReport(experiment: "tt-tuned", resultsDirectory: box.results).markdown,
                              encoding: .utf8)
        #expect(full.contains("## Secondary: the same variants at one shared learning rate (`tt`)"))
        #expect(full.contains("| mha | mha | 0.01 |"), "the secondary table shows the shared lr")

        // A file left from another grid is not fitted, and is named; `report --experiments` ignores it too.
        let tuneFolder = box.results.appendingPathComponent("tt-tune")
        try FileManager.default.copyItem(at: tuneFolder.appendingPathComponent("mha-lr0.003-seed0.h5"),
                                         to: tuneFolder.appendingPathComponent("mha-lr0.001-seed0.h5"))
        let withLeftover = try runLearningRateTuning(options) { _ in }
        #expect(withLeftover.tuning?.variants.allSatisfy { $0.fit.points.count == 3 } == true)
        #expect(withLeftover.tuning == tuning)
        let tuningMarkdown = try String(contentsOfFile: paths.markdown, encoding: .utf8)
        #expect(tuningMarkdown.contains("- Ignored: 1 run file in `tt-tune/` that the current `[tune]` grid does not define: `mha-lr0.001-seed0.h5`"))
        let tunedReport = try String(contentsOfFile: try writeExperimentReport(experiment: "tt-tuned", resultsDirectory: box.results,
                                                                               experimentsDirectory: box.experiments).markdown, encoding: .utf8)
        #expect(tunedReport.contains("- Ignored: 1 run file that the experiments do not define (left from an earlier grid): `tt-tune/mha-lr0.001-seed0.h5`"))
        #expect(tunedReport.contains("| mha | 0.003 – 0.03 (3) |"))
        try FileManager.default.removeItem(at: tuneFolder.appendingPathComponent("mha-lr0.001-seed0.h5"))

        // A tuning budget the experiment cannot run is refused before any file is written, naming
        // the user's file and tune.steps.
        try box.file("short", "base = \"tt\"\n[schedule]\nwarmup_steps = 5\n[tune]\nsteps = 2")
        var short = options
        short.experiment = "short"
        let invalid = try #require(throws: ExperimentError.self) { _ = try runLearningRateTuning(short) { _ in } }
        #expect(invalid.description.hasPrefix("\(box.experiments.appendingPathComponent("short.toml").path): tune.steps = 2: "))
        #expect(invalid.description.contains("schedule.warmup_steps"))
        #expect(!FileManager.default.fileExists(atPath: box.experiments.appendingPathComponent("short-tune.toml").path))

        // After a change of tune.steps, --force still writes nothing while the old runs are in
        // the way, and says which folder to clear.
        let ttText = try String(contentsOf: box.experiments.appendingPathComponent("tt.toml"), encoding: .utf8)
        try ttText.replacingOccurrences(of: "steps = 12", with: "steps = 10").write(to: box.experiments.appendingPathComponent("tt.toml"),
                                                                                     atomically: true, encoding: .utf8)
        var forcedSteps = options
        forcedSteps.force = true
        let obsolete = try #require(throws: ExperimentError.self) { _ = try runLearningRateTuning(forcedSteps) { _ in } }
        #expect(obsolete.description.contains("was written by a different configuration"))
        #expect(obsolete.description.contains("nothing was written or trained") && obsolete.description.contains("tune.steps")
                && obsolete.description.contains(tuneFolder.path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: outcome.tuningExperimentPath)) == first[0], "tt-tune.toml untouched")
        try ttText.write(to: box.experiments.appendingPathComponent("tt.toml"), atomically: true, encoding: .utf8)

        try "# edited\n".write(toFile: outcome.tuningExperimentPath, atomically: true, encoding: .utf8)
        #expect(throws: ExperimentError.self) { try runLearningRateTuning(options) { _ in } }
        var forced = options
        forced.force = true
        #expect(try runLearningRateTuning(forced) { _ in }.sweep.skipped.count == 6)
    }
}

extension TrainingSandbox {
    /// Writes experiments/NAME.toml with exactly `text`.
    func file(_ name: String, _ text: String) throws {
        try (text + "\n").write(to: experiments.appendingPathComponent(name + ".toml"), atomically: true, encoding: .utf8)
    }
}
