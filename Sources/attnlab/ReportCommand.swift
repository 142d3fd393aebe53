import ArgumentParser
import AttnLab
import Foundation

/// `attnlab report NAME`: the experiment's report (Markdown, JSON, two SVG plots) from its run
/// files alone. Parsing only; statistics and rendering live in the library.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write results/NAME.md, NAME.json and its SVG plots from results/NAME/*.h5.",
        discussion: """
            Runs that differ only in train.seed are grouped into variants; each variant gets mean ± std \
            over seeds, and each is compared with the MHA variant by a paired t-test over shared seeds \
            and by its loss gap over training (NAME-gap.svg). For NAME-tuned (written by `attnlab tune NAME`) \
            the report adds the tuning from results/NAME-tune/ (NAME-tuned-lr.svg) and, when results/NAME/ \
            has runs, the same variants at one shared lr as a secondary table. Only the runs an experiment \
            in the experiments directory defines are counted; other files in its folder are named as ignored \
            (a folder without an experiment file counts all). A tuning grid NAME-tune is refused: its report \
            is the one `attnlab tune` writes. The output depends only on the run files, so regenerating it gives identical bytes.
            """)

    @Argument(help: "Experiment name (a folder under the results directory).") var name: String
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @Option(help: ArgumentHelp("Markdown file to write (default: <results>/NAME.md); the JSON and plots go beside it.", valueName: "file"))
    var out: String?
    @Option(help: ArgumentHelp("Also show the runs of this experiment as extra variants (repeatable).", valueName: "name"))
    var include: [String] = []
    @OptionGroup var experiments: ExperimentsOption

    func run() throws {
        let paths = try writeExperimentReport(experiment: name, resultsDirectory: URL(fileURLWithPath: results), markdownPath: out,
                                              including: include, experimentsDirectory: experiments.url)
        print(try String(contentsOfFile: paths.markdown, encoding: .utf8), terminator: "")
        let plots = [paths.lossPlot, paths.paretoPlot] + [paths.gapPlot, paths.learningRatePlot].compactMap { $0 }
        print("\nreport: \(paths.markdown)\ndata:   \(paths.json)\nplots:  \(plots.joined(separator: ", "))")
        try failIfUnreadable(paths.unreadable)
    }
}
