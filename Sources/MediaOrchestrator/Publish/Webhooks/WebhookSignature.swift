import Foundation
import Transcode

/// Standard Webhooks signing: HMAC-SHA-256, under the endpoint's secret, of
/// "<webhook-id>.<webhook-timestamp>.<body>", sent as `webhook-signature: v1,<base64>`. A
/// receiver checks it with any Standard Webhooks library, and rejects old timestamps (replays).
enum WebhookSignature {
    static func sign(secret: String, id: String, timestamp: Int, body: String) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        let mac = ContentDigest.hmacSHA256Bytes(key: Array(key), message: Array("\(id).\(timestamp).\(body)".utf8))
        return "v1," + Data(mac).base64EncodedString()
    }
}
