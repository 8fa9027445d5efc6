// A container's environment, as the kubelet builds it (pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables and pkg/kubelet/envvars): Service variables of the namespace (and
// default/kubernetes), envFrom, then env with the downward API and `$(VAR)` expansion; the
// container's own variables win. Also expands `$(VAR)` in command and args.
import { hostname } from 'node:os';
import { ceilDiv, parseQuantity, quantityMilliValue, quantityValue } from '../apimachinery/quantity.js';
import type { Container, PodSpec, ResourceFieldSelector } from '../api/generated/core/v1.js';
import type { Quantity } from '../api/generated/resource.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { ConfigMapObj } from '../registry/configmap.js';
import type { SecretObj } from '../registry/secret.js';

/** The spec of the Pod the kubelet runs (a stored Pod: validated, defaulted). */
export const podSpecOf = (pod: PodObj): Partial<PodSpec> => pod.spec ?? {};

/** The Pod's hostname: spec.hostname, else its name cut to 63 characters (kubelet GeneratePodHostNameAndDomain). */
export function podHostname(pod: PodObj): string {
  const h = pod.spec?.hostname;
  if (h) return h;
  return (pod.metadata.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
}

export interface EnvContext {
  pod: PodObj;
  podIPs: string[];
  hostIP: string;
  /** Services of the pod's namespace plus default/kubernetes, existing now. */
  services: ServiceObj[];
  getConfigMap(ns: string, name: string): ConfigMapObj | undefined;
  getSecret(ns: string, name: string): SecretObj | undefined;
  /** The node's allocatable, as quantities (the downward API's value of an unset limit). */
  node: { cpu?: Quantity; memory?: Quantity; ephemeralStorage?: Quantity };
  /** Where in-cluster clients reach the API server (KUBERNETES_SERVICE_HOST/PORT). */
  apiServer?: { host: string; port: number };
}

/** A configuration problem that keeps the container Waiting (CreateContainerConfigError). */
export class ConfigError extends Error {}

/** `$(VAR)` expansion with `$$` escaping; unknown references stay as written (upstream expansion.Expand). */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const n = input[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const v = name ? lookup(name) : undefined;
      out += v ?? `$(${name})`;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * A volumeMount's subPathExpr against the container's final environment (the kubelet's
 * ExpandContainerVolumeMounts, pkg/kubelet/container/helpers.go): every referenced variable must
 * be set and non-empty, else the container cannot be created (`missing value for A, B`, sorted).
 * Whether the result stays inside the volume is checked by the caller (prepareSubPath).
 */
export function expandSubPathExpr(expr: string, env: Record<string, string>): string {
  const missing = new Set<string>();
  const out = expand(expr, (n) => {
    const v = env[n];
    if (!v) missing.add(n);
    return v ?? '';
  });
  if (missing.size) throw new ConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** Service variables, docker-link style included (pkg/kubelet/envvars FromServices). */
export function serviceEnv(services: ServiceObj[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const svc of services) {
    const s = svc.spec ?? {};
    if (!s.clusterIP || s.clusterIP === 'None' || s.type === 'ExternalName') continue;
    const name = envName(svc.metadata.name!);
    const ports = s.ports ?? [];
    if (!ports.length) continue;
    const ip = s.clusterIP;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(ports[0]!.port);
    for (const p of ports) if (p.name) env[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
    const proto0 = (ports[0]!.protocol ?? 'TCP').toLowerCase();
    env[`${name}_PORT`] = `${proto0}://${host}:${ports[0]!.port}`;
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${p.port}_${proto}`;
      env[prefix] = `${proto.toLowerCase()}://${host}:${p.port}`;
      env[`${prefix}_PROTO`] = proto.toLowerCase();
      env[`${prefix}_PORT`] = String(p.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

const C_IDENTIFIER = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A ConfigMap's data and binaryData as text. */
function configMapData(cm: ConfigMapObj): Record<string, string> {
  const out: Record<string, string> = { ...cm.data };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** A Secret's data (base64) and stringData as text. */
function secretData(s: SecretObj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

/** The data of the Secret or ConfigMap a container refers to, as text; undefined when it does not exist. */
function referencedData(ctx: Pick<EnvContext, 'getConfigMap' | 'getSecret'>, ns: string, name: string, secret: boolean) {
  if (secret) {
    const s = ctx.getSecret(ns, name);
    return s && secretData(s);
  }
  const cm = ctx.getConfigMap(ns, name);
  return cm && configMapData(cm);
}

/**
 * A container's resource through the downward API, as the kubelet computes it: CPU in
 * MilliValue()s, everything else in Value()s, divided by the divisor and rounded up, exactly
 * (bigint: `1001m` over `1m` is 1001, where floats gave 1002). Without a limit: the node's
 * allocatable.
 */
export function resourceValue(ref: ResourceFieldSelector, c: Container, ctx: Pick<EnvContext, 'node'>): string {
  const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
  let v = parseQuantity(c.resources?.[kind]?.[res]);
  if ((!v || v.num === 0n) && kind === 'limits')
    v = parseQuantity(
      res === 'cpu'
        ? ctx.node.cpu
        : res === 'memory'
          ? ctx.node.memory
          : res === 'ephemeral-storage'
            ? ctx.node.ephemeralStorage
            : undefined,
    );
  if (!v) return '0';
  const d = parseQuantity(ref.divisor ?? '1');
  const cpu = res === 'cpu';
  const divisor = d ? (cpu ? quantityMilliValue(d) : quantityValue(d)) : cpu ? 1000n : 1n;
  if (divisor === 0n) return '0';
  return String(ceilDiv(cpu ? quantityMilliValue(v) : quantityValue(v), divisor));
}

export function fieldValue(path: string, ctx: Pick<EnvContext, 'pod' | 'podIPs' | 'hostIP'>): string {
  const pod = ctx.pod;
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as 'labels'] ?? {})[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
    case 'metadata.annotations':
      return Object.entries(pod.metadata[path === 'metadata.labels' ? 'labels' : 'annotations'] ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join('\n');
    case 'spec.nodeName':
      return podSpecOf(pod).nodeName ?? '';
    case 'spec.serviceAccountName':
      return podSpecOf(pod).serviceAccountName ?? '';
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    case 'status.hostIP':
      return ctx.hostIP;
    case 'status.hostIPs':
      return ctx.hostIP;
    default:
      throw new ConfigError(`unsupported fieldRef ${path}`);
  }
}

/** The container's final environment (as a map: a process gets no order). */
export function containerEnv(c: Container, ctx: EnvContext): { env: Record<string, string>; warnings: string[] } {
  const pod = ctx.pod;
  const ns = pod.metadata.namespace ?? 'default';
  const spec = podSpecOf(pod);
  const env: Record<string, string> = {};
  const warnings: string[] = [];
  const links = spec.enableServiceLinks !== false;
  const svcs = ctx.services.filter((s) => links || (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'));
  // default/kubernetes is always visible; a same-named Service in the pod's namespace wins.
  const ordered = [...svcs.filter((s) => s.metadata.namespace !== ns), ...svcs.filter((s) => s.metadata.namespace === ns)];
  Object.assign(env, serviceEnv(ordered));
  // In-cluster clients read these: they point at the API server itself, which needs no proxy and
  // no privileged port (the kubernetes Service's ClusterIP:443 would need both). The named-port
  // variable (the Service's port is "https") must name the same endpoint: clients that build
  // the URL from it (some read KUBERNETES_SERVICE_PORT_HTTPS) would otherwise dial :443. The
  // docker-link variables (KUBERNETES_PORT*) keep describing the Service.
  if (ctx.apiServer) {
    env.KUBERNETES_SERVICE_HOST = ctx.apiServer.host;
    env.KUBERNETES_SERVICE_PORT = String(ctx.apiServer.port);
    env.KUBERNETES_SERVICE_PORT_HTTPS = String(ctx.apiServer.port);
  }
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const isSecret = !!from.secretRef;
    // Validation requires the name (LocalObjectReference's is optional in the type).
    const refName = ref.name ?? '';
    const data = referencedData(ctx, ns, refName, isSecret);
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(`${isSecret ? 'secret' : 'configmap'} "${refName}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data)) {
      const name = prefix + k;
      if (!C_IDENTIFIER.test(name)) invalid.push(k);
      else env[name] = v;
    }
    if (invalid.length)
      warnings.push(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${isSecret ? 'secret' : 'configMap'} ${ns}/${refName} were skipped since they are considered invalid environment variable names.`,
      );
  }
  // env entries may refer to those before them and to the service variables.
  const declared: Record<string, string> = {};
  const lookup = (n: string) => declared[n] ?? env[n];
  for (const e of c.env ?? []) {
    let v: string | undefined;
    const vf = e.valueFrom;
    if (vf?.fieldRef) v = fieldValue(vf.fieldRef.fieldPath, ctx);
    else if (vf?.resourceFieldRef) v = resourceValue(vf.resourceFieldRef, c, ctx);
    else if (vf?.configMapKeyRef || vf?.secretKeyRef) {
      const ref = (vf.configMapKeyRef ?? vf.secretKeyRef)!;
      const isSecret = !!vf.secretKeyRef;
      const refName = ref.name ?? '';
      const data = referencedData(ctx, ns, refName, isSecret);
      if (!data) {
        if (ref.optional) continue;
        throw new ConfigError(`${isSecret ? 'secret' : 'configmap'} "${refName}" not found`);
      }
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new ConfigError(`couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}`);
      }
      v = data[ref.key];
    } else v = expand(e.value ?? '', lookup);
    declared[e.name] = v ?? '';
  }
  Object.assign(env, declared);
  // The runtime's HOSTNAME (containerd sets it to the sandbox's hostname): the Pod's hostname as
  // the container sees it, the host's own with hostNetwork. A declared HOSTNAME wins.
  env.HOSTNAME ??= spec.hostNetwork ? hostname() : podHostname(pod);
  return { env, warnings };
}

/** command + args with `$(VAR)` expanded against the final environment. */
export function containerArgv(c: Container, env: Record<string, string>): string[] {
  const look = (n: string) => env[n];
  return [...(c.command ?? []), ...(c.args ?? [])].map((a) => expand(a, look));
}
