import Foundation

/// What a camp sees of a clip it sent, in its own terms: where the clip is (still crossing the
/// link, received, being made into a reply, ready, posted, or to be filmed again and why), never
/// the job's internals (attempts, errors as producers read them, files, workers).
struct Receipt: Encodable, Sendable {
    enum State: String, Encodable, Sendable {
        /// Bytes still arriving.
        case sending
        /// Whole, waiting to be made into a reply.
        case received
        /// Being made into a reply.
        case making
        /// A reply is ready for the command centre to post.
        case ready
        case posted
        /// The clip could not be made into a reply: film it again (`filmAgainReason`).
        case filmAgain = "film_again"
        /// The command centre called it off.
        case stopped
    }

    /// Why a clip must be filmed again, as a word the field page says in its worker's language.
    enum FilmAgainReason: String, Encodable, Sendable {
        case tooLong = "too_long", tooShort = "too_short", unreadable, noPicture = "no_picture", other

        /// From a job's last error (written for producers), the reason a camp can act on.
        init(lastError: String?) {
            let text = (lastError ?? "").lowercased()
            if text.contains("x allows") { self = .tooLong }
            else if text.contains("must be at least 0.5 s") { self = .tooShort }
            else if text.contains("no picture") || text.contains("no audio or video") || text.contains("no video") { self = .noPicture }
            else if ["damaged", "truncated", "invalid data", "cannot be read", "not a media file", "not a clip", "unreadable", "could not be opened", "decode"]
                        .contains(where: text.contains) { self = .unreadable }
            else { self = .other }
        }
    }

    struct Progress: Encodable, Sendable {
        let received: Int64
        /// nil while a proxy is still being made on the phone (its size is told at its end).
        let total: Int64?
    }

    /// Where the camera's original of a clip sent as a proxy first stands.
    enum OriginalState: String, Encodable, Sendable {
        case notSent = "not_sent", sending, `in`
    }

    /// What the reply is made from: the phone's proxy or the camera's original.
    enum Source: String, Encodable, Sendable { case proxy, original }

    enum Kind: String, Encodable, Sendable { case upload, job }

    let id: String
    let kind: Kind
    let requestId: String?
    let handle: String?
    let tweetText: String?
    let fileName: String
    let speaker: String?
    let consent: Bool
    let camp: String?
    let sentAt: Date
    let updatedAt: Date
    let state: State
    let progress: Progress?
    let postedUrl: String?
    let filmAgainReason: FilmAgainReason?
    /// Sent with the very token asking.
    let mine: Bool
    /// The id the phone gave the clip (the same on its proxy and its original); nil for a clip sent once.
    var clipId: String? = nil
    var madeFrom: Source = .original
    /// For a clip sent as a proxy first: whether its original is in; nil otherwise.
    var original: OriginalState? = nil

    /// The clip's proxy and original fields, from its ticket and what is known of its original.
    func withClip(_ clip: Ticket.Clip?, originalsIn: Set<String>, originalsSending: Set<String>) -> Receipt {
        var receipt = self
        guard let clip else { return receipt }
        receipt.clipId = clip.id
        receipt.madeFrom = clip.role == .proxy ? .proxy : .original
        if clip.role == .proxy {
            receipt.original = originalsIn.contains(clip.id) ? .in : originalsSending.contains(clip.id) ? .sending : .notSent
        }
        return receipt
    }
}

extension Receipt {
    /// A clip whose job exists: its state as the camp sees it.
    init(job: JobRecord, request: ReplyRequest?, caller: AccessToken) {
        let ticket = try? job.decodedTicket()
        let state: State
        switch job.state {
        case .queued, .running, .failed: state = .making
        case .succeeded: state = job.postedUrl == nil ? .ready : .posted
        case .dead: state = .filmAgain
        case .cancelled: state = .stopped
        }
        self.init(id: job.id, kind: .job, requestId: ticket?.request, handle: request?.handle ?? ticket?.replyTo?.handle,
                  tweetText: request?.tweetText, fileName: job.sourceName, speaker: ticket?.speaker?.name,
                  consent: ticket?.speaker?.consent == true, camp: ticket?.speaker?.camp,
                  sentAt: Date(timeIntervalSince1970: job.createdAt), updatedAt: Date(timeIntervalSince1970: job.updatedAt),
                  state: state, progress: nil, postedUrl: job.postedUrl,
                  filmAgainReason: state == .filmAgain ? FilmAgainReason(lastError: job.lastError) : nil,
                  mine: UploaderFile.uploader(of: URL(fileURLWithPath: job.archivePath).lastPathComponent) == caller.id)
    }

    /// A clip still crossing the link, or whole and not yet taken in by ingest.
    init(upload: ResumableUpload, received: Int64, lastByteAt: Double, request: ReplyRequest?, caller: AccessToken) {
        let ticket = upload.destination.ticket
        self.init(id: upload.id, kind: .upload, requestId: ticket.request, handle: request?.handle ?? ticket.replyTo?.handle,
                  tweetText: request?.tweetText, fileName: upload.destination.fileName, speaker: ticket.speaker?.name,
                  consent: ticket.speaker?.consent == true, camp: upload.destination.camp,
                  sentAt: Date(timeIntervalSince1970: upload.createdAt),
                  updatedAt: Date(timeIntervalSince1970: lastByteAt), state: upload.completed ? .received : .sending,
                  progress: upload.completed ? nil : Progress(received: received, total: upload.length),
                  postedUrl: nil, filmAgainReason: nil, mine: upload.uploader == caller.id)
    }
}
