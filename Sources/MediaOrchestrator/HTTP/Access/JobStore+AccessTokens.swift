import Foundation
import Transcode

/// A token as the store keeps it: never the token itself, only its SHA-256.
public struct AccessToken: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var role: AccessRole
    public var sha256: String
    public var createdAt: Double
    public var lastUsedAt: Double?
    /// A field team's token sees and uploads for this camp only; nil: every camp.
    public var camp: String?

    enum CodingKeys: String, CodingKey {
        case id, name, role, sha256, createdAt = "created_at", lastUsedAt = "last_used_at", camp
    }

    /// Whether this token may see what belongs to `camp` (case-insensitive, as camps are typed by hand).
    public func reaches(camp other: String?) -> Bool {
        guard let camp else { return true }
        guard let other else { return false }
        return camp.caseInsensitiveCompare(other) == .orderedSame
    }
}

/// Access tokens. The SQL is Store/SQL/tokens.sql.
extension JobStore {
    /// Makes a token for `role`, stores its hash, and returns the token: the only time it is seen.
    public func addToken(role: AccessRole, name: String?, camp: String? = nil, now: Date? = nil) throws -> (token: String, record: AccessToken) {
        if camp != nil && role != .uploader {
            throw OrchestratorError(subject: "--camp", "applies to uploader tokens: a field team's token is scoped to its camp")
        }
        let camp = try camp.map(NewReplyRequest.campName)
        var generator = SystemRandomNumberGenerator() // getrandom(2): fit for secrets
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let token = "mo_" + secret
        let hash = ContentDigest.sha256(bytes: Array(token.utf8))
        let id = String(hash.prefix(8))
        let name = name ?? "\(role.rawValue)-\(id)"
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isNewline }) else {
            throw OrchestratorError(subject: name, "a token name is one line of at most 64 characters")
        }
        return try database.write { tx in
            let record = AccessToken(id: id, name: name, role: role, sha256: hash, createdAt: try tx.clock(now), lastUsedAt: nil, camp: camp)
            // The unique name decides when two nodes add the same name at once.
            let added = try tx.execute(SQLCatalogue.tokens.sql("insert-token", tx.dialect), [id, name, role.rawValue, hash, record.createdAt, camp])
            if added == 0 {
                throw OrchestratorError(subject: name, "a token of that name exists; revoke it first or choose another name", kind: .conflict)
            }
            return (token, record)
        }
    }

    public func tokens() throws -> [AccessToken] {
        try database.read { try $0.records(AccessToken.self, SQLCatalogue.tokens.sql("tokens", $0.dialect)) }
    }

    /// Revokes by name or id; the token stops working at its next request.
    public func revokeToken(_ nameOrId: String) throws {
        try database.write { tx in
            if try tx.execute(SQLCatalogue.tokens.sql("revoke-token", tx.dialect), [nameOrId, nameOrId]) == 0 { throw OrchestratorError(subject: nameOrId, "no such token (see `mediaorch tokens list`)", kind: .notFound) }
        }
    }

    /// Whether the token with this id still exists (not revoked): open event streams ask every few seconds.
    public func tokenExists(id: String) throws -> Bool {
        try database.read { try $0.record(AccessToken.self, SQLCatalogue.tokens.sql("token", $0.dialect), [id]) } != nil
    }

    /// The token a request presented, if it is one of ours. Its last use is noted at most once a
    /// minute, so a busy dashboard does not turn every read into a write.
    public func authenticate(_ token: String, now: Date = Date()) throws -> AccessToken? {
        let hash = ContentDigest.sha256(bytes: Array(token.utf8))
        guard let found = try database.read({ try $0.record(AccessToken.self, SQLCatalogue.tokens.sql("token-by-hash", $0.dialect), [hash]) }) else {
            return nil
        }
        // This node's clock is good enough for "last used", and saves asking the database.
        let t = now.timeIntervalSince1970
        if t - (found.lastUsedAt ?? 0) >= 60 {
            _ = try? database.write { try $0.execute(SQLCatalogue.tokens.sql("token-used", $0.dialect), [t, found.id]) }
        }
        return found
    }
}
