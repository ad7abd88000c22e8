#!/usr/bin/python3
"""A real RTSP server that takes a push (ANNOUNCE/RECORD over TCP) behind a password, for egress tests.

gst-rtsp-server in record mode: whatever H.264 is pushed to --path is depayloaded and written to --file in
MPEG-TS (unbuffered, so a reader sees frames as they arrive, with their timestamps). The user and password come from the
environment variable VIGIL_RTSP_CREDENTIALS ("user:password"), not from argv, which every user of the machine can
read: the tests check that no process shows the password.

    VIGIL_RTSP_CREDENTIALS=user:pass /usr/bin/python3 test/support/rtsp-record-server.py \
        --auth digest --path /live/cam --file /tmp/received.ts

Prints `READY <port>` once it listens; exits on SIGTERM/SIGINT and when stdin reaches EOF.
"""

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ROLE = "publisher"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--auth", choices=["digest", "basic"], required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--file", required=True)
    return parser.parse_args(argv)


def make_auth(method):
    user, sep, password = os.environ.get("VIGIL_RTSP_CREDENTIALS", "").partition(":")
    if not sep or not user:
        raise SystemExit("rtsp-record-server: set VIGIL_RTSP_CREDENTIALS=user:password")
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", ROLE)
    auth = GstRtspServer.RTSPAuth()
    if method == "digest":
        # gst-rtsp-server's Digest: MD5, no qop (the RFC 2069 form)
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    return auth


def make_factory(path):
    factory = GstRtspServer.RTSPMediaFactory()
    # the payloader's counterpart is named depay0, as gst-rtsp-server expects of a record pipeline
    # launch-line quoting has surprises (see TOOLCHAIN.md): a test path needs none, so none is allowed
    if any(ch in path for ch in '"\\ '):
        raise SystemExit(f"rtsp-record-server: --file must not hold quotes, backslashes or spaces: {path!r}")
    factory.set_launch(
        "( rtph264depay name=depay0 ! h264parse ! mpegtsmux"
        f' ! filesink location="{path}" buffer-mode=unbuffered sync=false async=false )'
    )
    factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(ROLE, "media.factory.access", True)
    permissions.add_permission_for_role(ROLE, "media.factory.construct", True)
    factory.set_permissions(permissions)
    return factory


def main(argv):
    args = parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    server.set_auth(make_auth(args.auth))
    server.get_mount_points().add_factory(args.path, make_factory(args.file))
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print("rtsp-record-server: could not listen", file=sys.stderr)
        return 1

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    def on_stdin(fd, condition):
        if condition & (GLib.IOCondition.HUP | GLib.IOCondition.ERR) or not os.read(fd, 4096):
            loop.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
