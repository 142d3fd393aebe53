extension ExperimentConfig {
    /// The config as canonical TOML: every key, defaults included, in schema order, one table per
    /// section. `header` lines are written first as comments. Parsing the text back with
    /// `init(resolvedTOML:)` gives an equal config, which is what run files rely on.
    /// The resolved-config lines (`key = value` under their tables) that differ between `self`
    /// and `other`, as "key: A <labels.0>, B <labels.1>" ("in the file", "now" by default), at
    /// most `limit` of them; for messages that say why two configs are not the same run.
    public func differences(from other: ExperimentConfig, limit: Int = 3,
                            labels: (String, String) = ("in the file", "now")) -> [String] {
        func keyed(_ c: ExperimentConfig) -> [String: String] {
            var table = "", out: [String: String] = [:]
            for line in c.canonicalTOML().split(separator: "\n") {
                if line.hasPrefix("[") { table = String(line.dropFirst().dropLast()); continue }
                guard let eq = line.firstIndex(of: "=") else { continue }
                let key = line[..<eq].trimmingCharacters(in: .whitespaces)
                out[table.isEmpty ? key : table + "." + key] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
            return out
        }
        let (a, b) = (keyed(self), keyed(other))
        return Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }.prefix(limit).map {
            "\($0): \(a[$0] ?? "(none)") \(labels.0), \(b[$0] ?? "(none)") \(labels.1)"
        }
    }

    public func canonicalTOML(header: [String] = []) -> String {
        var lines = header.map { "# " + $0 }
        var table = ""
        for field in ExperimentSchema.fields {
            if field.table != table {
                table = field.table
                lines += ["", "[\(table)]"]
            }
            lines.append("\(field.key) = \(field.read(self).literal)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a resolved config back (for example from a run file). The text must be a plain config:
    /// no `base`, `variants` or `grid`, and every check that `loadExperiment` applies holds. A
    /// missing `model.attention.latent_norm_eps` (configs stored before the key existed) reads as
    /// `model.norm_eps`, the epsilon those runs were trained with. Retired keys
    /// (`ExperimentSchema.retiredKeys`, e.g. `eval.batches` of run-file formats 1 and 2) are
    /// ignored and their replacements take their defaults.
    public init(resolvedTOML text: String, source: String = "resolved config") throws {
        let fields = ExperimentSchema.fields
        // Configs stored before a key was retired still hold it; the run file says what it meant.
        let layer = ExperimentParsing.leaves(try ExperimentParsing.parseDocument(text, source: source), source: source)
            .filter { ExperimentSchema.retiredKeys[$0.key] == nil }
        let unknown = ExperimentParsing.unknownKeys(layer, index: ExperimentKeyIndex(fields: fields))
        guard unknown.isEmpty else { throw ExperimentError(unknown) }
        let decoded = ExperimentDecoder(fields: fields, defaultSource: source).decode(layer)
        guard decoded.errors.isEmpty else { throw ExperimentError(decoded.errors) }
        var config = decoded.config
        // Run files written before the key existed trained MLA's latent norms with model.norm_eps.
        if layer[ExperimentSchema.latentNormEpsKey] == nil { config.model.attention.latentNormEps = config.model.normEps }
        do { try config.model.validate() } catch { throw ExperimentError("\(source): \(error)") }
        self = config
    }
}
