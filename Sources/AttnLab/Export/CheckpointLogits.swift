import Foundation

/// The logits a run's checkpoint gives for a token sequence, from AttnLab's training forward
/// (the whole sequence in one pass, no KV cache): the reference the Hugging Face export is
/// checked against (`attnlab eval RUN.h5 --dump-logits FILE --text TEXT`).
public struct CheckpointLogits: Sendable {
    public let runPath: String
    /// The checkpoint's step.
    public let step: Int
    /// The run tokenizer's ids of the text.
    public let tokenIDs: [Int32]
    public let vocabSize: Int
    /// Row-major [tokens, vocab]: row t is the next-token logits after token t (natural log
    /// scale, before softmax).
    public let logits: [Float]
    /// How the logits were computed: "full" (one causal forward over the whole text) or, with a
    /// KV cache one token at a time as `attnlab generate` decodes, "cached" (MHA, GQA, MQA, GTA)
    /// or "cached-naive" / "cached-absorbed" (MLA, GLA).
    public let path: String

    /// Encodes `text` with the run's tokenizer and runs the checkpoint on it: one full causal
    /// forward, or with `cached` one token at a time through a KV cache (`latentDecode`: the
    /// latent attentions' path, nil = absorbed), so the two can be compared with each other or
    /// with another implementation's cached decoding.
    ///
    /// - Throws: `RunFileError` when the text is empty or longer than `max_seq_len` tokens, the
    ///   run has no checkpoint, or `latentDecode` is given without `cached` or for a run without a
    ///   latent; `DataError` when the tokenizer cannot encode the text; `HDF5Error` when the file
    ///   cannot be read.
    public init(runPath: String, text: String, cached: Bool = false, latentDecode: LatentDecodeMode? = nil) throws {
        let run = try LoadedRun(path: runPath)
        let ids = try run.tokenizer.encode(Array(text.utf8))
        guard !ids.isEmpty, ids.count <= run.config.model.maxSeqLen else {
            throw RunFileError("--text: expected 1 to max_seq_len = \(run.config.model.maxSeqLen) tokens, found \(ids.count)")
        }
        if let latentDecode, !cached {
            throw RunFileError("--latent-decode \(latentDecode.rawValue): only with --cached (the full forward has one path)")
        }
        let mode = try run.latentDecodeMode(latentDecode)
        self.runPath = runPath
        step = run.step
        tokenIDs = ids
        vocabSize = run.config.model.vocabSize
        if cached {
            let cache = run.model.makeCache(batch: 1, latentDecode: mode)
            var rows: [Float] = []
            rows.reserveCapacity(ids.count * vocabSize)
            for id in ids { rows += run.model.logits(Graph(recording: false), ids: [id], batch: 1, cache: cache).array }
            logits = rows
            path = run.config.model.attention.kind.hasKVLatent ? "cached-\(mode.rawValue)" : "cached"
        } else {
            logits = run.model.logits(Graph(recording: false), ids: ids, batch: 1).array
            path = "full"
        }
    }

    /// `{"run": ..., "step": ..., "path": "full", "token_ids": [...], "vocab_size": V,
    /// "logits": [[...], ...]}`, one row of `vocab_size` numbers per token; each number is the
    /// float32 value exactly.
    public var json: ExportJSON {
        let rows = tokenIDs.indices.map { t in
            ExportJSON.array(logits[(t * vocabSize)..<((t + 1) * vocabSize)].map { .double(Double($0)) })
        }
        return .object([
            ("run", .string(runPath)), ("step", .int(step)), ("path", .string(path)), ("token_ids", .array(tokenIDs.map { .int(Int($0)) })),
            ("vocab_size", .int(vocabSize)), ("logits", .array(rows)),
        ])
    }

    /// Writes `json` to `path` (replacing an existing file).
    ///
    /// - Throws: `ExportError` with the OS reason when the file cannot be written.
    public func write(to path: String) throws {
        do { try (json.text() + "\n").write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw ExportError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
