@testable import AttnLab
import Foundation
import Testing

/// The JSON object at the start of a safetensors file, parsed by Foundation (an independent reader).
private func safetensorsHeader(_ bytes: [UInt8]) throws -> (length: Int, json: [String: Any]) {
    let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let object = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)]))
    return (n, try #require(object as? [String: Any]))
}

private func mla(_ change: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
    var c = ModelConfig()
    c.vocabSize = 256; c.dModel = 32; c.nLayers = 2; c.mlpHidden = 48; c.maxSeqLen = 16
    c.attention.kind = .mla; c.attention.nHeads = 4; c.attention.kvLoraRank = 12; c.attention.qLoraRank = 16
    c.attention.qkNopeHeadDim = 8; c.attention.qkRopeHeadDim = 4; c.attention.vHeadDim = 8
    change(&c)
    return c
}

@Suite struct ExportTests {
    @Test func safetensorsByteLayoutFollowsTheFormat() throws {
        let a = SafetensorsTensor(name: "model.a", shape: [2, 3], values: [1, -2, 0.5, 3, 4, 5])
        let b = SafetensorsTensor(name: "lm_head.weight", shape: [1], values: [-0.25])
        let bytes = try SafetensorsFile.encode([a, b], metadata: [("note", "x\"y")])
        let (n, header) = try safetensorsHeader(bytes)
        #expect((8 + n) % 8 == 0, "data section starts at a multiple of 8")
        #expect(bytes.count == 8 + n + 4 * 7)
        let text = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(text.hasPrefix("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\\\"y\"}"))
        #expect(text.reversed().prefix { $0 != "}" }.allSatisfy { $0 == " " }, "only spaces pad the header")
        let ea = try #require(header["model.a"] as? [String: Any])
        #expect(ea["dtype"] as? String == "F32")
        #expect(ea["shape"] as? [Int] == [2, 3])
        #expect(ea["data_offsets"] as? [Int] == [0, 24])
        #expect((header["lm_head.weight"] as? [String: Any])?["data_offsets"] as? [Int] == [24, 28])
        // Little-endian float32, row-major, back to back.
        let data = Array(bytes[(8 + n)...])
        var floats: [Float] = []
        for i in stride(from: 0, to: data.count, by: 4) {
            var bits: UInt32 = 0
            for k in 0..<4 { bits |= UInt32(data[i + k]) << UInt32(8 * k) }
            floats.append(Float(bitPattern: bits))
        }
        #expect(floats == a.values + b.values)
        #expect(Array(data[0..<4]) == [0x00, 0x00, 0x80, 0x3F], "1.0f little-endian")
    }

    @Test func safetensorsRefusesRepeatedNamesAndWrongShapes() {
        let t = SafetensorsTensor(name: "w", shape: [2], values: [1, 2])
        #expect(throws: ExportError.self) { try SafetensorsFile.encode([t, t]) }
        #expect(throws: ExportError.self) { try SafetensorsFile.encode([SafetensorsTensor(name: "w", shape: [3], values: [1, 2])]) }
        #expect(throws: ExportError.self) { try SafetensorsFile.encode([SafetensorsTensor(name: "__metadata__", shape: [2], values: [1, 2])]) }
    }

    @Test func llamaConfigCarriesHeadsHeadDimNormAndTying() throws {
        var c = ModelConfig()
        c.dModel = 32; c.attention.kind = .gqa; c.attention.nHeads = 4; c.attention.nKVHeads = 2; c.attention.headDim = 16
        c.normEps = 3e-6; c.ropeBase = 5000; c.tieEmbeddings = false; c.mlpHidden = 70; c.maxSeqLen = 64
        let j = try HuggingFaceConfig.make(c)
        #expect(j["architectures"] == .array([.string("LlamaForCausalLM")]))
        #expect(j["model_type"] == .string("llama"))
        #expect(j["num_key_value_heads"] == .int(2))
        #expect(j["head_dim"] == .int(16))
        #expect(j["intermediate_size"] == .int(70))
        #expect(j["max_position_embeddings"] == .int(64))
        #expect(j["rms_norm_eps"] == .double(3e-6))
        #expect(j["rope_parameters"]?["rope_theta"] == .double(5000))
        #expect(j["rope_parameters"]?["rope_type"] == .string("default"))
        #expect(j["tie_word_embeddings"] == .bool(false))
        #expect(j["attention_bias"] == .bool(false) && j["mlp_bias"] == .bool(false))
        #expect(j["eos_token_id"] == .null && j["bos_token_id"] == .null)
        c.attention.kind = .mqa
        #expect(try HuggingFaceConfig.make(c)["num_key_value_heads"] == .int(1))
        c.attention.kind = .mha
        #expect(try HuggingFaceConfig.make(c)["num_key_value_heads"] == .int(4))
    }

