import Foundation

/// A tweet's address as a producer pastes it from X or Twitter: the handle and the tweet id are
/// read from it, so nobody types them by hand. Query strings (`?s=20`), fragments, `www.` and
/// `mobile.` hosts and a trailing `/photo/1` are accepted; anything else is refused saying why.
public struct TweetURL: Sendable, Equatable {
    /// Without the "@".
    public let handle: String
    public let tweetId: String

    static let hosts: Set<String> = ["x.com", "twitter.com", "www.x.com", "www.twitter.com", "mobile.x.com", "mobile.twitter.com"]

    /// `field`: what a refusal names (the request's tweet_url, a posted reply's url).
    public init(parsing text: String, field: String = "tweet_url") throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func refuse(_ why: String) -> OrchestratorError { OrchestratorError(subject: field, why) }
        guard !trimmed.isEmpty else { throw refuse("is empty: paste the tweet's address from X") }
        guard trimmed.count <= 512, let components = URLComponents(string: trimmed) else {
            throw refuse("'\(trimmed.prefix(80))' is not a web address")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw refuse("'\(trimmed.prefix(80))' should start with https://x.com/")
        }
        guard let host = components.host?.lowercased(), Self.hosts.contains(host) else {
            throw refuse("'\(components.host ?? "")' is not x.com or twitter.com")
        }
        let parts = components.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[1] == "status" || parts[1] == "statuses" else {
            throw refuse("'\(components.path)' is not a tweet's address (expected /HANDLE/status/ID)")
        }
        let handle = parts[0]
        guard (1...15).contains(handle.count), handle.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw refuse("'\(handle.prefix(40))' is not an X handle (1 to 15 letters, digits or '_')")
        }
        let id = parts[2]
        guard (1...19).contains(id.count), id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw refuse("'\(id.prefix(40))' is not a tweet id (digits only)")
        }
        let rest = Array(parts.dropFirst(3))
        guard rest.isEmpty || (rest.count == 2 && ["photo", "video"].contains(rest[0]) && rest[1].allSatisfy(\.isNumber)) else {
            throw refuse("'\(components.path)' has more after the tweet id than a tweet's address does")
        }
        self.handle = handle
        self.tweetId = id
    }

    /// The canonical address, whatever form was pasted.
    public var canonical: String { "https://x.com/\(handle)/status/\(tweetId)" }
}
