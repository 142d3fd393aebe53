import Foundation

/// Memory per node for `sbatch --mem`: a positive whole number with an optional unit suffix
/// `K`, `M` (Slurm's default unit), `G` or `T`.
public struct SlurmMemory: Sendable, Equatable, CustomStringConvertible {
    public let amount: Int
    /// `K`, `M`, `G` or `T`.
    public let unit: Character

    /// Parses `4000`, `500M`, `4G`, `1T` (the suffix case-insensitive); nil for zero, negative,
    /// fractional or unknown units, and for amounts above 2^40 of a unit.
    public init?(_ text: String) {
        guard let last = text.last else { return nil }
        let units: [Character] = ["K", "M", "G", "T"]
        let suffix = Character(last.uppercased())
        let hasUnit = units.contains(suffix)
        let digits = hasUnit ? text.dropLast() : Substring(text)
        guard !digits.isEmpty, digits.count <= 13, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let n = Int(digits), n >= 1, n <= 1 << 40 else { return nil }
        amount = n
        unit = hasUnit ? suffix : "M"
    }

    /// As `sbatch --mem` takes it, e.g. `4G`.
    public var description: String { "\(amount)\(unit)" }
}
