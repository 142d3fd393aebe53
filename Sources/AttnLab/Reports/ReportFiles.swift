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
    public init(experiment: String, runPaths: [String], stem: String, including: [String] = []) throws {
        let runs = try runPaths.sorted().map { try ReportRun(path: $0) }
        let variants = ReportVariant.group(runs, primary: experiment)
        report = ExperimentReport(experiment: experiment, variants: variants, including: including)
        markdown = ReportMarkdown.render(report, lossPlot: stem + "-loss.svg", paretoPlot: stem + "-pareto.svg")
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
}

/// Reads `<results>/<experiment>/*.h5` and writes `<results>/<experiment>.md` (or `markdownPath`)
/// with the JSON and the two SVG plots beside it, named after the Markdown file.
/// `including` adds the runs of other experiments (as extra variants, named `experiment/variant`),
/// for comparisons and Pareto fronts that span experiments.
public func writeExperimentReport(experiment: String, resultsDirectory: URL, markdownPath: String? = nil,
                                  including: [String] = []) throws -> ReportPaths {
    var files: [String] = []
    for name in [experiment] + including {
        let dir = resultsDirectory.appendingPathComponent(name)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            throw RunFileError("\(dir.path): no such results folder; run `attnlab sweep \(name)` first")
        }
        let found = names.filter { $0.hasSuffix(".h5") }.sorted().map { dir.appendingPathComponent($0).path }
        guard !found.isEmpty else { throw RunFileError("\(dir.path): no .h5 run files") }
        files += found
    }
    let md = URL(fileURLWithPath: markdownPath ?? resultsDirectory.appendingPathComponent(experiment + ".md").path)
    let stem = md.deletingPathExtension().lastPathComponent
    let folder = md.deletingLastPathComponent()
    let rendered = try RenderedReport(experiment: experiment, runPaths: files, stem: stem)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let paths = ReportPaths(markdown: md.path, json: folder.appendingPathComponent(stem + ".json").path,
                            lossPlot: folder.appendingPathComponent(stem + "-loss.svg").path,
                            paretoPlot: folder.appendingPathComponent(stem + "-pareto.svg").path)
    for (text, path) in [(rendered.markdown, paths.markdown), (rendered.json, paths.json),
                         (rendered.lossSVG, paths.lossPlot), (rendered.paretoSVG, paths.paretoPlot)] {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return paths
}
