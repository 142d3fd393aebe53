import Foundation

/// The four texts of an experiment report, rendered but not yet written.
public struct RenderedReport: Sendable {
    public var report: ExperimentReport
    public var markdown: String
    public var json: String
    public var lossSVG: String
    public var paretoSVG: String
    /// The gap-over-training plot; nil without a baseline and another variant sharing a seed.
    public var gapSVG: String?
    /// The tuning plot of a tuned experiment; nil otherwise.
    public var learningRateSVG: String?

    /// Reads the run files and renders everything; `stem` names the plots the Markdown links to
    /// ("NAME" gives NAME-loss.svg, NAME-pareto.svg, NAME-gap.svg and NAME-lr.svg beside the Markdown).
    /// `tuningRuns` (the `NAME-tune` runs) and `sameLearningRateRuns` (the `NAME` runs) make the
    /// report of a tuned experiment `NAME-tuned`.
    public init(experiment: String, runs: [RunRecord], stem: String, including: [String] = [],
                unreadable: [UnreadableRunFile] = [], tuningRuns: (experiment: String, runs: [RunRecord])? = nil,
                sameLearningRateRuns: (experiment: String, runs: [RunRecord])? = nil) throws {
        let variants = ReportVariant.group(runs, primary: experiment)
        let tuning = tuningRuns.map { LearningRateTuningReport(experiment: $0.experiment, runs: $0.runs) }
        let same = sameLearningRateRuns.map { SameLearningRateComparison(experiment: $0.experiment, runs: $0.runs) }
        report = ExperimentReport(experiment: experiment, variants: variants, including: including, tuning: tuning,
                                  sameLearningRate: same)
        let colours = Dictionary(variants.enumerated().map { ($1.name, plotPalette[$0 % plotPalette.count]) },
                                 uniquingKeysWith: { first, _ in first })
        gapSVG = report.gaps.isEmpty ? nil : TrainingGapPlot.svg(report.gaps, colours: colours)
        learningRateSVG = tuning.map(LearningRatePlot.svg)
        markdown = ReportMarkdown.render(report, lossPlot: stem + "-loss.svg", paretoPlot: stem + "-pareto.svg",
                                         gapPlot: gapSVG == nil ? nil : stem + "-gap.svg",
                                         learningRatePlot: tuning == nil ? nil : stem + "-lr.svg")
            + unreadableNote(unreadable)
        json = try reportJSON(report)
        lossSVG = LossCurvePlot.svg(variants)
        paretoSVG = ParetoPlot.svg(report.variants)
    }
}

/// Where `writeExperimentReport` put its files.
public struct ReportPaths: Sendable {
    public var markdown: String
    public var json: String
    public var lossPlot: String
    public var paretoPlot: String
    /// Written only when the report has them (see `RenderedReport`).
    public var gapPlot: String?
    public var learningRatePlot: String?
    /// Run files left out because they could not be read (named in the Markdown too).
    public var unreadable: [UnreadableRunFile]
}

