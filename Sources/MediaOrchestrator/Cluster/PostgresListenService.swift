import Foundation
import Logging
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// Holds one connection that LISTENs on the store's channel and turns each NOTIFY (sent by the
/// change trigger when a transaction commits, on any node) into a wake-up. When the connection
/// is lost (the server restarted, the network dropped) it wakes everyone (they poll and catch
/// up) and listens again, with backoff.
public struct PostgresListenService: Service {
    let address: PostgresAddress
    let wakeups: StoreWakeups
    let logger: Logger
    static let channel = "mediaorch"

    public init(address: PostgresAddress, wakeups: StoreWakeups, logger: Logger) {
        self.address = address
        self.wakeups = wakeups
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                                      configuration: PostgresStore.configuration(address),
                                                                      id: 0, logger: logger).get()
                let wakeups = self.wakeups
                connection.addListener(channel: Self.channel) { _, _ in wakeups.announce() }
                _ = try await connection.query(PostgresQuery(unsafeSQL: "LISTEN \(Self.channel)"), logger: logger).get()
                if failures > 0 { logger.notice("listening for store changes again") }
                failures = 0
                wakeups.announce() // whatever happened while not listening: look now
                // Until the connection drops, or shutdown.
                while !connection.isClosed && !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                }
                try? await connection.close().get()
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("cannot listen for store changes; polling meanwhile", metadata: ["reason": "\(PostgresStoreError(address: address, error))"])
                }
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            wakeups.announce()
            let backoff = min(10, 0.5 * Double(1 << min(failures, 5)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(backoff)) }
        }
    }
}
