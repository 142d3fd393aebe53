import ArgumentParser
import AttnLab
import Foundation

/// `--experiments DIR`, shared by every command that reads experiment files.
struct ExperimentsOption: ParsableArguments {
    @Option(
        name: .customLong("experiments"),
        help: ArgumentHelp("Experiments directory (default: $ATTNLAB_EXPERIMENTS, else ./experiments).", valueName: "dir"))
    var dir: String?

    var url: URL { experimentsDirectory(option: dir) }
}

/// `--set key.path=value`, repeatable, applied to every run after variants and grid.
struct OverridesOption: ParsableArguments {
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a key in every run (after variants and grid), e.g. --set train.steps=100.", valueName: "key.path=value"))
    var values: [String] = []
}

/// After a folder-wide command wrote its table without some run files: names each on stderr and
/// exits 1, so a script notices that the table is incomplete.
func failIfUnreadable(_ unreadable: [UnreadableRunFile]) throws {
    guard !unreadable.isEmpty else { return }
    for file in unreadable {
        FileHandle.standardError.write(Data("warning: left out \(file.path): \(file.reason)\n".utf8))
    }
    FileHandle.standardError.write(Data("error: the table was written without \(unreadable.count) unreadable run file\(unreadable.count == 1 ? "" : "s") (named above and in the table)\n".utf8))
    throw ExitCode(1)
}

/// Checks a numeric option in `validate()`: a usage error (exit code 64) naming the option,
/// what it accepts and what was given, so no out-of-range value reaches the library.
func checkOption<T: Comparable>(_ option: String, _ value: T, in range: ClosedRange<T>) throws {
    try checkOption(option, value, range.contains(value), expected: "a value in [\(range.lowerBound), \(range.upperBound)]")
}

/// As above with any condition; `expected` says what the option accepts.
func checkOption<T>(_ option: String, _ value: T, _ ok: Bool, expected: String) throws {
    guard ok else { throw ValidationError("\(option): expected \(expected), found \(value)") }
}

// Enum-valued options parse into their library types, so a bad word is a usage error and no
// command has to convert (or force-unwrap) a string later.
extension AttentionKind: ExpressibleByArgument {}
extension LatentDecodeMode: ExpressibleByArgument {}
extension EvaluationSplit: ExpressibleByArgument {}
extension DataConfig.Source: ExpressibleByArgument {}

extension SlurmTimeLimit: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension SlurmMemory: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// A comma-separated list of attention kinds, e.g. `mha,gqa,mqa,mla`.
struct AttentionKindList: ExpressibleByArgument {
    var kinds: [AttentionKind]

    init(_ kinds: [AttentionKind]) { self.kinds = kinds }

    init?(argument: String) {
        let words = argument.split(separator: ",", omittingEmptySubsequences: false)
        let kinds = words.compactMap { AttentionKind(rawValue: String($0)) }
        guard !words.isEmpty, kinds.count == words.count else { return nil }
        self.kinds = kinds
    }

    var defaultValueDescription: String { kinds.map(\.rawValue).joined(separator: ",") }
    static var allValueStrings: [String] { AttentionKind.allCases.map(\.rawValue) }
}
