import { selects, type LabelSelector, type Resource } from './k8s';

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
  egress?: unknown[];
}

/** Where a connection comes from: a pod of the policies' namespace (with its labels), or anything outside it. */
export type Source = { pod: Record<string, string> } | 'outside';

/** A TCP port of a pod, by number and (where the container names it) by name. */
export interface TargetPort {
  port: number;
  name?: string;
}

export function policyTypes(spec: NetworkPolicySpec): string[] {
  return spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/**
 * Whether the namespace's NetworkPolicies admit a TCP connection to a pod's port, by the API's rules: a pod no
 * Ingress policy selects admits everything; a selected one admits what some rule of some selecting policy admits
 * (no `from`: any source; no `ports`: any port). A pod selector alone means this namespace; an ipBlock or a
 * namespace selector of `{}` stands for sources outside it. Namespace selectors with labels throw: the checks
 * cannot know other namespaces' labels.
 */
export function admits(policies: readonly Resource[], pod: Record<string, string>, target: TargetPort, source: Source): boolean {
  const selecting = policies
    .map((policy) => policy.spec as unknown as NetworkPolicySpec)
    .filter((spec) => policyTypes(spec).includes('Ingress') && selects(spec.podSelector, pod));
  if (selecting.length === 0) return true;
  return selecting.some((spec) =>
    (spec.ingress ?? []).some((rule) => portMatches(rule.ports, target) && (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, source)))),
  );
}

function portMatches(ports: PolicyPort[] | undefined, target: TargetPort): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some(({ protocol = 'TCP', port, endPort }) => {
    if (protocol !== 'TCP') return false;
    if (port === undefined) return true;
    if (typeof port === 'string') return port === target.name;
    return endPort === undefined ? port === target.port : target.port >= port && target.port <= endPort;
  });
}

function peerMatches(peer: PolicyPeer, source: Source): boolean {
  if (peer.ipBlock) return source === 'outside';
  if (peer.namespaceSelector) {
    if (Object.keys(peer.namespaceSelector).length > 0) throw new Error('a namespace selector with labels cannot be checked here');
    // every namespace, this one included
    return source === 'outside' ? peer.podSelector === undefined || Object.keys(peer.podSelector).length === 0 : selects(peer.podSelector ?? {}, source.pod);
  }
  return source !== 'outside' && selects(peer.podSelector ?? {}, source.pod);
}
