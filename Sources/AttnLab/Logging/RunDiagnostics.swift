/// The stability diagnostics of a run file (`/diagnostics`, `results/README.md`): per decoder
/// layer, the largest pre-softmax attention logit and (MLA, GLA) the RMS of the KV latent
/// before its norm, at the logged steps; and the loss and gradient-norm spikes of the run.
/// The group belongs to run-file format 3; files without it (format 1 and 2, or runs with
/// `log.diagnostics = false`) read as having no diagnostics.
public struct RunDiagnostics: Sendable, Equatable {
    /// Decoder layers, from the file's `layer` scale (also when no step was logged yet).
    public var layers: Int
    /// Logged steps, increasing.
    public var steps: [Int]
    /// `[steps.count][layers]`: largest attention logit of each layer at each logged step.
    public var maxAttentionLogit: [[Double]]
    /// `[steps.count][layers]`: RMS of c_KV before `kv_a_layernorm`; nil without a latent.
    public var latentRMS: [[Double]]?
    /// Every spike the run recorded, by step (loss before gradient norm at the same step).
    public var spikes: [SpikeEvent]

    public init(layers: Int, steps: [Int], maxAttentionLogit: [[Double]], latentRMS: [[Double]]?, spikes: [SpikeEvent]) {
        self.layers = layers; self.steps = steps; self.maxAttentionLogit = maxAttentionLogit; self.latentRMS = latentRMS; self.spikes = spikes
    }

    public func spikes(_ kind: SpikeKind) -> [SpikeEvent] { spikes.filter { $0.kind == kind } }
}

/// One logged row of `/diagnostics`.
public struct DiagnosticsRecord: Sendable, Equatable {
    public var step: Int
    /// One value per layer.
    public var maxAttentionLogit: [Double]
    /// One value per layer (MLA, GLA), else nil.
    public var latentRMS: [Double]?
    public init(step: Int, maxAttentionLogit: [Double], latentRMS: [Double]?) {
        self.step = step; self.maxAttentionLogit = maxAttentionLogit; self.latentRMS = latentRMS
    }
}

/// What spiked.
public enum SpikeKind: String, Sendable, CaseIterable {
    /// The training loss of the step (nats/token).
    case loss
    /// The global gradient norm before clipping.
    case gradNorm = "grad_norm"
}

/// A step whose loss or gradient norm stood out against the running median of the steps
/// before it (the rule is `SpikeDetector`'s).
public struct SpikeEvent: Sendable, Equatable {
    public var step: Int
    public var kind: SpikeKind
    /// The step's loss or gradient norm.
    public var value: Double
    /// The median it was compared with.
    public var median: Double
    public init(step: Int, kind: SpikeKind, value: Double, median: Double) {
        self.step = step; self.kind = kind; self.value = value; self.median = median
    }
}

/// Names of `/diagnostics` and its datasets.
enum DiagnosticsLayout {
    static let group = "diagnostics"
    static let step = "step", layer = "layer"
    static let maxAttentionLogit = "max_attention_logit", latentRMS = "latent_rms"
    static let spikeColumns = ["value", "median"]
    /// The event group of a kind, e.g. `diagnostics/grad_norm_spikes`.
    static func spikes(_ kind: SpikeKind) -> String { "\(group)/\(kind.rawValue)_spikes" }
}

extension RunVariables {
    /// Units and long names of `/diagnostics` (per-layer curves) and its spike groups.
    public static let diagnostics: [String: Description] = [
        DiagnosticsLayout.step: Description(units: "1", longName: "optimiser steps completed"),
        DiagnosticsLayout.layer: Description(units: "1", longName: "decoder layer index, from 0"),
        DiagnosticsLayout.maxAttentionLogit: Description(
            units: "1", longName: "largest pre-softmax attention logit (scaled q.k, causal mask excluded)"),
        DiagnosticsLayout.latentRMS: Description(units: "1", longName: "RMS of the KV latent c_KV before kv_a_layernorm"),
    ]

    /// Units and long names of a spike group's columns.
    public static func spikes(_ kind: SpikeKind) -> [String: Description] {
        let (units, name) = kind == .loss ? ("nats/token", "training loss") : ("1", "gradient norm before clipping")
        return [
            DiagnosticsLayout.step: Description(units: "1", longName: "step of the \(name) spike"),
            "value": Description(units: units, longName: "\(name) at the spike"),
            "median": Description(units: units, longName: "median \(name) of the preceding window"),
        ]
    }

