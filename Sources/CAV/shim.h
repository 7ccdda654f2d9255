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
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libavutil/sha.h>
#include <libavutil/hmac.h>
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
static inline int mo_avseek_size(void) { return AVSEEK_SIZE; }
static inline int mo_avseek_force(void) { return AVSEEK_FORCE; }
static inline int mo_avfmt_flag_custom_io(void) { return AVFMT_FLAG_CUSTOM_IO; }
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

#include <setjmp.h>
#include <stdlib.h>

/// libjpeg reports errors by calling error_exit, which by default exits the process. A service
/// must not die on a bad frame, so errors jump back here (setjmp cannot live in Swift).
struct mo_jpeg_error { struct jpeg_error_mgr base; jmp_buf jump; char message[JMSG_LENGTH_MAX]; };

static inline void mo_jpeg_error_exit(j_common_ptr cinfo) {
    struct mo_jpeg_error *err = (struct mo_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static inline void mo_jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

/// Encodes packed RGB24 rows as a baseline-or-progressive JFIF in memory: no EXIF, no comments.
/// Returns 0 and a malloc'd buffer the caller frees with free(), or -1 with `message` filled.
static inline int mo_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int stride, int quality,
                                     int progressive, unsigned char **out, unsigned long *out_size,
                                     char *message, size_t message_size) {
    struct jpeg_compress_struct cinfo;
    struct mo_jpeg_error err;
    *out = NULL;
    *out_size = 0;
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = mo_jpeg_error_exit;
    err.base.output_message = mo_jpeg_silent;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        snprintf(message, message_size, "%s", err.message);
        jpeg_destroy_compress(&cinfo);
        free(*out);
        *out = NULL;
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.optimize_coding = TRUE;
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <signal.h>
#include <sys/prctl.h>

#endif
