import Foundation

/// Groups runs that differ only in `train.seed` into variants (and in what does not make another
/// run, `ExperimentConfig.runIdentity`: runs of one variant trained at other thread counts, e.g.
/// by sweeps with another `--jobs`, are one variant).
public enum VariantGrouping {
    /// The run identity with the seed fixed, as canonical TOML: equal keys mean same variant.
    public static func key(_ config: ExperimentConfig) -> String {
        var c = config.runIdentity
        c.train.seed = 0
        return c.canonicalTOML()
    }

    /// A run name without its seed part: "mla-seed2" -> "mla", "mla-seed2-lr0.01" -> "mla-lr0.01",
    /// "seed3" -> "" (the grid alone names such runs; experiments/README.md).
    public static func nameWithoutSeed(_ run: String) -> String {
        run.split(separator: "-", omittingEmptySubsequences: false)
            .filter { part in !(part.hasPrefix("seed") && part.count > 4 && part.dropFirst(4).allSatisfy(\.isNumber)) }
            .joined(separator: "-")
    }

    /// The name a second, third ... group of the same seedless name was given ("mla#2" -> "mla"),
    /// nil for a name without such a suffix.
    public static func unsuffixedName(_ name: String) -> String? {
        guard let hash = name.lastIndex(of: "#"), hash != name.startIndex else { return nil }
        let digits = name[name.index(after: hash)...]
        return !digits.isEmpty && digits.allSatisfy(\.isNumber) ? String(name[..<hash]) : nil
    }

    /// One group per distinct key, as index lists into `runs`, each named by its first run's
    /// seedless name or else by `fallback`. Names are made unique with a "#2", "#3" suffix so
    /// a table never shows two rows under one name.
    public static func group(
        _ runs: [(name: String, config: ExperimentConfig)], fallback: (Int) -> String
    ) -> [(name: String, members: [Int])] {
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, r) in runs.enumerated() {
            let k = key(r.config)
            if members[k] == nil { order.append(k) }
            members[k, default: []].append(i)
        }
        var used: [String: Int] = [:]
        return order.map { k in
            let first = members[k]![0]
            let stripped = nameWithoutSeed(runs[first].name)
            let base = stripped.isEmpty ? fallback(first) : stripped
            used[base, default: 0] += 1
            let name = used[base]! == 1 ? base : "\(base)#\(used[base]!)"
            return (name, members[k]!)
        }
    }
}
