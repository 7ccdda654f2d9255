import CAV

/// What libav is told once per process, the first time any libav object is made.
enum LibAVProcess {
    /// libav trusts the sizes a container's tables claim: 3 flipped bits in an iPhone clip's
    /// `moov` made libav 5.1's mov demuxer take a gigabyte before it refused the file (ffprobe
    /// does the same). Nothing a real clip needs comes near this in one piece (a 4K 10-bit
    /// picture is 25 MB, a 2-hour 60 fps clip's sample index about 15 MB), so a larger request is
    /// a damaged file's: libav gets ENOMEM and the file is refused at once.
    static let largestAllocation = 256 << 20

    static let defaults: Void = {
        av_log_set_level(AV_LOG_QUIET) // the tool prints one line of its own on failure
        av_max_alloc(largestAllocation)
    }()
}
