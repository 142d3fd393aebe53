import ArgumentParser
import AttnLab
import Foundation

/// `attnlab inspect RUN.h5`: what a run file holds, without training.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Summarise a run file: config, status, final losses, curve lengths, stability diagnostics.")
    @Argument(help: "A run file written by attnlab run.") var file: String
    @Flag(help: "Also print the resolved config.") var config = false

    func run() throws {
        for line in try RunInspection.lines(path: file, config: config) { print(line) }
    }
}
