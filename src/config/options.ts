// Options of startCluster() and flags of `tinykube up`, validated once into a ClusterConfig.
// Every malformed value is an error naming the flag, so `tinykube up --service-cidr 10.0.0.0/99`
// says what is wrong instead of failing later somewhere else.
import type { Logger } from 'pino';
import type { Clock } from '../base/clock.js';
import type { ClusterConfig } from './cluster-config.js';
import { parseCIDR, parseIP, nthIP } from '../apimachinery/ipnet.js';
import { hostname } from 'node:os';
import { defaultDataDir } from './paths.js';
import { slotDefaults } from './slots.js';
import { readImageMap, type ImageEntry, type ImageMap } from './images/image-map.js';
import { readFileSync } from 'node:fs';
import { decodeYAML } from '../apimachinery/yaml/decode.js';

export interface StartOptions {
  /** Cluster, context and user name (default `tinykube`). A DNS-1123 label. */
  name?: string;
  /** Data directory (SQLite, PKI, token). Undefined or `memory` = in-memory, nothing on disk. */
  dataDir?: string;
  /** `HOST:PORT` of the API server; port 0 picks a free port (the library default). */
  apiListen?: string;
  /** Write a standalone kubeconfig to this path once ready. */
  kubeconfigPath?: string;
  verbose?: boolean;
  logger?: Logger;
  /**
   * The controllers' clock (default: the wall clock). Tests pass createFakeClock() to drive CronJob
   * schedules, Job deadlines and TTLs and rollout deadlines without waiting.
   */
  clock?: Clock;
  /** Interval of watch BOOKMARK events (default 60 s; tests use less). */
  watchBookmarkIntervalMs?: number;
  /** Deadline of non-long-running API requests, body included (default 60 s as upstream; tests use less). */
  requestTimeoutMs?: number;
  /** `CIDR` or `CIDR,CIDR` (the second of the other family makes the cluster dual-stack). */
  serviceCIDR?: string;
  secondaryServiceCIDR?: string;
  podCIDR?: string;
  loadBalancerCIDR?: string;
  /** `30000-32767` or `30000+2768`. */
  serviceNodePortRange?: string;
  /** `HOST:PORT` of the cluster DNS server. Default: the kube-dns ClusterIP (10th service IP), port 53 for the CLI, a free port for the library. */
  dnsListen?: string;
  /**
   * `HOST:PORT` for DNS when --dns-listen cannot be bound for lack of privilege (port 53 without
   * root). The CLI sets it when --dns-listen was not given; otherwise that failure stops the start.
   */
  dnsFallbackListen?: string;
  /** Upstream resolvers for names outside the cluster domain: `HOST:PORT[,HOST:PORT]` (default: the host's /etc/resolv.conf). */
  dnsUpstream?: string | string[];
  /** TTL in seconds of the cluster DNS records (0-3600, default 5). */
  dnsTTL?: number;
  clusterDomain?: string;
  /** The Node's name (default: this host's name, lowercased to a DNS-1123 subdomain). */
  nodeName?: string;
  /** `topology.kubernetes.io/zone` label of the Node (default none). */
  zone?: string;
  /** The Node's pod capacity (default 2000). */
  maxPods?: number;
  /** CrashLoopBackOff: first delay and cap in ms (upstream 10 s doubling to 5 min; tests shorten it). */
  podBackoff?: { initialMs?: number; maxMs?: number };
  /** How Pods get their own filesystem view: auto (default), mount (root), userns, none. */
  podIsolation?: string;
  /**
   * Image map entries for this cluster (src/config/images/image-map.ts), or the path of a YAML or
   * JSON file with them (`--images FILE`): searched after the ConfigMap kube-system/tinykube-images
   * and before the built-in catalogue.
   */
  images?: ImageEntry[] | string;
  /**
   * `AlwaysAllow` (default: every authenticated request is allowed) or `RBAC`: Roles,
   * ClusterRoles and their bindings decide, as `kube-apiserver --authorization-mode=RBAC`
   * (system:masters, the admin kubeconfig's group, may do anything).
   */
  authorizationMode?: string;
  /** Endpoints per EndpointSlice (upstream --max-endpoints-per-slice, 1–1000, default 100). */
  maxEndpointsPerSlice?: number;
  /** kube-proxy's --nodeport-addresses: CIDRs whose host addresses get NodePorts (default 127.0.0.1/32). */
  nodePortAddresses?: string | string[];
  /**
   * CIDRs of non-loopback host addresses that Services' externalIPs may make tinykube listen on
   * (default none: externalIPs are served on loopback addresses only).
   */
  externalIPAddresses?: string | string[];
  /** Run the service proxy (default true). A test suite that runs its own may turn it off. */
  proxy?: boolean;
  /**
   * Run the built-in ingress controller (default true): Ingresses of IngressClass `tinykube` (the
   * default class, made at start) and of any class whose spec.controller is tinykube.io/ingress.
   */
  ingress?: boolean;
  /**
   * `HOST:PORT` of the ingress controller's HTTP listener. Default: the last address of the
   * load-balancer CIDR, port 80 where the process may bind it, else 8080 (else a free port).
   */
  ingressHTTPListen?: string;
  /** `HOST:PORT` of its HTTPS listener. Default: the same address, port 443, else 8443 (else a free port). */
  ingressHTTPSListen?: string;
  compaction?: Partial<ClusterConfig['compaction']>;
  eventTTLMs?: number;
  /**
   * `HOST:PORT` for the API server when apiListen's port is in use (the CLI's default 6443 held by
   * another cluster); unset, that failure stops the start.
   */
  apiFallbackListen?: string;
  /**
   * Set by `tinykube up`: CLI defaults (the kube-dns ClusterIP on port 53 for DNS), and the
   * kubeconfig whose context it merges (recorded in the host registry: see cli/main.ts).
   */
  cli?: { kubeconfig?: string };
  /**
   * Stop when this process loses its parent (default true): a test runner killed with its workers
   * left behind must not leave clusters running. `tinykube up --detach` turns it off.
   */
  stopWithParent?: boolean;
  /** What to do instead of stop() when the parent is gone (the CLI stops and exits). */
  onOrphaned?: (why: string) => void;
  /** Called after each start step with a short description (the CLI prints them as progress). */
  progress?: (step: string) => void;
}

