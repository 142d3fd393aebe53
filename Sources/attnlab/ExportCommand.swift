import ArgumentParser
import AttnLab

/// `attnlab export RUN.h5 --format hf|csv --out DIR`: parsing only; the exporters are in the
/// library (`ExportFormat`).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run: its checkpoint as a Hugging Face model folder (hf) or its curves as CSV (csv).",
        discussion: """
            hf writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json and a model card \
            README.md that transformers loads with AutoModelForCausalLM.from_pretrained(DIR): LlamaForCausalLM \
            for mha/gqa/mqa, DeepseekV3ForCausalLM for mla. A run with no exact transformers counterpart is \
            refused with the reason. csv writes train.csv and eval.csv (and final_eval.csv for a finished run of format 3). The folder is created if missing; \
            existing files in it are never replaced.
            """)

    @Argument(help: "A run file written by attnlab run.") var file: String
    @Option(help: "What to write: hf or csv.") var format: ExportFormat
    @Option(help: ArgumentHelp("Output folder.", valueName: "dir")) var out: String

    func validate() throws {
        try checkOption("--out", out, !out.isEmpty, expected: "a folder path")
    }

    func run() throws {
        print(try format.export(runPath: file, to: out), terminator: "")
    }
}

extension ExportFormat: ExpressibleByArgument {}
