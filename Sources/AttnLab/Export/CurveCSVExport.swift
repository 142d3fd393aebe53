/// `attnlab export RUN.h5 --format csv --out DIR`: the curves of a run file as CSV, one file per
/// group, for spreadsheets and plain pandas (`pd.read_csv(DIR + "/train.csv", index_col="step")`).
///
/// - `train.csv`: `step` then the `/train` columns in the file's order (`loss`, `lr`,
///   `grad_norm`, `tokens_per_s`, `elapsed_s`, `activation_bytes`, `peak_rss_bytes`);
/// - `eval.csv`: `step`, then `/eval`'s columns in name order (`loss` and the metric column);
/// - `final_eval.csv` (format 3, finished runs): `/final_eval` as one row.
///
/// One row per complete step (`RunReader`'s row count, so a killed run's half-written rows are
/// left out); a header line of column names; comma-separated, `\n` line ends; numbers in
/// Swift's shortest round-trip form (`2.1562`, `1e-05`), non-finite values as `nan`, `inf`,
/// `-inf` (which pandas reads as floats). Units are those of `results/README.md`.
public enum CurveCSVExport {
    /// The CSV text of one group: a header and one line per row (as many rows as the shortest
    /// of `steps` and `values`).
    public static func csv(columns: [String], steps: [Int], values: [[Double]]) -> String {
        var lines = [(["step"] + columns).joined(separator: ",")]
        // A live run can grow between reading one column and the next: keep the common rows.
        let rows = ([steps.count] + values.map(\.count)).min() ?? 0
        for i in 0..<rows {
            lines.append(([String(steps[i])] + values.map { number($0[i]) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(x)"
    }

    /// Writes `train.csv` and `eval.csv` for the run file at `runPath` into `folder` (created if
    /// missing), and `final_eval.csv` (one row: step, the eval columns, tokens, windows) when the
    /// file has a whole-split final evaluation, and returns the file names.
    ///
    /// - Throws: `ExportError` when either file exists (nothing is written); `HDF5Error` or
    ///   `RunFileError` when the run file cannot be read.
    public static func export(runPath: String, to folder: String) throws -> [String] {
        let reader = try RunReader(path: runPath)
        defer { try? reader.close() }
        let trainColumns = Array(RunLayout.trainColumns.dropFirst())
        let train = csv(columns: trainColumns, steps: try reader.trainSteps(),
                        values: try trainColumns.map { try reader.trainColumn($0) })
        let evalColumns = try reader.evalColumns()
        let eval = csv(columns: evalColumns, steps: try reader.evalSteps(),
                       values: try evalColumns.map { try reader.evalColumn($0) })
        var files = [("train.csv", train), ("eval.csv", eval)]
        if let f = try reader.finalEvaluation() {
            let row = [String(f.step)] + evalColumns.map { number(f.values[$0] ?? .nan) } + [String(f.tokens), String(f.windows)]
            files.append(("final_eval.csv", (["step"] + evalColumns + ["tokens", "windows"]).joined(separator: ",") + "\n" + row.joined(separator: ",") + "\n"))
        }
        try ExportFiles.prepare(folder, names: files.map(\.0))
        for (name, text) in files { try ExportFiles.write(text, to: folder + "/" + name) }
        return files.map(\.0)
    }
}
