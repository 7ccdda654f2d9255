#!/usr/bin/env bash
# Regenerates SampleMedia/: small clips that look like camp uploads (a rotated portrait phone
# clip with GPS tags, a landscape clip, a clip without audio). Dev tooling only: the product never
# runs ffmpeg. The committed files are what the demo and tests use; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")/../SampleMedia"
noise="noise=alls=8:allf=t+u"
speech="aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000"

# Portrait phone clip as phones store it: an upright 1080x1920 scene stored sideways as 1920x1080
# pixels, with a display matrix that turns it back upright on screen; mono 48 kHz speech-like
# audio; GPS and device tags to strip.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=s=1080x1920:r=30:d=6,$noise,transpose=cclock" \
  -f lavfi -i "$speech:d=6" \
  -c:v libx264 -preset veryfast -profile:v high -b:v 1200k -maxrate 1500k -bufsize 3M -pix_fmt yuv420p \
  -c:a aac -b:a 64k -ac 1 \
  -metadata location="+03.7270+034.8550/" -metadata make="Apple" -metadata model="iPhone 12" \
  -metadata creation_time="2026-11-02T09:14:00Z" \
  kakuma_portrait.mov
../scripts/set-mov-rotation.py kakuma_portrait.mov -90

# Landscape 1280x720 at 29.97 fps with stereo 44.1 kHz audio.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=s=1280x720:r=30000/1001:d=6,$noise" \
  -f lavfi -i "$speech:d=6" \
  -c:v libx264 -preset veryfast -b:v 900k -maxrate 1100k -bufsize 2M -pix_fmt yuv420p \
  -c:a aac -b:a 96k -ac 2 -ar 44100 \
  shatila_landscape.mp4

# A clip with no audio track at all (some phone apps record none).
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=s=640x480:r=25:d=4,$noise" \
  -c:v libx264 -preset veryfast -b:v 500k -pix_fmt yuv420p -an \
  silent_4x3.mp4

ls -l
