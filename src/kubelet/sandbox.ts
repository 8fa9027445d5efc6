// A Pod's view of the filesystem without a container runtime: each container process starts in
// a private mount (and UTS) namespace made by util-linux `unshare` — as root directly, otherwise
// inside an unprivileged user namespace (`unshare -Urm`, the process is uid 0 of its own
// namespace). One `mount -a -T <fstab>` then puts the volumes at their mountPath and the Pod's own
// /etc/hosts and /etc/resolv.conf in place, the hostname becomes the Pod's, and the command is
// exec'd. A mountPath whose directory does not exist on the host is made visible by a read-only
// overlay of its nearest existing parent with a small skeleton directory, so nothing is created
// on the host (a missing directory right under `/` is the exception: root creates it, empty).
// Hosts that allow neither get 'none': volumes stay under the Pod directory and an event says so.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync, closeSync, openSync } from 'node:fs';
import { delimiter, dirname, join, posix } from 'node:path';
import type { HostAlias } from '../api/generated/core/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import { makeMountPointWithin } from './volumes.js';
import { podSpecOf } from './env.js';

export type Isolation = 'mount' | 'userns' | 'none';

/** Absolute paths: the container's own PATH decides nothing about our tools. */
export interface SandboxTools {
  unshare: string;
  setpriv: string;
  mount: string;
  sh: string;
  nsenter?: string;
  hostname?: string;
}

export interface IsolationInfo {
  mode: Isolation;
  reason: string;
  tools?: SandboxTools;
}

export function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

function probe(argv: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}

/** What this host allows, tried in order of preference: root's mount namespace, a user namespace, nothing. */
export async function detectIsolation(wanted: Isolation | 'auto' = 'auto'): Promise<IsolationInfo> {
  if (wanted === 'none') return { mode: 'none', reason: 'pod isolation is turned off (--pod-isolation none)' };
  const [unshare, setpriv, mount, sh] = ['unshare', 'setpriv', 'mount', 'sh'].map(which);
  if (!unshare || !setpriv || !mount || !sh) return { mode: 'none', reason: 'util-linux unshare, mount and setpriv are not all on PATH' };
  const tools: SandboxTools = { unshare, setpriv, mount, sh, nsenter: which('nsenter'), hostname: which('hostname') };
  const isRoot = process.getuid?.() === 0;
  if (
    (wanted === 'auto' || wanted === 'mount') &&
    isRoot &&
    (await probe([unshare, '--mount', '--uts', '--propagation', 'private', '--', 'true']))
  )
    return { mode: 'mount', reason: 'root', tools };
  if ((wanted === 'auto' || wanted === 'userns') && (await probe([unshare, '-Urm', '--uts', '--', 'true'])))
    return { mode: 'userns', reason: 'unprivileged user namespaces', tools };
  return {
    mode: 'none',
    reason: isRoot
      ? 'unshare --mount is refused here (no CAP_SYS_ADMIN?)'
      : 'not root and unprivileged user namespaces are not allowed (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces, or an AppArmor restriction)',
  };
}

// ---- the Pod's /etc/hosts and /etc/resolv.conf ----

/** The kubelet's managed hosts file (pkg/kubelet managedHostsFileContent). */
export function hostsFile(opts: { ips: string[]; hostname: string; domain?: string; aliases?: HostAlias[] }): string {
  let s =
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  for (const ip of opts.ips) s += opts.domain ? `${ip}\t${opts.hostname}.${opts.domain}\t${opts.hostname}\n` : `${ip}\t${opts.hostname}\n`;
  return s + hostAliasesBlock(opts.aliases);
}

/**
 * The fallback when the cluster DNS cannot serve Pods (it needs port 53: resolv.conf has no port):
 * the ClusterIP Services of the cluster as hosts entries, under the names a ClusterFirst resolver
 * would find (`name.ns.svc.<domain>`, `name.ns.svc`, `name.ns`, and the bare `name` in the Pod's
 * own namespace). Headless and ExternalName Services have no single address and are left out.
 */
export function serviceHostsBlock(services: ServiceObj[], podNamespace: string, domain: string): string {
  const lines: string[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') continue;
    const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    const name = svc.metadata.name!;
    const ns = svc.metadata.namespace ?? 'default';
    const names = [`${name}.${ns}.svc.${domain}`, `${name}.${ns}.svc`, `${name}.${ns}`, ...(ns === podNamespace ? [name] : [])];
    for (const ip of ips) if (ip && ip !== 'None') lines.push(`${ip}\t${names.join('\t')}`);
  }
  if (!lines.length) return '';
  return `\n# Cluster Services (tinykube: the cluster DNS cannot serve this Pod on port 53).\n${lines.join('\n')}\n`;
}

