import Foundation
import HTTPTypes
import Hummingbird

/// A job as the API and the dashboard show it: the stored record plus what a producer looks for
/// at a glance (camp, handle, live progress, a thumbnail link).
struct JobView: Encodable {
    let job: JobRecord
    let progress: JobProgress?
    let thumbnailURL: String?

    private enum ExtraKeys: String, CodingKey {
        case camp, speaker, handle, consent, requestId = "request_id", progress, thumbnailUrl = "thumbnail_url", clipId = "clip_id", madeFrom = "made_from"
    }

    func encode(to encoder: any Encoder) throws {
        try job.encode(to: encoder)
        let ticket = try? job.decodedTicket()
        var extra = encoder.container(keyedBy: ExtraKeys.self)
        try extra.encodeIfPresent(ticket?.speaker?.camp, forKey: .camp)
        try extra.encodeIfPresent(ticket?.speaker?.name, forKey: .speaker)
        try extra.encodeIfPresent(ticket?.replyTo?.handle, forKey: .handle)
        // Whether the person filmed agreed to be posted: false or absent keeps a reply off X.
        try extra.encode(ticket?.speaker?.consent ?? false, forKey: .consent)
        try extra.encodeIfPresent(ticket?.request, forKey: .requestId)
        try extra.encodeIfPresent(progress, forKey: .progress)
        try extra.encodeIfPresent(thumbnailURL, forKey: .thumbnailUrl)
        // A clip sent twice: its reply made from the phone's proxy (the original following) or from the original.
        try extra.encodeIfPresent(ticket?.clip?.id, forKey: .clipId)
        try extra.encodeIfPresent(ticket?.clip.map { $0.role == .proxy ? "proxy" : "original" }, forKey: .madeFrom)
    }
}

/// One job in full: its attempts, its outputs with download links, and its manifest once written.
struct JobDetailView: Encodable {
    let job: JobView
    let attempts: [AttemptRecord]
    let outputs: [OutputView]?
    let manifest: Manifest?
}

struct OutputView: Encodable {
    let name: String
    let bytes: Int
    let contentType: String
    /// A signed link valid for an hour (for <video> and <img>); with a bearer token the plain path works too.
    let url: String
}

/// JSON for the API: compact, snake_case, like the command line's but on one line (server-sent
/// events need one line per message).
enum APIJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var data = try encoder().encode(value)
        data.append(0x0A)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPError {
    /// The library's errors as HTTP answers: a missing job is 404, a job in the wrong state 409,
    /// anything else the caller sent 400; each keeps its message (file, line, what is wrong).
    static func from(_ error: any Error) -> any Error {
        if error is HTTPError { return error }
        if let e = error as? OrchestratorError { return HTTPError(e.status, headers: e.headers, message: e.description) }
        if isPermanentFailure(error) { return HTTPError(.badRequest, message: "\(error)") }
        return HTTPError(.internalServerError, message: "\(error)")
    }
}

extension HTTPError {
    /// A request body that broke off or was malformed (a cut link, a lying Content-Length, a
    /// broken chunk): the client's side, 400, not the server's 500.
    static func fromBody(_ error: any Error) -> any Error {
        if error is HTTPError || error is OrchestratorError || error is CancellationError { return error }
        return HTTPError(.badRequest, message: "the request body ended early or is malformed (\(error))")
    }
}


extension HTTPField.Name {
    /// A short word beside an error's status that tells its cases apart for a client (see
    /// OrchestratorError.code); listed in /openapi.json.
    static let mediaorchReason = Self("Mediaorch-Reason")!
}
