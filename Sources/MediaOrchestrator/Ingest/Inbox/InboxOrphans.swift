import Foundation
import Transcode

/// Tickets and caption files left in the inbox with no clip to go with them (a phone that sent
/// the sidecars and never the clip, a ticket for another name): after `age` they are moved out,
/// into inbox-orphans/<day>/, and each move is recorded as a line of inbox-orphans/moved.jsonl.
/// Never deleted: a producer may still want what a camp wrote. A ticket whose clip is in the
/// inbox, and a caption file a ticket there names, stay.
struct InboxOrphans {
    let workspace: Workspace
    /// How long a sidecar may wait for its clip (`mediaorch watch --orphan-hours`).
    let age: TimeInterval

    struct Record: Codable {
        var file: String
        var movedTo: String
        var bytes: Int64
        var modifiedAt: Date
        var movedAt: Date
        var reason: String
    }

    static func isSidecar(_ name: String) -> Bool {
        let lower = name.lowercased()
        return !name.hasPrefix(".") && (lower.hasSuffix(".job.json") || lower.hasSuffix(".srt") || lower.hasSuffix(".vtt"))
    }

    /// Moves the orphans older than `age`; returns what was moved. Blocking file work.
    func sweep(now: Date = Date()) throws -> [Record] {
        let inbox = workspace.inbox
        let names = (try? FileManager.default.contentsOfDirectory(atPath: inbox.path)) ?? []
        let clips = Set(names.filter { InboxScanner.isCandidate($0) }.map(InboxScanner.ticketName(for:)))
        var named = Set<String>()
        for ticket in names where ticket.lowercased().hasSuffix(".job.json") {
            for caption in (try? Ticket.load(path: inbox.appendingPathComponent(ticket).path))?.captions ?? [] { named.insert(caption.file) }
        }
        var moved: [Record] = []
        for name in names.sorted() where Self.isSidecar(name) {
            let path = inbox.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  (attributes[.type] as? FileAttributeType) == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) >= age else { continue }
            let isTicket = name.lowercased().hasSuffix(".job.json")
            if isTicket ? clips.contains(name) : named.contains(name) { continue }
            let day = UploadAllowance.day(now)
            let folder = workspace.inboxOrphans.appendingPathComponent(day)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var destination = folder.appendingPathComponent(name)
            var copy = 1
            while FileManager.default.fileExists(atPath: destination.path) {
                destination = folder.appendingPathComponent("\(copy)-\(name)")
                copy += 1
            }
            // Another node sweeping the same shared inbox may have taken it first: then it is its record.
            guard try DurableFile.moveWithoutReplacing(path, to: destination.path) else { continue }
            let record = Record(file: name, movedTo: "inbox-orphans/\(day)/\(destination.lastPathComponent)",
                                bytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0, modifiedAt: modified, movedAt: now,
                                reason: isTicket ? "no clip of this name arrived" : "no ticket in the inbox names it")
            try append(record)
            moved.append(record)
        }
        return moved
    }

    private func append(_ record: Record) throws {
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(0x0A)
        let path = workspace.inboxOrphans.appendingPathComponent("moved.jsonl").path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OrchestratorError(subject: "inbox-orphans/moved.jsonl", "cannot open: \(String(cString: strerror(errno)))", permanent: false) }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
    }
}
