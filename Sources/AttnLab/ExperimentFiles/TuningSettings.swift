import Foundation

/// An experiment's `[tune]` table: how `attnlab tune NAME` tunes each variant's learning rate.
/// It belongs to the experiment, not to a run: no run's resolved config contains it, so adding or
/// changing it never changes an existing run. Inherited through `base` key by key like any table.
///
/// Keys (experiments/README.md): `lr` (an explicit grid) or `lr_min`, `lr_max`, `points` (a
/// log-spaced grid, each value rounded to three significant digits); `steps` (the tuning budget,
/// default: each variant's `train.steps`); `seeds` (default `defaultSeeds`).
public struct TuningSettings: Sendable, Equatable {
    /// The learning-rate grid, ascending, distinct, at least `minimumPoints` values.
    public let learningRates: [Double]
    /// `train.steps` of every tuning run; nil: each variant's own `train.steps`.
    public let steps: Int?
    /// `train.seed` values of the tuning runs, ascending and distinct.
    public let seeds: [Int]

    /// `[0]`: a seed that neither the default `train.seed` (1) nor seed grids starting at 1 use, so
    /// the lr is not chosen on the very runs (same initialisation and batches) the headline compares.
    public static let defaultSeeds = [0]
    /// A parabola needs three points.
    public static let minimumPoints = 3
    static let maximumPoints = 64
    static let keys = ["lr", "lr_min", "lr_max", "points", "steps", "seeds"]

    /// A learning rate as tuning files, reports and plans print it: three significant digits
    /// (`0.0005`, `0.016`), the precision the grid is rounded to.
    public static func format(_ lr: Double) -> String { String(format: "%.3g", lr) }

    /// The grid in one line, as `attnlab show` and `attnlab tune --dry-run` print it:
    /// `lr 0.0005, 0.001, 0.002 (3) x seeds 0, each variant's train.steps`.
    public var summary: String {
        "lr " + learningRates.map(Self.format).joined(separator: ", ") + " (\(learningRates.count)) x seeds "
            + seeds.map(String.init).joined(separator: ", ") + ", "
            + (steps.map { "\($0) steps per run ([tune] steps)" } ?? "each variant's train.steps")
    }

    /// The `tune.*` leaves of a merged experiment; nil (and no errors) when there are none.
    static func parse(_ layer: ExperimentLayer) -> (settings: TuningSettings?, errors: [String]) {
        let leaves = layer.filter { $0.key == "tune" || $0.key.hasPrefix("tune.") }
        guard !leaves.isEmpty else { return (nil, []) }
        var errors: [String] = []
        if let whole = leaves["tune"] {
            return (nil, [whole.origin.message("expected a [tune] table (lr or lr_min/lr_max/points, steps, seeds), found \(whole.value.found)")])
        }
        for (path, leaf) in leaves.sorted(by: { $0.key < $1.key }) where !keys.contains(String(path.dropFirst("tune.".count))) {
            errors.append(leaf.origin.message("unknown key; [tune] accepts \(keys.joined(separator: ", "))"))
        }
        let positive = ExperimentFieldType.double(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
        func number(_ key: String, _ type: ExperimentFieldType) -> ExperimentValue? {
            guard let leaf = leaves["tune." + key] else { return nil }
            switch type.check(leaf.value) {
            case .success(let v): return v
            case .failure(let m):
                errors.append(leaf.origin.message("expected \(m.expected), found \(m.found)"))
                return nil
            }
        }
        func doubles(_ v: ExperimentValue?) -> Double? {
            switch v { case .double(let d)?: return d; case .int(let i)?: return Double(i); default: return nil }
        }
        func array(_ key: String, of type: ExperimentFieldType, what: String) -> [ExperimentValue]? {
            guard let leaf = leaves["tune." + key] else { return nil }
            guard case .array(let items) = leaf.value, !items.isEmpty else {
                errors.append(leaf.origin.message("expected a non-empty array of \(what), found \(leaf.value.found)"))
                return nil
            }
            var out: [ExperimentValue] = []
            for (i, item) in items.enumerated() {
                switch type.check(item) {
                case .success(let v): out.append(v)
                case .failure(let m):
                    errors.append(ExperimentOrigin(source: leaf.origin.source, keyPath: leaf.origin.keyPath + "[\(i)]")
                        .message("expected \(m.expected), found \(m.found)"))
                }
            }
            return out.count == items.count ? out : nil
        }

        let origin = leaves.values.map(\.origin).min { $0.keyPath < $1.keyPath }!
        var grid: [Double]?
        let spaced = ["lr_min", "lr_max", "points"].filter { leaves["tune." + $0] != nil }
        if let explicit = leaves["tune.lr"] {
            if !spaced.isEmpty {
                errors.append(explicit.origin.message(
                    "expected either lr = [...] or lr_min, lr_max and points, found both (\(spaced.joined(separator: ", ")) too)"))
            }
            if let values = array("lr", of: positive, what: "learning rates > 0") {
                let lrs = values.compactMap { doubles($0) }
                if Set(lrs).count != lrs.count {
                    errors.append(explicit.origin.message("expected distinct learning rates, found \(ExperimentValue.array(values).literal)"))
                } else if lrs.count < minimumPoints || lrs.count > maximumPoints {
                    errors.append(explicit.origin.message(
                        "expected \(minimumPoints) to \(maximumPoints) learning rates (a parabola needs three), found \(lrs.count)"))
                } else {
                    grid = lrs.sorted()
                }
            }
        } else if spaced.count == 3 {
            let lo = doubles(number("lr_min", positive)), hi = doubles(number("lr_max", positive))
            let count = number("points", .int(min: minimumPoints, max: maximumPoints))
            if let lo, let hi, case .int(let k)? = count {
                if lo >= hi {
                    errors.append(leaves["tune.lr_max"]!.origin.message("expected a number > lr_min (\(ExperimentValue.double(lo).literal)), found \(ExperimentValue.double(hi).literal)"))
                } else {
                    let lrs = (0..<k).map { i in
                        roundedToThreeSignificantDigits(Foundation.exp(Foundation.log(lo) + Double(i) / Double(k - 1) * (Foundation.log(hi) - Foundation.log(lo))))
                    }
                    if Set(lrs).count != lrs.count {
                        errors.append(leaves["tune.points"]!.origin.message(
                            "expected points few enough to stay distinct at three significant digits between lr_min and lr_max, found \(k)"))
                    } else {
                        grid = lrs
                    }
                }
            }
        } else {
            let missing = ["lr_min", "lr_max", "points"].filter { !spaced.contains($0) }
            errors.append(ExperimentOrigin(source: origin.source, keyPath: "tune").message(
                spaced.isEmpty ? "expected lr = [...] or lr_min, lr_max and points, found neither"
                    : "expected lr_min, lr_max and points together, found no \(missing.joined(separator: ", "))"))
        }
        var steps: Int?
        if case .int(let s)? = number("steps", .int(min: 1, max: ExperimentSchema.stepLimit)) { steps = s }
        var seeds = defaultSeeds
        if let values = array("seeds", of: .int(min: 0, max: Int.max), what: "seeds (integers >= 0)") {
            let s = values.compactMap { v -> Int? in if case .int(let i) = v { return i } else { return nil } }
            if Set(s).count != s.count {
                errors.append(leaves["tune.seeds"]!.origin.message("expected distinct seeds, found \(ExperimentValue.array(values).literal)"))
            }
            seeds = Array(Set(s)).sorted()
        }
        guard errors.isEmpty, let grid else { return (nil, errors) }
        return (TuningSettings(learningRates: grid, steps: steps, seeds: seeds), [])
    }
}
