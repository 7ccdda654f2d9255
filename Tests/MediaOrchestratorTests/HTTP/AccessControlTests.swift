import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import MediaOrchestrator

/// Every operation the OpenAPI document lists, called by every role, with no token and with a
/// wrong one: 401 and 403 exactly where the document's x-permission says.
@Suite struct AccessControlTests {
    struct Operation: CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        /// nil: open; "any valid token": every role.
        let permission: String?
        var description: String { "\(method) \(path)" }
    }

    static func documentedOperations() throws -> [Operation] {
        let url = TestPaths.packageRoot.appendingPathComponent("Sources/MediaOrchestrator/HTTP/openapi.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        return paths.flatMap { path, methods in
            methods.compactMap { method, value -> Operation? in
                guard let operation = value as? [String: Any] else { return nil }
                return Operation(method: HTTPRequest.Method(rawValue: method.uppercased())!, path: path, permission: operation["x-permission"] as? String)
            }
        }.sorted { $0.description < $1.description }
    }

    /// A concrete request for an operation: real ids, a small valid body where one is needed.
    static func request(_ op: Operation, fixture: APIFixture, role: AccessRole?) -> (uri: String, body: ByteBuffer?) {
        var uri = op.path.replacingOccurrences(of: "{id}", with: fixture.succeededJob)
            .replacingOccurrences(of: "{name}", with: op.path.hasPrefix("/api/uploads") ? "matrix-\(role?.rawValue ?? "none").srt" : "reply.mp4")
            .replacingOccurrences(of: "{file}", with: "ar.json")
        if op.path == "/api/jobs/{id}/cuts" { uri = uri.replacingOccurrences(of: fixture.succeededJob, with: fixture.deadJob) }
        if op.path.hasPrefix("/api/requests/") { uri = uri.replacingOccurrences(of: fixture.succeededJob, with: fixture.openRequest) }
        let body: ByteBuffer? = switch op.path {
        case "/api/uploads/{name}": ByteBuffer(string: "1\n00:00:00,000 --> 00:00:01,500\nHello\n")
        case "/api/jobs/{id}/cuts": .json(#"{"start": 1, "end": 2}"#)
        case "/api/requests": op.method == .post ? .json(#"{"tweet_url": "https://x.com/a/status/1", "tweet_text": "t", "camp": "Kakuma"}"#) : nil
        case "/api/jobs/{id}/posted": .json(#"{"url": "https://x.com/cc/status/9"}"#)
        default: nil
        }
        return (uri, body)
    }

    @Test func everyOperationAnswers401And403AsDocumented() async throws {
        let fixture = try APIFixture("access-matrix")
        let operations = try Self.documentedOperations()
        #expect(operations.count >= 14)
        // The event stream never ends by itself: its permission is checked in LiveAPITests.
        try await fixture.test { client in
            for op in operations where op.path != "/api/events" {
                for role in [nil] + AccessRole.allCases {
                    let (uri, body) = Self.request(op, fixture: fixture, role: role)
                    let response = try await client.execute(uri: uri, method: op.method, headers: fixture.headers(role), body: body)
                    let status = response.status.code
                    switch op.permission {
                    case nil:
                        #expect((200..<300).contains(status), "\(op) is open, got \(status)")
                    case _ where role == nil:
                        #expect(status == 401, "\(op) without a token: \(status)")
                        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    case "any valid token":
                        #expect(status == 200 || status == 201, "\(op) as \(role!): \(status)")
                    case let permission?:
                        let allowed = role!.may(Permission(rawValue: permission)!)
                        if allowed {
                            #expect(status != 401 && status != 403 && status < 500, "\(op) as \(role!): \(status) \(response.text)")
                        } else {
                            #expect(status == 403, "\(op) as \(role!) should be forbidden: \(status)")
                            #expect(response.errorMessage.contains("a \(role!.rawValue) token may not"))
                        }
                    }
                }
                if op.permission != nil {
                    let (uri, body) = Self.request(op, fixture: fixture, role: .producer)
                    let bad = try await client.execute(uri: uri, method: op.method, headers: [.authorization: "Bearer mo_0000"], body: body)
                    #expect(bad.status == .unauthorized, "\(op) with an unknown token")
                    let basic = try await client.execute(uri: uri, method: op.method, headers: [.authorization: "Basic YWxpY2U6c2VjcmV0"], body: body)
                    #expect(basic.status == .unauthorized, "\(op) with Basic credentials")
                }
            }
        }
    }

    @Test func everyRouteIsInTheOpenAPIDocumentAndBack() throws {
        let fixture = try APIFixture("access-docs")
        let routes = Set(fixture.server.router().routes.map { "\($0.method) \($0.path)" })
        let documented = Set(try Self.documentedOperations().map { "\($0.method) \($0.path)" })
        let assets: Set<String> = ["GET /dashboard.css", "GET /dashboard.js", "GET /field.css", "GET /field.js", "GET /field/vendor/mediabunny.mjs"]
        #expect(routes.subtracting(assets) == documented)
    }

    @Test func aRevokedTokenStopsWorkingAndOnlyHashesAreStored() async throws {
        let fixture = try APIFixture("access-revoke")
        let token = fixture.tokens[.viewer]!
        let stored = try Data(contentsOf: URL(fileURLWithPath: fixture.workspace.storePath))
        #expect(stored.range(of: Data(token.utf8)) == nil, "the token itself must never be written")
        #expect(try fixture.store.tokens().map(\.sha256).contains(ContentDigest.sha256(bytes: Array(token.utf8))))
        try await fixture.test { client in
            #expect(try await client.execute(uri: "/api/jobs", method: .get, headers: fixture.headers(.viewer)).status == .ok)
            try fixture.store.revokeToken("viewer")
            let after = try await client.execute(uri: "/api/jobs", method: .get, headers: fixture.headers(.viewer))
            #expect(after.status == .unauthorized)
            #expect(after.errorMessage.contains("revoked"))
        }
    }

    @Test func tokensCommandAddsListsAndRevokes() throws {
        let root = try TestPaths.scratch("http/tokens-cli")
        let add = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "editor", "--name", "photo desk", "--workspace", root.path])
        #expect(add.status == 0)
        let token = add.text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("mo_") && token.count == 67)
        let list = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "list", "--workspace", root.path])
        #expect(list.text.contains("photo desk") && list.text.contains("editor") && !list.text.contains(token))
        let again = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "viewer", "--name", "photo desk", "--workspace", root.path])
        #expect(again.status != 0 && again.stderr.contains("a token of that name exists"))
        let badRole = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "add", "--role", "superuser", "--workspace", root.path])
        #expect(badRole.status != 0)
        #expect(try ExternalTool.run(TestPaths.mediaorch, ["tokens", "revoke", "photo desk", "--workspace", root.path]).status == 0)
        let gone = try ExternalTool.run(TestPaths.mediaorch, ["tokens", "revoke", "photo desk", "--workspace", root.path])
        #expect(gone.status != 0 && gone.stderr.contains("no such token"))
    }
}