export const DEFAULTS = {
  name: 'tinykube',
  serviceCIDR: '127.96.0.0/16',
  podCIDR: '127.244.0.0/16',
  loadBalancerCIDR: '127.240.0.0/16',
  nodePortRange: '30000-32767',
  clusterDomain: 'cluster.local',
  // kine keeps the last 1000 revisions; a time horizon keeps an idle-but-churny log small too.
  compaction: { intervalMs: 60_000, maxAgeMs: 10 * 60_000, keepRevisions: 1000 },
  // upstream --event-ttl
  eventTTLMs: 60 * 60_000,
} as const;

export class OptionError extends Error {}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `HOST:PORT` with IPv6 in brackets; host must be an IP address (or empty for all). */
export function parseHostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
  if (!m) throw new OptionError(`${flag}: invalid value "${v}": want HOST:PORT, e.g. 127.0.0.1:6443 or [::1]:6443`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new OptionError(`${flag}: invalid value "${v}": port ${port} is out of range 0-65535`);
  if (host !== '' && host !== 'localhost' && !parseIP(host))
    throw new OptionError(`${flag}: invalid value "${v}": "${host}" is not an IP address`);
  return { host: host === 'localhost' ? '127.0.0.1' : host || '0.0.0.0', port };
}

function cidr(flag: string, v: string) {
  const c = parseCIDR(v.trim());
  if (!c) throw new OptionError(`${flag}: invalid CIDR "${v}": want ADDRESS/PREFIX, e.g. 10.96.0.0/16`);
  if (c.text !== v.trim()) throw new OptionError(`${flag}: invalid CIDR "${v}": host bits are set (did you mean ${c.text}?)`);
  return c;
}

/** `A-B` or `A+N` like kube-apiserver's --service-node-port-range. */
export function parsePortRange(flag: string, v: string): { base: number; size: number } {
  const m = /^(\d{1,5})([-+])(\d{1,5})$/.exec(v.trim());
  if (!m) throw new OptionError(`${flag}: invalid port range "${v}": want FROM-TO, e.g. 30000-32767`);
  const base = Number(m[1]);
  const size = m[2] === '+' ? Number(m[3]) + 1 : Number(m[3]) - base + 1;
  const last = base + size - 1;
  if (base < 1 || last > 65535 || size < 1)
    throw new OptionError(`${flag}: invalid port range "${v}": ports must be within 1-65535 and FROM <= TO`);
  return { base, size };
}

/**
 * Validates the options into a config. Ranges not given come from the host slot (see
 * config/slots.ts): startCluster leases one first; slot 0's are the documented defaults.
 */
