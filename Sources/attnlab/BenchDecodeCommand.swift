import ArgumentParser
import AttnLab
import Foundation

/// A comma-separated list of positive integers, e.g. `128,512,1024`.
struct PositiveIntList: ExpressibleByArgument {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let words = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = words.compactMap { Int($0) }
        guard !words.isEmpty, values.count == words.count else { return nil }
        self.values = values
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// `attnlab bench decode`: cached-decoding tokens/s and KV-cache bytes per sequence against
/// context length, for every variant (MLA and GLA in both decoding paths).
struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure cached decoding per variant, decoding path, batch and context length.",
        discussion: """
            Without --experiment: the reference model (d_model 256, 4 layers, 8 heads of 32) for \
            mha, gqa, mqa, mla, gta and gla; with it: each distinct model of its runs. max_seq_len is \
            raised to the largest context. Each row prefills a fresh cache with random tokens, then \
            reports the median of the timed decode steps. Always run it from a release build.
            """)

    @Option(help: "Experiment whose models to time (default: the reference model, every variant).") var experiment: String?
    @OptionGroup var experiments: ExperimentsOption
    @Option(parsing: .unconditional, help: "Comma-separated context lengths, 1 to 65,536 (tokens in the cache before a timed step; the prefill's time grows with the square of the context).")
    var contexts = PositiveIntList([128, 512, 1024, 2048, 4096])
    @Option(parsing: .unconditional, help: "Comma-separated batch sizes, 1 to 1,024 (sequences decoded together).") var batch = PositiveIntList([1, 8])
    @Option(parsing: .unconditional, help: "Timed decode steps per row, 1 to 1,000 (the median is reported).") var steps = 5
    @Option(help: ArgumentHelp("Also write the rows, date, host, BLAS core and threads as JSON.", valueName: "file")) var json: String?

    func validate() throws {
        for context in contexts.values { try checkOption("--contexts", context, in: 1...65_536) }
        for size in batch.values { try checkOption("--batch", size, in: 1...1024) }
        try checkOption("--steps", steps, in: 1...1000)
    }

    func run() throws {
        let report = try benchmarkDecoding(
            experiment: experiment.map { ($0, experiments.url) }, contexts: contexts.values, batches: batch.values,
            decodeSteps: steps, json: json) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(report.table)
    }
}
