import Foundation

/// The caption files a ticket names, read and checked: one language to burn in, every language
/// for sidecars, and the lint findings for the manifest.
public struct JobCaptions: Sendable {
    public struct Language: Sendable {
        public var language: String
        public var sourceFile: String
        public var track: CaptionTrack
    }

    public var languages: [Language]
    /// Index into `languages` of the one burned in, if any.
    public var burnedIndex: Int?

    public var burned: Language? { burnedIndex.map { languages[$0] } }

    /// Reads the files the ticket names from `folder` (the ticket's folder). A missing or
    /// malformed file fails the job with its name and line.
    public static func load(ticket: Ticket?, folder: String) throws -> JobCaptions {
        var languages: [Language] = []
        var burnedIndex: Int?
        for entry in ticket?.captions ?? [] {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(entry.file).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw OrchestratorError(subject: entry.file, "the ticket names this captions file but it is not in \(folder): add it with jobs retry --captions")
            }
            let track = try CaptionFile.load(path: path)
            if entry.burn == true && burnedIndex == nil { burnedIndex = languages.count }
            languages.append(Language(language: entry.language, sourceFile: entry.file, track: track))
        }
        // A ticket that marks none to burn still gets its first language burned: X's autoplay is muted.
        if burnedIndex == nil && !languages.isEmpty && !(ticket?.captions ?? []).contains(where: { $0.burn == false }) {
            burnedIndex = 0
        }
        return JobCaptions(languages: languages, burnedIndex: burnedIndex)
    }

    /// Parser findings plus lint against the rules for the output frame.
    public func findings(width: Int, height: Int, clipDuration: Double?) -> [CaptionFinding] {
        let rules = CaptionLayoutRules.forFrame(width: width, height: height)
        return languages.flatMap { $0.track.findings + CaptionLinter.lint($0.track, rules: rules, clipDuration: clipDuration) }
    }
}
