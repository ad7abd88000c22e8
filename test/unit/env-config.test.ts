import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@vigil/config';
import { cameraConfigSchema, DEFAULT_INPUT_LIMITS, setInputLimits } from '@vigil/contracts';

function refused(env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.match(error.message, /^invalid environment: /);
    assert.match(error.message, message);
    return true;
  });
}

describe('loadConfig', () => {
  // loadConfig sets the process's input limits; the other tests expect the defaults
  afterEach(() => setInputLimits({}));

  test('the limits it reads are the ones the camera schema then checks, named in the message', () => {
    loadConfig({ MAX_FPS: '30', LIMIT_URL_LENGTH: '100' });
    const fps = cameraConfigSchema.safeParse({ id: 'a', url: 'rtsp://cam/s', fps: 31 });
    assert.match(fps.success ? '' : fps.error.issues[0]!.message, /at most 30 \(MAX_FPS\)/);
    assert.equal(cameraConfigSchema.safeParse({ id: 'a', url: 'rtsp://cam/s', fps: 30 }).success, true);
    const url = cameraConfigSchema.safeParse({ id: 'a', url: `rtsp://cam/${'x'.repeat(100)}` });
    assert.match(url.success ? '' : url.error.issues[0]!.message, /at most 100 \(LIMIT_URL_LENGTH\)/);
  });

  test('an empty environment gives the documented defaults', () => {
    assert.deepEqual(loadConfig({}), {
      redisUrl: 'redis://127.0.0.1:6379',
      port: 8080,
      host: '0.0.0.0',
      camerasFile: undefined,
      instanceId: `${hostname()}-${process.pid}`,
      logLevel: 'log',
      logFormat: 'text',
      shutdownTimeoutMs: 2500,
      watchdogMs: 10_000,
      camerasPerCaptureProcess: 8,
      captureProcessNice: 0,
      reconnect: { minMs: 500, maxMs: 30_000 },
      leaseMs: 15_000,
      clientQueueMax: 8,
      frameMaxBytes: 8 * 1024 * 1024,
      socket: { subscriptionsMax: 64, perAddressMax: 32, eventQueueMax: 64, messageMaxBytes: 16_384, trustProxyHops: 0 },
      ingestPort: 8081,
      decoderPreference: 'auto',
      model: { path: undefined, labels: undefined, provider: undefined },
      inferencePort: 8082,
      alarms: {
        port: 8083,
        dir: '.vigil/alarms',
        policy: { preMs: undefined, postMs: undefined, quietMs: undefined, cooldownMs: undefined, maxClipMs: undefined },
        clipMemoryBytes: 256 * 1024 * 1024,
        retention: { maxAgeMs: 30 * 86_400_000, maxBytes: 10_240 * 1024 * 1024, minFreeBytes: 256 * 1024 * 1024, recordMaxAgeMs: 90 * 86_400_000 },
        encoder: 'auto',
        webhook: undefined,
        webhookRetryMs: undefined,
        webhookLockMs: 30_000,
        publicUrl: `http://${hostname()}:8080`,
        mqttUrl: undefined,
      },
      egress: { port: 8084, encoder: 'auto' },
      stitch: { port: 8085, pairToleranceMs: 50, driftMs: 10_000, recalibrateMinMs: 60_000 },
      sources: { mediaRoots: [resolve('.vigil/media')], devices: [], allowedNetworks: [] },
      limits: DEFAULT_INPUT_LIMITS,
      auth: { adminToken: undefined, metricsToken: undefined, allowedOrigins: [], signedLinkMs: 7 * 86_400_000, sessionMs: 12 * 3_600_000, jwt: undefined },
    });
  });

  test('reads every variable into the typed config', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://redis.internal:6380/2',
      PORT: '9000',
      HOST: '127.0.0.1',
      CAMERAS_FILE: '/etc/vigil/cameras.yaml',
      INSTANCE_ID: 'ingest-a.1',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      WATCHDOG_SECONDS: '2.5',
      CAMERAS_PER_CAPTURE_PROCESS: '3',
      CAPTURE_PROCESS_NICE: '10',
      LIMIT_URL_LENGTH: '1000',
      MAX_CAMERAS: '10',
      LIMIT_ZONES: '4',
      LIMIT_ZONE_POINTS: '12',
      LIMIT_RULES: '5',
      LIMIT_RULE_CLASSES: '6',
      MAX_FPS: '30',
      MAX_WIDTH: '1920',
      MAX_HEIGHT: '1080',
      MAX_MEGAPIXELS_PER_SECOND: '62.2',
      RECONNECT_MIN_MS: '100',
      RECONNECT_MAX_MS: '5000',
      LEASE_MS: '3000',
      CLIENT_QUEUE_MAX: '3',
      FRAME_MAX_BYTES: '1048576',
      SOCKET_SUBSCRIPTIONS_MAX: '4',
      SOCKETS_PER_ADDRESS_MAX: '2',
      SOCKET_EVENT_QUEUE_MAX: '16',
      SOCKET_MESSAGE_MAX_BYTES: '2048',
      TRUST_PROXY_HOPS: '1',
      INGEST_PORT: '9001',
      DECODER: 'cpu',
      MODEL_PATH: '/models/ppe.onnx',
      MODEL_LABELS: '/models/ppe.txt',
      MODEL_PROVIDER: 'cpu',
      INFERENCE_PORT: '9002',
      ALARMS_PORT: '9003',
      ALARMS_DIR: '/var/lib/vigil/alarms',
      ALARM_PRE_SECONDS: '3',
      ALARM_POST_SECONDS: '4.5',
      ALARM_QUIET_SECONDS: '2',
      ALARM_COOLDOWN_SECONDS: '120',
      ALARM_CLIP_MAX_SECONDS: '30',
      ALARM_RETENTION_DAYS: '7',
      ALARM_CLIP_MEMORY_MB: '64',
      ALARM_RETENTION_MAX_MB: '512',
      ALARM_RETENTION_MIN_FREE_MB: '64',
      ALARM_RECORD_RETENTION_DAYS: '365',
      CLIP_ENCODER: 'x264',
      WEBHOOK_URL: 'https://hooks.example.com/vigil',
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      WEBHOOK_RETRY_SECONDS: '0, 5,300',
      WEBHOOK_LOCK_SECONDS: '10',
      PUBLIC_URL: 'https://vigil.example.com/',
      MQTT_URL: 'mqtt://broker:1883',
      EGRESS_PORT: '9004',
      EGRESS_ENCODER: 'x264',
      STITCH_PORT: '9005',
      STITCH_PAIR_TOLERANCE_MS: '30',
      STITCH_DRIFT_SECONDS: '2.5',
      STITCH_RECALIBRATE_MIN_SECONDS: '15',
      MEDIA_ROOTS: '/srv/media:/mnt/clips, /data/frames',
      DEVICE_ALLOW: '/dev/video0,/dev/video2',
      ALLOWED_NETWORKS: '169.254.10.0/24, fe80::1234',
      ADMIN_TOKEN: 'a'.repeat(40),
      METRICS_TOKEN: 'm'.repeat(32),
      ALLOWED_ORIGINS: 'https://ops.example.com, http://10.0.0.5:8080/',
      SIGNED_LINK_DAYS: '2',
      SESSION_HOURS: '8',
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      AUTH_JWT_ISSUER: 'https://idp.example.com',
      AUTH_JWT_AUDIENCE: 'vigil',
      AUTH_JWT_ROLE_CLAIM: 'role',
      AUTH_JWT_CAMERAS_CLAIM: 'cams',
    });
    assert.deepEqual(config, {
      redisUrl: 'rediss://redis.internal:6380/2',
      port: 9000,
      host: '127.0.0.1',
      camerasFile: '/etc/vigil/cameras.yaml',
      instanceId: 'ingest-a.1',
      logLevel: 'debug',
      logFormat: 'json',
      shutdownTimeoutMs: 10_000,
      watchdogMs: 2500,
      camerasPerCaptureProcess: 3,
      captureProcessNice: 10,
      reconnect: { minMs: 100, maxMs: 5000 },
      leaseMs: 3000,
      clientQueueMax: 3,
      frameMaxBytes: 1_048_576,
      socket: { subscriptionsMax: 4, perAddressMax: 2, eventQueueMax: 16, messageMaxBytes: 2048, trustProxyHops: 1 },
      ingestPort: 9001,
      decoderPreference: 'cpu',
      model: { path: '/models/ppe.onnx', labels: '/models/ppe.txt', provider: 'cpu' },
      inferencePort: 9002,
      alarms: {
        port: 9003,
        dir: '/var/lib/vigil/alarms',
        policy: { preMs: 3000, postMs: 4500, quietMs: 2000, cooldownMs: 120_000, maxClipMs: 30_000 },
        clipMemoryBytes: 64 * 1024 * 1024,
        retention: { maxAgeMs: 7 * 86_400_000, maxBytes: 512 * 1024 * 1024, minFreeBytes: 64 * 1024 * 1024, recordMaxAgeMs: 365 * 86_400_000 },
        encoder: 'x264',
        webhook: { url: 'https://hooks.example.com/vigil', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
        webhookRetryMs: [0, 5000, 300_000],
        webhookLockMs: 10_000,
        publicUrl: 'https://vigil.example.com',
        mqttUrl: 'mqtt://broker:1883',
      },
      egress: { port: 9004, encoder: 'x264' },
      stitch: { port: 9005, pairToleranceMs: 30, driftMs: 2500, recalibrateMinMs: 15_000 },
      sources: { mediaRoots: ['/srv/media', '/mnt/clips', '/data/frames'], devices: ['/dev/video0', '/dev/video2'], allowedNetworks: ['169.254.10.0/24', 'fe80::1234'] },
      limits: { urlLength: 1000, cameras: 10, zones: 4, zonePoints: 12, rules: 5, ruleClasses: 6, fps: 30, width: 1920, height: 1080, megapixelsPerSecond: 62.2 },
      auth: {
        adminToken: 'a'.repeat(40),
        metricsToken: 'm'.repeat(32),
        allowedOrigins: ['https://ops.example.com', 'http://10.0.0.5:8080'],
        signedLinkMs: 2 * 86_400_000,
        sessionMs: 8 * 3_600_000,
        jwt: { jwksUrl: 'https://idp.example.com/.well-known/jwks.json', issuer: 'https://idp.example.com', audience: 'vigil', roleClaim: 'role', camerasClaim: 'cams' },
      },
    });
  });

  // the source policy is only as good as its roots: a relative, all-covering or kernel folder is refused at start
  test('MEDIA_ROOTS, DEVICE_ALLOW and ALLOWED_NETWORKS refuse entries that would open everything or mean nothing', () => {
    refused({ MEDIA_ROOTS: 'media' }, /MEDIA_ROOTS: "media" is not an absolute path/);
    refused({ MEDIA_ROOTS: '/srv/media:/' }, /MEDIA_ROOTS: "\/" would allow every file/);
    refused({ MEDIA_ROOTS: '/./' }, /MEDIA_ROOTS: "\/\.\/" would allow every file/);
    refused({ MEDIA_ROOTS: '/proc/self' }, /MEDIA_ROOTS: "\/proc\/self" is a kernel file system/);
    refused({ MEDIA_ROOTS: '/dev' }, /MEDIA_ROOTS: "\/dev" is a kernel file system/);
    refused({ DEVICE_ALLOW: '/dev/video0,/dev/sda' }, /DEVICE_ALLOW: "\/dev\/sda" is not a \/dev\/videoN device/);
    refused({ ALLOWED_NETWORKS: '169.254.0.0/33' }, /ALLOWED_NETWORKS: "169\.254\.0\.0\/33" is not an address or a network/);
    refused({ ALLOWED_NETWORKS: 'metadata.internal' }, /ALLOWED_NETWORKS: "metadata\.internal" is not an address/);
  });

  test('bus and socket bounds outside their ranges are refused, naming the variable', () => {
    refused({ FRAME_MAX_BYTES: String(40 * 1024 * 1024) }, /FRAME_MAX_BYTES/);
    refused({ FRAME_MAX_BYTES: '100' }, /FRAME_MAX_BYTES/);
    refused({ SOCKET_SUBSCRIPTIONS_MAX: '0' }, /SOCKET_SUBSCRIPTIONS_MAX/);
    refused({ SOCKET_MESSAGE_MAX_BYTES: String(64 * 1024 * 1024) }, /SOCKET_MESSAGE_MAX_BYTES/);
    refused({ TRUST_PROXY_HOPS: '-1' }, /TRUST_PROXY_HOPS/);
    // detections must not give way before frames do: a frame is two packets
    refused({ CLIENT_QUEUE_MAX: '40', SOCKET_EVENT_QUEUE_MAX: '64' }, /SOCKET_EVENT_QUEUE_MAX: must be more than twice CLIENT_QUEUE_MAX/);
  });

  test('reads only the env object it is given, not process.env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      assert.equal(loadConfig({}).port, 8080);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  test('empty and blank strings count as unset (an exported but empty variable takes the default)', () => {
    const config = loadConfig({ REDIS_URL: '', PORT: '  ', INSTANCE_ID: '', LOG_LEVEL: '', DECODER: ' ', CAMERAS_FILE: '' });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.port, 8080);
    assert.equal(config.instanceId, `${hostname()}-${process.pid}`);
    assert.equal(config.logLevel, 'log');
    assert.equal(config.decoderPreference, 'auto');
    assert.equal(config.camerasFile, undefined);
  });

  test('LOG_FORMAT is text unless json is asked for, and a bad one names the choices', () => {
    assert.equal(loadConfig({}).logFormat, 'text');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
    refused({ LOG_FORMAT: 'yaml' }, /LOG_FORMAT: .*'text' \| 'json'/);
  });

  test('each bad variable is named in the error', () => {
    const bad: NodeJS.ProcessEnv[] = [
      { REDIS_URL: 'http://redis:6379' },
      { PORT: 'abc' },
      { PORT: '0' },
      { PORT: '65536' },
      { PORT: '80.5' },
      { INSTANCE_ID: 'has space' },
      { LOG_LEVEL: 'info' },
      { LOG_FORMAT: 'xml' },
      { LOG_FORMAT: 'JSON ' },
      { WATCHDOG_SECONDS: '0' },
      { CAMERAS_PER_CAPTURE_PROCESS: '0' },
      { CAMERAS_PER_CAPTURE_PROCESS: '65' },
      { CAMERAS_PER_CAPTURE_PROCESS: '2.5' },
      { CAPTURE_PROCESS_NICE: '-1' },
      { CAPTURE_PROCESS_NICE: '20' },
      { WATCHDOG_SECONDS: '-3' },
      { WATCHDOG_SECONDS: 'soon' },
      { RECONNECT_MIN_MS: '5' },
      { RECONNECT_MAX_MS: '50' },
      { LEASE_MS: '999' },
      { CLIENT_QUEUE_MAX: '0' },
      { INGEST_PORT: 'x' },
      { DECODER: 'nvidia' },
      { ALARMS_PORT: '70000' },
      { ALARM_PRE_SECONDS: '-1' },
      { ALARM_QUIET_SECONDS: '0' },
      { ALARM_RETENTION_DAYS: '0' },
      { CLIP_ENCODER: 'vaapi' },
      { EGRESS_PORT: '0' },
      { EGRESS_ENCODER: 'qsv' },
      { WEBHOOK_URL: 'not a url' },
      { WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      { WEBHOOK_RETRY_SECONDS: '0,5,soon' },
      { WEBHOOK_LOCK_SECONDS: '0' },
      { PUBLIC_URL: 'vigil.example.com' },
      { MQTT_URL: 'http://broker' },
    ];
    for (const env of bad) {
      const [name] = Object.keys(env);
      refused(env, new RegExp(`(^|; |: )${name}: `));
    }
  });

  test('several bad variables are all reported at once', () => {
    refused({ PORT: 'abc', LOG_LEVEL: 'info', REDIS_URL: 'http://x' }, /REDIS_URL: .*PORT: .*LOG_LEVEL: /);
  });

  test('RECONNECT_MAX_MS below RECONNECT_MIN_MS is refused, also when only the minimum is raised', () => {
    refused({ RECONNECT_MIN_MS: '2000', RECONNECT_MAX_MS: '1000' }, /RECONNECT_MAX_MS: must be at least RECONNECT_MIN_MS/);
    refused({ RECONNECT_MIN_MS: '40000' }, /RECONNECT_MAX_MS: must be at least RECONNECT_MIN_MS/);
  });

  test('RECONNECT_MAX_MS equal to RECONNECT_MIN_MS is allowed', () => {
    assert.deepEqual(loadConfig({ RECONNECT_MIN_MS: '1000', RECONNECT_MAX_MS: '1000' }).reconnect, { minMs: 1000, maxMs: 1000 });
  });

  test('WATCHDOG_SECONDS becomes whole milliseconds', () => {
    assert.equal(loadConfig({ WATCHDOG_SECONDS: '0.0015' }).watchdogMs, 2);
    assert.equal(loadConfig({ WATCHDOG_SECONDS: '3600' }).watchdogMs, 3_600_000);
  });

  test('ADMIN_TOKEN_FILE is read once at start; a short token, a missing file or both variables stop the start naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
    const file = join(dir, 'admin-token');
    writeFileSync(file, `${'t'.repeat(44)}\n`);
    assert.equal(loadConfig({ ADMIN_TOKEN_FILE: file }).auth.adminToken, 't'.repeat(44));
    assert.throws(() => loadConfig({ ADMIN_TOKEN_FILE: file, ADMIN_TOKEN: 'a'.repeat(40) }), /ADMIN_TOKEN_FILE: is set and so is ADMIN_TOKEN/);
    assert.throws(() => loadConfig({ ADMIN_TOKEN_FILE: join(dir, 'nope') }), /ADMIN_TOKEN_FILE: cannot read .*ENOENT/);
    writeFileSync(file, 'short');
    assert.throws(() => loadConfig({ ADMIN_TOKEN_FILE: file }), /ADMIN_TOKEN_FILE: .* must hold 32 to 512 characters/);
    assert.throws(() => loadConfig({ ADMIN_TOKEN: 'hunter2' }), /ADMIN_TOKEN: must be at least 32 characters/);
  });

  test('ALLOWED_ORIGINS takes origins only', () => {
    for (const bad of ['https://a.example.com/path', '*', 'null', 'ftp://x', 'https://a.example.com?x=1']) {
      assert.throws(() => loadConfig({ ALLOWED_ORIGINS: bad }), /ALLOWED_ORIGINS: .* is not an origin/, bad);
    }
  });
});
