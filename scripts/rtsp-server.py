#!/usr/bin/python3
"""A real RTSP server for demos and tests, built on GStreamer's gst-rtsp-server.

Run it with the system interpreter (/usr/bin/python3): python3-gi and the GstRtspServer
typelib are Debian packages that a pyenv/venv python cannot see.

    /usr/bin/python3 scripts/rtsp-server.py --port 8554 \
        --mount '/cam1=( videotestsrc is-live=true ! x264enc ! rtph264pay name=pay0 pt=96 )'

Prints exactly one line, `READY <port>`, once the server listens (with --port 0 the port is
the one the kernel chose). Exits with status 0 on SIGTERM/SIGINT, and when stdin reaches EOF
if --exit-on-stdin-eof is given (so it dies with a parent that was killed outright).
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def parse_mount(spec):
    path, sep, launch = spec.partition("=")
    if not sep or not path.startswith("/") or not launch.strip():
        raise argparse.ArgumentTypeError(f"expected /path=<launch line>, got {spec!r}")
    return path, launch.strip()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8554, help="TCP port; 0 picks a free one")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--mount", type=parse_mount, action="append", default=[], required=True)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    return parser.parse_args(argv)


def make_factory(launch):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    # One pipeline (one encoder) for all clients of a mount, like a real camera.
    factory.set_shared(True)
    # A live camera plays from now. gst-rtsp-server 1.22 finds a live videotestsrc seekable, so every PLAY with a
    # Range (ffmpeg sends npt=0.000-) did a flushing seek of the shared pipeline: the other clients lost their
    # stream, and a PLAY landing while the segment was flushed aborted the whole server
    # (gst_rtsp_media_get_rates: assertion failed). Media that publish their clock are never seekable.
    factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
    return factory


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

    loop = GLib.MainLoop()
    # attach() binds the listening socket; gst-rtsp-server binds with SO_REUSEADDR, so a
    # restarted server can take the same port while old connections sit in TIME_WAIT.
    source_id = server.attach(None)
    if source_id == 0:
        print(f"rtsp-server: could not listen on {args.address}:{args.port} (in use?)", file=sys.stderr)
        return 1

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    if args.exit_on_stdin_eof:
        GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin, loop)

    print(f"READY {server.get_bound_port()}", flush=True)
    for path, launch in args.mount:
        print(f"rtsp-server: mount {path} = {launch}", file=sys.stderr, flush=True)
    loop.run()
    GLib.source_remove(source_id)
    return 0


def on_stdin(fd, condition, loop):
    import os

    # Anything written to stdin is ignored; only EOF (parent gone) matters.
    if condition & (GLib.IOCondition.HUP | GLib.IOCondition.ERR) or not os.read(fd, 4096):
        loop.quit()
        return GLib.SOURCE_REMOVE
    return GLib.SOURCE_CONTINUE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
