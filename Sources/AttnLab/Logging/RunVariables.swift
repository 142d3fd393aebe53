/// Names, units and dimensions of a run file's datasets (formats 2 and 3, `results/README.md`): every
/// curve and checkpoint tensor carries CF-style `units` and `long_name` attributes, and each curve
/// group's `step` column is an HDF5 dimension scale named `step` attached to the group's other
/// columns, so netCDF-4 readers (xarray with h5netcdf) index the curves by a named `step`
/// dimension. Dimensionless quantities have units `1` (CF's convention); the status string has
/// no units but netCDF's `_Encoding = "utf-8"`, so xarray decodes it to `str`.
public enum RunVariables {
    /// Units and long name of one dataset.
    public struct Description: Sendable, Equatable {
        public let units: String?
        public let longName: String
        public init(units: String?, longName: String) { self.units = units; self.longName = longName }
    }

    /// The dimension every curve of `/train` and `/eval` is indexed by.
    public static let stepDimension = "step"

    /// `/train` columns, keyed by dataset name (`RunLayout.trainColumns`).
    public static let train: [String: Description] = [
        "step": Description(units: "1", longName: "optimiser steps completed"),
        "loss": Description(units: "nats/token", longName: "training loss"),
        "lr": Description(units: "1", longName: "learning rate"),
        "grad_norm": Description(units: "1", longName: "global gradient L2 norm before clipping"),
        "tokens_per_s": Description(units: "tokens/s", longName: "training throughput"),
        "elapsed_s": Description(units: "s", longName: "run time since the start"),
        "activation_bytes": Description(units: "bytes", longName: "activation memory of the step"),
        "peak_rss_bytes": Description(units: "bytes", longName: "peak resident memory of the process"),
    ]

    /// `/eval` columns: `step`, `loss` and the metric column of the run's data.
    public static let eval: [String: Description] = [
        "step": Description(units: "1", longName: "optimiser steps completed at the evaluation"),
        "loss": Description(units: "nats/token", longName: "validation loss"),
        "bits_per_byte": Description(units: "bits/byte", longName: "validation bits per byte"),
        "bits_per_char": Description(units: "bits/char", longName: "validation bits per character"),
        "bits_per_token": Description(units: "bits/token", longName: "validation bits per token"),
        "accuracy": Description(units: "1", longName: "MQAR exact-match accuracy on labelled positions"),
    ]

    /// `/final_eval` datasets besides the eval columns (which take `eval`'s descriptions).
    public static let finalEval: [String: Description] = [
        "step": Description(units: "1", longName: "optimiser steps completed at the final evaluation (0 = none yet)"),
        "tokens": Description(units: "1", longName: "tokens scored by the final evaluation"),
        "windows": Description(units: "1", longName: "validation windows of the final evaluation"),
    ]

    /// Scalars at the root and in `/checkpoint`.
    public static let scalars: [String: Description] = [
        RunLayout.status: Description(units: nil, longName: "run status"),
        RunLayout.statusStep: Description(units: "1", longName: "step at which the status was set"),
        RunLayout.checkpointMeta: Description(
            units: "1", longName: "checkpoint slot, step, optimizer step, sampler state (4 words), format version"),
        RunLayout.checkpointElapsed: Description(units: "s", longName: "run time at the checkpoint"),
    ]

    /// A checkpoint tensor: `part` is `params`, `adam_m` or `adam_v`, `name` the parameter.
    public static func checkpointTensor(part: String, name: String) -> Description {
        switch part {
        case "params": return Description(units: "1", longName: "weight \(name)")
        case "adam_m": return Description(units: "nats/token", longName: "AdamW first moment (gradient mean) of \(name)")
        default: return Description(units: "(nats/token)^2", longName: "AdamW second moment (squared-gradient mean) of \(name)")
        }
    }

    /// Writes every description and the step scales into a file being laid out (before SWMR
    /// writing starts): the curve datasets, status datasets and checkpoint datasets must exist.
    ///
    /// - Throws: `RunFileError` for an eval column without a description; `HDF5Error` when an
    ///   attribute or scale cannot be written.
    static func describe(_ root: HDF5Group, evalColumns: [String], parameterNames: [String], saveWeights: Bool) throws {
        for (group, columns, table) in [("train", Array(RunLayout.trainColumns.dropFirst()), train), ("eval", evalColumns, eval)] {
            let g = try root.group(group)
            for column in ["step"] + columns {
                guard let d = table[column] else { throw RunFileError("internal: no units for /\(group)/\(column)") }
                try set(try g.dataset(column), d)
            }
            try HDF5DimensionScale.make(g, "step", dimensionName: stepDimension)
            for column in columns { try HDF5DimensionScale.attach(g, scale: "step", to: column) }
        }
        let final = try root.group(RunLayout.finalEval)
        for (name, d) in finalEval { try set(try final.dataset(name), d) }
        for column in evalColumns {
            guard let d = eval[column] else { throw RunFileError("internal: no units for /\(RunLayout.finalEval)/\(column)") }
            try set(try final.dataset(column), Description(units: d.units, longName: "final " + d.longName + " (whole split)"))
        }
        for (path, d) in scalars { try set(try root.dataset(path), d) }
        // netCDF's (and xarray's) marker for text stored as bytes: xarray then reads the status as str.
        try root.dataset(RunLayout.status).setAttribute("_Encoding", .string("utf-8"))
        guard saveWeights else { return }
        for slot in 0..<2 {
            for name in parameterNames {
                for part in ["params", "adam_m", "adam_v"] {
                    try set(try root.dataset("\(RunLayout.slot(slot))/\(part)/\(name)"), checkpointTensor(part: part, name: name))
                }
            }
        }
    }

    static func set(_ object: some HDF5Object, _ d: Description) throws {
        if let units = d.units { try object.setAttribute("units", .string(units)) }
        try object.setAttribute("long_name", .string(d.longName))
    }
}
