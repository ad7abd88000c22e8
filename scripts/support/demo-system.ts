import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { CameraInput } from '@vigil/contracts';
import { freePort } from './free-port';
import { startRedisServer } from './redis-server';
import { findRepoFile } from './repo-root';
import { rtmpServerAvailable, startRtmpServer } from './rtmp-server';
import { startRtspServer, testPatternLaunch } from './rtsp-server';
import { actAsAdmin } from './admin-credentials';
import { ensureUser, newPassword, type SignIn } from './demo-account';
import { startVigil, type VigilHandle } from './vigil';

export interface DemoOptions {
  /** an existing Redis; otherwise a redis-server is started on a free port */
  redisUrl?: string;
  /** the port of the web page; taken if free, else a free one. Default: a free one. */
  port?: number;
  /** where clips and snapshots go. Default `<repo>/.vigil/alarms`. */
  alarmsDir?: string;
  /** interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** passes through to the vigil process (WEBHOOK_URL and the like) */
  env?: Record<string, string>;
  /** print each part's URL and vigil's log */
  echo?: boolean;
}

export interface DemoHandle {
  url: string;
  /** the RTSP URLs the cameras read */
  rtsp: { yard: string; gate: string };
  /** where the yard's annotated stream is pushed (absent when node-media-server is not installed) */
  rtmp?: string;
  redisUrl: string;
  alarmsDir: string;
  /** the admin's API token (ADMIN_TOKEN, made up unless the environment set it) */
  adminToken: string;
  /** the web page's sign-in: user `admin` with a password made for this run */
  signIn: SignIn;
  vigil: VigilHandle;
  /** stops everything it started, newest first */
  stop(): Promise<void>;
}

/** The port `npm run demo` serves the page on when PORT does not say otherwise (a free one if it is taken). */
export const DEMO_PORT = 8080;

/** Where the demo keeps clips and snapshots when ALARMS_DIR does not say otherwise. */
export function defaultDemoAlarmsDir(): string {
  return join(dirname(findRepoFile('package.json')), '.vigil', 'alarms');
}

/**
 * The options `npm run demo` starts the demo with, from its environment: what a newcomer gets. The tests of the
 * demo start it through this too, so they see the same folders, ports and config as the user.
 */
export function demoOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DemoOptions {
  return {
    redisUrl: env.REDIS_URL || undefined,
    port: env.PORT ? Number(env.PORT) : DEMO_PORT,
    alarmsDir: env.ALARMS_DIR || undefined,
    host: '0.0.0.0',
    ...(env.ADMIN_TOKEN ? { env: { ADMIN_TOKEN: env.ADMIN_TOKEN } } : {}),
  };
}

/**
 * The alarm settings of the demo. The ball leaves the zone now and then: a short quiet time ends each pass's alarm
 * and a short cooldown lets the next pass raise a new one, so the alarms panel fills within a minute.
 */
export const DEMO_ALARMS = { pre: 5, post: 5, quiet: 2, cooldown: 20 };

/**
 * The demo's cameras: a yard whose right half is a restricted zone (motion there is an intrusion), and a gate. With
 * `egressUrl`, the yard's annotated stream is pushed there (15 fps keeps the demo's CPU use modest).
 */
export function demoCameras(rtsp: DemoHandle['rtsp'], egressUrl?: string): CameraInput[] {
  return [
    {
      id: 'yard',
      name: 'Yard',
      url: rtsp.yard,
      codec: 'h264',
      // the built-in motion detector needs no model file: anything moving in the zone is an intrusion
      detect: {
        detector: 'motion',
        minFrames: 3,
        zones: [{ id: 'restricted', polygon: [[0.5, 0.1], [0.95, 0.1], [0.95, 0.95], [0.5, 0.95]] }],
        rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'restricted' }],
      },
      ...(egressUrl ? { egress: { url: egressUrl, fps: 15, bitrate: 1500 } } : {}),
    },
    { id: 'gate', name: 'Gate', url: rtsp.gate, codec: 'h264', jpegQuality: 75 },
  ];
}

/**
 * The whole system on this machine: a redis-server (unless one is given), a real RTSP server with two synthetic
 * cameras, and the all-in-one vigil process. What `npm run demo` runs, and what the demo's end-to-end test opens.
 */
export async function startDemo(options: DemoOptions = {}): Promise<DemoHandle> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const each of stops.splice(0).reverse()) await each().catch(() => undefined);
  };
  const say = (line: string) => options.echo && console.log(line);
  try {
    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedisServer();
      stops.push(redis.stop);
      redisUrl = redis.url;
      say(`redis-server      ${redis.url}`);
    }

    const server = await startRtspServer({
      mounts: {
        '/yard': testPatternLaunch({ pattern: 'ball', width: 1280, height: 720, fps: 25, codec: 'h264', text: 'yard' }),
        '/gate': testPatternLaunch({ pattern: 'smpte', horizontalSpeed: 4, width: 960, height: 540, fps: 15, codec: 'h264', text: 'gate' }),
      },
    });
    stops.push(server.stop);
    const rtsp = { yard: server.url('/yard'), gate: server.url('/gate') };
    say(`RTSP server       ${rtsp.yard}  ${rtsp.gate}`);

    // a real RTMP server to watch the annotated stream on, when the devDependency is there (npm ci installs it)
    let rtmp: string | undefined;
    if (rtmpServerAvailable()) {
      const server = await startRtmpServer();
      stops.push(server.stop);
      rtmp = server.url('live/yard');
      say(`RTMP server       ${rtmp}`);
    } else {
      say('RTMP server       not started (node-media-server is not installed): no egress in this demo');
    }

    const port = options.port === undefined ? await freePort() : await portOrFree(options.port);
    const alarmsDir = options.alarmsDir ?? defaultDemoAlarmsDir();
    const vigil = await startVigil({
      redisUrl,
      port,
      cameras: demoCameras(rtsp, rtmp),
      config: { alarms: DEMO_ALARMS },
      echo: options.echo,
      env: { HOST: options.host ?? '127.0.0.1', INSTANCE_ID: 'demo', ...options.env, ALARMS_DIR: alarmsDir },
    });
    stops.push(vigil.stop);
    const url = `http://localhost:${port}`;
    actAsAdmin(url, vigil.adminToken);
    // a person signs in on the page with a password; the admin token is for the API and machines
    const signIn = { username: 'admin', password: newPassword() };
    await ensureUser(vigil.url, vigil.adminToken, { ...signIn, role: 'admin' });
    return { url, rtsp, rtmp, redisUrl, alarmsDir, adminToken: vigil.adminToken, signIn, vigil, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `wanted` if nothing listens there, else a free port. */
function portOrFree(wanted: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve));
    probe.listen(wanted, '0.0.0.0', () => probe.close(() => resolve(wanted)));
  });
}
