/**
 * The Kubernetes manifests (k8s/, and the GPU overlay as it combines with the base) against the code they run: no
 * cluster runs in CI, so these checks render the kustomizations themselves (and with kubectl where it is
 * installed). Every app runs from the image with an environment vigil's own validation accepts, files mounted where
 * its variables say, probes on its port. And the hardening: secrets live in generated Secrets, never a ConfigMap,
 * each key reaching only the pods that use it; Redis takes the password every REDIS_URL is spelled from; pods run
 * unprivileged on read-only roots with requests and limits; the network policies admit only Redis from vigil and
 * publish from outside; the Ingress serves TLS; the secrets' sources are not committed, their examples are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { describe, test } from 'node:test';
import { appOf, checkCamerasFile, checkEnvironment, checkRedisStart, freshSecret, git, holders, imageUser, outOfBuildContext, read, root, SECRET_HOLDERS, SPLIT_APPS } from '../support/manifests/deploy-checks';
import { parseManifests, quantity, workloads, type Container, type PodSpec, type Resource } from '../support/manifests/k8s';
import { renderKustomization } from '../support/manifests/kustomize';
import { admits, policyTypes, type NetworkPolicySpec } from '../support/manifests/network-policy';
import { PLACEHOLDER } from '../support/manifests/secret-scan';

/** Generator sources are not committed: the checks read their committed examples, with the placeholders filled in
 * as the documented commands fill them. */
function exampleOf(path: string): string {
  const text = read(`${path}.example`);
  return path.endsWith('.env') ? text.replace(new RegExp(`^(\\w+)=${PLACEHOLDER}$`, 'gm'), (_, key: string) => `${key}=${freshSecret()}`) : text;
}