    @Test func deepseekConfigIsDenseWithTheQueryPathAsExported() throws {
        let trainOnly = try HuggingFaceConfig.make(mla())
        #expect(trainOnly["architectures"] == .array([.string("DeepseekV3ForCausalLM")]))
        #expect(trainOnly["q_lora_rank"] == .null, "train-only bottleneck folds into q_proj")
        #expect(trainOnly["kv_lora_rank"] == .int(12))
        #expect(trainOnly["qk_nope_head_dim"] == .int(8) && trainOnly["qk_rope_head_dim"] == .int(4) && trainOnly["v_head_dim"] == .int(8))
        #expect(trainOnly["first_k_dense_replace"] == .int(2), "no MoE layer")
        #expect(trainOnly["rope_interleave"] == .bool(false))
        #expect(trainOnly["rope_parameters"]?["rope_type"] == .string("default"), "no YaRN: softmax scale (nope+rope)^-0.5")
        let always = try HuggingFaceConfig.make(mla { $0.attention.queryCompression = .always })
        #expect(always["q_lora_rank"] == .int(16))
        let dense = try HuggingFaceConfig.make(mla { $0.attention.qLoraRank = 0; $0.attention.queryCompression = .always })
        #expect(dense["q_lora_rank"] == .null)
        #expect(try HuggingFaceConfig.make(mla { $0.ropeStyle = .interleaved })["rope_interleave"] == .bool(true))
    }

    @Test func variantsWithoutAnExactCounterpartAreRefused() {
        var gqa = ModelConfig()
        gqa.attention.kind = .gqa; gqa.ropeStyle = .interleaved
        #expect(HuggingFaceConfig.refusal(gqa)?.contains("rope_style = interleaved") == true)
        #expect(throws: ExportError.self) { try HuggingFaceConfig.make(gqa) }
        let oldEps = mla { $0.attention.latentNormEps = 1e-5 }
        #expect(HuggingFaceConfig.refusal(oldEps)?.contains("latent_norm_eps") == true)
        #expect(HuggingFaceConfig.refusal(mla { $0.attention.qkRopeHeadDim = 0 })?.contains("qk_rope_head_dim = 0") == true)
        #expect(throws: ExportError.self) { try HuggingFaceConfig.make(oldEps) }
        #expect(HuggingFaceConfig.refusal(mla()) == nil)
        #expect(HuggingFaceConfig.refusal(mla { $0.ropeStyle = .interleaved }) == nil, "DeepSeek-V3 has rope_interleave")
        // transformers has no grouped-tied or grouped latent attention.
        for kind in [AttentionKind.gta, .gla] {
            var c = mla()
            c.attention.kind = kind
            #expect(HuggingFaceConfig.refusal(c)?.contains("transformers has no \(kind.rawValue.uppercased())") == true)
            #expect(throws: ExportError.self) { try HuggingFaceConfig.make(c) }
        }
        // MHA/GQA/MQA export their own KV-head count.
        for (kind, heads) in [(AttentionKind.mha, 8), (.gqa, 2), (.mqa, 1)] {
            var c = ModelConfig()
            c.attention.kind = kind; c.attention.nHeads = 8; c.attention.nKVHeads = 2
            #expect(HuggingFaceConfig.kvHeads(c.attention) == heads, "\(kind)")
        }
    }

