/**
 * A panorama is a camera, end to end: a real RTSP server serves two overlapping views cut from one wide scene (and
 * two views with no overlap), the all-in-one vigil captures them, POST /api/stitch makes a panorama of them (by
 * camera id, and by URL), and a Socket.IO viewer receives its frames. Guards against: a panorama that never goes
 * live, one whose width is not the scene's, a pair with no overlap reported as live, a DELETE that leaves the
 * inputs it made or the frames running, a restart that calibrates again, a scoped viewer seeing a panorama of a
 * camera it may not see, and hostile bodies reaching the registry.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { channels, type Ack, type CameraView, type FrameEvent } from '@vigil/contracts';
import { startRedisServer, startRtmpServer, startRtspServer, startVigil, type RedisServerHandle, type RtmpServerHandle, type RtspServerHandle, type VigilHandle } from '../../scripts/support';
import { metric, sendJson } from '../support/api';
import { sampleStream } from '../support/stream-sample';
import { io, type Socket } from '../support/io';
import { wideScene, type WideScene } from '../support/stitch-rtsp-views';
import { waitFor } from '../support/wait';

/** the views: left shows columns 0..384 of the 640-wide scene, right 256..640 (128 columns in both) */
const LEFT = [0, 384] as const;
const RIGHT = [256, 640] as const;
/** a panorama's width may differ from the scene's by this much (a few pixels of border the warp leaves) */
const WIDTH_TOLERANCE = 0.05;

