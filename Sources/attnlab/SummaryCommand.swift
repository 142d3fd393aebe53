import ArgumentParser
import AttnLab
import Foundation

/// `attnlab summary NAME`: the results table of an experiment, from its run files only.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Write results/NAME/summary.md from the experiment's HDF5 run files.")
    @Argument(help: "Experiment name (a folder under the results directory).") var name: String
    @Option(help: ArgumentHelp("Results directory.", valueName: "dir")) var results = "results"

    func run() throws {
        let table = try writeExperimentSummary(experiment: name, resultsDirectory: URL(fileURLWithPath: results))
        print(try String(contentsOfFile: table.path, encoding: .utf8), terminator: "")
        print("\ntable: \(table.path)")
        try failIfUnreadable(table.unreadable)
    }
}
