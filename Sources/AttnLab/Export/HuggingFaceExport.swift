import Foundation

/// `attnlab export RUN.h5 --format hf --out DIR`: a run's checkpoint as a Hugging Face model
/// folder that `AutoModelForCausalLM.from_pretrained(DIR)` loads and that computes what AttnLab
/// computes (tested to 1e-5 relative on the logits, and token for token in greedy generation).
///
/// Files: `config.json` (`HuggingFaceConfig`), `model.safetensors` (float32, `SafetensorsFile`),
/// `tokenizer.json` and `tokenizer_config.json` for byte and char tokenizers
/// (`HuggingFaceTokenizer`), and `README.md`, the model card (`ModelCard`).
public enum HuggingFaceExport {
    /// What an export wrote.
    public struct Summary: Sendable {
        public let folder: String
        public let architecture: String
        public let files: [String]
        public let tensorCount: Int
        public let parameterCount: Int
        public let step: Int
    }

    /// The checkpoint's tensors under transformers' names: `model.` + AttnLab's name (the names
    /// already follow Llama and DeepSeek-V3), `lm_head.weight` as is; for MLA's linear
    /// `train-only` query bottleneck, `q_a_proj` and `q_b_proj` are replaced by their product
    /// `q_proj` = `q_b_proj · q_a_proj` ([n_heads·(qk_nope+qk_rope), d_model], summed in Double).
    public static func tensors(_ model: DecoderLM<Float>) -> [SafetensorsTensor] {
        let a = model.config.attention
        let fold = a.kind == .mla && a.qLoraRank > 0 && a.queryCompression == .trainOnly
        var out: [SafetensorsTensor] = []
        for p in model.parameters {
            let name = p.name == "lm_head.weight" ? p.name : "model." + p.name
            if fold && p.name.hasSuffix(".self_attn.q_b_proj.weight") { continue }
            if fold && p.name.hasSuffix(".self_attn.q_a_proj.weight") {
                let prefix = String(p.name.dropLast("q_a_proj.weight".count))
                guard let qB = model.store[prefix + "q_b_proj.weight"] else {
                    preconditionFailure("MLA layer without q_b_proj: \(prefix)")
                }
                out.append(SafetensorsTensor(name: "model." + prefix + "q_proj.weight", shape: [qB.shape[0], p.shape[1]],
                                             values: product(qB, p)))
                continue
            }
            out.append(SafetensorsTensor(name: name, shape: p.shape, values: p.array))
        }
        return out
    }

    /// a [m, k] · b [k, n] in Double, rounded once to Float.
    static func product(_ a: Tensor<Float>, _ b: Tensor<Float>) -> [Float] {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        precondition(b.shape[0] == k, "shapes \(a.shape) and \(b.shape) do not multiply")
        let (pa, pb) = (a.ptr, b.ptr)
        var out = [Float](repeating: 0, count: m * n)
        var row = [Double](repeating: 0, count: n)
        for i in 0..<m {
            for j in 0..<n { row[j] = 0 }
            for l in 0..<k {
                let x = Double(pa[i * k + l])
                for j in 0..<n { row[j] += x * Double(pb[l * n + j]) }
            }
            for j in 0..<n { out[i * n + j] = Float(row[j]) }
        }
        return out
    }

    /// Writes the model folder for the run file at `runPath` into `folder` (created if missing).
    ///
    /// - Throws: `ExportError` when the run has no exact transformers counterpart
    ///   (`HuggingFaceConfig.refusal`) or a file to write already exists (checked before
    ///   anything is written); `RunFileError`/`HDF5Error` when the run file cannot be read or has
    ///   no checkpoint.
    public static func export(runPath: String, to folder: String) throws -> Summary {
        // The refusal comes first: it needs only the stored config, not the checkpoint.
        let reader = try RunReader(path: runPath)
        let stored = try ExperimentConfig(resolvedTOML: try reader.configTOML, source: runPath)
        let data = try reader.attribute("data")
        try reader.close()
        let configJSON = try HuggingFaceConfig.make(stored.model)
        let run = try LoadedRun(path: runPath)
        let summary = try RunRecord(path: runPath)
        let tokenizerFiles = try HuggingFaceTokenizer.files(run.tokenizer, maxLength: run.config.model.maxSeqLen)
        let names = ["config.json", "model.safetensors", "README.md"] + tokenizerFiles.map(\.name)
        try ExportFiles.prepare(folder, names: names)
        let tensors = tensors(run.model)
        try ExportFiles.write(configJSON.text(indent: 2) + "\n", to: folder + "/config.json")
        try SafetensorsFile.write(tensors, metadata: [("attnlab_run", "\(summary.experiment)/\(summary.run)"),
                                                      ("attnlab_step", String(run.step))],
                                  to: folder + "/model.safetensors")
        for file in tokenizerFiles { try ExportFiles.write(file.text, to: folder + "/" + file.name) }
        let card = ModelCard.markdown(summary: summary, data: data, config: run.config, step: run.step,
                                      tokenizer: run.tokenizer, exportedTensors: tensors)
        try ExportFiles.write(card, to: folder + "/README.md")
        return Summary(folder: folder, architecture: HuggingFaceConfig.architecture(run.config.model), files: names,
                       tensorCount: tensors.count, parameterCount: tensors.reduce(0) { $0 + $1.values.count }, step: run.step)
    }
}
