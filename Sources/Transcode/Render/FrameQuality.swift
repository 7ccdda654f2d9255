import CAV

/// How good a decoded frame is as a still: brightness, contrast and sharpness of its luma.
struct FrameQuality: Sendable {
    /// Mean luma, 0...255.
    var brightness: Double
    /// Standard deviation of luma: low for black, faded or flat frames.
    var contrast: Double
    /// Variance of the Laplacian of luma: low for blurred frames.
    var sharpness: Double

    /// Not black, not washed out, not a flat fade.
    var isUsable: Bool { brightness >= 35 && brightness <= 225 && contrast >= 18 }

    /// Measures the luma plane (8 or 16 bits a sample) on a grid of every `step`-th pixel.
    init?(frame: Frame, step: Int = 2) {
        let f = frame.pointer.pointee
        guard let desc = av_pix_fmt_desc_get(AVPixelFormat(rawValue: f.format)),
              (desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB)) == 0,
              (desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL)) == 0,
              let plane = mo_frame_plane(frame.pointer, 0) else { return nil }
        let depth = Int(desc.pointee.comp.0.depth)
        let wide = depth > 8
        let stride = Int(mo_frame_linesize(frame.pointer, 0))
        let width = Int(f.width), height = Int(f.height)
        guard width > 4 * step, height > 4 * step else { return nil }
        let shift = depth - 8
        func luma(_ x: Int, _ y: Int) -> Double {
            if wide {
                let p = UnsafeRawPointer(plane + y * stride + 2 * x).loadUnaligned(as: UInt16.self)
                return Double(Int(p) >> shift)
            }
            return Double(plane[y * stride + x])
        }
        var sum = 0.0, sumSquares = 0.0, lap = 0.0, lapSquares = 0.0, n = 0.0
        var y = step
        while y < height - step {
            var x = step
            while x < width - step {
                let c = luma(x, y)
                sum += c; sumSquares += c * c
                let l = luma(x - step, y) + luma(x + step, y) + luma(x, y - step) + luma(x, y + step) - 4 * c
                lap += l; lapSquares += l * l
                n += 1
                x += step
            }
            y += step
        }
        brightness = sum / n
        contrast = (max(0, sumSquares / n - brightness * brightness)).squareRoot()
        let lapMean = lap / n
        sharpness = lapSquares / n - lapMean * lapMean
    }
}