for (const overlay of ['k8s', 'k8s/gpu']) {
  describe(`${overlay} (kustomize)`, () => {
    const { resources } = renderKustomization(root, overlay, exampleOf);
    const named = (kind: string, name: string) => resources.find((r) => r.kind === kind && r.metadata.name === name);
    const pods = workloads(resources);
    const vigilPods = pods.filter((w) => w.spec.template.spec.containers[0]?.args?.[0]?.startsWith('dist/'));
    const apps = vigilPods.map((w) => [appOf(w.spec.template.spec.containers[0]!.args![0], w.metadata.name), w.spec.template.spec] as const);
    const secretValue = (ref: { name: string; key: string; optional?: boolean }, where: string): string | undefined => {
      const secret = named('Secret', ref.name);
      assert.ok(secret?.stringData, `${where}: Secret ${ref.name} is generated (secretGenerator)`);
      const value = secret.stringData[ref.key];
      assert.ok(value !== undefined || ref.optional, `${where}: Secret ${ref.name} has ${ref.key}`);
      return value;
    };

    /** A container's environment as the kubelet builds it: ConfigMaps, then env in order with $(VAR) expanded. */
    const environmentOf = (container: Container, podName: string) => {
      const env: Record<string, string> = {};
      const referenced = new Set<string>();
      for (const source of container.envFrom ?? []) {
        assert.equal(source.secretRef, undefined, `${podName}: no whole Secret in its environment (each key only where it is used)`);
        const map = named('ConfigMap', source.configMapRef!.name);
        assert.ok(map?.data, `${podName}: ConfigMap ${source.configMapRef!.name} exists`);
        Object.assign(env, map.data);
      }
      for (const variable of container.env ?? []) {
        const from = variable.valueFrom;
        let value: string | undefined;
        if (from?.secretKeyRef) value = secretValue(from.secretKeyRef, podName);
        // the downward API gives the pod's name, e.g. ingest-7d9c5b8f6d-x2x7k
        else if (from?.fieldRef) value = `${podName}-7d9c5b8f6d-x2x7k`;
        else value = (variable.value ?? '').replace(/\$\$|\$\((\w+)\)/g, (whole, name?: string) => {
          if (whole === '$$') return '$';
          referenced.add(name!);
          return name! in env ? env[name!]! : whole;
        });
        if (value !== undefined) env[variable.name] = value;
      }
      return { env, referenced };
    };

    /** The text of a file a pod mounts from a Secret (camera passwords, tokens: never a ConfigMap). */
    const mountedSecretFile = (pod: PodSpec, container: Container, path: string, where: string) => {
      const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      assert.ok(volume?.secret, `${where}: ${path} is mounted from a Secret`);
      const inVolume = posix.relative(mount!.mountPath, path);
      const item = volume.secret.items?.find((i) => i.path === inVolume);
      assert.ok(!volume.secret.items || item, `${where}: the Secret volume holds ${inVolume}`);
      // Kubernetes' default is 0644
      assert.equal((item?.mode ?? volume.secret.defaultMode ?? 0o644) & 0o007, 0, `${where}: ${path} is not readable by others`);
      const text = secretValue({ name: volume.secret.secretName, key: item?.key ?? inVolume }, where);
      assert.ok(text, `${where}: ${path} has content`);
      return { text, secretName: volume.secret.secretName };
    };

    test('runs each app, from the image', () => {
      assert.deepEqual(apps.map(([app]) => app).sort(), SPLIT_APPS);
    });

    for (const deployment of vigilPods) {
      const name = deployment.metadata.name;
      test(`${name}: a valid environment, the files it names mounted from Secrets, probes on its port`, () => {
        const pod = deployment.spec.template.spec;
        const container = pod.containers[0]!;
        const app = appOf(container.args?.[0], name);
        const { env, referenced } = environmentOf(container, name);
        // a variable only there to be spelled into another, like REDIS_PASSWORD into REDIS_URL
        for (const helper of referenced) delete env[helper];
        const files: Record<string, string> = {};
        for (const variable of ['CAMERAS_FILE', 'ADMIN_TOKEN_FILE']) {
          if (env[variable]) files[variable] = mountedSecretFile(pod, container, env[variable]!, name).text;
        }
        const port = checkEnvironment(env, files, app, name);
        const http = container.ports?.find((p) => p.name === 'http');
        assert.equal(http?.containerPort, port, `${name} listens on ${port}`);
        // liveness is the process alone: a Redis outage must not restart every pod; readiness adds Redis and the workers
        assert.deepEqual(container.livenessProbe?.httpGet, { path: '/livez', port: 'http' }, `${name}: liveness asks /livez`);
        assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' }, `${name}: readiness asks /readyz`);
        for (const claim of pod.volumes?.filter((v) => v.persistentVolumeClaim) ?? []) {
          assert.ok(named('PersistentVolumeClaim', claim.persistentVolumeClaim!.claimName), `${name}: claim ${claim.persistentVolumeClaim!.claimName} exists`);
        }
      });
    }

    test('secrets are in Secrets, never in a ConfigMap, and each reaches only the services that use it', () => {
      for (const map of resources.filter((r) => r.kind === 'ConfigMap')) {
        for (const [key, value] of Object.entries(map.data ?? {})) {
          assert.ok(!(key in SECRET_HOLDERS) && !/PASSWORD|SECRET|TOKEN/.test(key), `ConfigMap ${map.metadata.name}: ${key} belongs in a Secret`);
          assert.doesNotMatch(value, /^\s*cameras:/m, `ConfigMap ${map.metadata.name}: the cameras file (camera passwords) belongs in a Secret`);
          assert.doesNotMatch(value, /\/\/[^/\s]*:[^/\s]*@/, `ConfigMap ${map.metadata.name}: ${key} carries a password`);
        }
      }
      const envNames = (pod: PodSpec) => new Set(pod.containers.flatMap((c) => (c.env ?? []).map((v) => v.name)));
      for (const [variable, expected] of Object.entries(SECRET_HOLDERS)) {
        assert.deepEqual(holders(apps, (pod) => envNames(pod).has(variable)), [...expected].sort(), `the pods with ${variable}`);
      }
      const camerasSecret = (pod: PodSpec) => pod.volumes?.some((v) => v.secret && named('Secret', v.secret.secretName)?.stringData?.['cameras.yml'] !== undefined) ?? false;
      assert.deepEqual(holders(apps, camerasSecret), [...SECRET_HOLDERS.CAMERAS_FILE!].sort(), 'the pods that mount the cameras Secret');
      // publish's token volume projects that one key, not the Redis password and webhook secrets beside it
      const tokenVolumes = apps.flatMap(([app, pod]) => (pod.volumes ?? []).filter((v) => v.secret?.items?.some((i) => i.key === 'ADMIN_TOKEN')).map((v) => [app, v] as const));
      assert.deepEqual(tokenVolumes.map(([app]) => app), ['publish']);
      assert.deepEqual(tokenVolumes[0]![1].secret!.items!.map((i) => i.key), ['ADMIN_TOKEN']);
      for (const [app, pod] of apps) {
        for (const volume of (pod.volumes ?? []).filter((v) => v.secret && named('Secret', v.secret.secretName)?.stringData?.REDIS_PASSWORD !== undefined)) {
          assert.ok(volume.secret!.items, `${app}: volume ${volume.name} mounts only the keys it names, not all of ${volume.secret!.secretName}`);
        }
      }
    });

    test('every service reaches Redis with the password from the Secret', () => {
      for (const [app, pod] of apps) {
        const container = pod.containers[0]!;
        const env = container.env ?? [];
        const passwordAt = env.findIndex((v) => v.name === 'REDIS_PASSWORD');
        const urlAt = env.findIndex((v) => v.name === 'REDIS_URL');
        const ref = env[passwordAt]?.valueFrom?.secretKeyRef;
        assert.ok(ref && !ref.optional, `${app}: REDIS_PASSWORD from a Secret, not optional`);
        assert.ok(urlAt > passwordAt, `${app}: REDIS_URL comes after REDIS_PASSWORD, which it spells in`);
        const url = new URL(environmentOf(container, app).env.REDIS_URL!);
        assert.equal(url.password, secretValue(ref, app), `${app}: REDIS_URL carries the password`);
        const service = named('Service', url.hostname) as unknown as { spec: { ports: { port: number }[] } } | undefined;
        assert.ok(service, `${app}: REDIS_URL names a Service (${url.hostname})`);
        assert.ok(service.spec.ports.some((p) => p.port === Number(url.port || 6379)), `${app}: on its port`);
      }
    });

    test('Redis requires the password, which stays out of its command line', () => {
      const redis = named('StatefulSet', 'redis')!.spec!.template!.spec.containers[0]!;
      const [shellPath, flag, script] = redis.command ?? [];
      assert.deepEqual([shellPath, flag], ['sh', '-c']);
      assert.doesNotMatch(script!, /\$\(/, 'the script holds no $(VAR), which the kubelet would expand into it');
      checkRedisStart(script!, 'k8s redis');
      const refs = Object.fromEntries((redis.env ?? []).map((v) => [v.name, v.valueFrom?.secretKeyRef]));
      const users = apps.map(([, pod]) => pod.containers[0]!.env!.find((v) => v.name === 'REDIS_PASSWORD')!.valueFrom!.secretKeyRef);
      for (const name of ['REDIS_PASSWORD', 'REDISCLI_AUTH']) {
        assert.ok(refs[name], `redis: ${name} from the Secret`);
        for (const ref of users) assert.deepEqual({ name: ref!.name, key: ref!.key }, { name: refs[name]!.name, key: refs[name]!.key }, `redis: ${name} is the password the services use`);
      }
      assert.deepEqual(redis.readinessProbe?.exec?.command, ['sh', '-c', 'redis-cli ping | grep -q PONG'], 'ready only when the password works');
    });

    test('every pod runs unprivileged: non-root, read-only root, no escalation or capabilities, seccomp, no API token', () => {
      const image = imageUser();
      for (const workload of pods) {
        const pod = workload.spec.template.spec;
        const where = workload.metadata.name;
        const context = pod.securityContext ?? {};
        assert.equal(pod.automountServiceAccountToken, false, `${where}: automountServiceAccountToken false`);
        assert.equal(context.runAsNonRoot, true, `${where}: runAsNonRoot`);
        for (const id of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) assert.ok(Number.isInteger(context[id]) && context[id]! > 0, `${where}: a numeric, non-root ${id}`);
        if (vigilPods.includes(workload)) assert.deepEqual([context.runAsUser, context.runAsGroup], [image.uid, image.gid], `${where}: the Dockerfile's USER`);
        for (const container of pod.containers) {
          const own = container.securityContext ?? {};
          assert.equal((own.seccompProfile ?? context.seccompProfile)?.type, 'RuntimeDefault', `${where}: seccomp RuntimeDefault`);
          assert.equal(own.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation false`);
          assert.equal(own.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
          assert.deepEqual(own.capabilities?.drop, ['ALL'], `${where}: drops ALL capabilities`);
          assert.equal(own.capabilities?.add, undefined, `${where}: adds none`);
          assert.ok(own.runAsUser === undefined && own.runAsNonRoot !== false, `${where}: no container overrides the pod's user`);
          const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
          assert.ok(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir?.sizeLimit, `${where}: /tmp is a bounded emptyDir`);
          for (const mount of container.volumeMounts ?? []) assert.equal(pod.volumes?.find((v) => v.name === mount.name)?.hostPath, undefined, `${where}: no hostPath`);
        }
      }
      // the apps' own writes: clips and staged clips under ALARMS_DIR, on the claim; the rest under /tmp
      const alarms = named('Deployment', 'alarms')!.spec!.template!.spec;
      const dir = named('ConfigMap', 'vigil-env')!.data!.ALARMS_DIR!;
      const mount = alarms.containers[0]!.volumeMounts?.find((m) => m.mountPath === dir);
      assert.ok(mount && !mount.readOnly && alarms.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim, 'alarms writes ALARMS_DIR to its claim');
    });

    test('every container has CPU and memory requests and limits; Redis fills up below its limit', () => {
      for (const workload of pods) {
        for (const container of workload.spec.template.spec.containers) {
          const where = `${workload.metadata.name}/${container.name}`;
          for (const resource of ['cpu', 'memory']) {
            const request = container.resources?.requests?.[resource];
            const limit = container.resources?.limits?.[resource];
            assert.ok(request !== undefined && limit !== undefined, `${where}: a ${resource} request and limit`);
            assert.ok(quantity(limit) >= quantity(request), `${where}: the ${resource} limit is at least the request`);
          }
        }
      }
      const redis = named('StatefulSet', 'redis')!.spec!.template!.spec.containers[0]!;
      const maxmemory = /--maxmemory (\d+)mb/.exec(redis.command?.join(' ') ?? '');
      assert.ok(maxmemory, 'Redis has a maxmemory');
      // past its limit Redis would be killed, and replay its append-only file into the same limit again
      assert.ok(Number(maxmemory[1]) * 2 ** 20 <= 0.8 * quantity(redis.resources!.limits!.memory!), 'maxmemory leaves room below the memory limit');
    });

    test('the network policies: Redis only from vigil, from outside only publish, outgoing open', () => {
      const policies = resources.filter((r) => r.kind === 'NetworkPolicy');
      assert.ok(policies.every((p) => !policyTypes(p.spec as unknown as NetworkPolicySpec).includes('Egress')), 'no policy limits outgoing connections (cameras, webhooks, DNS)');
      const labelsOf = (workload: Resource) => workload.spec!.template!.metadata!.labels!;
      const publishPort = named('Deployment', 'publish')!.spec!.template!.spec.containers[0]!.ports!.find((p) => p.name === 'http')!;
      // another app's pod in the namespace (a debugging shell, a sidecar someone added)
      const stranger = { pod: { 'app.kubernetes.io/name': 'debug' } };
      for (const workload of pods) {
        for (const container of workload.spec.template.spec.containers) {
          for (const port of container.ports ?? []) {
            const target = { port: port.containerPort, name: port.name };
            const where = `${workload.metadata.name}:${port.containerPort}`;
            const isPublish = workload.metadata.name === 'publish' && port.containerPort === publishPort.containerPort;
            assert.equal(admits(policies, labelsOf(workload), target, 'outside'), isPublish, `${where} from outside the namespace`);
            if (workload.metadata.name === 'redis') {
              for (const client of vigilPods) assert.ok(admits(policies, labelsOf(workload), target, { pod: labelsOf(client) }), `${where} from ${client.metadata.name}`);
              assert.ok(!admits(policies, labelsOf(workload), target, stranger), `${where} from another pod of the namespace`);
            } else if (!isPublish) {
              assert.ok(!admits(policies, labelsOf(workload), target, stranger), `${where} from another pod of the namespace`);
            }
          }
        }
      }
    });

    test('the Ingress serves TLS for its hosts, and PUBLIC_URL is that address', () => {
      const ingress = named('Ingress', 'publish')!.spec as { tls?: { hosts: string[]; secretName?: string }[]; rules: { host: string }[] };
      for (const { host } of ingress.rules) assert.ok(ingress.tls?.some((tls) => tls.hosts.includes(host) && tls.secretName), `TLS with a certificate Secret for ${host}`);
      // the certificate is the operator's (cert-manager or kubectl create secret tls), never a committed key
      for (const tls of ingress.tls ?? []) assert.equal(named('Secret', tls.secretName!), undefined, `${tls.secretName} is not generated from the repository`);
      const url = new URL(named('ConfigMap', 'vigil-env')!.data!.PUBLIC_URL!);
      assert.equal(url.protocol, 'https:', 'webhook links use HTTPS');
      assert.ok(ingress.rules.some((rule) => rule.host === url.host), 'PUBLIC_URL is the Ingress host');
    });

    test('the cameras Secret parses', () => checkCamerasFile(named('Secret', 'vigil-cameras')!.stringData!['cameras.yml']!, `${overlay} vigil-cameras`));

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

    if (overlay === 'k8s/gpu') {
      test('a GPU for ingest, inference and egress, beside their CPU and memory limits', () => {
        for (const name of ['ingest', 'inference', 'egress']) {
          const limits = named('Deployment', name)!.spec!.template!.spec.containers[0]!.resources!.limits!;
          assert.equal(limits['nvidia.com/gpu'], 1, `${name}: a GPU`);
          assert.ok(limits.cpu && limits.memory, `${name}: keeps its CPU and memory limits`);
        }
      });
    }
  });
}

describe('k8s/ secrets and kustomize', () => {
  const { generatorSources } = renderKustomization(root, 'k8s', exampleOf);

  test('the secrets are made from committed examples, holding placeholders only; the real files are not committed', () => {
    assert.ok(generatorSources.length > 0);
    for (const source of generatorSources) {
      assert.equal(spawnSync('git', ['check-ignore', '-q', source], { cwd: root }).status, 0, `git ignores ${source}`);
      assert.ok(git('ls-files', `${source}.example`).trim(), `${source}.example is committed`);
      assert.ok(outOfBuildContext(source), `.dockerignore keeps ${source} out of the image's build context`);
      if (!source.endsWith('.env')) continue;
      for (const line of read(`${source}.example`).split('\n').filter((l) => l.trim() && !l.startsWith('#'))) {
        assert.match(line, new RegExp(`^\\w+=(${PLACEHOLDER})?$`), `${source}.example: ${line.split('=')[0]} is empty or ${PLACEHOLDER}`);
      }
    }
  });

  test('the overlays name files that exist', () => {
    for (const dir of ['k8s', 'k8s/base', 'k8s/gpu']) {
      const { resources: listed } = parseManifests(read(`${dir}/kustomization.yaml`))[0] as unknown as { resources: string[] };
      for (const entry of listed) assert.ok(existsSync(join(root, dir, entry)), `${dir}: ${entry} exists`);
    }
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  test('kubectl kustomize builds both, and every Secret a pod names is generated', { skip: kubectl.error ? 'kubectl is not installed' : false }, () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'vigil-k8s-')), 'k8s');
    cpSync(join(root, 'k8s'), copy, { recursive: true });
    for (const source of generatorSources) writeFileSync(join(copy, relative('k8s', source)), exampleOf(source));
    for (const overlay of ['.', 'gpu']) {
      const built = spawnSync('kubectl', ['kustomize', join(copy, overlay)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(built.status, 0, `kubectl kustomize k8s/${overlay}: ${built.stderr}`);
      const output = parseManifests(built.stdout);
      const secrets = new Set(output.filter((r) => r.kind === 'Secret').map((r) => r.metadata.name));
      for (const workload of workloads(output)) {
        const pod = workload.spec.template.spec;
        const names = [
          ...pod.containers.flatMap((c) => (c.env ?? []).flatMap((v) => v.valueFrom?.secretKeyRef?.name ?? [])),
          ...(pod.volumes ?? []).flatMap((v) => v.secret?.secretName ?? []),
        ];
        for (const name of names) assert.ok(secrets.has(name), `k8s/${overlay} ${workload.metadata.name}: Secret ${name} is generated (kustomize renamed the reference)`);
      }
    }
  });
});
