/**
 * The deployment files (Dockerfile, docker-compose.yml, k8s/) against the code they run: no Docker daemon or
 * cluster runs in CI, so these checks keep them from drifting. Every service's entry point exists, every
 * environment variable is one vigil reads and the whole environment passes vigil's own validation, ports and
 * probes match what each app listens on, the cameras files parse, and the clip volume the alarms service writes
 * is the one publish serves from.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { APP_NAMES, appPort, ENV_VARIABLES, loadConfig, parseConfigFile, type AppName } from '@vigil/config';
import { findRepoFile } from '../../scripts/support';

const root = dirname(findRepoFile('package.json'));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
/** `dist/apps/<app>/src/main.js`, as the image runs it */
const ENTRY = /^dist\/apps\/([a-z]+)\/src\/main\.js$/;

/** The app an entry point starts; fails unless its source exists. */
function appOf(entry: string | undefined, where: string): AppName {
  const app = ENTRY.exec(entry ?? '')?.[1];
  assert.ok(app && (APP_NAMES as readonly string[]).includes(app), `${where}: ${entry} is not an app's entry point`);
  assert.ok(existsSync(join(root, 'apps', app, 'src', 'main.ts')), `${where}: apps/${app}/src/main.ts exists`);
  return app as AppName;
}

/** Validates an environment as the app would at start, with the cameras file it would read; returns its port. */
function checkEnvironment(env: Record<string, string>, camerasFile: string | undefined, app: AppName, where: string): number {
  for (const name of Object.keys(env)) assert.ok(ENV_VARIABLES.includes(name), `${where}: ${name} is not a variable vigil reads`);
  const local = camerasFile === undefined ? {} : { CAMERAS_FILE: camerasFile };
  const config = loadConfig({ ...env, ...local });
  return appPort[app](config);
}

function checkCamerasFile(text: string, where: string): void {
  const file = parseConfigFile(text, where);
  assert.ok(file.cameras.length > 0, `${where}: at least one camera, so a fresh deployment shows something`);
}

