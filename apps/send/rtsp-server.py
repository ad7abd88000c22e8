#!/usr/bin/python3
"""vigil's RTSP server, built on GStreamer's gst-rtsp-server: `npm run send -- <source> --serve rtsp://...` serves
a camera with it, and the demo and the tests serve their test cameras with it.

Run it with the system interpreter (/usr/bin/python3): python3-gi and the GstRtspServer typelib are Debian
packages (python3-gi, gir1.2-gst-rtsp-server-1.0) that a pyenv/venv python cannot see.

Two kinds of mount:

    --feed /cam=h264     the stream on stdin (H.264 or H.265 Annex B, as `ffmpeg -f h264 -` or `-f hevc -` writes
                         it) served at /cam: what `npm run send -- ... --serve` uses. The launch line is fixed: no
                         text of the caller's reaches it, only the checked codec word.
    --mount '/cam=( videotestsrc is-live=true ! x264enc ! rtph264pay name=pay0 pt=96 )'
                         a launch line of the caller's, for tests and the demo (trusted input only: it IS pipeline
                         syntax).

    /usr/bin/python3 apps/send/rtsp-server.py --address 0.0.0.0 --port 8554 --feed /cam=h265 < stream.hevc

Prints exactly one line, `READY <port>`, once the server listens (with --port 0 the port is the one the kernel
chose). Exits with status 0 on SIGTERM/SIGINT, and when stdin reaches EOF with --exit-on-stdin-eof or --feed (so
it dies with a parent that was killed outright). Exit status 2: bad arguments; 1: it could not listen.
"""

import argparse
import os
import re
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# what the sender accepts too (apps/send/src/serve-url.ts): segments of unreserved characters, no query
MOUNT_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+){1,8}$")
FEED_CODECS = {
    "h264": ("video/x-h264,stream-format=byte-stream", "h264parse", "rtph264pay"),
    "h265": ("video/x-h265,stream-format=byte-stream", "h265parse", "rtph265pay"),
}
# bytes one client's feed may hold when its pipeline falls behind; older data goes first (a live stream)
FEED_QUEUE_BYTES = 4 << 20
READ_BYTES = 1 << 16


def parse_mount(spec):
    path, sep, launch = spec.partition("=")
    if not sep or not path.startswith("/") or not launch.strip():
        raise argparse.ArgumentTypeError(f"expected /path=<launch line>, got {spec!r}")
    return path, launch.strip()


def parse_feed(spec):
    path, sep, codec = spec.partition("=")
    if not sep or not MOUNT_PATH.match(path) or len(path) > 200:
        raise argparse.ArgumentTypeError(f"expected /path=h264 or /path=h265 with a path of letters, digits and ._~- segments, got {spec!r}")
    if codec not in FEED_CODECS:
        raise argparse.ArgumentTypeError(f"the feed codec must be h264 or h265, got {codec!r}")
    return path, codec


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8554, help="TCP port; 0 picks a free one")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (0.0.0.0: every IPv4 one)")
    parser.add_argument("--mount", type=parse_mount, action="append", default=[])
    parser.add_argument("--feed", type=parse_feed, help="serve the stream on stdin at this path")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args(argv)
    if not args.mount and not args.feed:
        parser.error("give at least one --mount or a --feed")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return args


def shared_factory():
    factory = GstRtspServer.RTSPMediaFactory()
    # One pipeline (one encoder) for all clients of a mount, like a real camera.
    factory.set_shared(True)
    # A live camera plays from now. gst-rtsp-server 1.22 finds a live videotestsrc seekable, so every PLAY with a
    # Range (ffmpeg sends npt=0.000-) did a flushing seek of the shared pipeline: the other clients lost their
    # stream, and a PLAY landing while the segment was flushed aborted the whole server
    # (gst_rtsp_media_get_rates: assertion failed). Media that publish their clock are never seekable.
    factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
    return factory


def make_factory(launch):
    factory = shared_factory()
    factory.set_launch(launch)
    return factory


class Feed:
    """The stream on stdin, handed to the appsrc of the mount's pipeline while it exists (a client watches)."""

    def __init__(self, codec):
        self.caps, parse, pay = FEED_CODECS[codec]
        # do-timestamp: buffers are stamped with the time they came, so the stream plays as fast as it is fed;
        # the parser splits the bytes into frames, and config-interval=-1 repeats the parameter sets at every
        # keyframe for clients that join mid-way
        self.launch = (
            f"( appsrc name=feed is-live=true do-timestamp=true format=time leaky-type=downstream max-bytes={FEED_QUEUE_BYTES}"
            f" ! {parse} ! {pay} name=pay0 pt=96 config-interval=-1 )"
        )
        self.sources = []

    def factory(self):
        factory = shared_factory()
        factory.set_launch(self.launch)
        factory.connect("media-configure", self.on_media_configure)
        return factory

    def on_media_configure(self, _factory, media):
        source = media.get_element().get_by_name("feed")
        source.set_property("caps", Gst.Caps.from_string(self.caps))
        self.sources.append(source)
        media.connect("unprepared", lambda _media: self.sources.remove(source) if source in self.sources else None)

    def push(self, data):
        # before a client comes there is no pipeline: the bytes go, as a live camera's frames would
        for source in self.sources:
            source.emit("push-buffer", Gst.Buffer.new_wrapped(data))


def main(argv):
    args = parse_args(argv)
    Gst.init(None)
    # Fail fast with the launch line in the message: otherwise a typo shows up only when the
    # first client connects, as a bare "503 Service Unavailable".
    for path, launch in args.mount:
        try:
            Gst.parse_launch(launch)
        except GLib.Error as err:
            print(f"rtsp-server: invalid launch line for {path}: {err.message}\n  {launch}", file=sys.stderr)
            return 2

    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for path, launch in args.mount:
        mounts.add_factory(path, make_factory(launch))
    feed = None
    if args.feed:
        path, codec = args.feed
        feed = Feed(codec)
        mounts.add_factory(path, feed.factory())

    loop = GLib.MainLoop()
    # attach() binds the listening socket; gst-rtsp-server binds with SO_REUSEADDR, so a
    # restarted server can take the same port while old connections sit in TIME_WAIT.
    source_id = server.attach(None)
    if source_id == 0:
        print(f"rtsp-server: could not listen on {args.address}:{args.port} (in use, or not an address of this machine?)", file=sys.stderr)
        return 1

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    if feed or args.exit_on_stdin_eof:
        GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin, loop, feed)

    print(f"READY {server.get_bound_port()}", flush=True)
    for path, launch in args.mount:
        print(f"rtsp-server: mount {path} = {launch}", file=sys.stderr, flush=True)
    if feed:
        print(f"rtsp-server: feed {args.feed[0]} = {feed.launch}", file=sys.stderr, flush=True)
    loop.run()
    GLib.source_remove(source_id)
    return 0


def on_stdin(fd, condition, loop, feed):
    # without a feed, anything written to stdin is ignored; only EOF (parent gone) matters
    data = os.read(fd, READ_BYTES) if condition & GLib.IOCondition.IN else b""
    if not data:
        loop.quit()
        return GLib.SOURCE_REMOVE
    if feed:
        feed.push(data)
    return GLib.SOURCE_CONTINUE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
