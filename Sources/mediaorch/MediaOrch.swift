import ArgumentParser
import MediaOrchestrator

@main
struct MediaOrch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediaorch",
        abstract: "Turns raw phone clips into X-ready video replies and full-quality cuts for editors.",
        subcommands: [ProbeCommand.self, PlanCommand.self, ProcessCommand.self, ValidateCommand.self, HashCommand.self, WatchCommand.self, JobsCommand.self, RequestsCommand.self, TokensCommand.self, WebhooksCommand.self, NodesCommand.self, RenderAttemptCommand.self]
    )
}
