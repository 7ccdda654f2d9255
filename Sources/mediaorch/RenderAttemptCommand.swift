import ArgumentParser
import Foundation
import Logging
import MediaOrchestrator

/// The render child `mediaorch watch` starts for each attempt: its assignment on standard input,
/// progress and the outcome as JSON lines on standard output. Not for people.
struct RenderAttemptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-attempt",
        abstract: "Render one attempt of a queued job (started by `mediaorch watch`; reads its assignment from standard input).",
        shouldDisplay: false
    )

    func run() throws {
        // Log lines go to stderr, which the service shares with its render children.
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let status = RenderChildMain.run()
        if status != 0 { throw ExitCode(status) }
    }
}