export function resolveConfig(o: StartOptions, mode: 'library' | 'cli' = 'library', slot = 0): ClusterConfig {
  const defaults = slotDefaults(slot);
  const name = o.name ?? DEFAULTS.name;
  if (!DNS1123_LABEL.test(name) || name.length > 63) {
    throw new OptionError(
      `--name: invalid value "${name}": must be a lowercase RFC 1123 label (letters, digits, '-'; at most 63 characters)`,
    );
  }
  const api = parseHostPort('--api-listen', o.apiListen ?? (mode === 'cli' ? '127.0.0.1:6443' : '127.0.0.1:0'));

  const svcParts = (o.serviceCIDR ?? defaults.serviceCIDR)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (svcParts.length === 0 || svcParts.length > 2)
    throw new OptionError(`--service-cidr: invalid value "${o.serviceCIDR}": want one CIDR or two of different IP families`);
  const primary = cidr('--service-cidr', svcParts[0]!);
  const secondaryText = o.secondaryServiceCIDR ?? svcParts[1];
  let secondary;
  if (secondaryText) {
    secondary = cidr(o.secondaryServiceCIDR ? '--secondary-service-cidr' : '--service-cidr', secondaryText);
    if (secondary.family === primary.family)
      throw new OptionError(`--service-cidr: "${primary.text}" and "${secondary.text}" must be of different IP families for dual stack`);
  }
  for (const c of [primary, secondary]) {
    if (!c) continue;
    // upstream refuses service CIDRs larger than 2^20 addresses for IPv4 (a /12) and /108 for IPv6.
    const maxBits = 20;
    const bits = (c.family === 4 ? 32 : 128) - c.prefix;
    if (bits > maxBits)
      throw new OptionError(
        `--service-cidr: "${c.text}" is too large: at most /${(c.family === 4 ? 32 : 128) - maxBits} (upstream's limit)`,
      );
    if (c.size < 8n)
      throw new OptionError(`--service-cidr: "${c.text}" is too small: it needs room for the kubernetes and kube-dns Services`);
  }
  if (primary.size < 16n)
    throw new OptionError(`--service-cidr: "${primary.text}" is too small: the kube-dns Service takes the 10th address`);
  const pod = cidr('--pod-cidr', o.podCIDR ?? defaults.podCIDR);
  const lb = cidr('--loadbalancer-cidr', o.loadBalancerCIDR ?? defaults.loadBalancerCIDR);
  void pod;
  void lb;
  const nodePortRange = parsePortRange('--service-node-port-range', o.serviceNodePortRange ?? defaults.nodePortRange);
  const kubeDNS = nthIP(primary, 10n);
  const dns = parseHostPort(
    '--dns-listen',
    o.dnsListen ?? (mode === 'cli' ? `${primary.family === 6 ? `[${kubeDNS}]` : kubeDNS}:53` : '127.0.0.1:0'),
  );
  let dnsUpstream: string[] | undefined;
  if (o.dnsUpstream !== undefined) {
    const parts = (Array.isArray(o.dnsUpstream) ? o.dnsUpstream : o.dnsUpstream.split(',')).map((s) => s.trim()).filter(Boolean);
    if (!parts.length) throw new OptionError(`--dns-upstream: invalid value "${o.dnsUpstream}": want HOST:PORT[,HOST:PORT]`);
    dnsUpstream = parts.map((p) => {
      const u = parseHostPort('--dns-upstream', p);
      if (u.port === 0 || u.host === '0.0.0.0' || u.host === '::')
        throw new OptionError(`--dns-upstream: invalid value "${p}": want the address and port of a resolver`);
      return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
    });
  }
  const dnsTTL = o.dnsTTL ?? 5;
  if (!Number.isInteger(dnsTTL) || dnsTTL < 0 || dnsTTL > 3600)
    throw new OptionError(`--dns-ttl: invalid value "${o.dnsTTL}": must be an integer number of seconds from 0 to 3600`);
  const clusterDomain = o.clusterDomain ?? DEFAULTS.clusterDomain;
  if (!DNS1123_SUBDOMAIN.test(clusterDomain) || clusterDomain.length > 253) {
    throw new OptionError(`--cluster-domain: invalid value "${clusterDomain}": must be a lowercase RFC 1123 subdomain`);
  }
  const nodeName = o.nodeName ?? hostNodeName();
  if (!DNS1123_SUBDOMAIN.test(nodeName) || nodeName.length > 253) {
    throw new OptionError(`--node-name: invalid value "${nodeName}": must be a lowercase RFC 1123 subdomain`);
  }
  if (o.zone !== undefined && !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(o.zone)) {
    throw new OptionError(`--zone: invalid value "${o.zone}": must be a valid label value`);
  }
  const maxPods = o.maxPods ?? 2000;
  if (!Number.isInteger(maxPods) || maxPods < 1)
    throw new OptionError(`--max-pods: invalid value "${o.maxPods}": must be a positive integer`);
  const podBackoff = { initialMs: o.podBackoff?.initialMs ?? 10_000, maxMs: o.podBackoff?.maxMs ?? 300_000 };
  const maxEndpointsPerSlice = o.maxEndpointsPerSlice ?? 100;
  if (!Number.isInteger(maxEndpointsPerSlice) || maxEndpointsPerSlice < 1 || maxEndpointsPerSlice > 1000)
    throw new OptionError(`--max-endpoints-per-slice: invalid value "${o.maxEndpointsPerSlice}": must be between 1 and 1000`);
  const npText =
    o.nodePortAddresses === undefined
      ? ['127.0.0.1/32']
      : (Array.isArray(o.nodePortAddresses) ? o.nodePortAddresses : o.nodePortAddresses.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const c of npText)
    if (!parseCIDR(c))
      throw new OptionError(`--nodeport-addresses: invalid CIDR "${c}": want ADDRESS/PREFIX, e.g. 127.0.0.1/32 or 0.0.0.0/0`);
  if (!npText.length) throw new OptionError(`--nodeport-addresses: invalid value "${o.nodePortAddresses}": want CIDR[,CIDR]`);
  const extText =
    o.externalIPAddresses === undefined
      ? []
      : (Array.isArray(o.externalIPAddresses) ? o.externalIPAddresses : o.externalIPAddresses.split(','))
          .map((s) => s.trim())
          .filter(Boolean);
  for (const c of extText)
    if (!parseCIDR(c))
      throw new OptionError(`--external-ip-addresses: invalid CIDR "${c}": want ADDRESS/PREFIX, e.g. 192.0.2.10/32 or 0.0.0.0/0`);
  const podIsolation = o.podIsolation ?? 'auto';
  if (!['auto', 'mount', 'userns', 'none'].includes(podIsolation))
    throw new OptionError(`--pod-isolation: invalid value "${podIsolation}": must be one of auto, mount, userns, none`);
  const images = o.images === undefined ? undefined : startImageMap(o.images);
  const authorizationMode = o.authorizationMode ?? 'AlwaysAllow';
  if (authorizationMode !== 'AlwaysAllow' && authorizationMode !== 'RBAC')
    throw new OptionError(`--authorization-mode: invalid value "${authorizationMode}": must be AlwaysAllow or RBAC`);
  const compaction = { ...DEFAULTS.compaction, ...o.compaction };
  for (const [k, v] of Object.entries(compaction)) {
    if (!Number.isFinite(v) || v < 0) throw new OptionError(`compaction.${k}: must be a non-negative number`);
  }
  return {
    name,
    dataDir: o.dataDir === 'memory' ? undefined : o.dataDir,
    apiHost: api.host,
    apiPort: api.port,
    serviceCIDR: primary.text,
    secondaryServiceCIDR: secondary?.text,
    podCIDR: pod.text,
    loadBalancerCIDR: lb.text,
    nodePortRange,
    dnsHost: dns.host,
    dnsPort: dns.port,
    dnsUpstream,
    dnsTTL,
    clusterDomain,
    nodeName,
    zone: o.zone,
    maxPods,
    podBackoff,
    podIsolation: podIsolation as ClusterConfig['podIsolation'],
    ...(images ? { images } : {}),
    authorizationMode,
    maxEndpointsPerSlice,
    nodePortAddresses: npText,
    externalIPAddresses: extText,
    proxy: o.proxy ?? true,
    ingress:
      o.ingress === false
        ? false
        : {
            http: listenOption('--ingress-http-listen', o.ingressHTTPListen),
            https: listenOption('--ingress-https-listen', o.ingressHTTPSListen),
          },
    compaction,
    eventTTLMs: o.eventTTLMs ?? DEFAULTS.eventTTLMs,
  };
}

