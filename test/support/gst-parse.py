#!/usr/bin/python3
"""Parses gst-launch descriptions with GStreamer's own parser and reads properties back.

One JSON request per stdin line: {"launch": "...", "read": [[elementIndex, "prop", "expected"], ...]}.
One JSON answer per stdout line: {"ok": true, "factories": [...], "props": [[index, prop, actual, equal], ...]}
or {"ok": false, "error": "..."}. Elements are listed in the order the parser created them (the
text's order); a bin's children are not its own elements, so parsebin and decodebin count once.
Nothing is set playing: parsing creates the elements and sets their properties, which is what the
caller checks.
"""
import json
import sys

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, GObject, Gst  # noqa: E402

Gst.init(None)


def text_of(value):
    if isinstance(value, Gst.Caps):
        return value.to_string()
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, GObject.GFlags):
        # the zero flag (rtspsrc's "unknown") matches every value: list only the set ones
        return '+'.join(flag.first_value_nick for bit, flag in sorted(type(value).__flags_values__.items()) if bit and value & bit == bit)
    if isinstance(value, GObject.GEnum):
        return value.value_nick
    return value if isinstance(value, str) else str(value)


def equal(value, expected):
    if isinstance(value, Gst.Caps):
        return value.is_equal(Gst.Caps.from_string(expected))
    return text_of(value) == expected


def linked_peer(element):
    for pad in element.srcpads:
        peer = pad.get_peer()
        if peer is not None:
            return peer.get_parent_element()
    return None


def in_link_order(pipeline):
    """Follows the links from the source. Where an element's pads appear only once data flows
    (rtspsrc, parsebin, decodebin), the parser links them later: the next element is then the
    first one created that nothing links into yet."""
    if not isinstance(pipeline, Gst.Pipeline):
        return [pipeline]
    created = list(reversed(pipeline.children))  # a bin keeps its children newest first
    order = []
    current = created[0] if created else None
    while current is not None and current not in order:
        order.append(current)
        current = linked_peer(current)
        if current is None:
            waiting = [e for e in created if e not in order and not any(pad.is_linked() for pad in e.sinkpads)]
            current = waiting[0] if waiting else None
    # anything the walk did not reach is listed last, so an injected element still shows
    return order + [e for e in created if e not in order]


def answer(request):
    try:
        pipeline = Gst.parse_launch(request['launch'])
    except GLib.Error as error:
        return {'ok': False, 'error': error.message}
    try:
        elements = in_link_order(pipeline)
        props = []
        for index, name, expected in request.get('read', []):
            if index >= len(elements) or elements[index].find_property(name) is None:
                props.append([index, name, None, False])
                continue
            value = elements[index].get_property(name)
            props.append([index, name, None if value is None else text_of(value), value is not None and equal(value, expected)])
        return {'ok': True, 'factories': [element.get_factory().get_name() for element in elements], 'props': props}
    finally:
        pipeline.set_state(Gst.State.NULL)


for line in sys.stdin:
    sys.stdout.write(json.dumps(answer(json.loads(line))) + '\n')
    sys.stdout.flush()
