import ArgumentParser
import AttnLab
import Foundation

/// `attnlab generate`: text from a trained checkpoint, streamed as it is produced.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a run's checkpoint with a KV cache.")
    @Option(help: ArgumentHelp("A run file with a checkpoint.", valueName: "RUN.h5")) var checkpoint: String
    @Option(help: "Prompt text.") var prompt: String
    @Option(parsing: .unconditional, help: "Tokens to generate (generation also stops at the model's max_seq_len).") var maxNewTokens = 200
    @Option(parsing: .unconditional, help: "Sampling temperature (0 = greedy).") var temperature = 0.8
    @Option(parsing: .unconditional, help: "Keep only the k most likely tokens (0 = all).") var topK = 0
    @Option(parsing: .unconditional, help: "Sampling seed.") var seed: UInt64 = 1
    @Option(name: [.customLong("latent-decode"), .customLong("mla-mode")], help: "Latent attention (MLA, GLA) decoding: naive or absorbed (default absorbed; an error for other kinds).")
    var latentDecode: LatentDecodeMode?
    @Flag(help: "Print the generated token ids (space-separated) instead of text.") var tokenIds = false

    func validate() throws {
        try checkOption("--max-new-tokens", maxNewTokens, in: 1...Int.max)
        try checkOption("--temperature", temperature, temperature.isFinite && temperature >= 0, expected: "a finite number >= 0")
        try checkOption("--top-k", topK, in: 0...Int.max)
        if prompt.isEmpty { throw ValidationError("--prompt: expected at least one character, found an empty prompt") }
    }

    func run() throws {
        let report = try generateFromCheckpoint(
            path: checkpoint, prompt: prompt, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK,
            seed: seed, latentDecode: latentDecode, tokenIDs: tokenIds) { text in
            FileHandle.standardOutput.write(text.data(using: .utf8)!)
        }
        // Through the same unbuffered handle as the text, so the newline precedes the report on
        // a terminal that shows both streams.
        FileHandle.standardOutput.write(Data("\n".utf8))
        FileHandle.standardError.write(report.data(using: .utf8)!)
    }
}
