import ArgumentParser
import AttnLab
import Foundation

/// `attnlab bench`: training-step time per configuration (the default subcommand) and
/// cached-decoding speed per variant (`bench decode`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training (default) or decoding speed; see bench/README.md.",
        subcommands: [BenchTrainCommand.self, BenchDecodeCommand.self],
        defaultSubcommand: BenchTrainCommand.self)
}

/// `attnlab bench [train]`: training tokens/s, MFU, activation memory and the time split by
/// phase, for the reference model of the facts file (section 7) or an experiment's runs.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Measure the training step (forward + backward + AdamW) per configuration.",
        discussion: """
            Without --experiment: the reference model used for the PyTorch anchors (byte \
            vocabulary, d_model 256, 4 layers, 8 heads of 32, SwiGLU 683, T 256, B 16, fp32; MLA \
            q_lora_rank 128, kv_lora_rank 64, d_nope 32, d_rope 16, d_v 32; GQA 2 KV heads), one \
            row per --kinds. With --experiment: its runs at their exact configs (model, seq_len, \
            batch_size, grad_accum, threads), one row per distinct config (a variant's seeds share \
            one), or only --run. Always run it from a release build.
            """)

    @Option(help: "Experiment whose runs to time (default: the reference model).") var experiment: String?
    @Option(name: .customLong("run"), help: "Only this run of --experiment.") var onlyRun: String?
    @OptionGroup var experiments: ExperimentsOption
    @Option(parsing: .unconditional, help: "Timed steps per configuration (after 2 warm-up steps; as many again profiled).") var steps = 5
    @Option(help: "Reference model: comma-separated variants (default: all).") var kinds: AttentionKindList?
    @Option(parsing: .unconditional, help: "Reference model: batch size (default 16).") var batch: Int?
    @Option(parsing: .unconditional, help: "Reference model: sequence length (default 256).") var seqLen: Int?
    @Option(parsing: .unconditional, help: "Reference model: width (default 256).") var dModel: Int?
    @Option(parsing: .unconditional, help: "Reference model: layers (default 4).") var layers: Int?
    @Option(parsing: .unconditional, help: "Reference model: query heads (default 8).") var heads: Int?
    @Option(help: ArgumentHelp("Also write the rows, date, host, BLAS core and threads as JSON.", valueName: "file")) var json: String?

    var source: TrainingBenchmarkSource {
        if let experiment { return .experiment(name: experiment, directory: experiments.url, run: onlyRun) }
        return .reference(kinds: kinds?.kinds ?? AttentionKind.allCases, batch: batch ?? 16, seqLen: seqLen ?? 256,
                          dModel: dModel ?? 256, layers: layers ?? 4, heads: heads ?? 8)
    }

    /// The reference-model options given, by name.
    private var referenceOptions: [(String, Int?)] {
        [("--batch", batch), ("--seq-len", seqLen), ("--d-model", dModel), ("--layers", layers), ("--heads", heads)]
    }

    func validate() throws {
        try checkOption("--steps", steps, in: 1...100_000)
        let dimensions = 1...ModelConfig.dimensionLimit
        for case let (option, value?) in referenceOptions { try checkOption(option, value, in: dimensions) }
        if onlyRun != nil && experiment == nil { throw ValidationError("--run needs --experiment") }
        if experiment != nil {
            let given = referenceOptions.filter { $0.1 != nil }.map(\.0) + (kinds == nil ? [] : ["--kinds"])
            if let option = given.first {
                throw ValidationError("\(option) sets the reference model; with --experiment the runs are timed at their own config")
            }
        } else {
            do { _ = try source.cases() } catch let error as TrainingBenchmarkError { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let report = try benchmarkTraining(source, steps: steps, json: json) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(report.table)
    }
}
