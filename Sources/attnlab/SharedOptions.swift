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
