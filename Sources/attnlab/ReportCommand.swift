import ArgumentParser
import AttnLab
import Foundation

/// `attnlab report NAME`: the experiment's report (Markdown, JSON, two SVG plots) from its run
/// files alone. Parsing only; statistics and rendering live in the library.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write results/NAME.md, NAME.json, NAME-loss.svg and NAME-pareto.svg from results/NAME/*.h5.",
        discussion: """
            Runs that differ only in train.seed are grouped into variants; each variant gets mean ± std \
            over seeds, and each is compared with the MHA variant by a paired t-test over shared seeds. \
            The output depends only on the run files, so regenerating it gives identical bytes.
            """)

    @Argument(help: "Experiment name (a folder under the results directory).") var name: String
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Markdown file to write (default: <results>/NAME.md); the JSON and plots go beside it.", valueName: "file"))
    var out: String?
    @Option(help: ArgumentHelp("Also show the runs of this experiment as extra variants (repeatable).", valueName: "name"))
    var include: [String] = []

    func run() throws {
        let paths = try writeExperimentReport(experiment: name, resultsDirectory: URL(fileURLWithPath: results), markdownPath: out, including: include)
        print(try String(contentsOfFile: paths.markdown, encoding: .utf8), terminator: "")
        print("\nreport: \(paths.markdown)\ndata:   \(paths.json)\nplots:  \(paths.lossPlot), \(paths.paretoPlot)")
        try failIfUnreadable(paths.unreadable)
    }
}
