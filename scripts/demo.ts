/**
 * `npm run demo`: the whole system on this machine with embedded defaults. Starts a redis-server
 * (unless REDIS_URL is set), a real RTSP server with two synthetic cameras, and the all-in-one
 * vigil process; prints the URL to open. Ctrl-C stops everything it started.
 */
import type { CameraInput } from '@vigil/contracts';
import { findRepoFile, freePort, startRedisServer, startRtspServer, startVigil, testPatternLaunch } from './support';

const DEFAULT_PORT = 8080;

async function portOrFree(wanted: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve));
    probe.listen(wanted, '0.0.0.0', () => probe.close(() => resolve(wanted)));
  });
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      console.log('\nstopping...');
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer();
      stops.push(redis.stop);
      redisUrl = redis.url;
      console.log(`redis-server      ${redis.url}`);
    }

    const rtsp = await startRtspServer({
      mounts: {
        '/yard': testPatternLaunch({ pattern: 'ball', width: 1280, height: 720, fps: 25, codec: 'h264', text: 'yard' }),
        '/gate': testPatternLaunch({ pattern: 'smpte', horizontalSpeed: 4, width: 960, height: 540, fps: 15, codec: 'h264', text: 'gate' }),
      },
    });
    stops.push(rtsp.stop);
    console.log(`RTSP server       ${rtsp.url('/yard')}  ${rtsp.url('/gate')}`);

    const cameras: CameraInput[] = [
      {
        id: 'yard',
        name: 'Yard',
        url: rtsp.url('/yard'),
        codec: 'h264',
        // the built-in motion detector needs no model file: anything moving in the zone is an intrusion
        detect: {
          detector: 'motion',
          minFrames: 3,
          zones: [{ id: 'restricted', polygon: [[0.5, 0.1], [0.95, 0.1], [0.95, 0.95], [0.5, 0.95]] }],
          rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'restricted' }],
        },
      },
      { id: 'gate', name: 'Gate', url: rtsp.url('/gate'), codec: 'h264', jpegQuality: 75 },
    ];
    const port = await portOrFree(Number(process.env.PORT ?? DEFAULT_PORT));
    // the ball leaves the zone now and then: a short quiet time ends each pass's alarm, a short cooldown lets the
    // next pass raise a new one, so the alarms panel fills within a minute (WEBHOOK_URL etc. pass through the env)
    const alarms = { pre: 5, post: 5, quiet: 2, cooldown: 20 };
    const alarmsDir = process.env.ALARMS_DIR ?? findRepoFile('package.json').replace(/package\.json$/, '.vigil/alarms');
    const vigil = await startVigil({ redisUrl, port, cameras, config: { alarms }, echo: true, env: { HOST: '0.0.0.0', INSTANCE_ID: 'demo', ALARMS_DIR: alarmsDir } });
    stops.push(vigil.stop);

    console.log(`\n  vigil is running: open http://localhost:${port}\n  (API: http://localhost:${port}/api/cameras and /api/alarms, clips in ${alarmsDir}, metrics: http://localhost:${port}/metrics; Ctrl-C stops everything)\n`);
    const code = await vigil.child.exited;
    if (!stopping) {
      console.error(`vigil exited with code ${code}`);
      await stopAll(1);
    }
  } catch (error) {
    console.error(`demo failed: ${(error as Error).message}`);
    await stopAll(1);
  }
}

void main();