/** hostAliases as the kubelet appends them (to its own file, or to the host's for host networking). */
export function hostAliasesBlock(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options')
      for (const o of rest)
        r.options.push(o.includes(':') ? { name: o.slice(0, o.indexOf(':')), value: o.slice(o.indexOf(':') + 1) } : { name: o });
  }
  return r;
}

export function formatResolvConf(r: ResolvConf): string {
  let s = '';
  if (r.searches.length) s += `search ${r.searches.join(' ')}\n`;
  for (const n of r.nameservers) s += `nameserver ${n}\n`;
  if (r.options.length) s += `options ${r.options.map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)).join(' ')}\n`;
  return s;
}

/**
 * The Pod's resolv.conf by dnsPolicy (kubelet pkg/kubelet/network/dns GetPodDNS). `cluster` is the
 * cluster DNS server once it serves; without it ClusterFirst falls back to the host's resolvers.
 */
/** Whether the Pod's effective dnsPolicy is ClusterFirst (the kubelet's rules for hostNetwork). */
export function wantsClusterDNS(pod: PodObj): boolean {
  const spec = podSpecOf(pod);
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  return policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork);
}

export function podResolvConf(pod: PodObj, host: ResolvConf, cluster?: { nameserver: string; domain: string }): ResolvConf {
  const spec = podSpecOf(pod);
  const ns = pod.metadata.namespace ?? 'default';
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let r: ResolvConf;
  if (policy === 'None') r = { nameservers: [], searches: [], options: [] };
  else if (policy === 'ClusterFirst' && cluster) {
    const d = cluster.domain;
    r = {
      nameservers: [cluster.nameserver],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches.filter((s) => ![`${ns}.svc.${d}`, `svc.${d}`, d].includes(s))],
      options: [{ name: 'ndots', value: '5' }],
    };
  } else r = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  const c = spec.dnsConfig;
  if (c) {
    for (const n of c.nameservers ?? []) if (!r.nameservers.includes(n)) r.nameservers.push(n);
    for (const s of c.searches ?? []) if (!r.searches.includes(s)) r.searches.push(s);
    for (const o of c.options ?? []) {
      // Validation requires the name (PodDNSConfigOption's is optional in the type).
      const opt = { ...o, name: o.name ?? '' };
      const i = r.options.findIndex((x) => x.name === opt.name);
      if (i >= 0) r.options[i] = opt;
      else r.options.push(opt);
    }
  }
  // glibc reads at most 3 nameservers and 32 search domains (kubelet trims the same way).
  r.nameservers = r.nameservers.slice(0, 3);
  r.searches = r.searches.slice(0, 32);
  return r;
}

// ---- mounts ----

export interface Mount {
  /** Host path (a directory, or a file for subPath files and /etc/hosts). */
  source: string;
  /** Path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface MountPlan {
  fstab: string;
  /** Targets that cannot be made visible here, with the reason. */
  skipped: { target: string; reason: string }[];
}

const fstabEscape = (p: string) => p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

