import Foundation
import ServiceLifecycle

/// The loop of a `Service` that does one round of work every `interval` seconds until a graceful
/// shutdown or cancellation. The sleep between rounds ends at once when the shutdown begins, so a
/// service never holds the group up for its interval; a round already running is finished.
/// `waitFirst`: the first round comes after one interval (start-up already did the work).
func periodically(every interval: TimeInterval, waitFirst: Bool = false, _ round: () async -> Void) async {
    var first = true
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        if !(first && !waitFirst) {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
        }
        first = false
        await round()
    }
}
