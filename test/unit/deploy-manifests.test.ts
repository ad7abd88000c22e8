/**
 * The deployment files (Dockerfile, docker-compose.yml and its GPU overlay) against the code they run: no Docker
 * daemon runs in CI, so these checks keep them from drifting. Every service's entry point exists, every
 * environment variable is one vigil reads and the whole environment passes vigil's own validation, ports and
 * health checks match what each app listens on, the cameras file parses, and the clip volume the alarms service
 * writes is the one publish serves from. And the hardening: secrets come from .env and compose secrets and reach
 * only the services that use them, Redis takes a password that every service's REDIS_URL carries, the services run
 * read-only and unprivileged, and no real-looking secret is committed. k8s/ is checked in deploy-k8s.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { interpolate, loadCompose, type ComposeProject, type ComposeService } from '../support/manifests/compose';
import { appOf, checkCamerasFile, checkEnvironment, checkRedisStart, freshSecret, git, holders, imageUser, outOfBuildContext, read, root, SECRET_HOLDERS, SPLIT_APPS } from '../support/manifests/deploy-checks';
import { PLACEHOLDER, realLookingSecrets } from '../support/manifests/secret-scan';

for (const files of [['docker-compose.yml'], ['docker-compose.yml', 'docker-compose.gpu.yml']]) {
  describe(files.join(' + '), () => {
    const compose: ComposeProject = loadCompose(root, files);
    // what the README's `.env` line writes
    const shell = { REDIS_PASSWORD: freshSecret(), ADMIN_TOKEN: freshSecret() };
    const vigilServices = Object.entries(compose.services).filter(([, service]) => service.image?.startsWith('vigil'));
    const apps = vigilServices.map(([name, service]) => [appOf(service.command?.[0], name), service] as const);
    const environment = (service: ComposeService, env: Record<string, string> = shell) =>
      Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), env)]));
    const mounts = (service: ComposeService) => new Map((service.volumes ?? []).map((volume) => volume.split(':')).map(([source, target]) => [target!, source!]));
    const secretTargets = (service: ComposeService) =>
      new Map((service.secrets ?? []).map((secret) => (typeof secret === 'string' ? { source: secret } : secret)).map(({ source, target }) => [target ?? `/run/secrets/${source}`, source]));

    test('runs each app once, from the image', () => {
      assert.deepEqual(apps.map(([app]) => app).sort(), SPLIT_APPS);
    });

    for (const [name, service] of vigilServices) {
      test(`${name}: a valid environment, the files it names mounted, and a health check on its port`, () => {
        const app = appOf(service.command?.[0], name);
        const env = environment(service);
        const files: Record<string, string> = {};
        // the bug this guards against: publish given CAMERAS_FILE without the file, and stopping at start
        if (env.CAMERAS_FILE) {
          const source = mounts(service).get(env.CAMERAS_FILE);
          assert.ok(source, `${name} mounts ${env.CAMERAS_FILE}`);
          files.CAMERAS_FILE = read(source);
        }
        if (env.ADMIN_TOKEN_FILE) {
          const secret = secretTargets(service).get(env.ADMIN_TOKEN_FILE);
          assert.ok(secret, `${name}: ADMIN_TOKEN_FILE is one of its compose secrets`);
          const variable = compose.secrets?.[secret]?.environment;
          assert.ok(variable && variable in shell, `compose secret ${secret} comes from a variable of .env`);
          files.ADMIN_TOKEN_FILE = shell[variable as keyof typeof shell];
        }
        const port = checkEnvironment(env, files, app, name);
        assert.match(service.healthcheck?.test.join(' ') ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/readyz`), `${name}'s health check asks its own port ${port}`);
        if (app === 'publish') assert.ok(service.ports?.some((mapping) => mapping.endsWith(`:${port}`)), `publish's port ${port} is published`);
      });
    }

    test('each secret reaches only the services that use it', () => {
      for (const [variable, expected] of Object.entries(SECRET_HOLDERS)) {
        assert.deepEqual(holders(apps, (service) => variable in (service.environment ?? {})), [...expected].sort(), `the services with ${variable}`);
      }
      const camerasFiles = new Set(apps.map(([, service]) => mounts(service).get(environment(service).CAMERAS_FILE ?? '')).filter((source) => source !== undefined));
      assert.ok(camerasFiles.size > 0);
      assert.deepEqual(holders(apps, (service) => [...mounts(service).values()].some((source) => camerasFiles.has(source))), [...SECRET_HOLDERS.CAMERAS_FILE!].sort(), 'the services that mount the cameras file');
      for (const secret of Object.keys(compose.secrets ?? {})) {
        assert.deepEqual(holders(apps, (service) => [...secretTargets(service).values()].includes(secret)), ['publish'], `the services given compose secret ${secret}`);
      }
      // a literal would be a secret committed with the file
      for (const [app, service] of apps) {
        for (const variable of ['WEBHOOK_URL', 'WEBHOOK_SECRET', 'MQTT_URL', 'METRICS_TOKEN']) {
          const value = service.environment?.[variable];
          if (value !== undefined) assert.match(String(value), new RegExp(`^\\$\\{${variable}(:-)?\\}$`), `${app}: ${variable} comes from .env`);
        }
      }
    });

    test('every service reaches Redis with its password, and none starts without one', () => {
      for (const [app, service] of apps) {
        const url = new URL(environment(service).REDIS_URL ?? '');
        assert.equal(url.password, shell.REDIS_PASSWORD, `${app}: REDIS_URL carries REDIS_PASSWORD`);
        assert.ok(compose.services[url.hostname], `${app}: REDIS_URL names the ${url.hostname} service`);
        assert.throws(() => environment(service, { ...shell, REDIS_PASSWORD: '' }), /REDIS_PASSWORD/, `${app}: no start without REDIS_PASSWORD`);
      }
    });

    test('Redis requires the password, which stays out of its command line', () => {
      const redis = compose.services.redis!;
      const env = environment(redis);
      assert.equal(env.REDIS_PASSWORD, shell.REDIS_PASSWORD);
      assert.throws(() => environment(redis, { ...shell, REDIS_PASSWORD: '' }), /REDIS_PASSWORD/, 'no Redis without REDIS_PASSWORD');
      const [shellPath, flag, script] = (redis.command ?? []).map((part) => interpolate(part, shell));
      assert.deepEqual([shellPath, flag], ['sh', '-c']);
      assert.ok(!script!.includes(shell.REDIS_PASSWORD), 'compose does not write the password into the script (its $ is escaped)');
      checkRedisStart(script!, 'compose redis');
      // the health check's redis-cli authenticates from the environment, and only a PONG counts
      assert.equal(env.REDISCLI_AUTH, shell.REDIS_PASSWORD);
      assert.match(redis.healthcheck?.test.join(' ') ?? '', /redis-cli ping \| grep -q PONG/);
    });

    test('the services run read-only, without capabilities or privilege escalation, writing only to /tmp and volumes', () => {
      for (const [app, service] of apps) {
        assert.equal(service.read_only, true, `${app}: read_only`);
        assert.ok([service.tmpfs ?? []].flat().some((mount) => mount.split(':')[0] === '/tmp'), `${app}: a tmpfs at /tmp`);
        assert.deepEqual(service.cap_drop, ['ALL'], `${app}: cap_drop ALL`);
        assert.equal(service.cap_add, undefined, `${app}: no capability added`);
        assert.ok(service.security_opt?.includes('no-new-privileges:true'), `${app}: no-new-privileges`);
        assert.notEqual(service.privileged, true, `${app}: not privileged`);
      }
      const alarms = compose.services.alarms!;
      const dir = environment(alarms).ALARMS_DIR!;
      assert.ok(mounts(alarms).get(dir) && !(alarms.volumes ?? []).some((volume) => volume.split(':')[1] === dir && volume.endsWith(':ro')), 'alarms writes clips (and staged clips) to a volume');
    });

    // the bug this guards against: publish answering 404 for every clip because it looks in a folder of its own
    test('publish serves clips from the volume the alarms service writes them to', () => {
      const volumeAt = (service: string) => {
        const dir = String(compose.services[service]!.environment!.ALARMS_DIR);
        return compose.services[service]!.volumes?.find((volume) => volume.split(':')[1] === dir)?.split(':')[0];
      };
      assert.ok(volumeAt('alarms'), 'alarms mounts a volume at ALARMS_DIR');
      assert.equal(volumeAt('publish'), volumeAt('alarms'));
    });
  });
}

describe('docker-compose.gpu.yml', () => {
  test('gives the GPU to the services that decode, detect and encode, leaving the rest as it was', () => {
    const base = loadCompose(root, ['docker-compose.yml']);
    const gpu = loadCompose(root, ['docker-compose.yml', 'docker-compose.gpu.yml']);
    for (const app of ['ingest', 'inference', 'alarms', 'egress']) {
      const devices = (gpu.services[app] as { deploy?: { resources?: { reservations?: { devices?: { driver: string; capabilities: string[] }[] } } } }).deploy?.resources?.reservations?.devices;
      assert.ok(devices?.some((device) => device.driver === 'nvidia' && device.capabilities.includes('video')), `${app}: an NVIDIA GPU with video (NVDEC/NVENC)`);
    }
    const settings = (service: object) => Object.fromEntries(Object.entries(service).filter(([key]) => !['image', 'build', 'deploy'].includes(key)));
    for (const [name, service] of Object.entries(base.services)) {
      assert.deepEqual(settings(gpu.services[name]!), settings(service), `${name}: the overlay changes only image, build and deploy`);
    }
  });

  test('deploy/cameras.yml parses', () => checkCamerasFile(read('deploy/cameras.yml'), 'deploy/cameras.yml'));
});

describe('committed deployment files', () => {
  test('the scan below finds what it looks for', () => {
    assert.deepEqual(realLookingSecrets('secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
    const hex = freshSecret();
    assert.deepEqual(realLookingSecrets(`REDIS_PASSWORD=${hex}`), [hex]);
    assert.deepEqual(realLookingSecrets('url: rtsp://viewer:hunter2@192.168.1.64:554/x'), ['hunter2']);
    assert.deepEqual(realLookingSecrets(`url: rtsp://viewer:${PLACEHOLDER}@192.168.1.64:554/Streaming/Channels/101 REDIS_URL: redis://:$(REDIS_PASSWORD)@redis:6379`), []);
  });

  test('hold no real-looking secret', () => {
    const files = git('ls-files', 'Dockerfile', 'docker-compose.yml', 'docker-compose.gpu.yml', 'deploy', 'k8s').trim().split('\n');
    assert.ok(files.includes('k8s/base/secrets/vigil.env.example'), 'the secrets examples are among them');
    for (const file of files) assert.deepEqual(realLookingSecrets(read(file)), [], `${file} holds no real-looking secret`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  // projectRoot() looks for package.json beside nest-cli.json, and publish serves the page from apps/publish/web
  test('the final image holds what the apps find at run time', () => {
    for (const needed of ['package.json', 'nest-cli.json', 'node_modules', 'dist', 'apps/publish/web']) {
      assert.match(finalStage, new RegExp(`^COPY .*\\b${needed.replace('/', '\\/')}\\b`, 'm'), `the final stage copies ${needed}`);
    }
  });

  test('its build context leaves out the secrets: .env and the cameras file', () => {
    for (const path of ['.env', 'deploy/cameras.yml']) assert.ok(outOfBuildContext(path), `.dockerignore keeps ${path} out`);
    assert.equal(spawnSync('git', ['check-ignore', '-q', '.env'], { cwd: root }).status, 0, 'git ignores .env');
  });

  test('its default command is the all-in-one entry point', () => {
    const command = JSON.parse(/^CMD (\[.*\])$/m.exec(finalStage)?.[1] ?? '[]') as string[];
    assert.equal(appOf(command[0], 'Dockerfile CMD'), 'vigil');
  });

  test('it runs as a non-root user, by number, with its caches under /tmp (the root file system may be read-only)', () => {
    assert.ok(imageUser().uid > 0);
    for (const variable of ['XDG_CACHE_HOME', 'CUDA_CACHE_PATH']) assert.match(finalStage, new RegExp(`\\b${variable}=/tmp/`), `${variable} under /tmp`);
  });
});

