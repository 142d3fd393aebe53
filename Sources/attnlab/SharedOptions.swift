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
