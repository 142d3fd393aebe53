@testable import AttnLab
import Foundation
import Testing

/// Run files (formats 2 and 3): units, long names, step dimension scales, the status encoding,
/// `/final_eval`; and the exporters on a real trained file.
@Suite struct RunVariablesTests {
    @Test func runFilesNameEveryCurveAndTensorAndIndexCurvesByStep() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("units", kinds: ["mla"])
        let outcome = try #require(try runExperiment(box.load("units", ["train.steps=20", "eval.every=10"]),
                                                     resultsDirectory: box.results, quiet: true).first)
        let file = try HDF5File.open(path: outcome.path)
        defer { try? file.close() }
        let root = file.root
        #expect(try root.intAttribute("format_version") == 3)
        for (group, table) in [("train", RunVariables.train), ("eval", RunVariables.eval)] {
            let g = try root.group(group)
            let columns = try g.childNames()
            #expect(columns.contains("step") && columns.count >= 3)
            #expect(try HDF5DimensionScale.name(g, "step") == "step")
            for column in columns {
                let d = try g.dataset(column)
                #expect(try d.stringAttribute("units") == table[column]?.units, "/\(group)/\(column)")
                #expect(try d.stringAttribute("long_name") == table[column]?.longName, "/\(group)/\(column)")
                if column != "step" {
                    #expect(try HDF5DimensionScale.isAttached(g, scale: "step", to: column), "/\(group)/\(column)")
                    #expect(try HDF5DimensionScale.name(g, column) == nil)
                }
            }
        }
        #expect(try root.group("eval").childNames().sorted() == ["bits_per_byte", "loss", "step"])
        #expect(try root.group("eval").intAttribute("windows") == 8)
        let final = try root.group("final_eval")
        #expect(try final.childNames().sorted() == ["bits_per_byte", "loss", "step", "tokens", "windows"])
        #expect(try final.dataset("loss").stringAttribute("long_name") == "final validation loss (whole split)")
        #expect(try final.dataset("bits_per_byte").stringAttribute("units") == "bits/byte")
        #expect(try final.dataset("step").read(as: Int64.self).values == [20])
        #expect(try final.stringAttribute("protocol") == ValidationProtocol.windows.description)
        #expect(try root.dataset("train/loss").stringAttribute("units") == "nats/token")
        #expect(try root.dataset("train/elapsed_s").stringAttribute("units") == "s")
        #expect(try root.dataset("status").stringAttribute("_Encoding") == "utf-8")
        #expect(try root.dataset("status").stringAttribute("long_name") == "run status")
        #expect(try root.dataset("checkpoint/elapsed_s").stringAttribute("units") == "s")
        let slot = "checkpoint/slot1/"
        let names = try root.group(slot + "params").childNames()
        #expect(names.contains("layers.0.self_attn.kv_a_proj_with_mqa.weight"))
        for name in names {
            #expect(try root.dataset(slot + "params/" + name).stringAttribute("long_name") == "weight \(name)")
            #expect(try root.dataset(slot + "adam_m/" + name).stringAttribute("units") == "nats/token")
            #expect(try root.dataset(slot + "adam_v/" + name).stringAttribute("long_name").hasPrefix("AdamW second moment"))
        }
    }

    @Test func exportersWriteFromATrainedRunAndNeverReplaceFiles() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("exp", kinds: ["gqa"])
        let outcome = try #require(try runExperiment(box.load("exp", ["train.steps=20", "eval.every=10"]),
                                                     resultsDirectory: box.results, quiet: true).first)
        let csvFolder = box.root.appendingPathComponent("csv").path
        #expect(try CurveCSVExport.export(runPath: outcome.path, to: csvFolder) == ["train.csv", "eval.csv", "final_eval.csv"])
        let train = try String(contentsOfFile: csvFolder + "/train.csv", encoding: .utf8).split(separator: "\n")
        #expect(train.first == "step,loss,lr,grad_norm,tokens_per_s,elapsed_s,activation_bytes,peak_rss_bytes")
        #expect(train.count == 21)
        let reader = try RunReader(path: outcome.path)
        let loss = try reader.trainColumn("loss")
        try reader.close()
        #expect(train[20].split(separator: ",")[1] == "\(loss[19])", "round-trip numbers")
        let eval = try String(contentsOfFile: csvFolder + "/eval.csv", encoding: .utf8)
        #expect(eval.hasPrefix("step,bits_per_byte,loss\n10,"))
        let final = try String(contentsOfFile: csvFolder + "/final_eval.csv", encoding: .utf8).split(separator: "\n")
        let stored = try #require(try RunRecord(path: outcome.path).finalEvaluation)
        #expect(final == ["step,bits_per_byte,loss,tokens,windows",
                          "20,\(stored.values["bits_per_byte"]!),\(stored.values["loss"]!),\(stored.tokens),\(stored.windows)"])
        #expect(throws: ExportError.self) { try CurveCSVExport.export(runPath: outcome.path, to: csvFolder) }

        let hf = box.root.appendingPathComponent("hf").path
        let summary = try HuggingFaceExport.export(runPath: outcome.path, to: hf)
        #expect(summary.architecture == "LlamaForCausalLM" && summary.step == 20)
        let files = try FileManager.default.contentsOfDirectory(atPath: hf).sorted()
        #expect(files == ["README.md", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
        let card = try String(contentsOfFile: hf + "/README.md", encoding: .utf8)
        #expect(card.contains("| KV cache per token | 64 elements: 256 bytes in fp32, 128 in bf16 |"))
        #expect(card.contains("ids = list(text.encode(\"utf-8\"))") && card.contains("[model.attention]"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: hf + "/model.safetensors")))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(bytes.count == 8 + n + 4 * summary.parameterCount)
        #expect(throws: ExportError.self) { try HuggingFaceExport.export(runPath: outcome.path, to: hf) }
    }
}
