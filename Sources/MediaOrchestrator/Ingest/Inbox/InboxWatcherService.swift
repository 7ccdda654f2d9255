import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Watches inbox/, as a Service: inotify (close-write, moved-to) wakes it at once, and a rescan
/// every few seconds covers network shares where inotify sees nothing.
public struct InboxWatcherService: Service {
    let workspace: Workspace
    let ingestor: Ingestor
    let rescanInterval: TimeInterval
    let stableSeconds: TimeInterval
    /// Told when a job was queued, so this node's idle workers start it at once.
    let wakeups: StoreWakeups?
    /// While the workspace cannot be reached (a lost shared mount), the inbox is not scanned.
    let disk: DiskSpaceGuard?
    /// How long a ticket or caption file may wait in the inbox for its clip before it is moved out.
    let orphanAge: TimeInterval
    let logger: Logger

    public init(workspace: Workspace, ingestor: Ingestor, rescanInterval: TimeInterval = 2, stableSeconds: TimeInterval = 3,
                wakeups: StoreWakeups? = nil, disk: DiskSpaceGuard? = nil, orphanAge: TimeInterval = 24 * 3600, logger: Logger) {
        self.orphanAge = orphanAge
        self.wakeups = wakeups
        self.disk = disk
        self.workspace = workspace
        self.ingestor = ingestor
        self.rescanInterval = rescanInterval
        self.stableSeconds = stableSeconds
        self.logger = logger
    }

    public func run() async throws {
        var scanner = InboxScanner()
        scanner.stableSeconds = stableSeconds
        let notify = InotifyWatch(folder: workspace.inbox.path)
        if notify == nil { logger.notice("inotify unavailable: rescanning only", metadata: ["inbox": "\(workspace.inbox.path)"]) }
        var firstSeen: [String: Date] = [:]
        var lastScan = Date.distantPast
        var lastIntentCheck = Date()
        var lastOrphanCheck = Date.distantPast
        let orphans = InboxOrphans(workspace: workspace, age: orphanAge)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let events = notify?.drain() ?? []
            for event in events where event.renamedIn { scanner.noteRenamedIn(event.name) }
            let now = Date()
            if disk?.isUnreachable != true, !events.isEmpty || now.timeIntervalSince(lastScan) >= min(rescanInterval, 0.5) {
                lastScan = now
                // readdir and stat of a network share can block: on the blocking-work pool, not a cooperative thread.
                let (before, inbox) = (scanner, workspace.inbox)
                let (ready, after) = (try? await BlockingWork.run { () -> ([String], InboxScanner) in
                    var scanning = before
                    return (scanning.readyFiles(in: inbox, now: now), scanning)
                }) ?? ([], before)
                scanner = after
                for name in ready {
                    let seen = firstSeen[name] ?? now
                    firstSeen[name] = seen
                    do {
                        // Hashing a large clip and the store's writes block: the blocking-work pool, not the cooperative one.
                        let ingestor = self.ingestor
                        switch try await BlockingWork.run({ try ingestor.ingest(name, firstSeen: seen, now: now) }) {
                        case .queued:
                            firstSeen[name] = nil
                            wakeups?.announce()
                        case .duplicate, .takenByAnotherNode: firstSeen[name] = nil
                        case .waitingForCaptions(let missing):
                            logger.debug("waiting for captions", metadata: ["file": "\(name)", "missing": "\(missing)"])
                        }
                    } catch {
                        logger.error("ingest failed; will try again", metadata: ["file": "\(name)", "reason": "\(error)"])
                    }
                }
            }
            if now.timeIntervalSince(lastIntentCheck) >= 30 {
                lastIntentCheck = now
                let ingestor = self.ingestor
                _ = try? await BlockingWork.run { try ingestor.finishPendingIntents() }
            }
            if disk?.isUnreachable != true, now.timeIntervalSince(lastOrphanCheck) >= min(60, max(1, orphanAge / 4)) {
                lastOrphanCheck = now
                do {
                    for record in try await BlockingWork.run({ try orphans.sweep(now: now) }) {
                        logger.notice("moved a sidecar that waited too long for its clip out of the inbox",
                                      metadata: ["file": "\(record.file)", "to": "\(record.movedTo)", "reason": "\(record.reason)"])
                    }
                } catch {
                    logger.warning("could not move old sidecars out of the inbox; trying again later", metadata: ["reason": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// A non-blocking inotify descriptor on one folder.
final class InotifyWatch: Sendable {
    struct Event { let name: String; let renamedIn: Bool }
    private let fd: Int32

    init?(folder: String) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        guard inotify_add_watch(fd, folder, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) >= 0 else { close(fd); return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Every event queued since the last call.
    func drain() -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            while offset + 16 <= n {
                let mask = buffer[offset + 4..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                let length = Int(buffer[offset + 12..<offset + 16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                let nameBytes = buffer[offset + 16..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                if !nameBytes.isEmpty {
                    events.append(Event(name: String(decoding: nameBytes, as: UTF8.self), renamedIn: mask & UInt32(IN_MOVED_TO) != 0))
                }
                offset += 16 + length
            }
        }
        return events
    }
}
