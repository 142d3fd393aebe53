import ArgumentParser
import AttnLab

struct AttnLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnlab", subcommands: [ShowCommand.self, ListCommand.self])
}

AttnLabCommand.main()
