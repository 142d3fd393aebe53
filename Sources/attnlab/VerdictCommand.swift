import ArgumentParser
import AttnLab
import Foundation

/// `attnlab verdict NAME`: the verdict table and size ladder of a verdict file from the run files
/// alone. Parsing only; the rule, statistics and rendering live in the library.
struct VerdictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Write results/verdict-NAME.md, .json and -ladder.svg from experiments/verdicts/NAME.toml and the run files.",
        discussion: """
            Each claim's evidence row pairs a variant's finished runs with its baseline's by seed and judges the 95% \
            interval of the final validation loss difference (reproduced / contradicted / not distinguishable at this \
            scale); an experiment whose runs have not all finished is pending. Cache claims show AttnLab's Table-1 \
            figure beside the paper's. The [ladder] plots each variant's gap against the baseline's parameter count. \
            Reads run files only; the same files give identical bytes.
            """)

    @Argument(help: "Verdict file name (experiments/verdicts/NAME.toml).") var name: String
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"
    @OptionGroup var experiments: ExperimentsOption

    func run() throws {
        let (_, paths) = try writeVerdictReport(name: name, experimentsDirectory: experiments.url,
                                                resultsDirectory: URL(fileURLWithPath: results))
        print(([paths.markdown, paths.json] + [paths.ladderPlot].compactMap { $0 }).map { "wrote \($0)" }.joined(separator: "\n"))
    }
}
