import Foundation

/// The model card (`README.md`) of an exported model folder: what was trained on what, how far,
/// with which losses and KV-cache size, how the export maps onto transformers, how to reproduce
/// the token ids, and the run's full resolved config.
public enum ModelCard {
    /// The card's Markdown text. `data` is the run file's `data` attribute.
    public static func markdown(summary: RunRecord, data: String, config: ExperimentConfig, step: Int,
                                tokenizer: any Tokenizer, exportedTensors: [SafetensorsTensor]) -> String {
        let m = config.model, a = m.attention
        let arch = HuggingFaceConfig.architecture(m)
        let perLayer = m.kvElementsPerTokenPerLayer, perToken = m.kvElementsPerToken
        var lines = [
            "---", "library_name: transformers", "pipeline_tag: text-generation", "tags: [attnlab, \(a.kind.rawValue)]", "---", "",
            "# \(summary.experiment)/\(summary.run): \(a.kind.rawValue.uppercased()) decoder LM (AttnLab)", "",
            "A \(grouped(summary.parameters))-parameter decoder-only language model trained on the CPU by AttnLab "
                + "(run `\(summary.experiment)/\(summary.run)`, status `\(summary.status.rawValue)`, checkpoint at step \(step)) "
                + "and exported with `attnlab export --format hf` as transformers' `\(arch)`, float32.", "",
            "## Load", "",
            "```python",
            "from transformers import AutoModelForCausalLM" + (tokenizer is PretokenizedVocabulary ? "" : ", AutoTokenizer"),
            "model = AutoModelForCausalLM.from_pretrained(\"PATH/TO/THIS/FOLDER\")",
        ]
        if !(tokenizer is PretokenizedVocabulary) { lines.append("tok = AutoTokenizer.from_pretrained(\"PATH/TO/THIS/FOLDER\")") }
        lines += ["```", "", "## Tokens", ""]
        switch tokenizer {
        case is ByteTokenizer:
            lines += ["Byte-level: the token ids of a text are its UTF-8 bytes (vocabulary \(m.vocabSize); ids 0-255 are used). "
                      + "`tok(text)[\"input_ids\"]` gives them (a byte-level BPE without merges in `tokenizer.json`), "
                      + "and so does plain Python: `ids = list(text.encode(\"utf-8\"))`, `text = bytes(ids).decode(\"utf-8\", \"replace\")`. "
                      + "No BOS or EOS token is added."]
        case let chars as CharTokenizer:
            lines += ["Character-level: one token per Unicode scalar; the id is the scalar's position in the sorted "
                      + "\(chars.vocabSize)-character vocabulary built from the training split (the `vocab` of `tokenizer.json`, "
                      + "in id order). `tok(text)[\"input_ids\"]` gives AttnLab's ids; in plain Python: "
                      + "`vocab = json.load(open(\"tokenizer.json\"))[\"model\"][\"vocab\"]`, `ids = [vocab[c] for c in text]`. "
                      + (chars.replacementID != nil
                         ? "Characters outside the vocabulary map to U+FFFD's id, as in AttnLab."
                         : "AttnLab refuses characters outside the vocabulary; the Hugging Face tokenizer drops them.")]
        default:
            lines += ["Pre-tokenized data (\(tokenizer.serialized)): the ids are the data's own; there is no text tokenizer."]
        }
        lines += ["", "## Training", "",
                  "| | |", "|---|---|",
                  "| data | \(data) |",
                  "| steps | \(summary.trainLoss.count) logged, checkpoint at \(step) of \(config.train.steps) |",
                  "| tokens per step | \(config.train.batchSize) × \(config.data.seqLen) × \(config.train.gradAccum) |",
                  "| final train loss | \(summary.finalTrainLoss.map { fixed($0, 4) + " nats/token" } ?? "none") |"]
        for (k, v) in summary.finalEval.sorted(by: { $0.key < $1.key }) {
            let unit = RunVariables.eval[k]?.units.map { " " + $0 } ?? ""
            lines.append("| final validation \(k) | \(fixed(v, 4))\(unit == " 1" ? "" : unit) |")
        }
        if let t = summary.medianTokensPerSecond { lines.append("| training throughput | \(fixed(t, 0)) tokens/s (median step, CPU) |") }
        lines += ["", "## Model and KV cache", "",
                  "| | |", "|---|---|",
                  "| attention | \(a.kind.rawValue) |",
                  "| layers, d_model, SwiGLU width | \(m.nLayers), \(m.dModel), \(m.mlpHidden) |",
                  "| vocabulary, max_seq_len | \(m.vocabSize), \(m.maxSeqLen) |"]
        switch a.kind {
        case .mha, .gqa, .mqa:
            lines.append("| heads, n_kv_heads, head_dim | \(a.nHeads), \(HuggingFaceConfig.kvHeads(a)), \(m.headDim) |")
        case .mla:
            lines.append("| heads, q_lora_rank, kv_lora_rank | \(a.nHeads), \(a.qLoraRank) (\(a.queryCompression.rawValue)), \(a.kvLoraRank) |")
            lines.append("| qk_nope_head_dim, qk_rope_head_dim, v_head_dim | \(a.qkNopeHeadDim), \(a.qkRopeHeadDim), \(a.vHeadDim) |")
        case .gta, .gla:
            break  // refused by HuggingFaceConfig: no card is written
        }
        lines += [
            "| KV cache per token per layer | \(perLayer) elements (\(a.kind == .mla ? "kv_lora_rank + qk_rope_head_dim" : "2 · n_kv_heads · head_dim")) |",
            "| KV cache per token | \(perToken) elements: \(perToken * 4) bytes in fp32, \(perToken * 2) in bf16 |",
            "| RoPE | \(m.ropeStyle.rawValue) pairs, base \(m.ropeBase) |",
            "| RMSNorm eps | \(m.normEps)\(a.kind == .mla ? "; latent norms \(a.latentNormEps)" : "") |",
            "", "## Export", "",
        ]
        switch a.kind {
        case .mha, .gqa, .mqa:
            lines.append("`LlamaForCausalLM` with `num_key_value_heads` = \(HuggingFaceConfig.kvHeads(a)), `head_dim` = \(m.headDim), "
                         + "no biases, `tie_word_embeddings` = \(m.tieEmbeddings). The weights are AttnLab's, names prefixed with `model.`.")
        case .mla:
            var q = "dense `q_proj`"
            if a.qLoraRank > 0 {
                q = a.queryCompression == .trainOnly
                    ? "the linear `train-only` query bottleneck folded into one `q_proj` = `q_b_proj · q_a_proj` (`q_lora_rank` null)"
                    : "`q_a_proj`, `q_a_layernorm`, `q_b_proj` (`q_lora_rank` \(a.qLoraRank))"
            }
            lines.append("`DeepseekV3ForCausalLM` with dense MLP layers only (`first_k_dense_replace` = \(m.nLayers)), \(q), "
                         + "`rope_interleave` = \(m.ropeStyle == .interleaved), no RoPE scaling (softmax scale "
                         + "(qk_nope_head_dim + qk_rope_head_dim)^-0.5), latent norm eps 1e-6 as transformers hard-codes. "
                         + "The weights are AttnLab's, names prefixed with `model.`.")
        case .gta, .gla:
            break
        }
        lines += ["", "`model.safetensors` holds \(exportedTensors.count) float32 tensors, "
                  + "\(grouped(exportedTensors.reduce(0) { $0 + $1.values.count })) values.", "",
                  "## Resolved config", "", "```toml", summary.configTOML.trimmingCharacters(in: .newlines), "```", ""]
        return lines.joined(separator: "\n")
    }
}
