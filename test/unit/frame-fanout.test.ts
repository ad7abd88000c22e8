/**
 * FrameFanout's delivery, with a fake bus and a fake Socket.IO server that keep rooms and record what each client
 * got: one Redis subscription per camera and stream however many watch, one payload per format per frame, slow
 * clients' frames and detections dropped and counted, an alarm disconnecting a client too slow to take it, junk from
 * the bus dropped and counted. (The subscribe/disconnect races are in fanout-subscribe-race.test.ts; the real
 * Socket.IO and Redis in the e2e tests.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Server, Socket } from 'socket.io';
import { loadConfig } from '@vigil/config';
import { channels, type FrameEvent } from '@vigil/contracts';
import { MetricsService } from '@vigil/metrics';
import type { BusSubscriber, CameraRegistry, CameraStatuses, MessageHandler } from '@vigil/redis';
import { FrameFanout } from '../../apps/publish/src/live/frame-fanout';
import { PublishMetrics } from '../../apps/publish/src/live/publish-metrics';
import { frameMessage, testAlarmEvent, testDetections } from '../support/bus-fixtures';

/** the registry as the publish metrics see it at a scrape: the cameras these tests watch (others' series go) */
const registry = { list: async () => [{ id: 'yard' }, { id: 'gate' }] } as unknown as CameraRegistry;

/** The bus: handlers per channel, and a publish that calls them as a Redis message would. */
class FakeBus {
  readonly handlers = new Map<string, Set<MessageHandler>>();
  /** subscriptions made to Redis: the first handler of a channel */
  subscribed = 0;

  async add(_camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel) ?? new Set();
    if (set.size === 0) this.subscribed += 1;
    set.add(handler);
    this.handlers.set(channel, set);
  }

  async remove(_camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel);
    set?.delete(handler);
    if (set?.size === 0) this.handlers.delete(channel);
  }

  publish(channel: string, message: Buffer): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(message);
  }
}

interface Received {
  name: string;
  event: unknown;
}

/** A client: its rooms live in the server's adapter, `queued` stands for engine.io's write buffer (a client not reading). */
class FakeSocket {
  connected = true;
  readonly received: Received[] = [];
  readonly conn = { writeBuffer: [] as unknown[] };
  disconnectedByServer = false;

  constructor(
    readonly id: string,
    private readonly server: FakeServer,
  ) {
    server.sockets.sockets.set(id, this);
  }

  set queued(packets: number) {
    this.conn.writeBuffer = Array.from({ length: packets });
  }

  async join(rooms: string | string[]): Promise<void> {
    for (const room of [rooms].flat()) {
      const members = this.server.sockets.adapter.rooms.get(room) ?? new Set<string>();
      members.add(this.id);
      this.server.sockets.adapter.rooms.set(room, members);
    }
  }

  leave(room: string): void {
    const members = this.server.sockets.adapter.rooms.get(room);
    members?.delete(this.id);
    if (members?.size === 0) this.server.sockets.adapter.rooms.delete(room);
  }

  disconnect(_close: boolean): void {
    this.connected = false;
    this.disconnectedByServer = true;
  }
}

/** The parts of Socket.IO's Server the fanout uses; every emit is recorded once, as sent, and given to each member. */
class FakeServer {
  readonly sockets = { adapter: { rooms: new Map<string, Set<string>>() }, sockets: new Map<string, FakeSocket>() };
  readonly emits: { room: string; name: string; event: unknown; to: string[] }[] = [];

  to(room: string) {
    const emitter = (except: readonly string[]) => ({
      except: (ids: string[]) => emitter([...except, ...ids]),
      emit: (name: string, event: unknown) => {
        const to = [...(this.sockets.adapter.rooms.get(room) ?? [])].filter((id) => !except.includes(id));
        this.emits.push({ room, name, event, to });
        for (const id of to) this.sockets.sockets.get(id)?.received.push({ name, event });
        return true;
      },
    });
    return emitter([]);
  }
}