function listenOption(flag: string, v: string | undefined): { host: string; port: number } | undefined {
  return v === undefined ? undefined : parseHostPort(flag, v);
}

/**
 * The map given at start, checked whole: a suite's map with a mistake fails the start, naming the
 * entry, rather than leaving Pods to wait. A file is YAML or JSON (the YAML parser must be loaded:
 * startCluster loads it when `images` names a file).
 */
function startImageMap(images: ImageEntry[] | string): ImageMap {
  let value: unknown = images;
  let source = 'startCluster({ images })';
  if (typeof images === 'string') {
    source = `--images ${images}`;
    let text: string;
    try {
      text = readFileSync(images, 'utf8');
    } catch (e) {
      throw new OptionError(`--images: cannot read ${images}: ${(e as Error).message}`);
    }
    try {
      value = decodeYAML(text);
    } catch (e) {
      throw new OptionError(`--images ${images}: ${(e as Error).message}`);
    }
  }
  const { map, problems } = readImageMap(value, source);
  if (problems.length) throw new OptionError(`${source}: ${problems.join('; ')}`);
  return map;
}

/** The CLI's data dir: the flag, or the XDG default per cluster name; `--in-memory` = none. */
export function cliDataDir(flag: string | undefined, inMemory: boolean, name: string): string | undefined {
  if (inMemory) return undefined;
  return flag ?? defaultDataDir(name);
}

/** The host name as a Node name: kubelet lowercases it; anything outside DNS-1123 becomes '-'. */
export function hostNodeName(): string {
  const h = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return h || 'localhost';
}
