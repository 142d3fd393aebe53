import ArgumentParser
import AttnLab
import Foundation

/// `attnlab eval RUN.h5`: loss of a trained checkpoint on any text its tokenizer can read.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's checkpoint (loss, bits per byte/char) without training.")
    @Argument(help: "A run file with a checkpoint.") var file: String
    @Option(help: ArgumentHelp("Text file to evaluate on (default: the run's own data).", valueName: "path")) var data: String?
    @Option(help: "Which split of the data: train or val.") var split: EvaluationSplit = .val
    @Option(help: "Tokens to evaluate (0 = the whole split).") var tokens = 0
    @Option(help: ArgumentHelp("Directory of downloaded corpora.", valueName: "dir")) var dataDir = "data"

    func validate() throws {
        try checkOption("--tokens", tokens, in: 0...Int.max)
    }

    func run() throws {
        let result = try evaluateCheckpoint(path: file, textPath: data, split: split, maxTokens: tokens, dataDirectory: dataDir)
        print(result.description)
    }
}
