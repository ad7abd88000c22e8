/**
 * The bug: `subscribe` awaited Redis before it joined, so a socket that disconnected in between kept its viewer
 * count, its room and the Redis subscription for good. Here every await of a subscribe is held in turn, the socket
 * disconnects (or unsubscribes) right there, and afterwards nothing may be left: no handler on the bus, no room,
 * no viewer, no subscription. The bus and socket are fakes that record; the real ones are in the e2e test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io';
import { loadConfig } from '@vigil/config';
import { MetricsService } from '@vigil/metrics';
import type { BusSubscriber, CameraRegistry, CameraStatuses, MessageHandler } from '@vigil/redis';
import { FrameFanout, SubscriptionRefused } from '../../apps/publish/src/live/frame-fanout';
import { PublishMetrics } from '../../apps/publish/src/live/publish-metrics';

/** the registry as the publish metrics see it at a scrape: no cameras to keep series for */
const noCameras = { list: async () => [] } as unknown as CameraRegistry;

/** Every awaited operation waits here until the test lets it go. */
class Gate {
  private waiting: (() => void)[] = [];

  hold(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get held(): number {
    return this.waiting.length;
  }

  releaseAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** Like BusSubscriber: a handler counts from the call, Redis's confirmation comes later. */
class RecordingBus {
  readonly channels = new Map<string, Set<MessageHandler>>();

  constructor(private readonly gate: Gate) {}

  add(_camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const set = this.channels.get(channel) ?? new Set();
    set.add(handler);
    this.channels.set(channel, set);
    return this.gate.hold();
  }

  async remove(_camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const set = this.channels.get(channel);
    set?.delete(handler);
    if (set?.size === 0) this.channels.delete(channel);
  }
}

interface FakeSocket {
  id: string;
  connected: boolean;
  rooms: Set<string>;
  join(rooms: string | string[]): Promise<void>;
  leave(room: string): void;
}

function setup(env: NodeJS.ProcessEnv = {}) {
  const gate = new Gate();
  const bus = new RecordingBus(gate);
  const statuses = { all: async () => new Map() } as unknown as CameraStatuses;
  const fanout = new FrameFanout(bus as unknown as BusSubscriber, new PublishMetrics(new MetricsService(), noCameras, statuses), loadConfig(env));
  const socket = (id: string): FakeSocket => ({
    id,
    connected: true,
    rooms: new Set(),
    join(rooms) {
      for (const room of [rooms].flat()) this.rooms.add(room);
      return gate.hold();
    },
    leave(room) {
      this.rooms.delete(room);
    },
  });
  /** What Socket.IO and the gateway do when a client goes: not connected, out of every room, then the fanout's cleanup. */
  const disconnect = (s: FakeSocket): Promise<void> => {
    s.connected = false;
    s.rooms.clear();
    return fanout.disconnect(s as unknown as Socket);
  };
  /** Runs `request`, letting its held awaits go one at a time; `atStep(n)` runs while the n-th await is held. */
  const drive = async <T>(request: Promise<T>, atStep: (step: number) => Promise<void> | void): Promise<T> => {
    let settled = false;
    const result = request.finally(() => (settled = true));
    for (let step = 0; !settled; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) break;
      await atStep(step);
      gate.releaseAll();
    }
    return result;
  };
  const assertNothingLeft = (sockets: FakeSocket[]): void => {
    assert.deepEqual([...bus.channels.keys()], [], 'no handler left on the bus');
    assert.deepEqual(fanout.holdings(), { feeds: 0, cameras: 0, subscriptions: 0 });
    for (const s of sockets) assert.deepEqual([...s.rooms], [], `${s.id} is in no room`);
  };
  return { gate, bus, fanout, socket, disconnect, drive, assertNothingLeft };
}

/** how many awaits a first subscribe of a camera makes: the rooms, then frames, detections and alarm channels */
const AWAITS = 4;

describe('subscribe while the socket disconnects', () => {
  for (let at = 0; at < AWAITS; at++) {
    test(`disconnect during await ${at + 1} of ${AWAITS}: the subscribe says so and leaves nothing behind`, async () => {
      const { fanout, socket, disconnect, drive, assertNothingLeft } = setup();
      const viewer = socket('a');
      let gone: Promise<void> | undefined;
      const subscribed = await drive(fanout.subscribe(viewer as unknown as Socket, 'yard', 'raw', 'jpeg'), (step) => {
        if (step === at) gone = disconnect(viewer);
      });
      await gone;
      assert.equal(subscribed, false);
      assertNothingLeft([viewer]);
    });
  }

  test('a socket already gone subscribes to nothing', async () => {
    const { fanout, socket, assertNothingLeft } = setup();
    const viewer = socket('a');
    viewer.connected = false;
    assert.equal(await fanout.subscribe(viewer as unknown as Socket, 'yard', 'raw', 'jpeg'), false);
    assertNothingLeft([viewer]);
  });

  test("another viewer's subscription of the same camera survives the one that left", async () => {
    const { fanout, bus, socket, disconnect, drive, gate } = setup();
    const stays = socket('stays');
    const leaves = socket('leaves');
    const first = fanout.subscribe(stays as unknown as Socket, 'yard', 'raw', 'jpeg');
    const second = fanout.subscribe(leaves as unknown as Socket, 'yard', 'raw', 'base64');
    let gone: Promise<void> | undefined;
    await drive(Promise.all([first, second]), (step) => {
      if (step === 1) gone = disconnect(leaves);
    });
    await gone;
    assert.equal(await first, true);
    assert.equal(gate.held, 0);
    assert.deepEqual([...bus.channels.keys()].sort(), ['vigil:alarm-live:yard', 'vigil:detections:yard', 'vigil:frames:yard:raw']);
    assert.deepEqual([...stays.rooms].sort(), ['detections:yard', 'frames:yard:raw:jpeg']);
    assert.deepEqual(fanout.holdings(), { feeds: 1, cameras: 1, subscriptions: 1 });
  });
});

describe('subscribe and unsubscribe of one socket crossing', () => {
  for (let at = 0; at < AWAITS; at++) {
    test(`an unsubscribe during await ${at + 1} of ${AWAITS} leaves no Redis subscription behind`, async () => {
      const { fanout, socket, drive, assertNothingLeft } = setup();
      const viewer = socket('a');
      let unsubscribed: Promise<boolean> | undefined;
      await drive(fanout.subscribe(viewer as unknown as Socket, 'yard', 'raw', 'jpeg'), (step) => {
        if (step === at) unsubscribed = fanout.unsubscribe(viewer as unknown as Socket, 'yard', 'raw');
      });
      assert.equal(await unsubscribed, true);
      assertNothingLeft([viewer]);
    });
  }
});

describe('SOCKET_SUBSCRIPTIONS_MAX', () => {
  test('past the bound a subscribe is refused naming it; the same subscription twice counts once; an unsubscribe makes room', async () => {
    const { fanout, socket, gate } = setup({ SOCKET_SUBSCRIPTIONS_MAX: '2' });
    const viewer = socket('a') as unknown as Socket;
    const run = async (request: Promise<boolean>): Promise<boolean> => {
      for (;;) {
        const settled = await Promise.race([request.then(() => true, () => true), new Promise<false>((resolve) => setImmediate(() => resolve(false)))]);
        if (settled) return request;
        gate.releaseAll();
      }
    };
    assert.equal(await run(fanout.subscribe(viewer, 'yard', 'raw', 'jpeg')), true);
    assert.equal(await run(fanout.subscribe(viewer, 'yard', 'raw', 'jpeg')), true);
    assert.equal(await run(fanout.subscribe(viewer, 'gate', 'raw', 'jpeg')), true);
    await assert.rejects(run(fanout.subscribe(viewer, 'dock', 'raw', 'jpeg')), (error: unknown) => {
      assert.ok(error instanceof SubscriptionRefused);
      assert.match(error.message, /holds 2 subscriptions, the most SOCKET_SUBSCRIPTIONS_MAX \(2\) allows/);
      return true;
    });
    assert.deepEqual(fanout.holdings(), { feeds: 2, cameras: 2, subscriptions: 2 }, 'the refused one left nothing');
    assert.equal(await fanout.unsubscribe(viewer, 'gate', 'raw'), true);
    assert.equal(await run(fanout.subscribe(viewer, 'dock', 'raw', 'jpeg')), true);
  });
});
