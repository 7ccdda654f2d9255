import Foundation
import Hummingbird

/// /api/receipts: what became of the clips a camp sent ("My sent clips" on the field page), and
/// consent added to one after filming. A camp's token reads only its camp's receipts.
struct ReceiptRoutes {
    let context: APIContext
    var book: ReceiptBook { ReceiptBook(store: context.store, uploads: UploadFolder(workspace: context.workspace)) }
    /// How long adding consent waits for a PATCH of the same upload before 423.
    var lockWait: TimeInterval = 10

    /// Behind a group that requires the upload permission (field tokens, producers, admins).
    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("receipts") { request, requestContext in
            let caller = requestContext.caller!
            let limit = try ClientNumber.query(request.uri.queryParameters, "limit", in: 1...200) ?? 50
            let book = self.book
            return try APIJSON.response(try await BlockingWork.run { try book.receipts(for: caller, limit: limit) })
        }
        group.post("receipts/{id}/consent") { _, requestContext in
            let caller = requestContext.caller!
            let id = try requestContext.parameters.require("id")
            guard id.utf8.count <= 64 else { throw HTTPError(.notFound, message: "no such receipt") }
            let book = self.book
            guard let receipt = try await BlockingWork.run({ try book.receipt(id, for: caller) }) else {
                throw HTTPError(.notFound, message: "\(id): no such receipt for this token's camp")
            }
            switch receipt.kind {
            case .job:
                _ = try await context.inStore { try $0.addConsent(toJob: id, by: caller.name) }
            case .upload:
                try await addConsent(toUpload: id)
            }
            guard let after = try await BlockingWork.run({ try book.receipt(id, for: caller) }) else {
                throw HTTPError(.notFound, message: "\(id): no such receipt for this token's camp")
            }
            return try APIJSON.response(after)
        }
    }

    /// Consent for a clip still crossing the link goes into the ticket it will be handed over
    /// with; under the upload's lock, so a PATCH saving the record cannot undo it.
    private func addConsent(toUpload id: String) async throws {
        let folder = UploadFolder(workspace: context.workspace)
        guard let lock = try await folder.lock(id, wait: lockWait) else { throw TusRoutes.locked() }
        defer { lock.release() }
        try await BlockingWork.run {
            guard var upload = try folder.load(id) else { throw UploadFolder.gone(id) }
            guard !upload.completed else {
                throw OrchestratorError(subject: id, "the clip is already in; try again in a minute", permanent: false, kind: .conflict).coded("just-received")
            }
            var speaker = upload.destination.ticket.speaker ?? Ticket.Speaker(name: nil, camp: nil, consent: nil)
            speaker.consent = true
            upload.destination.ticket.speaker = speaker
            try folder.save(upload)
        }
    }
}
