import ArgumentParser
import AttnLab
import Foundation

/// `attnlab eval RUN.h5`: loss of a trained checkpoint on the run's validation set (reproducing
/// its stored final evaluation) or on any text its tokenizer can read.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's checkpoint (loss, bits per byte/char) without training; on the run's own validation split it reproduces the stored final evaluation.")
    @Argument(help: "A run file with a checkpoint.") var file: String
    @Option(help: ArgumentHelp("Text file to evaluate on (default: the run's own data).", valueName: "path")) var data: String?
    @Option(help: "Which split of the data: train or val.") var split: EvaluationSplit = .val
    @Option(parsing: .unconditional, help: "Evaluate only the first windows covering this many tokens (0 = the whole split).") var tokens = 0
    @Option(help: ArgumentHelp("Directory of downloaded corpora.", valueName: "dir")) var dataDir = "data"
    @Option(help: ArgumentHelp("Instead of evaluating, write the checkpoint's logits for --text as JSON to this file.", valueName: "file"))
    var dumpLogits: String?
    @Option(help: "Text whose logits --dump-logits writes (encoded with the run's tokenizer).") var text: String?
    @Flag(help: "With --dump-logits: compute the logits one token at a time through a KV cache, as generate decodes.") var cached = false
    @Option(name: [.customLong("latent-decode"), .customLong("mla-mode")], help: "With --cached: the latent attentions' (MLA, GLA) decoding path, naive or absorbed (default absorbed).")
    var latentDecode: LatentDecodeMode?

    func validate() throws {
        try checkOption("--tokens", tokens, in: 0...Int.max)
        try checkOption("--text", text ?? "(none)", (text == nil) == (dumpLogits == nil), expected: "--text and --dump-logits together")
        if text?.isEmpty == true { throw ValidationError("--text: expected at least one character, found an empty text") }
        if cached && dumpLogits == nil { throw ValidationError("--cached: only with --dump-logits") }
        if let latentDecode, !cached { throw ValidationError("--latent-decode \(latentDecode.rawValue): only with --cached") }
    }

    func run() throws {
        if let dumpLogits, let text {
            let logits = try CheckpointLogits(runPath: file, text: text, cached: cached, latentDecode: latentDecode)
            try logits.write(to: dumpLogits)
            print("logits: \(dumpLogits): \(logits.tokenIDs.count) tokens x \(logits.vocabSize) (\(logits.path)), checkpoint at step \(logits.step)")
            return
        }
        let result = try evaluateCheckpoint(path: file, textPath: data, split: split, maxTokens: tokens, dataDirectory: dataDir)
        print(result.description)
    }
}