/** Compose's `${VAR:-default}` interpolation, as it comes out with none of the variables set in the shell. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vigil-deploy-')), name);
  writeFileSync(path, text);
  return path;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string | number>; volumes?: string[]; ports?: string[]; healthcheck?: { test: string[] } }>;
  };
  const vigilServices = Object.entries(compose.services).filter(([, service]) => service.image?.startsWith('vigil'));

  test('runs each app once, from the image', () => {
    assert.deepEqual(vigilServices.map(([, service]) => appOf(service.command?.[0], 'compose')).sort(), ['alarms', 'egress', 'inference', 'ingest', 'publish']);
  });

  for (const [name, service] of vigilServices) {
    test(`${name}: a valid environment, the cameras file it mounts, and a health check on its port`, () => {
      const app = appOf(service.command?.[0], name);
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]));
      const mounts = new Map((service.volumes ?? []).map((volume) => volume.split(':')).map(([source, target]) => [target!, source!]));
      const camerasSource = env.CAMERAS_FILE ? mounts.get(env.CAMERAS_FILE) : undefined;
      if (app !== 'publish') assert.ok(camerasSource, `${name} mounts ${env.CAMERAS_FILE}`);
      const port = checkEnvironment(env, camerasSource ? join(root, camerasSource) : undefined, app, name);
      assert.match(service.healthcheck?.test.join(' ') ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/healthz`), `${name}'s health check asks its own port ${port}`);
      if (app === 'publish') assert.ok(service.ports?.some((mapping) => mapping.endsWith(`:${port}`)), `publish's port ${port} is published`);
    });
  }

  test('deploy/cameras.yml parses', () => checkCamerasFile(read('deploy/cameras.yml'), 'deploy/cameras.yml'));

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

describe('k8s/', () => {
  interface Container {
    name: string;
    args?: string[];
    envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
    env?: { name: string; value?: string; valueFrom?: unknown }[];
    ports?: { name: string; containerPort: number }[];
    readinessProbe?: { httpGet?: { path: string; port: string | number } };
    livenessProbe?: { httpGet?: { path: string; port: string | number } };
    volumeMounts?: { name: string; mountPath: string }[];
  }
  interface Resource {
    kind: string;
    metadata: { name: string };
    data?: Record<string, string>;
    spec?: { template?: { spec: { containers: Container[]; volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[] } } };
  }
  const kustomization = parse(read('k8s/base/kustomization.yaml')) as { resources: string[] };
  const resources: Resource[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(join('k8s/base', file))).map((doc) => doc.toJSON() as Resource),
  );
  const named = (kind: string, name: string) => resources.find((r) => r.kind === kind && r.metadata.name === name);
  const vigilDeployments = resources.filter((r) => r.kind === 'Deployment' && r.spec?.template?.spec.containers[0]?.args?.[0]?.startsWith('dist/'));

  test('the overlays name files that exist', () => {
    for (const dir of ['k8s', 'k8s/base', 'k8s/gpu']) {
      const { resources: listed } = parse(read(`${dir}/kustomization.yaml`)) as { resources: string[] };
      for (const entry of listed) assert.ok(existsSync(join(root, dir, entry)), `${dir}: ${entry} exists`);
    }
  });

  test('runs each app, from the image', () => {
    assert.deepEqual(vigilDeployments.map((d) => appOf(d.spec!.template!.spec.containers[0]!.args![0], d.metadata.name)).sort(), ['alarms', 'egress', 'inference', 'ingest', 'publish']);
  });

  for (const deployment of vigilDeployments) {
    const name = deployment.metadata.name;
    test(`${name}: a valid environment, the cameras file it mounts, probes on its port`, () => {
      const pod = deployment.spec!.template!.spec;
      const container = pod.containers[0]!;
      const app = appOf(container.args?.[0], name);
      const env: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        if (source.secretRef) {
          assert.ok(source.secretRef.optional, `${name}: secret ${source.secretRef.name} is optional, so the defaults start`);
          continue;
        }
        const map = named('ConfigMap', source.configMapRef!.name);
        assert.ok(map?.data, `${name}: ConfigMap ${source.configMapRef!.name} exists`);
        Object.assign(env, map.data);
      }
      // the downward API gives the pod's name, e.g. ingest-7d9c5b8f6d-x2x7k
      for (const variable of container.env ?? []) env[variable.name] = variable.value ?? `${name}-7d9c5b8f6d-x2x7k`;

      const volume = (mountPath: string) => {
        const mount = container.volumeMounts?.find((m) => m.mountPath === mountPath);
        return mount && pod.volumes?.find((v) => v.name === mount.name);
      };
      let camerasFile: string | undefined;
      if (app !== 'publish') {
        const source = volume(dirname(env.CAMERAS_FILE!));
        assert.ok(source?.configMap, `${name} mounts the cameras ConfigMap at ${dirname(env.CAMERAS_FILE!)}`);
        const text = named('ConfigMap', source.configMap.name)?.data?.[basename(env.CAMERAS_FILE!)];
        assert.ok(text, `${name}: ConfigMap ${source.configMap.name} holds ${basename(env.CAMERAS_FILE!)}`);
        camerasFile = tempFile('cameras.yml', text);
      }
      const port = checkEnvironment(env, camerasFile, app, name);
      const http = container.ports?.find((p) => p.name === 'http');
      assert.equal(http?.containerPort, port, `${name} listens on ${port}`);
      for (const probe of [container.readinessProbe, container.livenessProbe]) assert.deepEqual(probe?.httpGet, { path: '/healthz', port: 'http' });
      for (const claim of pod.volumes?.filter((v) => v.persistentVolumeClaim) ?? []) {
        assert.ok(named('PersistentVolumeClaim', claim.persistentVolumeClaim!.claimName), `${name}: claim ${claim.persistentVolumeClaim!.claimName} exists`);
      }
    });
  }

  test('the cameras ConfigMap parses', () => checkCamerasFile(named('ConfigMap', 'vigil-cameras')!.data!['cameras.yml']!, 'k8s vigil-cameras'));

  test('publish serves clips from the claim the alarms service writes them to', () => {
    const dir = named('ConfigMap', 'vigil-env')!.data!.ALARMS_DIR!;
    const claimAt = (deployment: string) => {
      const pod = named('Deployment', deployment)!.spec!.template!.spec;
      const mount = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === dir);
      return pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
    };
    assert.ok(claimAt('alarms'), 'alarms mounts a claim at ALARMS_DIR');
    assert.equal(claimAt('publish'), claimAt('alarms'));
  });

  test('REDIS_URL names the Redis Service and its port', () => {
    const url = new URL(named('ConfigMap', 'vigil-env')!.data!.REDIS_URL!);
    const service = named('Service', url.hostname) as unknown as { spec: { ports: { port: number }[] } } | undefined;
    assert.ok(service, `a Service named ${url.hostname}`);
    assert.ok(service.spec.ports.some((p) => p.port === Number(url.port || 6379)));
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

  test('its default command is the all-in-one entry point', () => {
    const command = JSON.parse(/^CMD (\[.*\])$/m.exec(finalStage)?.[1] ?? '[]') as string[];
    assert.equal(appOf(command[0], 'Dockerfile CMD'), 'vigil');
  });
});
