import NIOPosix

/// Where blocking work runs (SQLite writes that may wait on a lock, hashing a clip, writing an
/// upload): a thread pool of its own, never the cooperative pool that serves HTTP and heartbeats.
/// Its threads mostly wait on disks and locks, not on the CPU, so there are more of them than
/// cores: a long hash or a locked store must not hold up a heartbeat behind it.
enum BlockingWork {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
