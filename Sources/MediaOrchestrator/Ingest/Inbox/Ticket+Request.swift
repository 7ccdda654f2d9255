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

    /// An original that follows its proxy: the request's reply must have been made from a proxy of
    /// the same clip (whatever the request's state since: ready, posted); the ticket then names
    /// that reply job, whose editors' cut the original becomes. Reads the store: call off the pool.
    func followingItsProxy(by caller: AccessToken, store: JobStore) throws -> Ticket {
        guard let id = request, let clip else { return self }
        guard let found = try store.request(id), caller.reaches(camp: found.camp) else {
            throw OrchestratorError(subject: id, "no such request for this token's camp", kind: .notFound)
        }
        guard let jobId = found.jobId, let reply = try store.job(jobId), let sent = try reply.decodedTicket()?.clip,
              sent.role == .proxy, sent.id == clip.id else {
            throw OrchestratorError(subject: id, "has no reply made from a proxy of clip \(clip.id.prefix(12))…: send the clip itself instead",
                                    kind: .conflict).coded("no-proxy-for-original")
        }
        var linked = answering(found)
        linked.clip?.replyJob = reply.id
        return linked
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
