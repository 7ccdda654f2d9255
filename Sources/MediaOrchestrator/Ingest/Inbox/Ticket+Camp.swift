extension Ticket {
    /// The camp the clip belongs to, written into the speaker (made when the ticket has none).
    mutating func setCamp(_ camp: String) {
        var speaker = self.speaker ?? Speaker()
        speaker.camp = camp
        self.speaker = speaker
    }

    /// The ticket as a field token of `camp` may file it: every clip it sends is its camp's, and
    /// a ticket naming another camp is refused (403), naming `file`.
    func scoped(toCamp camp: String, file: String) throws -> Ticket {
        if let named = speaker?.camp, named.caseInsensitiveCompare(camp) != .orderedSame {
            throw OrchestratorError(subject: file, "this token uploads for \(camp), not for \(named)", kind: .forbidden)
        }
        var scoped = self
        scoped.setCamp(speaker?.camp ?? camp)
        return scoped
    }
}
