import { parse, parseAllDocuments } from 'yaml';

/** The parts of Kubernetes objects the deployment checks read. */
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext & {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: string };
}

export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string; mode?: number }[] };
  emptyDir?: { medium?: string; sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string };
  hostPath?: { path: string };
}

export interface PodSpec {
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  volumes?: Volume[];
}

export interface Resource {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  /** generated Secrets carry their values here, in clear (the checks read them; nothing is applied) */
  stringData?: Record<string, string>;
  spec?: {
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    [key: string]: unknown;
  };
}

/** Kubernetes reads manifests as YAML 1.1 (where `0440` is octal), so the checks do too. */
export function parseManifest<T = unknown>(text: string): T {
  return parse(text, { version: '1.1' }) as T;
}

export function parseManifests(text: string): Resource[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((doc) => doc.toJSON() as Resource | null)
    .filter((resource): resource is Resource => resource !== null);
}

/** Workloads, with their pod templates. */
export function workloads(resources: readonly Resource[]): (Resource & { spec: { template: { spec: PodSpec } } })[] {
  return resources.filter((r): r is Resource & { spec: { template: { spec: PodSpec } } } => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(r.kind) && r.spec?.template !== undefined);
}

const BINARY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_UNITS: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A resource quantity (`500m`, `2`, `512Mi`, `1G`) as a number of cores or bytes. */
export function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/.exec(String(value));
  if (!match) throw new Error(`"${value}" is not a resource quantity`);
  const unit = match[2] ?? '';
  return Number(match[1]) * (BINARY_UNITS[unit] ?? DECIMAL_UNITS[unit]!);
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Whether a label selector selects these labels (an empty selector selects everything). */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]!);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]!);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          throw new Error(`selector operator ${String(operator)} is not known`);
      }
    })
  );
}
