import Foundation

/// The four texts of an experiment report, rendered but not yet written.
public struct RenderedReport: Sendable {
    public var report: ExperimentReport
    public var markdown: String
    public var json: String
    public var lossSVG: String
    public var paretoSVG: String

    /// Reads the run files and renders everything; `stem` names the plots the Markdown links to
    /// ("NAME" gives NAME-loss.svg and NAME-pareto.svg beside the Markdown).
    public init(experiment: String, runs: [RunRecord], stem: String, including: [String] = [],
                unreadable: [UnreadableRunFile] = []) throws {
        let variants = ReportVariant.group(runs, primary: experiment)
        report = ExperimentReport(experiment: experiment, variants: variants, including: including)
        markdown = ReportMarkdown.render(report, lossPlot: stem + "-loss.svg", paretoPlot: stem + "-pareto.svg")
            + unreadableNote(unreadable)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A diverged run's last loss may be NaN; JSON has no literal for it.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        json = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
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
    /// Run files left out because they could not be read (named in the Markdown too).
    public var unreadable: [UnreadableRunFile]
}

/// Reads `<results>/<experiment>/*.h5` and writes `<results>/<experiment>.md` (or `markdownPath`)
/// with the JSON and the two SVG plots beside it, named after the Markdown file.
/// `including` adds the runs of other experiments (as extra variants, named `experiment/variant`),
/// for comparisons and Pareto fronts that span experiments.
public func writeExperimentReport(experiment: String, resultsDirectory: URL, markdownPath: String? = nil,
                                  including: [String] = []) throws -> ReportPaths {
    let (runs, unreadable) = try readRunFolders([experiment] + including, resultsDirectory: resultsDirectory, hint: "attnlab sweep") {
        try RunRecord(path: $0)
    }
    let md = URL(fileURLWithPath: markdownPath ?? resultsDirectory.appendingPathComponent(experiment + ".md").path)
    let stem = md.deletingPathExtension().lastPathComponent
    let folder = md.deletingLastPathComponent()
    let rendered = try RenderedReport(experiment: experiment, runs: runs, stem: stem, unreadable: unreadable)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let paths = ReportPaths(markdown: md.path, json: folder.appendingPathComponent(stem + ".json").path,
                            lossPlot: folder.appendingPathComponent(stem + "-loss.svg").path,
                            paretoPlot: folder.appendingPathComponent(stem + "-pareto.svg").path, unreadable: unreadable)
    for (text, path) in [(rendered.markdown, paths.markdown), (rendered.json, paths.json),
                         (rendered.lossSVG, paths.lossPlot), (rendered.paretoSVG, paths.paretoPlot)] {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return paths
}
