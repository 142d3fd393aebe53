import Foundation

/// A Slurm wall-time limit (`sbatch --time`), parsed from `HH:MM:SS` or `D-HH:MM:SS`.
public struct SlurmTimeLimit: Sendable, Equatable, CustomStringConvertible {
    /// The limit in seconds, at least 1.
    public let seconds: Int

    /// The longest limit accepted: 365 days (Slurm's own maximum is larger but a grid task
    /// asking for more is a typo).
    public static let maximumSeconds = 365 * 86_400

    /// `seconds` must be in 1...`maximumSeconds`.
    public init?(seconds: Int) {
        guard (1...SlurmTimeLimit.maximumSeconds).contains(seconds) else { return nil }
        self.seconds = seconds
    }

    /// Parses `HH:MM:SS` (hours may exceed 23) or `D-HH:MM:SS` (hours 0...23); minutes and seconds
    /// are 0...59. Nil for anything else, a zero limit or one beyond `maximumSeconds`.
    public init?(_ text: String) {
        var rest = Substring(text), days = 0
        if let dash = rest.firstIndex(of: "-") {
            guard let d = Int(rest[..<dash]), rest[..<dash].allSatisfy(\.isASCII), d >= 0, d <= 365 else { return nil }
            days = d
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]),
              parts[1].count == 2, parts[2].count == 2, m < 60, s < 60, text.contains("-") ? h < 24 : true else { return nil }
        self.init(seconds: ((days * 24 + h) * 60 + m) * 60 + s)
    }

    /// `H:MM:SS` with hours unbounded, which `sbatch --time` accepts.
    public var description: String {
        String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}
