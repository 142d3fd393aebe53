/// What `attnlab export` writes: a Hugging Face model folder or the curves as CSV.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// `config.json`, `model.safetensors`, tokenizer files and a model card (`HuggingFaceExport`).
    case hf
    /// `train.csv` and `eval.csv` (`CurveCSVExport`).
    case csv

    /// Exports the run file at `runPath` into `folder` and returns what was written, one line
    /// per file, for the console.
    ///
    /// - Throws: `ExportError` (no exact counterpart, an output file exists), `RunFileError` or
    ///   `HDF5Error` (the run file cannot be read, has no checkpoint).
    public func export(runPath: String, to folder: String) throws -> String {
        switch self {
        case .hf:
            let s = try HuggingFaceExport.export(runPath: runPath, to: folder)
            return "exported \(runPath) (checkpoint at step \(s.step)) as \(s.architecture): \(s.tensorCount) tensors, "
                + "\(s.parameterCount) values\n" + s.files.map { "  \(folder)/\($0)" }.joined(separator: "\n") + "\n"
        case .csv:
            return "exported the curves of \(runPath)\n"
                + (try CurveCSVExport.export(runPath: runPath, to: folder)).map { "  \(folder)/\($0)" }.joined(separator: "\n") + "\n"
        }
    }
}