function existingPrefix(p: string): string {
  let cur = p;
  while (cur !== '/' && !existsSync(cur)) cur = dirname(cur);
  return cur;
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The fstab one `mount -a` runs inside the container's namespace. `skelDir` is a directory of the
 * Pod's own where overlay skeletons go; `mayCreateTopLevel` is true for root, who also gets
 * writable overlays (`writable`): a missing mount point under /run (the service account token's)
 * must not make /run read-only for a server that writes its pid file there (nginx).
 */
export function planMounts(mounts: Mount[], skelDir: string, mayCreateTopLevel: boolean, writable = false): MountPlan {
  const skipped: MountPlan['skipped'] = [];
  // Parents first, so a mount inside another volume lands in that volume.
  const ordered = [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  const binds: string[] = [];
  const missing: { root: string; rest: string; file: boolean }[] = [];
  const mountedTargets: { target: string; source: string }[] = [];
  for (const m of ordered) {
    const file = isFile(m.source);
    const target = posix.normalize(m.target);
    const parent = mountedTargets.filter((t) => target.startsWith(`${t.target}/`)).sort((a, b) => b.target.length - a.target.length)[0];
    if (parent) {
      // Inside an earlier volume: the mount point is made in that volume (as the kubelet does).
      // Made without leaving that volume: a symlink the Pod put in it is not followed out to the host.
      try {
        makeMountPointWithin(parent.source, target.slice(parent.target.length + 1), file);
      } catch (e) {
        skipped.push({ target, reason: (e as Error).message });
        continue;
      }
    } else if (!existsSync(target)) {
      const prefix = existingPrefix(target);
      const real = realpathSync(prefix);
      const rest = target.slice(prefix === '/' ? 1 : prefix.length + 1);
      if (real === '/') {
        if (!mayCreateTopLevel) {
          skipped.push({ target, reason: `${target} does not exist on this host and only root may create it under /` });
          continue;
        }
        try {
          if (file) {
            mkdirSync(dirname(target), { recursive: true });
            closeSync(openSync(target, 'a'));
          } else mkdirSync(target, { recursive: true });
        } catch (e) {
          skipped.push({ target, reason: (e as Error).message });
          continue;
        }
      } else missing.push({ root: real, rest, file });
    } else if (isFile(target) !== file) {
      skipped.push({ target, reason: `cannot mount a ${file ? 'file' : 'directory'} over the ${file ? 'directory' : 'file'} ${target}` });
      continue;
    }
    mountedTargets.push({ target, source: m.source });
    binds.push(`${fstabEscape(m.source)} ${fstabEscape(target)} none ${m.readOnly ? 'bind,ro' : 'bind'} 0 0`);
  }
  // One overlay per outermost missing parent: the host's directory plus a skeleton holding the
  // missing mount points; read-only, or (root) with a layer of the container's own on top, as a
  // container's root filesystem is writable: its writes stay in the Pod's directory, never the host's.
  const roots = [...new Set(missing.map((m) => m.root))]
    .sort((a, b) => a.length - b.length)
    .filter((r, i, all) => !all.slice(0, i).some((o) => r.startsWith(`${o}/`)));
  const overlays: string[] = [];
  roots.forEach((root, i) => {
    const skel = join(skelDir, String(i));
    for (const m of missing.filter((x) => x.root === root || x.root.startsWith(`${root}/`))) {
      const p = join(skel, m.root.slice(root.length), m.rest);
      if (m.file) {
        mkdirSync(dirname(p), { recursive: true });
        if (!existsSync(p)) writeFileSync(p, '');
      } else mkdirSync(p, { recursive: true });
    }
    const esc = (s: string) => s.replace(/[\\:,]/g, (c) => `\\${c}`);
    let options = `lowerdir=${esc(skel)}:${esc(root)}`;
    if (writable) {
      const upper = join(skelDir, `${i}.upper`);
      const work = join(skelDir, `${i}.work`);
      mkdirSync(upper, { recursive: true });
      mkdirSync(work, { recursive: true });
      options += `,upperdir=${esc(upper)},workdir=${esc(work)}`;
    }
    overlays.push(`overlay ${fstabEscape(root)} overlay ${fstabEscape(options)} 0 0`);
  });
  return { fstab: [...overlays, ...binds].join('\n') + '\n', skipped };
}

/** argv that starts `argv` in a new mount+UTS namespace after mounting `fstabPath`. */
export function sandboxArgv(iso: IsolationInfo, o: { fstabPath: string; hostname?: string; cwd: string; argv: string[] }): string[] {
  const t = iso.tools!;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const steps = [`${q(t.mount)} -n -a -T ${q(o.fstabPath)} || exit 125`];
  // /proc works for real root; inside a user namespace only sethostname(2) does.
  if (o.hostname)
    steps.push(
      `{ echo ${q(o.hostname)} > /proc/sys/kernel/hostname || ${t.hostname ? q(t.hostname) : 'hostname'} ${q(o.hostname)}; } 2>/dev/null`,
    );
  steps.push(`cd -- ${q(o.cwd)} || exit 126`, 'exec "$@"');
  const uts = o.hostname ? ['--uts'] : [];
  const ns = iso.mode === 'mount' ? [t.unshare, '--mount', '--propagation', 'private', ...uts] : [t.unshare, '-Urm', ...uts];
  // pdeathsig is set inside the namespace: entering a user namespace clears it.
  return [...ns, '--', t.setpriv, '--pdeathsig', 'KILL', '--', t.sh, '-c', steps.join('; '), 'sh', ...o.argv];
}

/**
 * argv that runs `argv` inside the namespaces of a running container process (exec probes, hooks,
 * exec), dying with tinykube: nsenter execs without forking (no PID namespace is entered), so the
 * process stays tinykube's child, and its death signal is set inside, as entering a user
 * namespace clears it.
 */
export function enterArgv(iso: IsolationInfo, pid: number, argv: string[]): string[] | undefined {
  if (iso.mode === 'none' || !iso.tools?.nsenter) return undefined;
  // --wd without a path: the container's own working directory (a path given here would be
  // resolved on the host, before entering). A user namespace made by `unshare -Ur` denies
  // setgroups(2), which nsenter calls to become its uid 0 unless told to keep our credentials
  // (our uid is that uid 0 there anyway).
  const user = iso.mode === 'userns' ? ['-U', '--preserve-credentials'] : [];
  return [iso.tools.nsenter, '-t', String(pid), '-m', '-u', ...user, '--wd', '--', iso.tools.setpriv, '--pdeathsig', 'KILL', '--', ...argv];
}

/** The host's resolv.conf, read once per call (it may change under us on laptops). */
export function hostResolvConf(): ResolvConf {
  try {
    return parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}