    @Test func trainOnlyQueryBottleneckIsExportedFoldedIntoQProj() throws {
        let model = DecoderLM<Float>(mla(), seed: 3)
        let tensors = HuggingFaceExport.tensors(model)
        let names = tensors.map(\.name)
        #expect(!names.contains { $0.contains("q_a_proj") || $0.contains("q_b_proj") })
        #expect(names.allSatisfy { $0.hasPrefix("model.") }, "tied head: no lm_head.weight")
        let q = try #require(tensors.first { $0.name == "model.layers.1.self_attn.q_proj.weight" })
        let qa = try #require(model.store["layers.1.self_attn.q_a_proj.weight"]).array
        let qb = try #require(model.store["layers.1.self_attn.q_b_proj.weight"]).array
        #expect(q.shape == [4 * 12, 32])
        for (i, j) in [(0, 0), (5, 31), (47, 17)] {
            var expected = 0.0
            for l in 0..<16 { expected += Double(qb[i * 16 + l]) * Double(qa[l * 32 + j]) }
            #expect(abs(Double(q.values[i * 32 + j]) - expected) <= 1e-7 * max(1, abs(expected)))
        }
        let always = HuggingFaceExport.tensors(DecoderLM<Float>(mla { $0.attention.queryCompression = .always; $0.tieEmbeddings = false }, seed: 3))
        let alwaysNames = Set(always.map(\.name))
        #expect(alwaysNames.isSuperset(of: ["model.layers.0.self_attn.q_a_proj.weight", "model.layers.0.self_attn.q_a_layernorm.weight",
                                            "model.layers.0.self_attn.q_b_proj.weight", "lm_head.weight", "model.norm.weight"]))
        #expect(!alwaysNames.contains("model.layers.0.self_attn.q_proj.weight"))
    }

    @Test func byteTokenizerFileMapsEveryByteToItsValue() throws {
        let alphabet = HuggingFaceTokenizer.byteAlphabet()
        #expect(Set(alphabet).count == 256)
        #expect(alphabet[Int(UInt8(ascii: "A"))] == "A" && alphabet[0] == "\u{0100}" && alphabet[32] == "\u{0120}")
        let files = try HuggingFaceTokenizer.files(ByteTokenizer(), maxLength: 64)
        #expect(files.map(\.name) == ["tokenizer.json", "tokenizer_config.json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(files[0].text.utf8)) as? [String: Any])
        let vocab = try #require((json["model"] as? [String: Any])?["vocab"] as? [String: Int])
        #expect(vocab.count == 256 && vocab["Ġ"] == 32 && vocab["\u{0100}"] == 0 && vocab["ÿ"] == 255)
        #expect(try HuggingFaceTokenizer.files(PretokenizedVocabulary(vocabSize: 10), maxLength: 8).isEmpty)
        let chars = try HuggingFaceTokenizer.files(CharTokenizer(vocabulary: ["\n", "a", "\u{FFFD}"]), maxLength: 8)
        #expect(chars[0].text.contains("\"unk_token\": \"\u{FFFD}\"") && chars[0].text.contains("\"\\n\": 0"))
    }

    @Test func curveCSVHasAHeaderRoundTripNumbersAndTheCommonRows() {
        let text = CurveCSVExport.csv(columns: ["loss", "lr"], steps: [1, 2, 3],
                                      values: [[2.5, .nan, 0.1], [1e-05, .infinity]])
        #expect(text == "step,loss,lr\n1,2.5,1e-05\n2,nan,inf\n")
        #expect(Double("0.1") == 0.1 && CurveCSVExport.number(0.1 + 0.2) == "0.30000000000000004")
    }

    @Test func jsonQuotesControlCharactersAndKeepsOrder() {
        let j = ExportJSON.object([("b", .int(1)), ("a", .string("x\n\u{01}é\"")), ("c", .array([.null, .bool(true), .double(1e-06)]))])
        #expect(j.text() == "{\"b\":1,\"a\":\"x\\n\\u0001é\\\"\",\"c\":[null,true,1e-06]}")
    }

    @Test func storedConfigsWithoutTheLatentEpsKeepTheirNormEps() throws {
        var config = ExperimentConfig()
        config.description = "stored"
        config.data.seqLen = 16
        config.model = mla { $0.normEps = 2e-5 }
        #expect(config.model.attention.latentNormEps == 1e-6, "DeepSeek's value is the default for new configs")
        let text = config.canonicalTOML()
        #expect(text.contains("latent_norm_eps = 1e-06"))
        #expect(try ExperimentConfig(resolvedTOML: text).model.attention.latentNormEps == 1e-6)
        let old = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("latent_norm_eps") }.joined(separator: "\n")
        #expect(try ExperimentConfig(resolvedTOML: old).model.attention.latentNormEps == 2e-5, "trained with model.norm_eps")
        // Outside MLA the key changes nothing, so a sweep still recognises older files.
        var mha = config
        mha.model.attention.kind = .mha
        var oldMHA = mha
        oldMHA.model.attention.latentNormEps = 2e-5
        #expect(sameRunConfig(mha, oldMHA))
        #expect(!sameRunConfig(config, try ExperimentConfig(resolvedTOML: old)))
    }
}
