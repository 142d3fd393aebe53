import ArgumentParser
import AttnLab

struct AttnLabRoot: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attnlab", subcommands: [KVCommand.self])
}

AttnLabRoot.main()
