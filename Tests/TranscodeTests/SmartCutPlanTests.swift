import Foundation
import Testing
import TestSupport
@testable import Transcode

/// Which packets a smart cut copies and which pictures it re-encodes, decided from timestamps and
/// keyframe kinds alone; and the decode times that keep the joins in order.
@Suite struct SmartCutPlanTests {
    /// A stream of `count` pictures one tick apart, an IDR every `gop`, in decode order. With
    /// B-frames, each group after the IDR is sent as P then the two B's it brackets (I P B B P B B ...).
    static func stream(count: Int, gop: Int, bFrames: Bool = false, openGOP: Bool = false) -> [SourcePacket] {
        var order: [Int] = []
        var start = 0
        while start < count {
            let end = min(start + gop, count)
            order.append(start)
            var i = start + 1
            while i < end {
                if bFrames && i + 2 < end { order += [i + 2, i, i + 1]; i += 3 } else { order.append(i); i += 1 }
            }
            start = end
        }
        return order.map { pts in
            let key = pts % gop == 0
            return SourcePacket(pts: Int64(pts), dts: 0, duration: 1, isKey: key, isIDR: key && (!openGOP || pts == 0))
        }
    }

    /// Plays the writer's rule over the plan: head pictures (in presentation order, as if x264 had
    /// no delay), the copied packets as they come, then the tail; every decode time must be at or
    /// before its picture and strictly after the previous one.
    static func expectOrderedDecodeTimes(_ plan: SmartCutPlan, _ packets: [SourcePacket], sourceLocation: SourceLocation = #_sourceLocation) {
        let written = plan.pictures.filter(plan.head.contains) + plan.copied.map { packets[$0].pts } + plan.pictures.filter(plan.tail.contains)
        #expect(written.count == plan.pictures.count, sourceLocation: sourceLocation)
        var previous = Int64.min
        for (i, pts) in written.enumerated() {
            let dts = plan.decodeTime(ofPacket: i, delay: plan.copiedReorderDelay)
            #expect(dts <= pts && dts > previous, "packet \(i): dts \(dts), pts \(pts), previous \(previous)", sourceLocation: sourceLocation)
            previous = dts
        }
    }

    @Test func copiesTheWholeGOPsBetweenTheInAndOutPoints() throws {
        let packets = Self.stream(count: 100, gop: 10)
        let plan = try SmartCutPlan.make(packets: packets, in: 25, out: 75)
        #expect(plan.pictures == Array(25..<75).map(Int64.init), "exact to the picture: [in, out)")
        #expect(plan.decodeFrom == 20, "the head decodes from the IDR before the in point")
        #expect(plan.copied == 30..<70)
        #expect(plan.head == 25..<30 && plan.headPictures == 5)
        #expect(plan.tail == 70..<75 && plan.tailPictures == 5)
        #expect(plan.copiedReorderDelay == 0)
        #expect(plan.length == 50)
        Self.expectOrderedDecodeTimes(plan, packets)
    }

    @Test func bFramesGiveTheCopiedRunADelayAndTheDecodeTimesStayOrdered() throws {
        let packets = Self.stream(count: 120, gop: 12, bFrames: true)
        let plan = try SmartCutPlan.make(packets: packets, in: 17, out: 101)
        #expect(plan.copied.map { packets[$0].pts }.min() == 24 && plan.copied.map { packets[$0].pts }.max() == 95)
        #expect(plan.copiedReorderDelay == 1)
        #expect(plan.headPictures == 7 && plan.tailPictures == 5)
        Self.expectOrderedDecodeTimes(plan, packets)
    }

    @Test func aCutStartingOnAKeyframeOrRunningToTheEndHasNothingToReencodeThere() throws {
        let packets = Self.stream(count: 60, gop: 10)
        let plan = try SmartCutPlan.make(packets: packets, in: 20, out: 1000)
        #expect(plan.headPictures == 0 && plan.tailPictures == 0)
        #expect(plan.copied == 20..<60)
        let onKeyframes = try SmartCutPlan.make(packets: packets, in: 10, out: 40)
        #expect(onKeyframes.copied == 10..<40 && onKeyframes.tailPictures == 0)
    }

