/// Where a value came from, for messages: a file (as displayed) or `--set`, and the key path as
/// written there (`grid.train.seed`, `variants[1].set.model.d_model`, ...).
struct ExperimentOrigin: Equatable, Sendable {
    let source: String
    let keyPath: String

    func message(_ text: String) -> String { "\(source): \(keyPath): \(text)" }
}

/// A config value together with where it was set.
struct ExperimentLeaf: Equatable, Sendable {
    var value: ExperimentValue
    var origin: ExperimentOrigin
}

/// Key path -> leaf; a later layer replaces whole leaves, so tables merge key by key.
typealias ExperimentLayer = [String: ExperimentLeaf]

extension Dictionary where Key == String, Value == ExperimentLeaf {
    /// `self` with `upper`'s keys winning. A key also drops what it shadows: values under it
    /// (`a = 1` over `a.b = 2`) and values it sits under (`a.b = 1` over `a = 2`), so a type
    /// error surfaces once, at the key that caused it.
    func overlaid(with upper: ExperimentLayer) -> ExperimentLayer {
        var out = self
        for (path, leaf) in upper {
            out = out.filter { key, _ in !key.hasPrefix(path + ".") && !path.hasPrefix(key + ".") }
            out[path] = leaf
        }
        return out
    }
}
