import AttnLab
import Testing

/// Tiny configs counted by hand: V = 10, d = 8, 2 layers, SwiGLU hidden 12, tied embeddings.
/// Every layer has two norms (2 × 8) and an MLP (3 × 12 × 8 = 288); the model adds the
/// embedding (10 × 8 = 80) and the final norm (8).
@Suite struct ModelStatsTests {
    static func tiny(_ kind: AttentionKind, heads: Int = 2) -> ModelConfig {
        var c = ModelConfig()
        c.vocabSize = 10
        c.dModel = 8
        c.nLayers = 2
        c.mlpHidden = 12
        c.attention.kind = kind
        c.attention.nHeads = heads
        c.attention.headDim = 0
        return c
    }

    /// MLA: 2 heads, q_lora 4, kv_lora 6, d_nope 4, d_rope 2, d_v 3.
    static func tinyMLA(_ mode: QueryCompression, qLora: Int = 4) -> ModelConfig {
        var c = tiny(.mla)
        c.attention.qLoraRank = qLora
        c.attention.kvLoraRank = 6
        c.attention.qkNopeHeadDim = 4
        c.attention.qkRopeHeadDim = 2
        c.attention.vHeadDim = 3
        c.attention.queryCompression = mode
        return c
    }

    static let shared = 2 * 8 + 288

    @Test func mhaCount() {
        // head_dim 8 / 2 = 4: q, k, v, o are each 8 × 8.
        let attention = 4 * 64
        let c = Self.tiny(.mha)
        #expect(c.parameterCount == 80 + 2 * (attention + Self.shared) + 8)
        #expect(c.parameterCount == 1208)
        #expect(c.nonEmbeddingParameterCount == 1128)
        var untied = c
        untied.tieEmbeddings = false
        #expect(untied.parameterCount == 1288)
        #expect(untied.nonEmbeddingParameterCount == 1128)
        #expect(untied.parameterSpecs.last == ParameterSpec(name: "lm_head.weight", shape: [10, 8]))
    }

    @Test func gqaCount() {
        // 4 heads of 2, 2 KV heads: q 8×8, k and v 4×8, o 8×8.
        var c = Self.tiny(.gqa, heads: 4)
        c.attention.nKVHeads = 2
        #expect(c.parameterCount == 80 + 2 * (64 + 32 + 32 + 64 + Self.shared) + 8)
        #expect(c.parameterSpecs.first { $0.name == "layers.1.self_attn.k_proj.weight" }?.shape == [4, 8])
    }

    @Test func mqaCount() {
        // One KV head of 2: k and v are 2 × 8 whatever n_kv_heads says.
        var c = Self.tiny(.mqa, heads: 4)
        c.attention.nKVHeads = 3
        #expect(c.parameterCount == 80 + 2 * (64 + 16 + 16 + 64 + Self.shared) + 8)
    }

