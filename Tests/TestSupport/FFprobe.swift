import Foundation

/// ffprobe as the tests' independent oracle: what the product says about a file is checked
/// against what ffprobe says, never against the product itself.
public enum FFprobe {
    public typealias JSON = [String: Any]

    public static func json(_ file: String, _ arguments: [String]) throws -> JSON {
        let result = try ExternalTool.run("ffprobe", ["-v", "error", "-of", "json"] + arguments + [file])
        guard result.status == 0 else { throw OracleError("ffprobe failed on \(file): \(result.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: result.stdout) as? JSON else {
            throw OracleError("ffprobe printed no JSON for \(file)")
        }
        return object
    }

    /// `-show_format -show_streams` in one call.
    public static func formatAndStreams(_ file: String) throws -> (format: JSON, streams: [JSON]) {
        let j = try json(file, ["-show_format", "-show_streams"])
        return (j["format"] as? JSON ?? [:], j["streams"] as? [JSON] ?? [])
    }

    public static func streams(_ file: String, select: String? = nil) throws -> [JSON] {
        var args = ["-show_streams"]
        if let select { args = ["-select_streams", select] + args }
        return try json(file, args)["streams"] as? [JSON] ?? []
    }

    /// Presentation timestamps of one stream's packets, in its time base.
    public static func packetTimestamps(_ file: String, streamIndex: Int) throws -> [Int64] {
        let j = try json(file, ["-select_streams", "\(streamIndex)", "-show_entries", "packet=pts,dts"])
        let packets = j["packets"] as? [JSON] ?? []
        return packets.compactMap { ($0["pts"] as? NSNumber)?.int64Value ?? ($0["dts"] as? NSNumber)?.int64Value }
    }

    /// Frames of one stream with the given entries (e.g. "frame=pts_time,key_frame,pict_type").
    public static func frames(_ file: String, select: String, entries: String, extra: [String] = []) throws -> [JSON] {
        let j = try json(file, ["-select_streams", select, "-show_entries", entries] + extra)
        return j["frames"] as? [JSON] ?? []
    }
}

public struct OracleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Dictionary where Key == String, Value == Any {
    public func string(_ key: String) -> String? { self[key] as? String }
    public func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue ?? (self[key] as? String).flatMap { Int($0) } }
    public func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue ?? (self[key] as? String).flatMap { Double($0) } }
    public var tags: [String: String] { self["tags"] as? [String: String] ?? [:] }
}
