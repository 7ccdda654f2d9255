extension Ticket {
    /// The ticket linked to the reply request it names, as `caller` may link it: a camp's token
    /// links only its camp's requests still to film (anything else is "no such request"), and the
    /// tweet it answers, its priority and its camp always come from the request, never from what the
    /// phone wrote. Unchanged when it names no request. Reads the store: call off the cooperative pool.
    func linkedToRequest(by caller: AccessToken, store: JobStore) throws -> Ticket {
        guard let id = request else { return self }
        guard let found = try store.request(id), caller.reaches(camp: found.camp) else {
            throw OrchestratorError(subject: id, "no such request for this token's camp", kind: .notFound)
        }
        // A camp films what is still to film; the command centre may also retake a rendered one.
        guard ![.posted, .cancelled].contains(found.state),
              caller.camp == nil || ReplyRequestState.awaitingClip.contains(found.state) else {
            throw OrchestratorError(subject: id, "is \(found.state.rawValue); it takes no more clips", kind: .conflict).coded("request-closed")
        }
        return answering(found)
    }

    /// The ticket with the request's tweet, priority and camp.
    func answering(_ found: ReplyRequest) -> Ticket {
        var linked = self
        linked.replyTo = ReplyTarget(tweetId: found.tweetId, handle: found.handle)
        linked.priority = Priority(rawValue: found.priority)
        linked.setCamp(found.camp)
        return linked
    }
}