describe('stitching: POST /api/stitch makes a panorama camera', { timeout: 240_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let rtmp: RtmpServerHandle;
  let vigil: VigilHandle;
  let scene: WideScene;
  let probe: Redis;
  const sockets: Socket[] = [];

  const start = (port?: number) =>
    startVigil({
      redisUrl: redis.url,
      port,
      cameras: [
        { id: 'left', url: rtsp.url('/left'), codec: 'h264' },
        { id: 'right', url: rtsp.url('/right'), codec: 'h264' },
        { id: 'apart-l', url: rtsp.url('/apart-l'), codec: 'h264' },
        { id: 'apart-r', url: rtsp.url('/apart-r'), codec: 'h264' },
      ],
    });
  const camera = async (id: string): Promise<CameraView | undefined> => {
    const { status, body } = await sendJson<CameraView>('GET', `${vigil.url}/api/cameras/${id}`);
    return status === 200 ? body : undefined;
  };
  const stitchState = async (id: string, state: string, timeoutMs = 60_000): Promise<CameraView> =>
    waitFor(`panorama ${id} ${state}`, async () => {
      const view = await camera(id);
      return view?.stitch?.state === state ? view : undefined;
    }, timeoutMs, 250);
  const as = (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${vigil.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const token = async (body: Record<string, unknown>): Promise<string> => (await sendJson<{ token: string }>('POST', `${vigil.url}/api/tokens`, body)).body.token;
  /** A viewer of one camera's raw frames; rejects with the subscribe error. */
  const watch = async (id: string, auth?: { token: string }): Promise<{ frames: FrameEvent[]; ack: Ack }> => {
    const socket = io(vigil.url, { transports: ['websocket'], reconnection: false, ...(auth ? { auth } : {}) });
    sockets.push(socket);
    const frames: FrameEvent[] = [];
    socket.on('frame', (frame: FrameEvent) => frames.push(frame));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const ack = (await socket.timeout(10_000).emitWithAck('subscribe', { camera: id } as never)) as Ack;
    return { frames, ack };
  };

  before(async () => {
    scene = await wideScene(mkdtempSync(join(tmpdir(), 'vigil-stitch-')));
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    rtsp = await startRtspServer({
      mounts: { '/left': scene.view(...LEFT), '/right': scene.view(...RIGHT), '/apart-l': scene.view(0, 256), '/apart-r': scene.view(384, 640) },
    });
    rtmp = await startRtmpServer();
    vigil = await start();
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await probe?.quit();
    await vigil?.stop();
    await rtsp?.stop();
    await rtmp?.stop();
    await redis?.stop();
  });

  test('two overlapping views by camera id: calibrating, then live, with panorama frames about as wide as the scene', async () => {
    const created = await sendJson<CameraView>('POST', `${vigil.url}/api/stitch`, { id: 'pano', name: 'Yard panorama', sources: ['left', 'right'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.url, 'stitch://left,right');
    const live = await stitchState('pano', 'live');
    const viewer = await watch('pano');
    assert.deepEqual(viewer.ack, { ok: true });
    await waitFor('5 panorama frames', () => viewer.frames.length >= 5, 30_000);
    const frame = viewer.frames.at(-1)!;
    const widthError = Math.abs(frame.width - scene.width) / scene.width;
    console.log(`panorama ${frame.width}x${frame.height} of a ${scene.width}x${scene.height} scene (width off by ${(widthError * 100).toFixed(1)} %); calibration: ${JSON.stringify(live.stitch!.calibration)}`);
    assert.ok(widthError <= WIDTH_TOLERANCE, `width ${frame.width} is within ${WIDTH_TOLERANCE * 100} % of ${scene.width}`);
    assert.ok(Math.abs(frame.height - scene.height) <= scene.height * WIDTH_TOLERANCE, `height ${frame.height}`);
    assert.equal(frame.camera, 'pano');
    assert.ok(Buffer.isBuffer(frame.data) && frame.data[0] === 0xff && frame.data[1] === 0xd8, 'a JPEG');
    // stamped with the capture time of its inputs' frames, not when it was made
    assert.ok(frame.ts <= Date.now() && frame.ts > Date.now() - 10_000, `ts ${frame.ts}`);
    const status = (await camera('pano'))!;
    assert.equal(status.status?.state, 'live', 'its camera status is live too: the page shows it like any camera');
    const { pairs, missed, skipped, published, fps } = status.stitch!;
    console.log(`pano: ${pairs} pairs, missed ${missed.join(' / ')} (left / right), ${skipped} skipped, ${published} published, ${fps} fps`);
    assert.ok(pairs > 0 && published > 0);
    assert.equal(status.stitch!.calibrations, 1);
    assert.ok((await metric(vigil.url, 'vigil_stitch_pairs_total', { camera: 'pano' }))! > 0, 'pairs are a metric');
  });

  test('two views with no overlap: state error, and the reason says so', async () => {
    assert.equal((await sendJson('POST', `${vigil.url}/api/stitch`, { id: 'apart', sources: ['apart-l', 'apart-r'] })).status, 201);
    const failed = await stitchState('apart', 'error');
    console.log(`no overlap: ${failed.stitch!.reason}`);
    assert.match(failed.stitch!.reason ?? '', /overlap/i);
    const { frames } = await watch('apart');
    await waitFor('pano frames meanwhile', async () => ((await camera('pano'))?.stitch?.published ?? 0) > 20, 30_000);
    assert.equal(frames.length, 0, 'nothing is published for it');
  });

  test('by URL, pushed to an RTMP server: input cameras <id>-left/-right are made for it, a player decodes the panorama there; DELETE removes all three and its frames stop', async () => {
    const output = rtmp.url('live/byurl');
    const created = await sendJson<CameraView>('POST', `${vigil.url}/api/stitch`, { id: 'byurl', sources: [rtsp.url('/left'), rtsp.url('/right')], output: { url: output } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.url, 'stitch://byurl-left,byurl-right');
    assert.equal(created.body.egress?.stream, 'raw');
    assert.equal((await camera('byurl-left'))?.partOf, 'byurl');
    assert.equal((await camera('byurl-right'))?.url, rtsp.url('/right'));
    const live = await stitchState('byurl', 'live');
    await waitFor('the panorama push to be live', async () => (await sendJson<{ state: string }>('GET', `${vigil.url}/api/egress/byurl`)).body?.state === 'live', 40_000, 250);
    const sample = await sampleStream(output, 2);
    console.log(`pushed: ${sample.codec} ${sample.width}x${sample.height}, ${sample.frames} frames in 2 s (panorama ${live.stitch!.width}x${live.stitch!.height})`);
    assert.equal(sample.codec, 'h264');
    // egress rounds odd sizes down to even ones (yuv420p)
    assert.equal(sample.width, live.stitch!.width! - (live.stitch!.width! % 2));
    assert.ok(Math.abs(sample.width - scene.width) / scene.width <= WIDTH_TOLERANCE, `pushed width ${sample.width}`);
    assert.ok(sample.frames > 0);
    // the inputs belong to it: they cannot go alone, and neither can a camera another panorama uses
    assert.equal((await sendJson('DELETE', `${vigil.url}/api/cameras/byurl-left`)).status, 409);
    assert.equal((await sendJson('DELETE', `${vigil.url}/api/cameras/left`)).status, 409);
    // an id taken: 409, and nothing of the request is written
    const taken = await sendJson<{ message: string }>('POST', `${vigil.url}/api/stitch`, { id: 'byurl', sources: [rtsp.url('/left'), 'right'] });
    assert.equal(taken.status, 409, taken.body.message);

    let frames = 0;
    const subscriber = probe.duplicate();
    await subscriber.subscribe(channels.frames('byurl', 'raw'));
    subscriber.on('messageBuffer', () => (frames += 1));
    await waitFor('byurl frames on the bus', () => frames > 0, 30_000);
    assert.equal((await sendJson('DELETE', `${vigil.url}/api/stitch/byurl`)).status, 204);
    for (const id of ['byurl', 'byurl-left', 'byurl-right']) assert.equal(await camera(id), undefined, `${id} is gone`);
    assert.equal(await probe.hexists('vigil:stitch-calibration', 'byurl'), 0, 'its stored calibration is gone');
    await waitFor('the stitch service to stop it', () => vigil.child.lastLines().some((line) => line.text.includes('camera byurl: panorama stopped (removed)')), 15_000);
    const after = frames;
    // measured against the other panorama's frames, not a sleep: while pano publishes 20, byurl publishes none
    const panoBefore = (await camera('pano'))!.stitch!.published;
    await waitFor('20 more pano frames', async () => ((await camera('pano'))?.stitch?.published ?? 0) >= panoBefore + 20, 30_000);
    assert.equal(frames, after, 'no byurl frame after its DELETE');
    await subscriber.quit();
  });

  test('a scoped viewer does not see a panorama of a camera outside its scope', async () => {
    const partial = await token({ name: 'left screen', role: 'viewer', cameras: ['left', 'pano'] });
    const full = await token({ name: 'yard screen', role: 'viewer', cameras: ['left', 'right', 'pano'] });
    assert.equal((await as(partial, 'GET', '/api/cameras/pano')).status, 404);
    const listed = (await (await as(partial, 'GET', '/api/cameras')).json()) as CameraView[];
    assert.deepEqual(listed.map((view) => view.id), ['left']);
    assert.deepEqual((await watch('pano', { token: partial })).ack, { ok: false, error: 'unknown camera "pano"' });
    // the same with both inputs in scope: it is there (so the refusal above is the scope, not the panorama)
    assert.equal((await as(full, 'GET', '/api/cameras/pano')).status, 200);
    assert.deepEqual((await watch('pano', { token: full })).ack, { ok: true });
    // a viewer cannot make, calibrate or delete one
    assert.equal((await as(full, 'POST', '/api/stitch', { id: 'mine', sources: ['left', 'right'] })).status, 403);
    assert.equal((await as(full, 'POST', '/api/stitch/pano/calibrate')).status, 403);
    assert.equal((await as(full, 'DELETE', '/api/stitch/pano')).status, 403);
  });

  test('hostile bodies are refused with a 400 naming the problem, and nothing reaches the registry', async () => {
    const before = await probe.hlen('vigil:cameras');
    const refuse = async (body: unknown, pattern: RegExp, status = 400) => {
      const answer = await sendJson<{ message: string }>('POST', `${vigil.url}/api/stitch`, body);
      assert.equal(answer.status, status, `${JSON.stringify(body).slice(0, 120)}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.message, pattern, JSON.stringify(body).slice(0, 120));
    };
    await refuse({ id: 'x', sources: ['left', 'right', 'apart-l'] }, /sources: a panorama has exactly two sources/);
    await refuse({ id: 'x', sources: ['left'] }, /exactly two sources/);
    await refuse({ id: 'x', sources: ['left', 'left'] }, /sources: the two sources must differ/);
    await refuse({ id: 'x', sources: ['x', 'left'] }, /cannot be its own source/);
    await refuse({ id: 'x', sources: ['pano', 'left'] }, /"pano" is a panorama itself/);
    await refuse({ id: 'x', sources: ['left', 'nope'] }, /"nope" is not a camera/);
    await refuse({ id: 'x', sources: ['rtsp://169.254.169.254/latest', 'left'] }, /sources\[0\]: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
    await refuse({ id: 'x', sources: ['left', '/etc/passwd'] }, /sources\[1\]: "\/etc\/passwd" is not inside MEDIA_ROOTS/);
    await refuse({ id: 'x', sources: ['left', 'ftp://cam/x'] }, /sources\[1\]: unsupported url scheme/);
    await refuse({ id: 'x', sources: ['left', 'stitch://left,right'] }, /sources\[1\]: .*panorama/);
    await refuse({ id: 'x', sources: ['left', 'right'], output: { url: 'http://media/live/x' } }, /output\.url: unsupported egress url scheme/);
    await refuse({ id: 'x', sources: ['left', 'right'], output: { url: 'rtmp://169.254.169.254/live/x' } }, /output\.url: 169\.254\.169\.254/);
    await refuse({ id: 'x', sources: ['left', 'right'], output: { url: 'rtmp://media/live/x', stream: 'annotated' } }, /output: Unrecognized key/);
    await refuse({ id: 'x', sources: ['left', 'right'], admin: true }, /Unrecognized key\(s\) in object: 'admin'/);
    await refuse({ id: '../x', sources: ['left', 'right'] }, /id: must be 1-64 letters/);
    await refuse({ id: 'x'.repeat(50_000), sources: ['left', 'right'] }, /id: must be 1-64 letters/);
    await refuse({ id: 'a'.repeat(60), sources: ['rtsp://cam/s', 'right'] }, /input camera .* is no camera id/);
    await refuse({ id: 'x', sources: 'left,right' }, /sources: must be a list of two camera ids or URLs/);
    await refuse({ id: 'x', sources: ['left', 'x'.repeat(10_000)] }, /at most 4096 \(LIMIT_URL_LENGTH\)/);
    await refuse([], /Expected object/);
    // a 1 MB id never reaches the handler: the body is over the JSON limit
    await refuse({ id: 'x'.repeat(1_000_000), sources: ['left', 'right'] }, /too large/i, 413);
    assert.equal(await probe.hlen('vigil:cameras'), before, 'no camera was written');
    assert.equal((await sendJson('POST', `${vigil.url}/api/stitch/nope/calibrate`)).status, 404);
    assert.equal((await sendJson('POST', `${vigil.url}/api/stitch/left/calibrate`)).status, 404, 'a captured camera is no panorama');
    assert.equal((await sendJson('DELETE', `${vigil.url}/api/stitch/left`)).status, 404);
    // POST /api/cameras takes a panorama record only with the same checks
    const circular = await sendJson<{ message: string }>('POST', `${vigil.url}/api/cameras`, { id: 'x', url: 'stitch://pano,left' });
    assert.equal(circular.status, 400);
    assert.match(circular.body.message, /"pano" is a panorama itself/);
  });

  test('POST /api/stitch/:id/calibrate calibrates again; a restart does not', async () => {
    const first = (await camera('pano'))!.stitch!;
    assert.equal((await sendJson('POST', `${vigil.url}/api/stitch/pano/calibrate`)).status, 202);
    const again = await waitFor('a second calibration', async () => {
      const stitch = (await camera('pano'))?.stitch;
      return stitch && stitch.calibrations === first.calibrations + 1 && stitch.state === 'live' ? stitch : undefined;
    }, 60_000, 250);
    assert.ok(again.calibration!.at > first.calibration!.at);

    const port = vigil.port;
    await vigil.stop();
    const restarted = Date.now();
    vigil = await start(port);
    // written by the new process (every second), not left by the old one
    const live = await waitFor('pano live after the restart', async () => {
      const view = await camera('pano');
      return view?.stitch?.state === 'live' && view.stitch.updatedAt > restarted ? view : undefined;
    }, 60_000, 250);
    assert.equal(live.stitch!.calibrations, 0, 'the restarted service ran no calibration');
    assert.equal(live.stitch!.calibration!.at, again.calibration!.at, 'it uses the stored one');
    assert.ok(vigil.child.lastLines().some((line) => line.text.includes('camera pano: uses its stored calibration')));
  });
});