    /// Lays out `/diagnostics` in a file being created (before SWMR writing starts): the curve
    /// and spike datasets with their descriptions, the `step` scales and the `layer` scale.
    ///
    /// - Throws: `HDF5Error` when a dataset, attribute or scale cannot be written.
    static func layOutDiagnostics(_ root: HDF5Group, layers: Int, latent: Bool) throws {
        let g = try root.createGroup(DiagnosticsLayout.group)
        try g.createAppendableDataset(DiagnosticsLayout.step, of: Int64.self)
        try g.writeDataset(DiagnosticsLayout.layer, HDF5Array(shape: [layers], values: (0..<layers).map(Int64.init)))
        let columns = [DiagnosticsLayout.maxAttentionLogit] + (latent ? [DiagnosticsLayout.latentRMS] : [])
        for c in columns { try g.createAppendableDataset(c, of: Double.self, rowWidth: layers) }
        for name in [DiagnosticsLayout.step, DiagnosticsLayout.layer] + columns {
            try set(try g.dataset(name), diagnostics[name]!)
        }
        try HDF5DimensionScale.make(g, DiagnosticsLayout.step, dimensionName: stepDimension)
        try HDF5DimensionScale.make(g, DiagnosticsLayout.layer, dimensionName: DiagnosticsLayout.layer)
        for c in columns {
            try HDF5DimensionScale.attach(g, scale: DiagnosticsLayout.step, to: c, dimension: 0)
            try HDF5DimensionScale.attach(g, scale: DiagnosticsLayout.layer, to: c, dimension: 1)
        }
        for kind in SpikeKind.allCases {
            let s = try root.createGroup(DiagnosticsLayout.spikes(kind))
            try s.createAppendableDataset(DiagnosticsLayout.step, of: Int64.self)
            for c in DiagnosticsLayout.spikeColumns { try s.createAppendableDataset(c, of: Double.self) }
            for (name, d) in spikes(kind) { try set(try s.dataset(name), d) }
            try HDF5DimensionScale.make(s, DiagnosticsLayout.step, dimensionName: stepDimension)
            for c in DiagnosticsLayout.spikeColumns { try HDF5DimensionScale.attach(s, scale: DiagnosticsLayout.step, to: c) }
        }
    }
}

extension RunReader {
    /// Whether the file has `/diagnostics`.
    public func hasDiagnostics() throws -> Bool { try file.root.contains(DiagnosticsLayout.group) }

    /// The value columns of `/diagnostics` this file holds.
    func diagnosticsColumns() throws -> [String] {
        let g = try file.root.group(DiagnosticsLayout.group)
        return try [DiagnosticsLayout.maxAttentionLogit, DiagnosticsLayout.latentRMS].filter { try g.contains($0) }
    }

    /// Steps of `/diagnostics` and of a spike group, counted like `/train` (shortest column, up
    /// to the first step that does not increase).
    func diagnosticsSteps(_ group: String, _ columns: [String]) throws -> [Int] {
        let rows = try rowCount(group, columns)
        return try file.root.appendableDataset(group + "/" + DiagnosticsLayout.step, of: Int64.self).readAll().prefix(rows).map(Int.init)
    }

    /// The file's diagnostics, or nil when it has no `/diagnostics` (older formats, or
    /// `log.diagnostics = false`).
    ///
    /// - Throws: `RunFileError` when a per-layer column's width differs from `layer`'s length;
    ///   `HDF5Error` when the group is damaged.
    public func diagnostics() throws -> RunDiagnostics? {
        guard try hasDiagnostics() else { return nil }
        let g = DiagnosticsLayout.group
        let layers = try file.root.dataset(g + "/" + DiagnosticsLayout.layer).read(as: Int64.self).values.count
        let columns = try diagnosticsColumns()
        let steps = try diagnosticsSteps(g, columns)
        func rows(_ name: String) throws -> [[Double]] {
            let values = try file.root.appendableDataset(g + "/" + name, of: Double.self).readAll()
            guard layers > 0, values.count % layers == 0, values.count / layers >= steps.count else {
                throw RunFileError("\(path): /\(g)/\(name) holds \(values.count) values, not \(steps.count) rows of \(layers) layers")
            }
            return (0..<steps.count).map { Array(values[$0 * layers ..< ($0 + 1) * layers]) }
        }
        var spikes: [SpikeEvent] = []
        for kind in SpikeKind.allCases {
            let s = DiagnosticsLayout.spikes(kind)
            let eventSteps = try diagnosticsSteps(s, DiagnosticsLayout.spikeColumns)
            let value = try file.root.appendableDataset(s + "/value", of: Double.self).readAll()
            let median = try file.root.appendableDataset(s + "/median", of: Double.self).readAll()
            for (i, step) in eventSteps.enumerated() {
                spikes.append(SpikeEvent(step: step, kind: kind, value: value[i], median: median[i]))
            }
        }
        // By step; at equal steps in `SpikeKind.allCases` order (stable sort).
        let ordered = spikes.enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(\.element)
        return RunDiagnostics(layers: layers, steps: steps, maxAttentionLogit: try rows(DiagnosticsLayout.maxAttentionLogit),
                              latentRMS: columns.contains(DiagnosticsLayout.latentRMS) ? try rows(DiagnosticsLayout.latentRMS) : nil,
                              spikes: ordered)
    }

    /// Cuts `/diagnostics` and its spike groups back to the rows at or before `step` (a resumed
    /// run continues from its checkpoint). Nothing to do in a file without diagnostics.
    func truncateDiagnostics(after step: Int) throws {
        guard try hasDiagnostics() else { return }
        let columns = try diagnosticsColumns()
        let groups = [(DiagnosticsLayout.group, columns)] + SpikeKind.allCases.map { (DiagnosticsLayout.spikes($0), DiagnosticsLayout.spikeColumns) }
        for (group, names) in groups {
            let keep = try diagnosticsSteps(group, names).prefix { $0 <= step }.count
            try file.root.appendableDataset(group + "/" + DiagnosticsLayout.step, of: Int64.self).truncate(to: keep)
            for c in names { try file.root.appendableDataset(group + "/" + c, of: Double.self).truncate(to: keep) }
        }
    }
}
