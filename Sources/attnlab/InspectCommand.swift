import ArgumentParser
import AttnLab
import Foundation

/// `attnlab inspect RUN.h5`: what a run file holds, without training.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Summarise a run file: config, status, final losses, curve lengths.")
    @Argument(help: "A run file written by attnlab run.") var file: String
    @Flag(help: "Also print the resolved config.") var config = false

    func run() throws {
        let s = try RunSummary(path: file)
        let r = try RunReader(path: file)
        defer { try? r.close() }
        print("run:         \(s.experiment)/\(s.run)  (\(file))")
        print("status:      \(s.status.rawValue) at step \(s.step)")
        print("started:     \(try r.attribute("start_time"))  commit \(try r.attribute("git_commit"))  host \(try r.attribute("host"))")
        print("BLAS:        \(try r.attribute("blas_core")), \(try r.intAttribute("threads")) worker threads")
        print("data:        \(try r.attribute("data"))")
        print("model:       \(s.attention), \(s.parameters) parameters, KV cache \(s.kvElementsPerToken) elements/token (\(s.kvElementsPerTokenPerLayer) per layer)")
        print("curves:      \(s.trainPoints) train steps, \(s.evalPoints) evaluations")
        if let l = s.finalTrainLoss { print(String(format: "train loss:  %.4f (last step)", l)) }
        for (k, v) in s.eval.sorted(by: { $0.key < $1.key }) { print(String(format: "val %@: %.4f", k, v)) }
        if let t = s.medianTokensPerSecond { print(String(format: "throughput:  %.0f tokens/s (median step)", t)) }
        if let c = try r.checkpoint() { print("checkpoint:  step \(c.state.step)") } else { print("checkpoint:  none") }
        if config { print("\n" + s.config) }
    }
}

/// `attnlab eval RUN.h5`: loss of a trained checkpoint on any text its tokenizer can read.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's checkpoint (loss, bits per byte/char) without training.")
    @Argument(help: "A run file with a checkpoint.") var file: String
    @Option(help: ArgumentHelp("Text file to evaluate on (default: the run's own data).", valueName: "path")) var data: String?
    @Option(help: "Which split of the data: train or val.") var split: EvaluationSplit = .val
    @Option(help: "Tokens to evaluate (0 = the whole split).") var tokens = 0
    @Option(help: ArgumentHelp("Directory of downloaded corpora.", valueName: "dir")) var dataDir = "data"
    @Option(help: ArgumentHelp("Instead of evaluating, write the checkpoint's logits for --text as JSON to this file.", valueName: "file"))
    var dumpLogits: String?
    @Option(help: "Text whose logits --dump-logits writes (encoded with the run's tokenizer).") var text: String?

    func validate() throws {
        try checkOption("--tokens", tokens, in: 0...Int.max)
        try checkOption("--text", text ?? "(none)", (text == nil) == (dumpLogits == nil), expected: "--text and --dump-logits together")
    }

    func run() throws {
        if let dumpLogits, let text {
            let logits = try CheckpointLogits(runPath: file, text: text)
            try logits.write(to: dumpLogits)
            print("logits: \(dumpLogits): \(logits.tokenIDs.count) tokens x \(logits.vocabSize), checkpoint at step \(logits.step)")
            return
        }
        let result = try evaluateCheckpoint(path: file, textPath: data, split: split, maxTokens: tokens, dataDirectory: dataDir)
        print(result.description)
    }
}

/// `attnlab generate`: text from a trained checkpoint, streamed as it is produced.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a run's checkpoint with a KV cache.")
    @Option(help: ArgumentHelp("A run file with a checkpoint.", valueName: "RUN.h5")) var checkpoint: String
    @Option(help: "Prompt text.") var prompt: String
    @Option(help: "Tokens to generate (generation also stops at the model's max_seq_len).") var maxNewTokens = 200
    @Option(help: "Sampling temperature (0 = greedy).") var temperature = 0.8
    @Option(help: "Keep only the k most likely tokens (0 = all).") var topK = 0
    @Option(help: "Sampling seed.") var seed: UInt64 = 1
    @Option(help: "MLA decoding: naive or absorbed.") var mlaMode: MLADecodeMode = .absorbed
    @Flag(help: "Print the generated token ids (space-separated) instead of text.") var tokenIds = false

    func validate() throws {
        try checkOption("--max-new-tokens", maxNewTokens, in: 1...Int.max)
        try checkOption("--temperature", temperature, temperature.isFinite && temperature >= 0, expected: "a finite number >= 0")
        try checkOption("--top-k", topK, in: 0...Int.max)
    }

    func run() throws {
        let report = try generateFromCheckpoint(
            path: checkpoint, prompt: prompt, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK,
            seed: seed, mode: mlaMode, tokenIDs: tokenIds) { text in
            FileHandle.standardOutput.write(text.data(using: .utf8)!)
        }
        print("")
        FileHandle.standardError.write(report.data(using: .utf8)!)
    }
}
