/// One video packet of the source, in decode order, as a demux-only scan finds it.
struct SourcePacket: Equatable {
    var pts: Int64
    var dts: Int64
    var duration: Int64
    var isKey: Bool
    /// A keyframe whose sample carries an IDR slice: decoding may start here with nothing before it.
    var isIDR: Bool
}

/// Why a cut cannot be made by copying the camera's GOPs; the cut is then re-encoded in full.
public struct SmartCutRefusal: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
    public init(reason: String) { self.reason = reason }
}

/// Which packets of a cut are copied and which pictures are re-encoded, decided from the scan
/// alone. Pictures in [in, out) make the cut. The copied run starts at the first IDR at or after
/// the in point and ends before the last IDR at or before the out point, each a clean split:
/// nothing decoded before it shows after it, nothing decoded after it shows before it (no
/// leading pictures). The head [in, first IDR) and the tail [last IDR, out) are re-encoded.
struct SmartCutPlan {
    /// Presentation times of the cut's pictures, ascending (the source's time base).
    let pictures: [Int64]
    /// Decode-order index of the IDR where decoding for the head starts (at or before the in point).
    let decodeFrom: Int
    /// Decode-order indices of the packets copied untouched.
    let copied: Range<Int>
    /// Presentation times re-encoded before and after the copied run.
    let head: Range<Int64>
    let tail: Range<Int64>
    /// Decode-order index of the last packet whose picture is in the cut: reading stops after it.
    let lastNeeded: Int
    /// How many pictures the copied run decodes ahead of showing them (its B-frame delay).
    let copiedReorderDelay: Int
    /// How long the cut's last picture shows, by its own packet (the source's time base).
    let lastPictureDuration: Int64

    var headPictures: Int { pictures.count { head.contains($0) } }
    var tailPictures: Int { pictures.count { tail.contains($0) } }

    static func make(packets: [SourcePacket], in inTicks: Int64, out outTicks: Int64) throws -> SmartCutPlan {
        guard !packets.isEmpty else { throw SmartCutRefusal(reason: "the video has no packets") }
        guard Set(packets.map(\.pts)).count == packets.count else { throw SmartCutRefusal(reason: "two pictures share a timestamp") }
        let pictures = packets.map(\.pts).filter { $0 >= inTicks && $0 < outTicks }.sorted()
        guard let first = pictures.first, let last = pictures.last else { throw SmartCutRefusal(reason: "no picture lies between the in and out points") }

        // A clean split at i: every packet before it shows earlier, every packet after it later.
        var earlierMax = [Int64](repeating: .min, count: packets.count + 1)
        for i in packets.indices { earlierMax[i + 1] = max(earlierMax[i], packets[i].pts) }
        var laterMin = [Int64](repeating: .max, count: packets.count + 1)
        for i in packets.indices.reversed() { laterMin[i] = min(laterMin[i + 1], packets[i].pts) }
        func cleanIDR(_ i: Int) -> Bool { packets[i].isIDR && earlierMax[i] < packets[i].pts && laterMin[i + 1] > packets[i].pts }

        guard let decodeFrom = packets.indices.filter({ cleanIDR($0) && packets[$0].pts <= first }).max(by: { packets[$0].pts < packets[$1].pts }) else {
            throw SmartCutRefusal(reason: packets.contains(where: \.isIDR)
                                  ? "no IDR keyframe before the in point to decode the first pictures from"
                                  : "the camera's keyframes are not IDR (open GOPs): joins would not decode cleanly")
        }
        let inside = packets.indices.filter { packets[$0].pts >= first && packets[$0].pts <= last }
        guard let start = inside.first(where: cleanIDR) else {
            throw SmartCutRefusal(reason: inside.contains { packets[$0].isKey && !packets[$0].isIDR }
                                  ? "the camera's keyframes inside the cut are not IDR (open GOPs): joins would not decode cleanly"
                                  : "no IDR keyframe inside the cut: it is shorter than the camera's keyframe interval")
        }
        let reachesEnd = packets.allSatisfy { $0.pts < outTicks }
        let end = reachesEnd ? packets.count
            : packets.indices.last(where: { cleanIDR($0) && packets[$0].pts > packets[start].pts && packets[$0].pts <= outTicks }) ?? start
        guard end > start else {
            throw SmartCutRefusal(reason: "the cut holds no whole GOP: it is shorter than the camera's keyframe interval")
        }
        let copied = start..<end
        let copiedStart = packets[start].pts
        let copiedEnd = end < packets.count ? packets[end].pts : Int64.max

        // The B-frame delay of the copied run: how far a packet's decode position runs ahead of its picture's rank.
        let order = copied.map { packets[$0].pts }
        let rank = Dictionary(uniqueKeysWithValues: order.sorted().enumerated().map { ($1, $0) })
        let delay = order.enumerated().map { $0.offset - rank[$0.element]! }.max() ?? 0

        let lastNeeded = packets.indices.last { packets[$0].pts >= first && packets[$0].pts <= last }!
        return SmartCutPlan(pictures: pictures, decodeFrom: decodeFrom, copied: copied,
                            head: first..<copiedStart, tail: copiedEnd == .max ? outTicks..<outTicks : copiedEnd..<outTicks,
                            lastNeeded: lastNeeded, copiedReorderDelay: max(0, delay),
                            lastPictureDuration: packets.first { $0.pts == last }.map { $0.duration > 0 ? $0.duration : 1 } ?? 1)
    }

    /// The decode timestamp of the `index`-th packet written, in decode order: the picture
    /// `delay` places earlier in presentation order. That keeps every packet's decode time at or
    /// before its presentation time across the joins, whichever part decodes further ahead.
    func decodeTime(ofPacket index: Int, delay: Int) -> Int64 {
        if index >= delay { return pictures[min(index - delay, pictures.count - 1)] }
        let step = pictures.count > 1 ? max(1, pictures[1] - pictures[0]) : 1
        return pictures[0] - Int64(delay - index) * step
    }

    /// How long the picture at `pts` shows: until the next picture of the cut, the last by its packet's own duration.
    func duration(ofPicture pts: Int64) -> Int64 {
        guard let i = pictureIndex(pts), i + 1 < pictures.count else { return lastPictureDuration }
        return pictures[i + 1] - pts
    }

    /// The cut's length in ticks: from its first picture to the end of its last.
    var length: Int64 { pictures[pictures.count - 1] - pictures[0] + lastPictureDuration }

    func pictureIndex(_ pts: Int64) -> Int? {
        var low = 0, high = pictures.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if pictures[mid] == pts { return mid }
            if pictures[mid] < pts { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }
}
