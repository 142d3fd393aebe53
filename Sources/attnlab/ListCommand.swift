import ArgumentParser
import AttnLab

/// `attnlab list`: the experiments that `attnlab run NAME` accepts.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the experiments in the experiments directory with their descriptions.")

    @OptionGroup var experiments: ExperimentsOption

    func run() throws {
        let summaries = try listExperiments(directory: experiments.url)
        let width = summaries.map(\.name.count).max() ?? 0
        for summary in summaries {
            let name = summary.name + String(repeating: " ", count: width - summary.name.count)
            if let problem = summary.problem {
                // One line per experiment; `show NAME` prints every problem.
                let first = problem.split(separator: "\n").first.map(String.init) ?? problem
                print("\(name)  INVALID: \(first)")
            } else {
                print("\(name)  \(summary.description)")
            }
        }
    }
}
