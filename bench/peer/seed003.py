#!/usr/bin/python3
"""Seed 003's loop, the way our users ran it before vigil: cv2.VideoCapture reads the clip, cv2.imencode makes a
JPEG, base64 makes it text, redis.publish sends it, and a subscriber in another process receives it.

`npm run bench` runs this next to vigil on the same clip at the same JPEG quality, as fast as each can go, and
compares the frames per second the subscriber receives. Run it with Debian's python (python3-opencv and
python3-redis are Debian packages that a pyenv/venv python cannot see):

    /usr/bin/python3 bench/peer/seed003.py --clip clip.mp4 --redis-port 6379 --quality 80 --seconds 15

Prints WINDOW_START and WINDOW_END around the measured window (after a warm-up), then one JSON line: frames
received, seconds, fps, frames sent, the subscriber's CPU seconds in the window.
"""

import argparse
import base64
import json
import multiprocessing
import resource
import sys
import time

import cv2
import redis

CHANNEL = "seed003:frames"


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def publish(args, stop):
    client = redis.Redis(port=args.redis_port)
    params = [int(cv2.IMWRITE_JPEG_QUALITY), args.quality]
    capture = cv2.VideoCapture(args.clip)
    sent = 0
    while not stop.is_set():
        ok, frame = capture.read()
        if not ok:
            # the clip loops, as a file camera does
            capture.release()
            capture = cv2.VideoCapture(args.clip)
            continue
        ok, jpeg = cv2.imencode(".jpg", frame, params)
        if ok:
            client.publish(CHANNEL, base64.b64encode(jpeg.tobytes()))
            sent += 1
    capture.release()
    return sent


def publisher_main(args, stop, result):
    sent = publish(args, stop)
    result.put({"sent": sent})


def subscribe(args, ready, stop, result):
    client = redis.Redis(port=args.redis_port)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    # wait for the subscription to be confirmed before the publisher starts
    while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
        pass
    ready.set()
    received = 0
    first = last = None
    cpu_at_first = 0.0
    warmup_end = None
    deadline = None
    while True:
        message = pubsub.get_message(timeout=1.0)
        now = time.monotonic()
        if message is None:
            if deadline is not None and now >= deadline:
                break
            continue
        # a web page gets the image as it is; a server that forwards it decodes it, as the seeds' did
        base64.b64decode(message["data"])
        if warmup_end is None:
            warmup_end = now + args.warmup
            continue
        if now < warmup_end:
            continue
        if first is None:
            first = now
            cpu_at_first = cpu_seconds()
            deadline = now + args.seconds
            # the bench samples the CPU of this process tree and of redis-server between the two lines
            print("WINDOW_START", flush=True)
        received += 1
        last = now
        if now >= deadline:
            break
    print("WINDOW_END", flush=True)
    stop.set()
    seconds = (last - first) if first is not None and last is not None else 0.0
    result.put({"received": received, "seconds": seconds, "cpu": cpu_seconds() - cpu_at_first})


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--quality", type=int, default=80)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args(argv)

    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    sub_result, pub_result = multiprocessing.Queue(), multiprocessing.Queue()
    subscriber = multiprocessing.Process(target=subscribe, args=(args, ready, stop, sub_result))
    subscriber.start()
    if not ready.wait(10):
        print(json.dumps({"error": "the subscriber did not subscribe within 10 s"}))
        return 1
    publisher = multiprocessing.Process(target=publisher_main, args=(args, stop, pub_result))
    publisher.start()
    sub = sub_result.get(timeout=args.warmup + args.seconds + 60)
    pub = pub_result.get(timeout=30)
    subscriber.join(5)
    publisher.join(5)
    fps = sub["received"] / sub["seconds"] if sub["seconds"] > 0 else 0.0
    print(json.dumps({
        "frames": sub["received"],
        "seconds": sub["seconds"],
        "fps": fps,
        "sent": pub["sent"],
        "subscriber_cpu_s": sub["cpu"],
        "opencv": cv2.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
