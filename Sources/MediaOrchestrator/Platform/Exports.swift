// The command line and the service see the pipeline's types through this module, so
// `mediaorch` depends on MediaOrchestrator alone (mediaorch → MediaOrchestrator → Transcode, Captioning).
@_exported import Captioning
@_exported import Transcode
