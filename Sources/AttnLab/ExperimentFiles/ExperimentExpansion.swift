/// Turns a merged experiment into runs: variants x grid product, each with `--set` on top.
struct ExperimentExpansion {
    let fields: [ExperimentField]
    let defaultSource: String

    private struct Variant {
        let name: String
        let layer: ExperimentLayer
    }

    /// The runs, the `[[variants]]` as written (empty without variants) and the grid's key paths.
    struct Expansion {
        let runs: [ExperimentRun]
        let variants: [VariantDefinition]
        let gridPaths: [String]
    }

    private struct Axis {
        let path: String
        let origin: ExperimentOrigin
        let values: [ExperimentValue]
        var lastKey: String { String(path.split(separator: ".").last!) }
    }

    func runs(
        _ merged: ExperimentLayer, overrides: ExperimentLayer, header: (String) -> [String]
    ) throws -> Expansion {
        var base = merged
        let variantsLeaf = base.removeValue(forKey: "variants")
        let gridLeaves = base.filter { $0.key.hasPrefix("grid.") || $0.key == "grid" }
        for key in gridLeaves.keys { base.removeValue(forKey: key) }
        // Experiment-level, not part of any run (TuningSettings).
        for key in base.keys where key == "tune" || key.hasPrefix("tune.") { base.removeValue(forKey: key) }
        if let nested = base.keys.sorted().first(where: { $0.hasPrefix("variants.") }) {
            throw ExperimentError(base[nested]!.origin.message(
                "expected [[variants]] (an array of tables with name and set), found a table"))
        }

        var errors: [String] = []
        let variants = parseVariants(variantsLeaf, errors: &errors)
        let axes = parseGrid(gridLeaves, errors: &errors)
        guard errors.isEmpty else { throw ExperimentError(errors) }

        let decoder = ExperimentDecoder(fields: fields, defaultSource: defaultSource)
        var runs: [ExperimentRun] = []
        for variant in variants {
            for point in Self.gridPoints(axes.map(\.values.count)) {
                var nameParts = variant.map { [$0.name] } ?? []
                var gridLayer: ExperimentLayer = [:]
                for (axis, i) in zip(axes, point) {
                    gridLayer[axis.path] = ExperimentLeaf(value: axis.values[i], origin: axis.origin)
                    nameParts.append(axis.lastKey + Self.nameToken(axis.values[i]))
                }
                let layer = base.overlaid(with: variant?.layer ?? [:]).overlaid(with: gridLayer)
                    .overlaid(with: overrides)
                let (config, runErrors) = decoder.decode(layer)
                // The same bad base value fails every run; say it once.
                for message in runErrors where !errors.contains(message) { errors.append(message) }
                let name = nameParts.isEmpty ? "main" : nameParts.joined(separator: "-")
                if runs.contains(where: { $0.name == name }) {
                    errors.append(
                        (axes.first?.origin ?? ExperimentOrigin(source: defaultSource, keyPath: "variants"))
                            .message("expected values giving distinct run names, found run \"\(name)\" twice"))
                }
                runs.append(ExperimentRun(
                    name: name, variant: variant?.name, config: config, resolvedTOML: config.canonicalTOML(header: header(name))))
            }
        }
        guard errors.isEmpty else { throw ExperimentError(errors) }
        let definitions = variants.compactMap { v in v.map { VariantDefinition(name: $0.name, settings: $0.layer.mapValues(\.value)) } }
        return Expansion(runs: runs, variants: definitions, gridPaths: axes.map(\.path))
    }

    /// `[[variants]]` entries; `[nil]` (one unnamed run) when there are none.
    private func parseVariants(_ leaf: ExperimentLeaf?, errors: inout [String]) -> [Variant?] {
        guard let leaf else { return [nil] }
        let source = leaf.origin.source
        guard case .array(let items) = leaf.value, !items.isEmpty else {
            errors.append(leaf.origin.message(
                "expected [[variants]] (a non-empty array of tables with name and set), found \(leaf.value.found)"))
            return [nil]
        }
        let index = ExperimentKeyIndex(fields: fields)
        var variants: [Variant?] = []
        for (i, item) in items.enumerated() {
            let at = ExperimentOrigin(source: source, keyPath: "variants[\(i)]")
            guard case .table(let table) = item else {
                errors.append(at.message("expected a table with name and set, found \(item.found)"))
                continue
            }
            for key in table.keys.sorted() where key != "name" && key != "set" {
                errors.append(ExperimentOrigin(source: source, keyPath: at.keyPath + "." + key)
                    .message("unknown key; a variant accepts name, set"))
            }
            let nameAt = ExperimentOrigin(source: source, keyPath: at.keyPath + ".name")
            guard case .string(let name)? = table["name"], Self.isFileNameSafe(name) else {
                errors.append(nameAt.message(
                    "expected a name of letters, digits, '.', '_' or '-', found \(table["name"]?.found ?? "nothing")"))
                continue
            }
            if variants.contains(where: { $0?.name == name }) {
                errors.append(nameAt.message("expected a name no earlier variant uses, found \"\(name)\" again"))
            }
            var settings: [String: ExperimentValue] = [:]
            switch table["set"] {
            case nil: break
            case .table(let t)?: settings = t
            case let other?:
                errors.append(ExperimentOrigin(source: source, keyPath: at.keyPath + ".set")
                    .message("expected a table of key.path = value, found \(other.found)"))
            }
            let prefix = at.keyPath + ".set."
            let layer = ExperimentParsing.leaves(settings, source: source, keyPrefix: prefix)
            errors += ExperimentParsing.unknownKeys(layer, index: index, keyPrefix: prefix)
            variants.append(Variant(name: name, layer: layer))
        }
        return variants
    }

    /// `[grid]` axes in key-path order, which fixes run order and names.
    private func parseGrid(_ leaves: ExperimentLayer, errors: inout [String]) -> [Axis] {
        let index = ExperimentKeyIndex(fields: fields)
        var axes: [Axis] = []
        for (path, leaf) in leaves.sorted(by: { $0.key < $1.key }) {
            guard path != "grid" else {
                errors.append(leaf.origin.message("expected a table of key.path = [values], found \(leaf.value.found)"))
                continue
            }
            let relative = String(path.dropFirst("grid.".count))
            if let problem = index.problem(path: relative, value: leaf.value) {
                errors.append(ExperimentOrigin(source: leaf.origin.source, keyPath: "grid." + problem.path)
                    .message(problem.text))
                continue
            }
            guard case .array(let values) = leaf.value, !values.isEmpty else {
                errors.append(leaf.origin.message("expected a non-empty array of values, found \(leaf.value.found)"))
                continue
            }
            axes.append(Axis(path: relative, origin: leaf.origin, values: values))
        }
        return axes
    }

    /// Every index combination, last axis fastest; one empty point when there are no axes.
    static func gridPoints(_ counts: [Int]) -> [[Int]] {
        counts.reduce([[]]) { points, count in points.flatMap { p in (0..<count).map { p + [$0] } } }
    }

    static func isFileNameSafe(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix(".") && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// A grid value as it appears in a run name; unsafe characters become `_`.
    static func nameToken(_ value: ExperimentValue) -> String {
        let raw: String
        if case .string(let s) = value { raw = s } else { raw = value.literal }
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }
}
