// Swift-visible surface of FFmpeg 5.1 (libav*) and libjpeg-turbo.
// Macros Swift cannot import become static inline functions named mo_*.
#ifndef MEDIAORCH_CAV_SHIM_H
#define MEDIAORCH_CAV_SHIM_H

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersrc.h>
#include <libavfilter/buffersink.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libavutil/timestamp.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <jpeglib.h>

static inline int mo_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int mo_averror_eof(void) { return AVERROR_EOF; }
static inline int mo_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int mo_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int mo_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int mo_averror_exit(void) { return AVERROR_EXIT; }
static inline int64_t mo_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational mo_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int mo_time_base(void) { return AV_TIME_BASE; }

/// av_err2str is a macro over a compound literal; this writes into the caller's buffer instead.
static inline const char *mo_error_string(int errnum, char *buffer, size_t size) {
    av_strerror(errnum, buffer, size);
    return buffer;
}

/// The data/linesize arrays of AVFrame are fixed C arrays, which Swift imports as tuples;
/// these index them without tuple gymnastics.
static inline uint8_t *mo_frame_plane(const AVFrame *frame, int plane) { return frame->data[plane]; }
static inline int mo_frame_linesize(const AVFrame *frame, int plane) { return frame->linesize[plane]; }

/// jpeg_create_compress is a macro that passes the struct size for ABI checking.
static inline void mo_jpeg_create_compress(struct jpeg_compress_struct *cinfo) { jpeg_create_compress(cinfo); }

#endif
