/// The accepted type and range of one config key; `check` turns a TOML value into the value to
/// store, or says what was expected.
enum ExperimentFieldType {
    /// An integer in `min...max`.
    case int(min: Int, max: Int)
    /// `lower`/`upper` bounds with inclusiveness; nil = unbounded.
    case double(lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool)
    case bool
    /// A single-line string (descriptions and paths).
    case line
    case choice([String])

    var expectation: String {
        switch self {
        case .int(let min, let max): return max == Int.max ? "an integer >= \(min)" : "an integer in [\(min), \(max)]"
        case .double(let lo, let loIn, let hi, let hiIn):
            switch (lo, hi) {
            case (nil, nil): return "a number"
            case (let lo?, nil): return "a number \(loIn ? ">=" : ">") \(ExperimentValue.double(lo).literal)"
            case (nil, let hi?): return "a number \(hiIn ? "<=" : "<") \(ExperimentValue.double(hi).literal)"
            case (let lo?, let hi?):
                return "a number in \(loIn ? "[" : "(")\(ExperimentValue.double(lo).literal), "
                    + "\(ExperimentValue.double(hi).literal)\(hiIn ? "]" : ")")"
            }
        case .bool: return "true or false"
        case .line: return "a one-line string"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        }
    }

    /// The value normalised for storage (integers accepted where floats are expected), or the
    /// expectation message when it does not fit.
    func check(_ value: ExperimentValue) -> Result<ExperimentValue, ExperimentFieldMismatch> {
        let fail = Result<ExperimentValue, ExperimentFieldMismatch>.failure(
            ExperimentFieldMismatch(expected: expectation, found: value.found))
        switch (self, value) {
        case (.int(let min, let max), .int(let i)):
            return i >= min && i <= max ? .success(value) : fail
        case (.double(let lo, let loIn, let hi, let hiIn), .int(let i)):
            let asDouble = ExperimentFieldType.double(lower: lo, lowerInclusive: loIn, upper: hi, upperInclusive: hiIn)
                .check(.double(Double(i)))
            // Report the integer as written, not its float conversion.
            return asDouble.mapError { ExperimentFieldMismatch(expected: $0.expected, found: value.found) }
        case (.double(let lo, let loIn, let hi, let hiIn), .double(let d)):
            guard d.isFinite else { return fail }
            if let lo, loIn ? d < lo : d <= lo { return fail }
            if let hi, hiIn ? d > hi : d >= hi { return fail }
            return .success(value)
        case (.bool, .bool):
            return .success(value)
        case (.line, .string(let s)):
            return s.contains(where: \.isNewline) ? fail : .success(value)
        case (.choice(let words), .string(let s)):
            return words.contains(s) ? .success(value) : fail
        default:
            // Name the type too: "expected an integer >= 1, found string "ten"".
            let found: String
            switch value {
            case .array, .table, .other: found = value.found
            default: found = "\(value.typeName) \(value.found)"
            }
            return .failure(ExperimentFieldMismatch(expected: expectation, found: found))
        }
    }
}

struct ExperimentFieldMismatch: Error {
    let expected: String
    let found: String
}

/// One config key: where it lives in TOML, what it accepts, and how it maps onto
/// `ExperimentConfig`. The ordered list of fields is the single schema: key checks, decoding and
/// the canonical TOML rendering all walk it, so they cannot disagree.
struct ExperimentField {
    let path: String
    let type: ExperimentFieldType
    let read: (ExperimentConfig) -> ExperimentValue
    /// Stores a value that `type.check` accepted.
    let write: (inout ExperimentConfig, ExperimentValue) -> Void

    /// The table the key belongs to ("" for top level) and its last component.
    var table: String { path.split(separator: ".").dropLast().joined(separator: ".") }
    var key: String { String(path.split(separator: ".").last!) }

    /// `max` caps every count that enters size arithmetic, so later products cannot overflow.
    static func int(_ path: String, _ kp: WritableKeyPath<ExperimentConfig, Int>, min: Int, max: Int) -> Self {
        Self(path: path, type: .int(min: min, max: max), read: { .int($0[keyPath: kp]) }) { config, value in
            if case .int(let i) = value { config[keyPath: kp] = i }
        }
    }

    static func double(
        _ path: String, _ kp: WritableKeyPath<ExperimentConfig, Double>,
        above lower: Double? = nil, atLeast: Double? = nil, below upper: Double? = nil, atMost: Double? = nil
    ) -> Self {
        let type = ExperimentFieldType.double(
            lower: lower ?? atLeast, lowerInclusive: atLeast != nil,
            upper: upper ?? atMost, upperInclusive: atMost != nil)
        return Self(path: path, type: type, read: { .double($0[keyPath: kp]) }) { config, value in
            if case .double(let d) = value { config[keyPath: kp] = d }
        }
    }

    static func bool(_ path: String, _ kp: WritableKeyPath<ExperimentConfig, Bool>) -> Self {
        Self(path: path, type: .bool, read: { .bool($0[keyPath: kp]) }) { config, value in
            if case .bool(let b) = value { config[keyPath: kp] = b }
        }
    }

    static func line(_ path: String, _ kp: WritableKeyPath<ExperimentConfig, String>) -> Self {
        Self(path: path, type: .line, read: { .string($0[keyPath: kp]) }) { config, value in
            if case .string(let s) = value { config[keyPath: kp] = s }
        }
    }

    static func choice<E: RawRepresentable & CaseIterable>(
        _ path: String, _ kp: WritableKeyPath<ExperimentConfig, E>
    ) -> Self where E.RawValue == String {
        Self(path: path, type: .choice(E.allCases.map(\.rawValue)), read: { .string($0[keyPath: kp].rawValue) }) {
            config, value in
            if case .string(let s) = value, let e = E(rawValue: s) { config[keyPath: kp] = e }
        }
    }
}
