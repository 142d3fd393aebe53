import AttnLab
import Foundation

/// Tests run concurrently in one process, but some settings are process-wide: the worker count
/// (`Parallel.workers`) and OpenBLAS's thread count. A run's bits depend on its thread count, so a
/// test that changes them must not overlap any training. Every `TrainingSandbox` holds the gate
/// shared from creation to `remove()`; a test that changes process-wide settings holds it
/// exclusively (`TrainingSandbox(exclusive: true)`). Waiting
/// exclusive holders go first, so they are not starved by a stream of shared ones.
final class ProcessWideSettings: @unchecked Sendable {
    static let gate = ProcessWideSettings()
    private let condition = NSCondition()
    private var shared = 0, exclusive = false, waitingExclusive = 0

    func enterShared() {
        condition.lock(); defer { condition.unlock() }
        while exclusive || waitingExclusive > 0 { condition.wait() }
        shared += 1
    }

    func leaveShared() {
        condition.lock(); defer { condition.unlock() }
        shared -= 1
        condition.broadcast()
    }

    func enterExclusive() {
        condition.lock(); defer { condition.unlock() }
        waitingExclusive += 1
        while exclusive || shared > 0 { condition.wait() }
        waitingExclusive -= 1
        exclusive = true
    }

    func leaveExclusive() {
        condition.lock(); defer { condition.unlock() }
        exclusive = false
        condition.broadcast()
    }
}

/// A scratch folder with an experiments directory and a synthetic corpus, so training tests
/// need neither the network nor /work/shared.
struct TrainingSandbox {
    let root: URL
    let exclusive: Bool
    var experiments: URL { root.appendingPathComponent("experiments") }
    var results: URL { root.appendingPathComponent("results") }
    var corpus: URL { root.appendingPathComponent("corpus.txt") }

    /// Holds `ProcessWideSettings.gate` (shared, or `exclusive`) until `remove()`.
    init(exclusive: Bool = false) throws {
        self.exclusive = exclusive
        if exclusive { ProcessWideSettings.gate.enterExclusive() } else { ProcessWideSettings.gate.enterShared() }
        var created = false
        defer { if !created { exclusive ? ProcessWideSettings.gate.leaveExclusive() : ProcessWideSettings.gate.leaveShared() } }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        // Words drawn at random from a small lexicon: many distinct characters (high unigram
        // entropy) but each word is predictable after its first letter or two.
        let words = ["attention", "latent", "query", "key", "value", "cache", "rotary", "head", "group",
                     "matrix", "softmax", "token", "layer", "norm", "gradient", "memory"]
        var rng = SeededRandom(seed: 5)
        var text = ""
        while text.utf8.count < 60_000 { text += words[rng.below(words.count)] + (rng.below(8) == 0 ? ".\n" : " ") }
        try text.write(to: corpus, atomically: true, encoding: .utf8)
        created = true
    }

    /// Writes experiments/NAME.toml: a tiny byte-level model on the synthetic corpus plus `extra`.
    func experiment(_ name: String, _ extra: String = "", kinds: [String] = ["mha"]) throws {
        let variants = kinds.map { "[[variants]]\nname = \"\($0)\"\nset = { \"model.attention.kind\" = \"\($0)\" }\n" }.joined(separator: "\n")
        let text = """
            description = "test experiment \(name)"
            [model]
            d_model = 32
            n_layers = 2
            mlp_hidden = 64
            max_seq_len = 32
            [model.attention]
            n_heads = 4
            head_dim = 8
            n_kv_heads = 2
            kv_lora_rank = 12
            q_lora_rank = 16
            qk_nope_head_dim = 8
            qk_rope_head_dim = 4
            v_head_dim = 8
            [data]
            source = "file"
            path = "\(corpus.path)"
            seq_len = 32
            [train]
            steps = 60
            batch_size = 8
            [optimizer]
            lr = 0.01
            [schedule]
            warmup_steps = 5
            [eval]
            every = 20
            windows = 8
            [log]
            flush_seconds = 0.05
            checkpoint_every = 20
            \(extra)
            \(variants)
            """
        try text.write(to: experiments.appendingPathComponent(name + ".toml"), atomically: true, encoding: .utf8)
    }

    func load(_ name: String, _ overrides: [String] = []) throws -> Experiment {
        try loadExperiment(name: name, directory: experiments, overrides: overrides)
    }

    func path(_ experiment: String, _ run: String) -> String {
        runFilePath(resultsDirectory: results, experiment: experiment, run: run)
    }

    /// Deletes the sandbox and releases the gate; call exactly once (`defer { box.remove() }`).
    func remove() {
        try? FileManager.default.removeItem(at: root)
        if exclusive { ProcessWideSettings.gate.leaveExclusive() } else { ProcessWideSettings.gate.leaveShared() }
    }
}

/// The `attnlab` executable built next to the test bundle (`swift build --build-tests` builds both).
func attnlabExecutable() -> URL? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("attnlab")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}
