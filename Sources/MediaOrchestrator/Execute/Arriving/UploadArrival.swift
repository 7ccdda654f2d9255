import Foundation
import Transcode

/// How far an upload has arrived, read from its record (uploads/<id>.info) as the tus side writes
/// it after every acknowledged PATCH: what a render reading the upload as it grows may read. Read
/// by path every time, so it sees what any node of the workspace wrote.
struct UploadArrival: Sendable {
    let recordPath: String

    func look() -> ArrivalState {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return .abandoned("the upload was ended or removed") }
        guard let upload = try? JSONCoding.decoder().decode(ResumableUpload.self, from: data) else {
            // A record is replaced by rename, never rewritten in place: unreadable means damaged.
            return .abandoned("its record is unreadable")
        }
        if let length = upload.length, upload.completed || upload.acknowledged == length { return .complete(length: length) }
        if upload.expiresAt < Date().timeIntervalSince1970 { return .abandoned("it expired") }
        return .arriving(acknowledged: upload.acknowledged ?? 0)
    }
}
