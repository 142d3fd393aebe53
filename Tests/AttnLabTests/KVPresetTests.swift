import AttnLab
import Testing

/// Figures from DeepSeek-V2 (arXiv 2405.04434): Table 1, appendix D Table 9 and its text.
@Suite struct KVPresetTests {
    static func preset(_ name: String) throws -> KVModel { try KVPresets.named(name) }

    @Test func appendixDCrossChecks() throws {
        #expect(try Self.preset("dsv2-small-mha").kvElementsPerToken == 110_592)
        #expect(try Self.preset("dsv2-small-mla").kvElementsPerToken == 15_552)
        #expect(try Self.preset("dsv2-large-mha").kvElementsPerToken == 860_160)
        #expect(try Self.preset("dsv2-large-mla").kvElementsPerToken == 34_560)
        #expect(try Self.preset("deepseek-v3").kvElementsPerToken == 35_136)
    }

    /// Table 9 prints thousands with one decimal.
    @Test(arguments: [
        ("dsv2-small-mha", 110.6), ("dsv2-small-mla", 15.6), ("dsv2-large-mha", 860.2), ("dsv2-large-mla", 34.6),
    ])
    func table9Rounded(name: String, thousands: Double) throws {
        let k = Double(try Self.preset(name).kvElementsPerToken) / 1000
        #expect((k * 10).rounded() / 10 == thousands)
    }

    @Test func paperRatios() throws {
        #expect((try Self.preset("dsv2-small-mla").ratioToMHA * 100).rounded() == 14)
        #expect((try Self.preset("dsv2-large-mla").ratioToMHA * 100).rounded() == 4)
        #expect(try Self.preset("dsv2-small-mha").ratioToMHA == 1)
    }

    @Test func deepSeekV2GroupEquivalence() throws {
        let v2 = try Self.preset("deepseek-v2")
        #expect(v2.equivalentGQAGroups == 2.25)
        // Table 1: about (9/2) d_h l, d_h = 128.
        #expect(v2.kvElementsPerTokenPerLayer * 2 == 9 * 128)
        #expect(v2.baseline.kvElementsPerToken == 2 * 128 * 128 * 60)
        #expect(KVTable.text([v2]).contains("2.25 groups"))
    }

    @Test func bytesFollowPrecision() throws {
        let m = try Self.preset("dsv2-small-mla")
        #expect(m.bytesPerToken(.fp32) == 4 * 15_552)
        #expect(m.bytesPerToken(.bf16) == 2 * 15_552)
        #expect(m.bytesPerToken(.fp8) == 15_552)
    }

    @Test func everyPresetValidates() throws {
        #expect(Set(KVPresets.names).count == KVPresets.all.count)
        for m in KVPresets.all { try m.modelConfig.validate() }
        #expect(KVPresets.names.contains("kimi-k2"))
        #expect(try Self.preset("deepseek-v2-lite").attention.qLoraRank == 0)
    }

    @Test func unknownPresetListsNames() {
        #expect {
            try KVPresets.named("gpt-5")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("gpt-5") && KVPresets.names.allSatisfy { text.contains($0) }
        }
    }

    @Test func customModels() throws {
        let gqa = try KVPresets.custom(kind: .gqa, layers: 32, heads: 32, headDim: 128, options: KVOptionValues(kvHeads: 8))
        #expect(gqa.kvElementsPerToken == 2 * 8 * 128 * 32)
        #expect(gqa.ratioToMHA == 0.25)
        #expect(gqa.equivalentGQAGroups == 8)
        let mla = try KVPresets.custom(kind: .mla, layers: 60, heads: 128, headDim: 128)
        #expect(mla.kvElementsPerTokenPerLayer == 512 + 64)
        #expect(try KVPresets.custom(kind: .mqa, layers: 2, heads: 4, headDim: 64).kvElementsPerToken == 2 * 64 * 2)
        #expect(throws: ModelConfigError.self) {
            try KVPresets.custom(kind: .gqa, layers: 2, heads: 8, options: KVOptionValues(kvHeads: 3))
        }
        #expect(throws: ModelConfigError.self) { try KVPresets.custom(kind: .gqa, layers: 2, heads: 8) }
        // GTA: one tied state per group plus one roped key of d_h / 2, about half of GQA's cache.
        let gta = try KVPresets.custom(kind: .gta, layers: 32, heads: 32, headDim: 128, options: KVOptionValues(kvHeads: 8))
        #expect(gta.kvElementsPerToken == (8 * 128 + 64) * 32)
        #expect(gta.substitutedFormula == "(8 × 128 + 64) × 32 = 34,816")
        #expect(Double(gta.kvElementsPerToken) / Double(gqa.kvElementsPerToken) == 0.53125)
        // GLA-2 as in the reference's decoding example: 128 heads, 2 latent heads of 256, d_R 64.
        let gla = try KVPresets.custom(kind: .gla, layers: 1, heads: 128, headDim: 128,
                                       options: KVOptionValues(kvLoraRank: 512, ropeDim: 64))
        #expect(gla.kvElementsPerToken == 2 * 256 + 64)
        #expect(gla.substitutedFormula == "(2 × 256 + 64) × 1 = 576")
        #expect(gla.shapeSummary == "GLA, 128 heads, 2 latent heads of d_c 256, d_R 64, 1 layers")
        #expect(throws: ModelConfigError.self) {
            try KVPresets.custom(kind: .gla, layers: 1, heads: 6, headDim: 8, options: KVOptionValues(latentHeads: 4))
        }
    }

    @Test func textListing() throws {
        let text = KVTable.text([try Self.preset("dsv2-small-mla")])
        #expect(text.contains("(d_c + d_R) l = (512 + 64) × 27 = 15,552"))
        #expect(text.contains("15,552 elements"))
        #expect(text.contains("14.1% of dsv2-small-mha"))
        #expect(text.contains("fp32 62,208 B"))
    }

    @Test func tables() {
        let md = KVTable.markdown(KVPresets.all).split(separator: "\n")
        #expect(md.count == KVPresets.all.count + 2)
        #expect(md.allSatisfy { $0.hasPrefix("| ") && $0.hasSuffix(" |") })
        #expect(md.contains { $0.contains("dsv2-large-mla") && $0.contains("34,560") && $0.contains("4.0%") })
        let plain = KVTable.plainTable(KVPresets.all).split(separator: "\n")
        #expect(plain.count == KVPresets.all.count + 1)
        #expect(plain.contains { $0.hasPrefix("dsv2-small-mha ") && $0.contains("110,592") })
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (15_552, "15,552"), (1_234_567, "1,234,567"), (-4096, "-4,096")])
    func digitGrouping(value: Int, text: String) {
        #expect(grouped(value) == text)
    }
}

@Suite struct ExperimentKVTests {
    /// An experiment's runs become one KV row per distinct model: seeds collapse, names lose the
    /// seed suffix, and the figures follow Table 1's formulas.
    @Test func experimentModelsCollapseSeeds() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("kvx", "[grid]\n\"train.seed\" = [1, 2]", kinds: ["mha", "mla"])
        let models = KVTable.models(of: try box.load("kvx"))
        #expect(models.map(\.name) == ["kvx/mha", "kvx/mla"])
        #expect(models[0].kvElementsPerToken == 2 * 4 * 8 * 2)
        #expect(models[1].kvElementsPerToken == (12 + 4) * 2)
        #expect(abs(models[1].ratioToMHA - Double(16) / Double(64)) < 1e-12)
    }
}
