import ArgumentParser
import AttnLab

/// Root of the `attnlab` command line; subcommands only parse their arguments and call the library.
struct AttnLabCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnlab",
        abstract: "Train and compare small decoder LMs with MHA, GQA, MQA and MLA attention on the CPU.",
        discussion: """
            AttnLab trains byte-level decoder language models with its own reverse-mode autograd \
            over OpenBLAS and records every run in an HDF5 file. Start with `attnlab env` to check \
            that OpenBLAS runs a fast kernel on this machine.
            """,
        subcommands: [RunCommand.self, SweepCommand.self, TuneCommand.self, ListCommand.self, ShowCommand.self, InspectCommand.self, EvalCommand.self, GenerateCommand.self, ExportCommand.self, SummaryCommand.self, ReportCommand.self, VerdictCommand.self, KVCommand.self, DataCommand.self, EnvCommand.self, BenchCommand.self])

    /// A bare `attnlab` is a usage error, not a request for help: scripts must notice it.
    func run() throws {
        throw ValidationError("Missing subcommand.")
    }
}

// OpenBLAS has already read OPENBLAS_CORETYPE by now; this re-executes the process once with a
// faster core when the library fell back to a generic one, so it must precede everything else.
reexecWithFasterOpenBLASCoreIfNeeded()
AttnLabCLI.main()
