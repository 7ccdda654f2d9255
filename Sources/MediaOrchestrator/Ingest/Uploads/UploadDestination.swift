import Foundation

/// What a resumable upload becomes once its last byte arrives: a clip of this name in the inbox,
/// with this ticket beside it. Worked out (and every field checked) when the upload is created,
/// so a field team learns of a wrong request id before sending 150 MB, not after.
struct UploadDestination: Sendable, Codable, Equatable {
    var fileName: String
    var ticket: Ticket
    /// The camp the clip belongs to: who may resume, see or end the upload.
    var camp: String?

    var request: String? { ticket.request }
    /// A proxy or an original of a clip sent twice (Ticket.Clip); nil for a clip sent once.
    var clipRole: Ticket.Clip.Role? { ticket.clip?.role }
    /// The clip's seconds as the phone declared them (`duration`): with them, a streamable upload's
    /// reply is rendered while it arrives.
    var declaredDuration: Double?

    /// A proxy longer than this is refused: X takes at most 140 s.
    static let longestProxy = 140.0

    /// From the metadata a client sent: `filename`, and either `request` with `speaker` and
    /// `consent`, or `ticket` (a whole ticket as JSON), or neither (an unrequested clip for the
    /// caller's camp); `captions` optionally lists caption files already uploaded (ticket syntax).
    static func make(from metadata: UploadMetadata, caller: AccessToken, store: JobStore) throws -> UploadDestination {
        let fileName = try clipName(metadata["filename"])
        var ticket: Ticket
        if let json = metadata["ticket"] {
            guard metadata["request"] == nil else { throw UploadMetadata.refuse("send either 'request' or 'ticket', not both") }
            ticket = try Ticket.decode(Data(json.utf8), fileName: "Upload-Metadata ticket")
            ticket.clip = nil // only the metadata's clip_id and clip_role say which clip this is
            ticket.arrival = nil // and only the server says how it arrived
        } else {
            ticket = Ticket()
            ticket.request = metadata["request"]
            if let name = metadata["speaker"]?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty {
                guard name.count <= 100, !name.contains(where: \.isNewline) else { throw UploadMetadata.refuse("'speaker' is one line of at most 100 characters") }
                ticket.speaker = Ticket.Speaker(name: name, camp: nil, consent: metadata["consent"] == "true")
            } else if metadata["request"] != nil {
                throw UploadMetadata.refuse("'speaker' is missing: the name of the person filmed")
            }
        }
        if let captions = metadata["captions"] {
            do { ticket.captions = try JSONCoding.decoder().decode([Ticket.CaptionFile].self, from: Data(captions.utf8)) } catch {
                throw UploadMetadata.refuse("'captions' is not a JSON list of {\"file\", \"language\", \"burn\"}")
            }
            // The same rules as a ticket's (plain names beside the clip).
            _ = try Ticket.decode(try JSONCoding.encoder().encode(ticket), fileName: "Upload-Metadata captions")
        }
        ticket.clip = try clip(from: metadata)
        let declared = try declaredDuration(metadata, required: ticket.clip?.role == .proxy)
        // A field token's clip is its camp's, whatever the ticket says; another camp is refused.
        if let own = caller.camp { ticket = try ticket.scoped(toCamp: own, file: "camp") }
        if ticket.clip?.role == .original {
            ticket = try ticket.followingItsProxy(by: caller, store: store).captionsOwned(by: caller.id)
        } else {
            ticket = try ticket.linkedToRequest(by: caller, store: store).captionsOwned(by: caller.id)
        }
        let camp = ticket.speaker?.camp
        return UploadDestination(fileName: fileName, ticket: ticket, camp: camp, declaredDuration: declared)
    }

    /// `clip_id` and `clip_role` (proxy or original): a clip sent twice. Both need `request`.
    static func clip(from metadata: UploadMetadata) throws -> Ticket.Clip? {
        guard let roleName = metadata["clip_role"] else {
            guard metadata["clip_id"] == nil else { throw UploadMetadata.refuse("'clip_id' needs 'clip_role' (proxy or original)") }
            return nil
        }
        guard let role = Ticket.Clip.Role(rawValue: roleName) else { throw UploadMetadata.refuse("'clip_role' is 'proxy' or 'original'") }
        guard let id = metadata["clip_id"], Ticket.isClipId(id) else {
            throw UploadMetadata.refuse("'clip_id' is missing or not 16 to 64 letters, digits, '-' or '_' (the same for the proxy and its original)")
        }
        guard metadata["request"] != nil else { throw UploadMetadata.refuse("a \(role.rawValue) answers a request: 'request' is missing") }
        return Ticket.Clip(id: id, role: role)
    }

    /// `duration`: the clip's seconds as the phone measured them (required for a proxy, at most
    /// 140 s; optional for any other clip, at most 600 s). A streamable upload that declares it has
    /// its reply rendered while it arrives.
    static func declaredDuration(_ metadata: UploadMetadata, required: Bool) throws -> Double? {
        guard let text = metadata["duration"] else {
            if required { throw UploadMetadata.refuse("'duration' is missing: a proxy's seconds, as the phone measured them (such as 31.5)") }
            return nil
        }
        guard text.count <= 12, let seconds = Double(text), seconds.isFinite, seconds > 0 else {
            throw UploadMetadata.refuse("'duration' is not the clip's seconds (a number such as 31.5)")
        }
        let most = required ? longestProxy : Ticket.Limits.declaredDuration.upperBound
        guard seconds <= most else {
            throw UploadMetadata.refuse(required ? "'duration' \(text) s is longer than a reply may be (\(Int(longestProxy)) s): trim the clip first"
                                                 : "'duration' \(text) s is more than \(Int(most)) s")
        }
        return seconds
    }

    /// The clip's own name, reduced to a plain, visible file name with a clip extension.
    static func clipName(_ raw: String?) throws -> String {
        guard let raw, !raw.isEmpty else { throw UploadMetadata.refuse("'filename' is missing: the clip's name, such as kakuma-abu.mp4") }
        let last = raw.split(separator: "/").last.map(String.init) ?? raw
        var name = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\\" && $0.value != 0x7F }.map(Character.init))
        while name.hasPrefix(".") || name.hasPrefix("~") { name.removeFirst() }
        name = name.trimmingCharacters(in: .whitespaces)
        guard UploadRoutes.kind(of: name) == .clip, name.utf8.count <= 200 else {
            throw UploadMetadata.refuse("'filename' \(raw.prefix(60)) is not a clip (\(UploadRoutes.clipExtensions.sorted().joined(separator: ", ")))")
        }
        return name
    }
}