    @Test func sourcesThatCannotBeJoinedAreRefusedWithAReason() {
        func reason(_ packets: [SourcePacket], _ inTicks: Int64, _ outTicks: Int64) -> String {
            do { _ = try SmartCutPlan.make(packets: packets, in: inTicks, out: outTicks); return "planned" } catch { return "\(error)" }
        }
        #expect(reason(Self.stream(count: 100, gop: 10, openGOP: true), 25, 75).contains("open GOPs"))
        #expect(reason(Self.stream(count: 100, gop: 30), 35, 55).contains("shorter than the camera's keyframe interval"))
        #expect(reason(Self.stream(count: 100, gop: 10), 200, 300).contains("no picture"))
        var repeated = Self.stream(count: 30, gop: 10)
        repeated[5].pts = repeated[4].pts
        #expect(reason(repeated, 0, 30).contains("share a timestamp"))
    }
}

/// The avcC record a smart cut rewrites, and the NAL unit framing it converts between.
@Suite struct AVCConfigurationTests {
    @Test func aCamerasRecordReadsAndWritesBackByteForByte() throws {
        let input = try Demuxer(path: TestPaths.shared("gopro_max_heromode.mp4"))
        let info = try input.probe()
        let video = try #require(info.videoStreams.first { $0.codec == "h264" })
        let par = input.stream(video.index).pointee.codecpar.pointee
        let bytes = Array(UnsafeBufferPointer(start: par.extradata, count: Int(par.extradata_size)))
        let record = try #require(AVCConfiguration(bytes))
        #expect(record.bytes == bytes)
        #expect(record.lengthSize == 4)
        #expect(record.sequenceIDs == [0] && record.pictureIDs == [0])
        var extended = record
        extended.sequenceParameterSets.append(record.sequenceParameterSets[0])
        #expect(AVCConfiguration(extended.bytes)?.sequenceParameterSets.count == 2)
        #expect(AVCConfiguration(Array(bytes.prefix(9))) == nil, "a cut-off record is refused, not over-read")
    }

    @Test func expGolombNumbersAndNALFramingRoundTrip() throws {
        var reader = RBSPReader([0b1010_0110, 0b0101_0000])
        #expect(try reader.ue() == 0)   // 1
        #expect(try reader.ue() == 1)   // 010
        #expect(try reader.ue() == 2)   // 011
        #expect(try reader.ue() == 4)   // 00101
        let units: [ArraySlice<UInt8>] = [[0x65, 1, 2, 3][...], [0x06, 9][...]]
        let sample = try #require(H264Bitstream.sample(units, lengthSize: 4))
        #expect(sample == [0, 0, 0, 4, 0x65, 1, 2, 3, 0, 0, 0, 2, 0x06, 9])
        #expect(sample.withUnsafeBufferPointer { H264Bitstream.lengthPrefixedUnits($0, lengthSize: 4) }?.map(Array.init) == units.map(Array.init))
        let annexB: [UInt8] = [0, 0, 0, 1, 0x67, 7, 0, 0, 1, 0x68, 8, 0, 0, 0, 1, 0x65, 5, 0]
        #expect(annexB.withUnsafeBufferPointer { H264Bitstream.annexBUnits($0) }.map(Array.init) == [[0x67, 7], [0x68, 8], [0x65, 5]])
        #expect(H264Bitstream.sample([[UInt8](repeating: 1, count: 300)[...]], lengthSize: 1) == nil, "too long for a 1-byte length")
        #expect(H264Bitstream.sequenceParameterSetID([0x67, 0x64, 0x00, 0x1F, 0b0100_0000]) == 1)
        #expect(H264Bitstream.pictureParameterSetID([0x68, 0b0110_0000]) == 2)
    }
}
