// Transcode's users get the shared support (TranscodeError, ContentDigest, StreamingDigest,
// DurableFile) with it, as before they moved into MediaSupport.
@_exported import MediaSupport
