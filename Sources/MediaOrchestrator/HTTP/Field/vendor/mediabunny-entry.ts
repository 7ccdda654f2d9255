// What the field page takes from Mediabunny (MPL-2.0, https://mediabunny.dev): only what field.js
// uses to make a proxy of a clip on the phone, so the bundle carries no other demuxer or muxer.
// Bundled by scripts/update-mediabunny.sh into mediabunny.min.mjs.gz, which the server serves
// at /field/vendor/mediabunny.mjs; field.js imports it only when a clip is sent.
export {
	Input,
	BlobSource,
	MP4,
	QTFF,
	WEBM,
	MATROSKA,
	Output,
	Mp4OutputFormat,
	WebMOutputFormat,
	StreamTarget,
	Conversion,
	canEncodeVideo,
	canEncodeAudio,
	getFirstEncodableVideoCodec,
	getFirstEncodableAudioCodec,
} from 'mediabunny';