    @Test func mlaAlwaysCount() {
        // q_a 4×8, q_a_layernorm 4, q_b (2·6)×4, kv_a (6+2)×8, kv_a_layernorm 6, kv_b (2·7)×6, o 8×(2·3)
        let attention = 32 + 4 + 48 + 64 + 6 + 84 + 48
        let c = Self.tinyMLA(.always)
        #expect(c.parameterCount == 80 + 2 * (attention + Self.shared) + 8)
        #expect(c.inferenceParameterCount == c.parameterCount)
        let names = c.parameterSpecs.filter { $0.name.hasPrefix("layers.0.self_attn.") }.map(\.name)
        #expect(names == [
            "q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj",
        ].map { "layers.0.self_attn.\($0).weight" })
    }

    @Test func mlaTrainOnlyCountAndFold() {
        // No q_a_layernorm; at inference q_a and q_b (32 + 48) fold into one 12 × 8 q_proj (96).
        let c = Self.tinyMLA(.trainOnly)
        let attention = 32 + 48 + 64 + 6 + 84 + 48
        #expect(c.parameterCount == 80 + 2 * (attention + Self.shared) + 8)
        #expect(!c.parameterSpecs.contains { $0.name.contains("q_a_layernorm") })
        #expect(c.inferenceParameterCount == c.parameterCount + 2 * (96 - 80))
        #expect(c.inferenceParameterSpecs.contains { $0.name == "layers.1.self_attn.q_proj.weight" && $0.shape == [12, 8] })
        // A wide bottleneck (q_lora 8: 64 + 96 = 160) folds into fewer weights.
        let wide = Self.tinyMLA(.trainOnly, qLora: 8)
        #expect(wide.inferenceParameterCount == wide.parameterCount - 2 * (160 - 96))
    }

    @Test func mlaDenseQueryCount() {
        let c = Self.tinyMLA(.trainOnly, qLora: 0)
        #expect(c.parameterCount == 80 + 2 * (96 + 64 + 6 + 84 + 48 + Self.shared) + 8)
        #expect(c.inferenceParameterCount == c.parameterCount)
    }

    @Test(arguments: [AttentionKind.mha, .gqa, .mqa, .mla], [true, false])
    func specNamesUniqueAndOrdered(kind: AttentionKind, tied: Bool) {
        var c = kind == .mla ? Self.tinyMLA(.always) : Self.tiny(kind, heads: 4)
        c.tieEmbeddings = tied
        let names = c.parameterSpecs.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.first == "embed_tokens.weight")
        #expect(names.last == (tied ? "norm.weight" : "lm_head.weight"))
        #expect(names.filter { $0.hasPrefix("layers.1.") }.count == names.filter { $0.hasPrefix("layers.0.") }.count)
        #expect(c.parameterSpecs.allSatisfy { $0.count > 0 })
    }

    @Test func kvElements() {
        var gqa = Self.tiny(.gqa, heads: 4)
        gqa.attention.nKVHeads = 2
        #expect(Self.tiny(.mha).kvElementsPerTokenPerLayer == 2 * 2 * 4)
        #expect(gqa.kvElementsPerTokenPerLayer == 2 * 2 * 2)
        #expect(Self.tiny(.mqa, heads: 4).kvElementsPerTokenPerLayer == 2 * 2)
        #expect(Self.tinyMLA(.always).kvElementsPerTokenPerLayer == 6 + 2)
        #expect(Self.tinyMLA(.always).kvElementsPerToken == 2 * 8)
    }

    @Test func flopsMatchNanoGPTFormula() {
        // Matmul weights: 2 layers × (256 attention + 288 MLP) + the tied 10 × 8 head = 1168.
        let c = Self.tiny(.mha)
        #expect(c.forwardFLOPsPerToken(context: 16) == 2 * 1168 + 2 * 2 * 2 * (4 + 4) * 16)
        // nanoGPT: 6N + 12 L H Q T with N the matmul weights, Q the head width.
        #expect(c.trainingFLOPsPerToken(context: 16) == 6 * 1168 + 12 * 2 * 2 * 4 * 16)
        #expect(c.trainingMatmulFLOPsPerToken == 6 * 1168)
        var untied = c
        untied.tieEmbeddings = false
        #expect(untied.forwardFLOPsPerToken(context: 16) == c.forwardFLOPsPerToken(context: 16))
    }

    @Test func mlaFlopsCountEveryProjection() {
        // Per layer q_a 32 + q_b 48 + kv_a 64 + kv_b 84 + o 48 + MLP 288 = 564; head 80.
        // Scores use d_nope + d_rope = 6 per head, the value mix d_v = 3.
        let c = Self.tinyMLA(.always)
        #expect(c.forwardFLOPsPerToken(context: 16) == 2 * (2 * 564 + 80) + 2 * 2 * 2 * (6 + 3) * 16)
        #expect(c.trainingFLOPsPerToken(context: 0) == 3 * 2 * (2 * 564 + 80))
        #expect(c.trainingMatmulFLOPsPerToken == 6 * (2 * 564 + 80))
    }
}
