import Foundation
import Transcode

/// Decides when a file in the inbox is a whole upload. Explicit signals first (it was renamed in
/// from a `.part` or hidden name, or a ticket names it), then size and mtime unchanged for a few
/// seconds; and for MP4/MOV, the container must be whole (a moov that has not arrived means "still
/// uploading", not "failed"). Nothing is blacklisted: a file that was incomplete is looked at
/// again on every scan.
public struct InboxScanner: Sendable {
    public struct Observation: Sendable, Equatable {
        var size: Int64
        var mtime: Date
        var firstSeenStable: Date
    }

    public var stableSeconds: TimeInterval = 3
    /// An MP4 that stays incomplete this long is ingested anyway, to fail with its reason.
    public var incompleteTimeout: TimeInterval = 600
    private(set) var observations: [String: Observation] = [:]
    /// Names that arrived by rename (inotify moved-to): complete by the uploader's own word.
    private var renamedIn: Set<String> = []

    public init() {}

    /// Files no one should ingest: hidden, partial or temporary names, and the sidecars that
    /// travel with a clip (tickets, captions).
    public static func isCandidate(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasPrefix("~") { return false }
        let lower = name.lowercased()
        for suffix in [".part", ".partial", ".tmp", ".crdownload", ".download", ".job.json", ".srt", ".vtt", ".json", ".txt", ".md"] where lower.hasSuffix(suffix) {
            return false
        }
        return true
    }

    public mutating func noteRenamedIn(_ name: String) { renamedIn.insert(name) }

    /// The files in `inbox` that are whole uploads now.
    public mutating func readyFiles(in inbox: URL, now: Date = Date()) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: inbox.path)) ?? []).filter(Self.isCandidate).sorted()
        observations = observations.filter { names.contains($0.key) }
        renamedIn = renamedIn.filter { names.contains($0) }
        var ready: [String] = []
        for name in names {
            let path = inbox.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  (attributes[.type] as? FileAttributeType) == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.int64Value,
                  let mtime = attributes[.modificationDate] as? Date else { continue }
            var seen = observations[name] ?? Observation(size: size, mtime: mtime, firstSeenStable: now)
            if seen.size != size || seen.mtime != mtime {
                seen = Observation(size: size, mtime: mtime, firstSeenStable: now)
            }
            observations[name] = seen
            let ticketNamesIt = FileManager.default.fileExists(atPath: inbox.appendingPathComponent(Self.ticketName(for: name)).path)
            let stable = now.timeIntervalSince(seen.firstSeenStable) >= stableSeconds
            guard size > 0 || stable else { continue }
            guard renamedIn.contains(name) || stable || (ticketNamesIt && now.timeIntervalSince(seen.firstSeenStable) >= 1) else { continue }
            if let layout = ISOBaseMediaLayout(path: path), !layout.isComplete,
               now.timeIntervalSince(seen.firstSeenStable) < incompleteTimeout {
                continue // still uploading: its index (moov) or its tail has not arrived
            }
            ready.append(name)
        }
        return ready
    }

    /// "clip.mp4" → "clip.job.json".
    public static func ticketName(for clip: String) -> String {
        (clip as NSString).deletingPathExtension + ".job.json"
    }
}