/// Reads `<results>/<experiment>/*.h5` and writes `<results>/<experiment>.md` (or `markdownPath`)
/// with the JSON and the two SVG plots beside it, named after the Markdown file.
/// `including` adds the runs of other experiments (as extra variants, named `experiment/variant`),
/// for comparisons and Pareto fronts that span experiments.
/// An experiment named `NAME-tuned` (written by `attnlab tune NAME`) also gets the tuning section
/// from `<results>/NAME-tune/` and, when `<results>/NAME/` holds runs, the same-lr secondary table.
public func writeExperimentReport(experiment: String, resultsDirectory: URL, markdownPath: String? = nil,
                                  including: [String] = []) throws -> ReportPaths {
    let (runs, unreadable) = try readRunFolders([experiment] + including, resultsDirectory: resultsDirectory, hint: "attnlab sweep") {
        try RunRecord(path: $0)
    }
    var tuningRuns: (String, [RunRecord])?, sameRuns: (String, [RunRecord])?
    var left = unreadable
    if let source = tunedExperimentSource(experiment) {
        for (name, slot) in [(source + tuningExperimentSuffix, 0), (source, 1)] {
            guard let found = try? readRunFolders([name], resultsDirectory: resultsDirectory, hint: "attnlab tune", { try RunRecord(path: $0) })
            else { continue }
            left += found.unreadable
            if slot == 0 { tuningRuns = (name, found.runs) } else { sameRuns = (name, found.runs) }
        }
    }
    let md = URL(fileURLWithPath: markdownPath ?? resultsDirectory.appendingPathComponent(experiment + ".md").path)
    let stem = md.deletingPathExtension().lastPathComponent
    let folder = md.deletingLastPathComponent()
    let rendered = try RenderedReport(experiment: experiment, runs: runs, stem: stem, including: including, unreadable: left,
                                      tuningRuns: tuningRuns, sameLearningRateRuns: sameRuns)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    func path(_ suffix: String) -> String { folder.appendingPathComponent(stem + suffix).path }
    let paths = ReportPaths(markdown: md.path, json: path(".json"), lossPlot: path("-loss.svg"), paretoPlot: path("-pareto.svg"),
                            gapPlot: rendered.gapSVG == nil ? nil : path("-gap.svg"),
                            learningRatePlot: rendered.learningRateSVG == nil ? nil : path("-lr.svg"), unreadable: left)
    var files = [(rendered.markdown, paths.markdown), (rendered.json, paths.json),
                 (rendered.lossSVG, paths.lossPlot), (rendered.paretoSVG, paths.paretoPlot)]
    if let svg = rendered.gapSVG, let p = paths.gapPlot { files.append((svg, p)) }
    if let svg = rendered.learningRateSVG, let p = paths.learningRatePlot { files.append((svg, p)) }
    for (text, path) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return paths
}

/// `NAME` for `NAME-tuned`, else nil.
func tunedExperimentSource(_ experiment: String) -> String? {
    experiment.hasSuffix(tunedExperimentSuffix) && experiment.count > tunedExperimentSuffix.count
        ? String(experiment.dropLast(tunedExperimentSuffix.count)) : nil
}

/// Where `writeLearningRateTuningReport` put its files.
public struct TuningReportPaths: Sendable {
    public var markdown: String
    public var json: String
    public var plot: String
    public var unreadable: [UnreadableRunFile]
}

/// Reads `<results>/<experiment>/*.h5` (the runs of a tuning experiment `NAME-tune`) and writes
/// `<results>/<experiment>.md`, `.json` and `<experiment>-lr.svg`: each variant's grid, fit and
/// chosen lr. Returns the fits with the paths.
public func writeLearningRateTuningReport(experiment: String, resultsDirectory: URL) throws
    -> (report: LearningRateTuningReport, paths: TuningReportPaths)
{
    let (runs, unreadable) = try readRunFolders([experiment], resultsDirectory: resultsDirectory, hint: "attnlab tune") {
        try RunRecord(path: $0)
    }
    let report = LearningRateTuningReport(experiment: experiment, runs: runs)
    func path(_ suffix: String) -> String { resultsDirectory.appendingPathComponent(experiment + suffix).path }
    let paths = TuningReportPaths(markdown: path(".md"), json: path(".json"), plot: path("-lr.svg"), unreadable: unreadable)
    let source = experiment.hasSuffix(tuningExperimentSuffix) ? String(experiment.dropLast(tuningExperimentSuffix.count)) : experiment
    let markdown = (["# \(experiment): learning-rate tuning", "",
                     "- Written by `attnlab tune \(source)` from the run files in `\(experiment)/` alone; the chosen "
                     + "learning rates are in the generated experiment `\(source)\(tunedExperimentSuffix)`.",
                     "- Read from: \(runs.count) run files (\(runs.filter { $0.status == .finished }.count) finished)", ""]
                    + report.markdown(plot: experiment + "-lr.svg")).joined(separator: "\n") + unreadableNote(unreadable)
    try FileManager.default.createDirectory(at: resultsDirectory, withIntermediateDirectories: true)
    for (text, p) in [(markdown, paths.markdown), (try reportJSON(report), paths.json), (LearningRatePlot.svg(report), paths.plot)] {
        try text.write(toFile: p, atomically: true, encoding: .utf8)
    }
    return (report, paths)
}

/// Pretty, key-sorted JSON with a final newline; NaN and infinities as strings (JSON has no
/// literal for them, and a diverged run's last loss may be one).
func reportJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}
