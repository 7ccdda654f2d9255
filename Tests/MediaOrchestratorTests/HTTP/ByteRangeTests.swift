import Testing
@testable import MediaOrchestrator

@Suite struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-99", ByteRange.range(first: 0, last: 99)),
        ("bytes=100-", .range(first: 100, last: 999)),
        ("bytes=900-5000", .range(first: 900, last: 999)),
        ("bytes=-16", .range(first: 984, last: 999)),     // the last 16, not the first 17
        ("bytes=-5000", .range(first: 0, last: 999)),
        ("bytes=1000-", .unsatisfiable),                  // starts past the end
        ("bytes=-0", .unsatisfiable),
        ("bytes=5-2", .whole),                            // malformed: ignored
        ("bytes=0-1,5-6", .whole),                        // several ranges: the whole file instead
        ("bytes=abc", .whole), ("items=0-1", .whole), ("bytes=-", .whole),
    ])
    func readsARangeAsRFC9110Means(header: String, expected: ByteRange) {
        #expect(ByteRange(header: header, size: 1000) == expected, "\(header)")
    }

    @Test func anEmptyFileHasNoRange() {
        #expect(ByteRange(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRange(header: nil, size: 0) == .whole)
    }
}
