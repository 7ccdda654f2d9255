import Foundation
import Hummingbird

/// The per-request context of the HTTP API: who is calling, once a route's permission check has
/// looked at the bearer token.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token that authorised this request; nil on open routes and signed download links.
    public var caller: AccessToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// JSON bodies (a retry with corrected caption files) stay small; uploads stream instead.
    public var maxUploadSize: Int { 4 << 20 }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }
}