function setup(env: NodeJS.ProcessEnv = {}) {
  const bus = new FakeBus();
  const server = new FakeServer();
  const metrics = new MetricsService();
  const statuses = { all: async () => new Map() } as unknown as CameraStatuses;
  const config = loadConfig(env);
  const fanout = new FrameFanout(bus as unknown as BusSubscriber, new PublishMetrics(metrics, registry, statuses), config);
  fanout.attach(server as unknown as Server);
  const socket = (id: string) => new FakeSocket(id, server);
  const subscribe = (s: FakeSocket, camera: string, stream: 'raw' | 'annotated', format: 'jpeg' | 'base64') => fanout.subscribe(s as unknown as Socket, camera, stream, format);
  /** The value of one series of the metrics text, 0 when absent. */
  const metric = async (series: string): Promise<number> => {
    const line = (await metrics.text()).split('\n').find((entry) => entry.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };
  return { bus, server, fanout, config, socket, subscribe, metric };
}

const frames = (s: FakeSocket) => s.received.filter((r) => r.name === 'frame').map((r) => r.event as FrameEvent);

describe('FrameFanout delivery', () => {
  test('one Redis subscription per camera and stream however many watch; one payload per format, base64 encoded once', async () => {
    const { bus, server, socket, subscribe, metric } = setup();
    const [a, b, c] = [socket('a'), socket('b'), socket('c')];
    await subscribe(a, 'yard', 'raw', 'jpeg');
    await subscribe(b, 'yard', 'raw', 'jpeg');
    await subscribe(c, 'yard', 'raw', 'base64');
    assert.equal(bus.subscribed, 3, 'frames, detections and alarms of yard: once each, for three viewers');

    const message = frameMessage('yard', 41);
    bus.publish(channels.frames('yard', 'raw'), message);
    const sent = server.emits.filter((emit) => emit.name === 'frame');
    assert.deepEqual(sent.map((emit) => [emit.room, emit.to]), [['frames:yard:raw:jpeg', ['a', 'b']], ['frames:yard:raw:base64', ['c']]], 'one emit per format room');
    const [jpeg, base64] = [frames(a)[0]!, frames(c)[0]!];
    assert.equal(frames(b)[0], jpeg, 'the jpeg viewers share one event');
    assert.equal(jpeg.format, 'jpeg');
    assert.ok(Buffer.isBuffer(jpeg.data));
    assert.equal(base64.format, 'base64');
    assert.equal(base64.data, (jpeg.data as Buffer).toString('base64'));
    assert.deepEqual([jpeg.camera, jpeg.stream, jpeg.seq], ['yard', 'raw', 41]);
    assert.equal(await metric('vigil_publish_frames_in_total{camera="yard",stream="raw"}'), 1);
    assert.equal(await metric('vigil_publish_frames_out_total{camera="yard",stream="raw",format="jpeg"}'), 2);
    assert.equal(await metric('vigil_publish_frames_out_total{camera="yard",stream="raw",format="base64"}'), 1);
    assert.equal(await metric('vigil_publish_viewers{camera="yard",stream="raw"}'), 3);
  });

  test("a slow client's frames are dropped and counted; the others' are not delayed", async () => {
    const { bus, socket, subscribe, config, metric } = setup({ CLIENT_QUEUE_MAX: '4' });
    const [quick, slow] = [socket('quick'), socket('slow')];
    await subscribe(quick, 'yard', 'raw', 'jpeg');
    await subscribe(slow, 'yard', 'raw', 'jpeg');
    // a binary frame is two packets: CLIENT_QUEUE_MAX frames waiting make it slow
    slow.queued = config.clientQueueMax * 2;
    bus.publish(channels.frames('yard', 'raw'), frameMessage('yard', 1));
    slow.queued = config.clientQueueMax * 2 - 1;
    bus.publish(channels.frames('yard', 'raw'), frameMessage('yard', 2));
    assert.deepEqual(frames(quick).map((f) => f.seq), [1, 2]);
    assert.deepEqual(frames(slow).map((f) => f.seq), [2], 'below the bound again, it gets frames again');
    assert.equal(await metric('vigil_publish_frames_dropped_total{camera="yard",stream="raw",reason="slow_client"}'), 1);
  });

  test('junk on a frames channel is dropped and counted for its camera; nothing is sent', async () => {
    const { bus, server, socket, subscribe, metric } = setup();
    await subscribe(socket('a'), 'yard', 'raw', 'jpeg');
    bus.publish(channels.frames('yard', 'raw'), Buffer.from('not an envelope'));
    bus.publish(channels.frames('yard', 'raw'), frameMessage('gate', 1));
    assert.equal(server.emits.length, 0);
    assert.equal(await metric('vigil_bus_bad_messages_total{consumer="publish",camera="yard",reason="envelope"}'), 1);
    assert.equal(await metric('vigil_bus_bad_messages_total{consumer="publish",camera="yard",reason="wrong_channel"}'), 1);
  });

  test("detections go to every client of any of the camera's streams; a slow client's are dropped, counted", async () => {
    const { bus, socket, subscribe, config, metric } = setup();
    const [raw, annotated, slow, other] = [socket('raw'), socket('annotated'), socket('slow'), socket('other')];
    await subscribe(raw, 'yard', 'raw', 'jpeg');
    await subscribe(annotated, 'yard', 'annotated', 'base64');
    await subscribe(slow, 'yard', 'raw', 'jpeg');
    await subscribe(other, 'gate', 'raw', 'jpeg');
    slow.queued = config.socket.eventQueueMax;
    bus.publish(channels.detections('yard'), Buffer.from(JSON.stringify(testDetections({ camera: 'yard', seq: 9 }))));
    const detections = (s: FakeSocket) => s.received.filter((r) => r.name === 'detections').map((r) => (r.event as { seq: number }).seq);
    assert.deepEqual(detections(raw), [9]);
    assert.deepEqual(detections(annotated), [9], 'once, although it is in the room through another stream');
    assert.deepEqual(detections(slow), []);
    assert.deepEqual(detections(other), [], 'not to clients of other cameras');
    assert.equal(slow.disconnectedByServer, false, 'a dropped detection does not disconnect');
    assert.equal(await metric('vigil_publish_events_dropped_total{camera="yard",event="detections",reason="slow_client"}'), 1);
  });

  test('an alarm reaches every client of the camera; one too slow to take it is disconnected rather than left without it', async () => {
    const { bus, socket, subscribe, config, metric } = setup();
    const [quick, slow] = [socket('quick'), socket('slow')];
    await subscribe(quick, 'yard', 'raw', 'jpeg');
    await subscribe(slow, 'yard', 'raw', 'jpeg');
    slow.queued = config.socket.eventQueueMax;
    bus.publish(channels.alarms('yard'), Buffer.from(JSON.stringify(testAlarmEvent({ camera: 'yard' }))));
    assert.deepEqual(quick.received.map((r) => r.name), ['alarm']);
    assert.deepEqual(slow.received, []);
    assert.equal(slow.disconnectedByServer, true);
    assert.equal(await metric('vigil_publish_events_dropped_total{camera="yard",event="alarm",reason="slow_client_disconnected"}'), 1);
  });

  test("the last viewer of a stream ends its Redis subscription; the camera's events stay while another stream is watched", async () => {
    const { bus, fanout, socket, subscribe, metric } = setup();
    const viewer = socket('a');
    await subscribe(viewer, 'yard', 'raw', 'jpeg');
    await subscribe(viewer, 'yard', 'raw', 'base64');
    await subscribe(viewer, 'yard', 'annotated', 'jpeg');
    const client = viewer as unknown as Socket;
    assert.equal(await fanout.unsubscribe(client, 'yard', 'raw', 'jpeg'), true);
    assert.ok(bus.handlers.has(channels.frames('yard', 'raw')), 'base64 of raw is still watched');
    assert.equal(await fanout.unsubscribe(client, 'yard', 'raw'), true);
    assert.equal(bus.handlers.has(channels.frames('yard', 'raw')), false);
    assert.equal(await metric('vigil_publish_viewers{camera="yard",stream="raw"}'), 0);
    assert.ok(bus.handlers.has(channels.detections('yard')) && bus.handlers.has(channels.alarms('yard')), 'annotated still watches the camera');
    assert.equal(await fanout.unsubscribe(client, 'yard', 'raw'), false, 'nothing left to unsubscribe');
    await fanout.disconnect(client);
    assert.deepEqual([...bus.handlers.keys()], []);
    assert.deepEqual(fanout.holdings(), { feeds: 0, cameras: 0, subscriptions: 0 });
  });
});
