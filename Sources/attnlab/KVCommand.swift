import ArgumentParser
import AttnLab

/// `attnlab kv`: KV-cache size per token (DeepSeek-V2 Table 1) for presets or an ad-hoc
/// attention. Parsing only; the figures and their formatting live in the library.
struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "KV-cache elements and bytes per token, with DeepSeek-V2's Table 1 formulas.",
        discussion: "Presets: " + KVPresets.names.joined(separator: ", "))

    @Option(name: .customLong("preset"), help: "A preset model (repeatable).")
    var presets: [String] = []

    @Flag(help: "Every preset, as one table.")
    var all = false

    @Option(help: ArgumentHelp("Ad-hoc attention kind: \(AttentionKind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "kind"))
    var kind: AttentionKind?

    @Option(parsing: .unconditional, help: "Ad-hoc: number of layers.")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Ad-hoc: number of query heads.")
    var heads: Int?

    @Option(name: .customLong("kv-heads"), parsing: .unconditional, help: "Ad-hoc gqa, gta: number of KV heads (groups).")
    var kvHeads: Int?

    @Option(name: .customLong("head-dim"), parsing: .unconditional, help: "Ad-hoc: per-head width d_h (MLA: d_nope and d_v).")
    var headDim: Int = 128

    @Option(name: .customLong("kv-lora-rank"), parsing: .unconditional, help: "Ad-hoc mla, gla: latent width d_c (default 4 d_h).")
    var kvLoraRank: Int?

    @Option(name: .customLong("rope-dim"), parsing: .unconditional, help: "Ad-hoc mla, gla, gta: decoupled RoPE width d_R (default d_h / 2).")
    var ropeDim: Int?

    @Option(name: .customLong("latent-heads"), parsing: .unconditional, help: "Ad-hoc gla: latent heads h_c (default 2, GLA-2).")
    var latentHeads: Int?

    var options: KVOptionValues {
        KVOptionValues(kvHeads: kvHeads, kvLoraRank: kvLoraRank, ropeDim: ropeDim, latentHeads: latentHeads)
    }

    @Option(help: "Also every distinct model of this experiment (repeatable).")
    var experiment: [String] = []

    @OptionGroup var experiments: ExperimentsOption

    @Flag(help: "Print a Markdown table.")
    var markdown = false

    @Option(help: ArgumentHelp("Write a Markdown report (Table 1 formulas and the table) to this file.", valueName: "file"))
    var out: String?

    func validate() throws {
        guard !presets.isEmpty || all || kind != nil || !experiment.isEmpty else {
            throw ValidationError("give --preset NAME, --all, --experiment NAME, or an ad-hoc --kind with --layers and --heads")
        }
        let adHocOnly = [("--layers", layers), ("--heads", heads)] + KVOption.allCases.map { ($0.rawValue, options.value($0)) }
        if kind == nil, let stray = adHocOnly.first(where: { $0.1 != nil }) {
            throw ValidationError("\(stray.0) describes an ad-hoc model and needs --kind")
        }
        guard let kind else { return }
        guard let layers, let heads else { throw ValidationError("--kind needs --layers and --heads") }
        // Which ad-hoc options a kind reads is its design's business.
        for option in KVOption.allCases where options.value(option) != nil && !kind.design.kvOptions.contains(option) {
            let readers = AttentionKind.allCases.filter { $0.design.kvOptions.contains(option) }.map(\.rawValue)
            throw ValidationError("\(option.rawValue) applies only to --kind " + readers.joined(separator: ", "))
        }
        // The model limits, so the Table 1 products cannot overflow.
        let dimensions = 1...ModelConfig.dimensionLimit
        try checkOption("--layers", layers, in: dimensions)
        try checkOption("--heads", heads, in: dimensions)
        try checkOption("--head-dim", headDim, in: dimensions)
        if let kvHeads { try checkOption("--kv-heads", kvHeads, in: 1...heads) }
        if let kvLoraRank { try checkOption("--kv-lora-rank", kvLoraRank, in: dimensions) }
        if let ropeDim { try checkOption("--rope-dim", ropeDim, in: 0...ModelConfig.dimensionLimit) }
        if let latentHeads { try checkOption("--latent-heads", latentHeads, in: 1...heads) }
        try checkOption("--heads x --head-dim", heads * headDim, in: dimensions)
        // The library's own validation of the ad-hoc model (for example gqa without --kv-heads).
        do {
            _ = try KVPresets.custom(kind: kind, layers: layers, heads: heads, headDim: headDim, options: options)
        } catch {
            throw ValidationError("--kind \(kind.rawValue): \(error)")
        }
    }

    func run() throws {
        var models = try presets.map(KVPresets.named)
        if all { models += KVPresets.all }
        if let kind, let layers, let heads {
            models.append(try KVPresets.custom(kind: kind, layers: layers, heads: heads, headDim: headDim, options: options))
        }
        for name in experiment {
            models += KVTable.models(of: try loadExperiment(name: name, directory: experiments.url))
        }
        if let out {
            let command = "attnlab kv" + presets.map { " --preset \($0)" }.joined() + (all ? " --all" : "")
                + experiment.map { " --experiment \($0)" }.joined() + " --out \(out)"
            try KVTable.report(models, command: command).write(toFile: out, atomically: true, encoding: .utf8)
            print("table: \(out)")
        } else if markdown {
            print(KVTable.markdown(models))
        } else if all {
            print(KVTable.plainTable(models))
        } else {
            print(KVTable.text(models))
        }
    }
}
