/// Which reply requests a token may see. The command centre (any token that reads jobs) sees
/// every request in full; a field token sees only the requests its camp still has to film, with
/// no job, footage or poster. Anything it may not see is answered as if it did not exist.
enum RequestVisibility: Equatable {
    case everything
    /// `camp` nil: a field coordinator's uploader token, every camp.
    case stillToFilm(camp: String?)

    /// nil: the token sees no requests at all.
    init?(_ caller: AccessToken) {
        if caller.role.may(.readJobs) { self = .everything }
        else if caller.role.may(.seeOpenRequests) { self = .stillToFilm(camp: caller.camp) }
        else { return nil }
    }

    var showsEverything: Bool { self == .everything }

    func allows(_ request: ReplyRequest) -> Bool {
        switch self {
        case .everything: true
        case .stillToFilm(let camp):
            ReplyRequestState.awaitingClip.contains(request.state) && (camp.map { $0.caseInsensitiveCompare(request.camp) == .orderedSame } ?? true)
        }
    }

    /// The caller's filter narrowed to what it may see.
    func narrow(_ filter: RequestFilter) -> RequestFilter {
        guard case .stillToFilm(let camp) = self else { return filter }
        var narrowed = filter
        if let camp { narrowed.camp = camp }
        let asked = filter.states ?? ReplyRequestState.awaitingClip
        narrowed.states = asked.filter(ReplyRequestState.awaitingClip.contains)
        return narrowed
    }
}
