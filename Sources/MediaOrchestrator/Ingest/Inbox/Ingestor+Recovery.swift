import Foundation
import Logging
import Transcode

extension Ingestor {
    /// At start-up: finishes every ingest a crash cut short (or drops it when its upload is
    /// gone), then makes sure every clip in archive/ has a job. Files still in the inbox are the
    /// watcher's, which rescans at start.
    public func recover() throws -> (finished: Int, dropped: Int, adopted: Int) {
        let (finished, dropped) = try finishPendingIntents()
        return (finished, dropped, try adoptOrphanedArchives())
    }

    /// Ingests whose moves are done or half done but whose job is not queued: finished, or
    /// dropped when the upload is gone. At start-up, and from the watcher when a store error cut
    /// an ingest short (the clip has already left the inbox, so no scan would see it again).
    /// One that cannot be finished now is logged and tried again next time.
    func finishPendingIntents() throws -> (finished: Int, dropped: Int) {
        var finished = 0, dropped = 0
        for intent in try store.pendingIntents(node: node) {
            do {
                // Another node's, lapsed: take it over first, so only one node finishes it.
                guard try store.claimIngest(intent.inboxName, node: node) else { continue }
                let inboxFile = workspace.inbox.appendingPathComponent(intent.inboxName).path
                let archived = FileManager.default.fileExists(atPath: workspace.archived(intent.archivePath).path)
                // The name in the inbox may since hold another upload: only the same bytes go ahead.
                let stillInInbox = !archived && FileManager.default.fileExists(atPath: inboxFile)
                    && (try? ContentDigest.sha256(path: inboxFile)) == intent.sha256
                if archived || stillInInbox {
                    let (job, _) = try carryOut(intent)
                    logger.warning("finished an ingest that was cut short", metadata: ["job": "\(job.id)", "file": "\(intent.inboxName)"])
                    finished += 1
                } else {
                    try store.dropIntent(intent.inboxName)
                    logger.warning("an upload vanished before it was archived; nothing to ingest", metadata: ["file": "\(intent.inboxName)"])
                    dropped += 1
                }
            } catch {
                logger.error("could not finish an ingest that was cut short; will try again", metadata: ["file": "\(intent.inboxName)", "reason": "\(error)"])
            }
        }
        return (finished, dropped)
    }

    /// Archived clips whose content no job knows (a crash between the move and the queue, from
    /// before ingests stored their intent): each gets its job, with the ticket archived beside it.
    private func adoptOrphanedArchives() throws -> Int {
        let known = try store.knownSourceHashes()
        let knownFolders = Set(known.map { String($0.prefix(16)) })
        let fm = FileManager.default
        var adopted = 0
        for folderName in (try? fm.contentsOfDirectory(atPath: workspace.archive.path)) ?? [] where !knownFolders.contains(folderName) {
            let folder = workspace.archive.appendingPathComponent(folderName)
            for name in ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where InboxScanner.isCandidate(name) {
                let path = folder.appendingPathComponent(name)
                guard let sha = try? ContentDigest.sha256(path: path.path) else {
                    logger.error("an archived file cannot be read; left as it is", metadata: ["file": "\(folderName)/\(name)"])
                    continue
                }
                guard !known.contains(sha) else { continue }
                let ticketPath = folder.appendingPathComponent(InboxScanner.ticketName(for: name)).path
                let ticket = fm.fileExists(atPath: ticketPath) ? try? Ticket.load(path: ticketPath) : nil
                let ticketJSON = try ticket.map { String(decoding: try JSONCoding.encoder().encode($0), as: UTF8.self) }
                let new = JobStore.NewJob(sourceName: name, sourceSha256: sha, archivePath: workspace.stored(path),
                                          template: ticket?.template ?? TemplateLibrary.defaultTemplate,
                                          priority: JobPriority(ticket?.priority), ticketJson: ticketJSON)
                let (job, created) = try store.enqueue(new)
                if created {
                    adopted += 1
                    logger.warning("an archived clip had no job (an ingest was cut short): queued it", metadata: ["job": "\(job.id)", "file": "\(name)"])
                }
            }
        }
        return adopted
    }
}
