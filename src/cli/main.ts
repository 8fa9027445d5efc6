#!/usr/bin/env node
// The tinykube command line:
//   up          start a cluster (foreground until Ctrl-C, or --detach into the background)
//   down        stop the cluster of a data dir          status      is it running and ready?
//   kubeconfig  print its kubeconfig                     reset       delete its data dir
//   list        the clusters running on this host        version
// Every error is one line `tinykube: ...` with exit code 1; --verbose adds the stack trace.
import { spawn } from 'node:child_process';
import { existsSync, fchmodSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { get } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, Option, type CommanderError } from 'commander';
// Only what every command needs is imported here: the cluster (and the YAML library, the
// kubeconfig writer) load when a command uses them, so `version` and `--help` start as fast as
// node itself does.
import type { RunningCluster } from '../cluster.js';
import { cliDataDir, DEFAULTS, OptionError, resolveConfig, type StartOptions } from '../config/options.js';
import { defaultDataDir, defaultKubeconfigPath } from '../config/paths.js';
import { VERSION_INFO } from '../base/version.js';
import { claimDataDir, DataDirInUseError, instanceFiles, looksLikeDataDir, releaseDataDir, runningPid, stopProcess } from './instance.js';
import { ensureDataDir } from '../base/files.js';
import { inSingleExecutable, NativeAddonError } from '../base/native.js';
import { PlacementError } from '../config/placement.js';
import { privilegedPortsNotice } from '../base/privileged-ports.js';
import { runningClusters, type ClusterRecord } from '../config/host-registry.js';

const loadYAML = async () => (await import('yaml')).default;

interface UpFlags {
  dataDir?: string;
  inMemory?: boolean;
  detach?: boolean;
  apiListen: string;
  kubeconfig?: string;
  name: string;
  verbose?: boolean;
  serviceCidr?: string;
  secondaryServiceCidr?: string;
  podCidr?: string;
  loadbalancerCidr?: string;
  serviceNodePortRange?: string;
  dnsListen?: string;
  dnsUpstream?: string;
  dnsTtl?: string;
  clusterDomain?: string;
  nodeName?: string;
  zone?: string;
  maxPods?: string;
  podIsolation?: string;
  images?: string;
  authorizationMode?: string;
  maxEndpointsPerSlice?: string;
  nodeportAddresses?: string;
  externalIpAddresses?: string;
  /** false with --no-ingress. */
  ingress: boolean;
  ingressHttpListen?: string;
  ingressHttpsListen?: string;
}

interface DirFlags {
  name: string;
  dataDir?: string;
}

/** A message meant for the user as is (no stack trace even with --verbose). */
class CliError extends Error {}

const VERBOSE = process.argv.includes('--verbose');
/** Set in a child started by `up --detach`: progress and the summary also go to the parent. */
const DETACHED_CHILD = process.env.TINYKUBE_DETACHED_CHILD === '1' && typeof process.send === 'function';
// Not for the Pods' processes, nor a tinykube started in one.
delete process.env.TINYKUBE_DETACHED_CHILD;
const DETACH_READY_TIMEOUT_MS = 60_000;

/** One line for any error: the cause a user can act on, never a stack (unless --verbose). */
function describeError(err: unknown, apiListen?: string): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; flag?: string };
  if (
    err instanceof CliError ||
    err instanceof OptionError ||
    err instanceof PlacementError ||
    err instanceof DataDirInUseError ||
    err instanceof NativeAddonError ||
    e?.flag
  )
    return e.message;
  const where =
    e?.address !== undefined && e.port !== undefined ? `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}` : apiListen;
  if (e?.syscall === 'listen' || e?.code === 'EADDRINUSE') {
    if (e.code === 'EADDRINUSE')
      return `cannot listen on ${where}: address already in use (another tinykube? see tinykube status, or choose another address with --api-listen)`;
    if (e.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need root)`;
    if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: address not available on this host`;
  }
  // better-sqlite3: another process holds state.db's exclusive lock (a start that raced ours).
  if (e?.code === 'SQLITE_BUSY') return 'the data dir is in use by another tinykube (its database is locked)';
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

function exitWithError(err: unknown, apiListen?: string): never {
  if (VERBOSE && err instanceof Error && !(err instanceof CliError)) process.stderr.write(`${err.stack}\n`);
  process.stderr.write(`tinykube: ${describeError(err, apiListen)}\n`);
  process.exit(1);
}

function fail(msg: string): never {
  throw new CliError(msg);
}

function checkPlatform(): void {
  // Pods need Linux's namespaces and /proc; macOS runs the API, DNS and proxy (see README).
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    fail(`unsupported platform ${process.platform}/${process.arch}: tinykube runs on Linux (and on macOS without Pod isolation)`);
  }
}

function dirOf(f: DirFlags): string {
  return resolve(f.dataDir ?? defaultDataDir(f.name));
}

const dirHint = (f: DirFlags) => (f.dataDir ? ` --data-dir ${dirOf(f)}` : f.name !== DEFAULTS.name ? ` --name ${f.name}` : '');

// ---- up ----

function startOptions(f: UpFlags): StartOptions {
  const dataDir = cliDataDir(f.dataDir, !!f.inMemory, f.name);
  return {
    name: f.name,
    dataDir: dataDir === undefined ? undefined : resolve(dataDir),
    apiListen: f.apiListen,
    kubeconfigPath: f.kubeconfig,
    verbose: !!f.verbose,
    serviceCIDR: f.serviceCidr,
    secondaryServiceCIDR: f.secondaryServiceCidr,
    podCIDR: f.podCidr,
    loadBalancerCIDR: f.loadbalancerCidr,
    serviceNodePortRange: f.serviceNodePortRange,
    dnsListen: f.dnsListen,
    dnsUpstream: f.dnsUpstream,
    dnsTTL: f.dnsTtl === undefined ? undefined : Number(f.dnsTtl),
    clusterDomain: f.clusterDomain,
    nodeName: f.nodeName,
    zone: f.zone,
    maxPods: f.maxPods === undefined ? undefined : Number(f.maxPods),
    podIsolation: f.podIsolation,
    images: f.images === undefined ? undefined : resolve(f.images),
    authorizationMode: f.authorizationMode,
    maxEndpointsPerSlice: f.maxEndpointsPerSlice === undefined ? undefined : Number(f.maxEndpointsPerSlice),
    nodePortAddresses: f.nodeportAddresses,
    externalIPAddresses: f.externalIpAddresses,
    ingress: f.ingress,
    ingressHTTPListen: f.ingressHttpListen,
    ingressHTTPSListen: f.ingressHttpsListen,
  };
}

type ChildMessage = { type: 'progress'; line: string } | { type: 'ready'; summary: string };

function tell(msg: ChildMessage): void {
  if (DETACHED_CHILD && process.connected) process.send!(msg);
}

function progress(line: string): void {
  process.stdout.write(`${line}\n`);
  tell({ type: 'progress', line });
}

/**
 * A running `tinykube up` of this name that merged its context into the same kubeconfig: a second
 * one would silently take the context over (and kubectl would talk to the wrong cluster).
 */
function sameContext(
  others: ClusterRecord[],
  name: string,
  kubeconfig: string | undefined,
  self?: { id: string; startedAt: number },
): ClusterRecord | undefined {
  if (!kubeconfig) return undefined;
  return others.find(
    (o) =>
      o.kind === 'cli' &&
      o.name === name &&
      o.kubeconfig === kubeconfig &&
      (!self || (o.id !== self.id && (o.startedAt < self.startedAt || (o.startedAt === self.startedAt && o.id < self.id)))),
  );
}

function nameInUse(o: ClusterRecord, kubeconfig: string): CliError {
  return new CliError(
    `a cluster named "${o.name}" is already running (pid ${o.pid}, ${o.dataDir ? `data dir ${o.dataDir}` : 'in memory'}) with its context in ${kubeconfig}; choose another --name, stop it (tinykube down${o.name !== DEFAULTS.name ? ` --name ${o.name}` : ''}), or pass --kubeconfig FILE to keep this one's kubeconfig apart`,
  );
}

async function up(f: UpFlags, apiListenGiven: boolean): Promise<void> {
  checkPlatform();
  const opts = startOptions(f);
  // Validate every flag before touching the disk or the network.
  resolveConfig(opts, 'cli');
  // The kubeconfig whose context `up` merges (none with --kubeconfig: that file is its own).
  const mergeInto = f.kubeconfig ? undefined : resolve(defaultKubeconfigPath());
  opts.cli = { kubeconfig: mergeInto };
  // 6443 is the default, not a demand: when another cluster (or a real Kubernetes) has it, a free port.
  if (!apiListenGiven) opts.apiFallbackListen = '127.0.0.1:0';
  // The most specific refusal first: what the flags cannot do, the data dir in use, then the name.
  if (f.detach && !opts.dataDir) fail('--detach needs a data dir (its pid file and log live there): drop --in-memory');
  const holder = opts.dataDir ? runningPid(opts.dataDir) : undefined;
  if (holder !== undefined && !DETACHED_CHILD) throw new DataDirInUseError(opts.dataDir!, holder);
  if (mergeInto) {
    const other = sameContext(await runningClusters(), f.name, mergeInto);
    if (other) throw nameInUse(other, mergeInto);
  }

  if (f.detach && !DETACHED_CHILD) return detach(f, opts.dataDir);

  const t0 = performance.now();
  const since = () => `${Math.round(performance.now() - t0)} ms`;
  if (opts.dataDir) {
    ensureDataDir(opts.dataDir);
    claimDataDir(opts.dataDir);
  }
  let cluster: RunningCluster;
  try {
    progress(`Starting tinykube "${f.name}" (${opts.dataDir ? `data dir ${opts.dataDir}` : 'in memory'})`);
    opts.progress = (step) => progress(`  ✓ ${step} (${since()})`);
    const { startCluster } = await import('../cluster.js');
    // A foreground cluster belongs to whoever started it (a CI step, a test runner); --detach's
    // outlives its starter by design.
    opts.stopWithParent = !DETACHED_CHILD;
    opts.onOrphaned = (why) => {
      process.stderr.write(`tinykube: ${why}: stopping\n`);
      stop(0);
    };
    cluster = await startCluster(opts);
  } catch (err) {
    if (opts.dataDir) releaseDataDir(opts.dataDir);
    exitWithError(err, f.apiListen);
  }
  const ms = Math.round(performance.now() - t0);

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    cluster
      .stop()
      .catch((err: Error) => {
        process.stderr.write(`tinykube: error while stopping: ${describeError(err)}\n`);
        code = 1;
      })
      .finally(() => {
        if (opts.dataDir) releaseDataDir(opts.dataDir);
        if (code === 0) process.stdout.write('Stopped.\n');
        process.exit(code);
      });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`tinykube: ${sig} again, exiting now\n`);
      if (opts.dataDir) releaseDataDir(opts.dataDir);
      process.exit(1);
    }
    // Pods get their grace period: say what is happening meanwhile.
    process.stdout.write(`Stopping tinykube "${cluster.name}" (${sig}; again to exit at once)\n`);
    stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  // Two `up` of the same name that started together both passed the check above: the later stops.
  if (mergeInto) {
    const me = (await runningClusters()).find((r) => r.pid === process.pid && r.kind === 'cli');
    const other = me && sameContext(await runningClusters(), f.name, mergeInto, me);
    if (other) {
      process.stderr.write(`tinykube: ${nameInUse(other, mergeInto).message}\n`);
      return stop(1);
    }
  }

  let kubeconfigLine: string;
  try {
    const { mergeKubeconfig, writeKubeconfig } = await import('../config/kubeconfig.js');
    if (opts.dataDir) writeKubeconfig(instanceFiles(opts.dataDir).kubeconfigFile, cluster.kubeconfig);
    if (f.kubeconfig) {
      kubeconfigLine = `${resolve(f.kubeconfig)} (written)`;
    } else {
      const path = defaultKubeconfigPath();
      await mergeKubeconfig(path, { name: cluster.name, server: cluster.server, caPem: cluster.caCert, token: cluster.token });
      kubeconfigLine = `${path} (context "${cluster.name}" merged, now current)`;
    }
  } catch (err) {
    process.stderr.write(`tinykube: cannot write the kubeconfig: ${describeError(err)}\n`);
    return stop(1);
  }
  const c = cluster.config;
  // What could not be bound, said once here: the proxy opens the kubernetes Service's listeners at start.
  await cluster.idle();
  const failed = (await cluster.proxy?.listeners())?.failed ?? [];
  const notes = [
    ...cluster.notices,
    ...(failed.length
      ? [
          `${failed.length} Service listener${failed.length > 1 ? 's' : ''} could not be opened (${failed
            .slice(0, 3)
            .map((l) => `${l.address}:${l.port}/${l.protocol} ${l.code}`)
            .join(', ')}${failed.length > 3 ? ', …' : ''}): kubectl get events -A --field-selector reason=ListenFailed`,
        ]
      : []),
    ...[privilegedPortsNotice()].filter((n): n is string => !!n),
  ];
  const ctx = f.kubeconfig ? `--kubeconfig ${f.kubeconfig}` : `--context ${cluster.name}`;
  const detached = DETACHED_CHILD;
  const summary = [
    `tinykube "${cluster.name}" is up in ${ms} ms`,
    `  API server  ${cluster.server}`,
    `  kubeconfig  ${kubeconfigLine}`,
    `  data        ${opts.dataDir ?? 'in memory (nothing is kept)'}`,
    `  DNS         ${cluster.dns.addresses.join(', ')} (UDP and TCP)${cluster.dns.nameserver ? `; Pods use ${cluster.dns.nameserver}` : `; Pods get Service names in /etc/hosts (${cluster.dns.unavailable ?? 'no port 53 here'})`}`,
    `  Services    ${[c.serviceCIDR, c.secondaryServiceCIDR].filter(Boolean).join(', ')}, NodePorts ${c.nodePortRange.base}-${c.nodePortRange.base + c.nodePortRange.size - 1}`,
    `  Pods        ${c.podCIDR}${cluster.slot ? ` (host slot ${cluster.slot}: other clusters run on this host)` : ''}`,
    ...(cluster.ingress ? [`  Ingress     ${ingressURLs(cluster.ingress).join(', ')} (IngressClass tinykube, the default)`] : []),
    ...notes.map((n) => `  note        ${n}`),
    ``,
    `  kubectl ${ctx} get ns`,
    `  dig @${dnsHostOf(cluster.dns.addresses[0]!)} -p ${cluster.ports.dns} kubernetes.default.svc.${c.clusterDomain}`,
    ``,
    detached
      ? `Stop it with: tinykube down${dirHint(f)}`
      : `Stop it with Ctrl-C${opts.dataDir ? ` (or tinykube down${dirHint(f)} from another terminal); the state stays in the data dir` : ''}.`,
    ``,
  ].join('\n');
  process.stdout.write(summary);
  tell({ type: 'ready', summary });
  if (DETACHED_CHILD) process.disconnect();
}

/** The ingress controller's listeners as URLs (the port left out where it is the scheme's). */
function ingressURLs(a: NonNullable<RunningCluster['ingress']>): string[] {
  const url = (scheme: string, l: { host: string; port: number }, standard: number) =>
    `${scheme}://${l.host.includes(':') ? `[${l.host}]` : l.host}${l.port === standard ? '' : `:${l.port}`}`;
  return [a.http && url('http', a.http, 80), a.https && url('https', a.https, 443)].filter((u): u is string => !!u);
}

/** `up --detach`: the same command again as a background process, its output in the data dir's log. */
async function detach(f: UpFlags, dataDir: string | undefined): Promise<void> {
  if (!dataDir) fail('--detach needs a data dir (its pid file and log live there): drop --in-memory');
  const { logFile, pidFile } = instanceFiles(dataDir);
  const other = runningPid(dataDir);
  if (other !== undefined) throw new DataDirInUseError(dataDir, other);
  ensureDataDir(dataDir);
  const log = openSync(logFile, 'w', 0o600);
  fchmodSync(log, 0o600); // a log left 0644 by an older tinykube is truncated, and made private
  const self = inSingleExecutable() ? [] : [...process.execArgv, process.argv[1]!];
  const args = process.argv.slice(2).filter((a) => a !== '--detach' && a !== '-d');
  const child = spawn(process.execPath, [...self, ...args], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
    env: { ...process.env, TINYKUBE_DETACHED_CHILD: '1' },
  });
  closeSync(log);
  const result = await new Promise<{ ok: boolean }>((done) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      process.stderr.write(`tinykube: the cluster did not become ready within ${DETACH_READY_TIMEOUT_MS / 1000} s; see ${logFile}\n`);
      done({ ok: false });
    }, DETACH_READY_TIMEOUT_MS);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') process.stdout.write(`${m.line}\n`);
      if (m.type === 'ready') {
        clearTimeout(timer);
        process.stdout.write(m.summary.replace(/\n+$/, '\n'));
        process.stdout.write(`Running in the background (pid ${child.pid}, pid file ${pidFile}); log: ${logFile}\n`);
        done({ ok: true });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // The child's own one-line error is the last line of its log.
      const last = lastLine(logFile);
      process.stderr.write(
        last.startsWith('tinykube: ')
          ? `${last}\n`
          : `tinykube: the cluster exited during start (${signal ?? `exit code ${code}`}); see ${logFile}\n`,
      );
      done({ ok: false });
    });
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  process.exit(result.ok ? 0 : 1);
}

function lastLine(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}

/** The host of a `HOST:PORT` / `[HOST]:PORT` address; a wildcard means loopback. */
function dnsHostOf(address: string): string {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'));
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

// ---- down, status, kubeconfig, reset ----

async function down(f: DirFlags & { timeout: string }): Promise<void> {
  const dir = dirOf(f);
  const timeout = Number(f.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) fail(`--timeout: invalid value "${f.timeout}": want a number of seconds`);
  const pid = runningPid(dir);
  if (pid === undefined) {
    process.stdout.write(`tinykube is not running (data dir ${dir})\n`);
    return;
  }
  if (!(await stopProcess(pid, timeout * 1000))) fail(`tinykube (pid ${pid}) did not stop within ${timeout} s; kill -9 ${pid} forces it`);
  process.stdout.write(`stopped tinykube (pid ${pid}); its state stays in ${dir} (tinykube reset${dirHint(f)} deletes it)\n`);
}

interface SavedKubeconfig {
  name: string;
  server: string;
  ca: string;
}

async function savedKubeconfig(dir: string): Promise<SavedKubeconfig | undefined> {
  const file = instanceFiles(dir).kubeconfigFile;
  if (!existsSync(file)) return undefined;
  const YAML = await loadYAML();
  try {
    const kc = YAML.parse(readFileSync(file, 'utf8'));
    const cluster = kc.clusters[0];
    return {
      name: cluster.name,
      server: cluster.cluster.server,
      ca: Buffer.from(cluster.cluster['certificate-authority-data'], 'base64').toString(),
    };
  } catch {
    return undefined;
  }
}

/** GET /readyz (unauthenticated, as on upstream); the status code, or the error's message. */
function readyz(kc: SavedKubeconfig): Promise<string> {
  return new Promise((done) => {
    const req = get(`${kc.server}/readyz`, { ca: kc.ca, timeout: 3000 }, (res) => {
      res.resume();
      done(res.statusCode === 200 ? 'ready' : `not ready (/readyz answered ${res.statusCode})`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (err) => done(`not answering (${describeError(err)})`));
  });
}

async function status(f: DirFlags): Promise<void> {
  const dir = dirOf(f);
  const pid = runningPid(dir);
  const kc = await savedKubeconfig(dir);
  if (pid === undefined) {
    process.stdout.write(
      `tinykube${kc ? ` "${kc.name}"` : ''} is stopped (data dir ${dir}${existsSync(dir) ? '' : ', not created yet'})\n`,
    );
    process.exitCode = 1;
    return;
  }
  const state = kc ? await readyz(kc) : 'starting';
  const { logFile } = instanceFiles(dir);
  process.stdout.write(
    [
      `tinykube${kc ? ` "${kc.name}"` : ''} is running (pid ${pid}), ${state}`,
      ...(kc ? [`  API server  ${kc.server}`] : []),
      `  data        ${dir}`,
      ...(existsSync(logFile) ? [`  log         ${logFile}`] : []),
      '',
    ].join('\n'),
  );
  if (state !== 'ready') process.exitCode = 1;
}

function kubeconfig(f: DirFlags): void {
  const dir = dirOf(f);
  const file = instanceFiles(dir).kubeconfigFile;
  if (!existsSync(file)) fail(`no kubeconfig in ${dir}: start the cluster first (tinykube up${dirHint(f)})`);
  process.stdout.write(readFileSync(file, 'utf8'));
}

/** `tinykube add-user`: a client certificate of the data dir's CA and a kubeconfig that uses it (envtest's AddUser). */
async function addUser(name: string, f: DirFlags & { group: string[]; validDays?: string }): Promise<void> {
  const dir = dirOf(f);
  const file = instanceFiles(dir).kubeconfigFile;
  const ca = join(dir, 'pki', 'ca.crt');
  const key = join(dir, 'pki', 'ca.key');
  if (!existsSync(file) || !existsSync(ca) || !existsSync(key)) fail(`no cluster in ${dir}: start it first (tinykube up${dirHint(f)})`);
  const validDays = f.validDays === undefined ? undefined : Number(f.validDays);
  if (validDays !== undefined && !(Number.isInteger(validDays) && validDays > 0))
    fail(`--valid-days: want a positive number of days, got "${f.validDays}"`);
  const admin = (await loadYAML()).parse(readFileSync(file, 'utf8')) as { clusters: { name: string; cluster: { server: string } }[] };
  const cluster = admin.clusters[0]!;
  const caPem = readFileSync(ca, 'utf8');
  const { issueClientCertificate } = await import('../pki/certs.js');
  const { buildUserKubeconfig } = await import('../config/kubeconfig.js');
  let cert: { certPem: string; keyPem: string };
  try {
    cert = await issueClientCertificate(caPem, readFileSync(key, 'utf8'), { user: name, groups: f.group, validDays });
  } catch (e) {
    fail((e as Error).message);
  }
  process.stdout.write(buildUserKubeconfig({ name: cluster.name, server: cluster.cluster.server, caPem, user: name, ...cert }));
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(question, r));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function reset(f: DirFlags & { yes?: boolean; kubeconfig?: string }): Promise<void> {
  const dir = dirOf(f);
  if (!existsSync(dir)) {
    process.stdout.write(`nothing to reset: ${dir} does not exist\n`);
    return;
  }
  if (!looksLikeDataDir(dir))
    fail(`${dir} does not look like a tinykube data dir (no state.db, pki/ca.crt or tinykube.pid); not deleting it`);
  const pid = runningPid(dir);
  if (pid !== undefined) fail(`tinykube (pid ${pid}) is running on ${dir}: stop it first with tinykube down${dirHint(f)}`);
  if (!f.yes) {
    if (!process.stdin.isTTY) fail(`reset deletes ${dir}: pass --yes to confirm (stdin is not a terminal)`);
    if (!(await confirm(`Delete ${dir} and everything in it (API objects, certificates, Pod logs)? [y/N] `)))
      fail('not confirmed; nothing deleted');
  }
  // Our context in the user's kubeconfig points at this cluster only if its server is the one saved here.
  const kc = await savedKubeconfig(dir);
  const kcPath = f.kubeconfig ?? defaultKubeconfigPath();
  // What reset says it did to the kubeconfig: only what it really did (nothing when the file or
  // our context is not there).
  let contextNote = '';
  if (kc && existsSync(kcPath)) {
    try {
      const doc = (await loadYAML()).parse(readFileSync(kcPath, 'utf8'));
      const entry = (doc?.clusters ?? []).find((c: { name?: string }) => c?.name === kc.name);
      const { removeFromKubeconfig } = await import('../config/kubeconfig.js');
      if (entry?.cluster?.server === kc.server) {
        if (await removeFromKubeconfig(kcPath, kc.name, kc.server)) contextNote = ` and its context "${kc.name}"`;
      } else if (entry) {
        const other = typeof entry.cluster?.server === 'string' ? ` (${entry.cluster.server})` : '';
        contextNote = `; left the context "${kc.name}" in ${kcPath} as it was: it points at another server${other}`;
      }
    } catch (err) {
      process.stderr.write(`tinykube: left ${kcPath} as it was: ${describeError(err)}\n`);
    }
  }
  const { runDirFor } = await import('../kubelet/runtime-dirs.js');
  rmSync(runDirFor(join(dir, 'pods')), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`deleted ${dir}${contextNote}\n`);
}

/** Every cluster running on this host (CLI and library ones, any user's), from the host registry. */
async function list(f: { output?: string }): Promise<void> {
  const all = (await runningClusters()).sort((a, b) => (a.slot ?? 1e9) - (b.slot ?? 1e9) || a.startedAt - b.startedAt);
  if (f.output === 'json') {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return;
  }
  if (f.output !== undefined) fail(`--output: invalid value "${f.output}": want json (or leave it out for a table)`);
  if (!all.length) {
    process.stdout.write('no tinykube cluster is running on this host\n');
    return;
  }
  const rows = [
    ['NAME', 'PID', 'KIND', 'SLOT', 'API SERVER', 'SERVICES', 'PODS', 'NODEPORTS', 'DATA'],
    ...all.map((r) => [
      r.name,
      String(r.pid),
      r.kind,
      r.slot === undefined ? '-' : String(r.slot),
      r.server ?? '(starting)',
      r.ranges.service.join(','),
      r.ranges.pod,
      `${r.ranges.nodePorts.base}-${r.ranges.nodePorts.base + r.ranges.nodePorts.size - 1}`,
      r.dataDir ?? '(in memory)',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(
    rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')).join('\n') + '\n',
  );
}

// ---- commands ----

function versionLine(): string {
  return `tinykube ${VERSION_INFO.gitVersion} (${VERSION_INFO.platform}, node ${process.versions.node}${inSingleExecutable() ? ', single executable' : ''})`;
}

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => (l ? `  ${l}` : '')).join('\n')}\n`;

function dirOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'cluster name; selects the default data dir $XDG_DATA_HOME/tinykube/<name>', DEFAULTS.name)
    .option('--data-dir <dir>', 'the data dir the cluster was started with (overrides --name)');
}

/** Usage errors as one line that says where the help is. */
function oneLineErrors(cmd: Command): Command {
  return cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) =>
      write(`tinykube: ${s.replace(/^error: /, '').trim()} (see tinykube ${cmd.name() === 'tinykube' ? '' : `${cmd.name()} `}--help)\n`),
  });
}

const program = new Command();
program
  .name('tinykube')
  .description('A Kubernetes mini-cluster in one process: the real v1 API, Services, DNS, a service proxy and local processes as Pods.')
  .version(versionLine(), '--version', 'print the version')
  .addHelpText(
    'after',
    examples([
      'tinykube up                  # start a cluster; kubectl now talks to it (Ctrl-C stops it)',
      'kubectl get ns',
      'tinykube up --detach         # start in the background',
      'tinykube status; tinykube down',
      '',
      'Run tinykube <command> --help for the flags of each command.',
    ]),
  );

program
  .command('up')
  .description('start a cluster and serve until interrupted (or in the background with --detach)')
  .addOption(new Option('--data-dir <dir>', 'data directory (default: $XDG_DATA_HOME/tinykube/<name>)'))
  .addOption(new Option('--in-memory', 'keep nothing on disk').conflicts('dataDir'))
  .option('-d, --detach', 'run in the background: pid file and log in the data dir; stop with tinykube down')
  .option(
    '--api-listen <host:port>',
    'API server address; port 0 picks a free port (default 127.0.0.1:6443, a free port when that is taken)',
    '127.0.0.1:6443',
  )
  .option('--kubeconfig <path>', 'write a standalone kubeconfig there (default: merge into $KUBECONFIG or ~/.kube/config)')
  .option('--name <name>', 'cluster, context and user name', DEFAULTS.name)
  .option('--verbose', 'debug logs on stderr, stack traces with errors')
  .option(
    '--service-cidr <cidr[,cidr]>',
    `ClusterIP range (default: the host slot's, ${DEFAULTS.serviceCIDR} for the first cluster on this host)`,
  )
  .option('--secondary-service-cidr <cidr>', 'second ClusterIP range of the other IP family (dual stack)')
  .option('--pod-cidr <cidr>', `Pod IP range (default: the host slot's, ${DEFAULTS.podCIDR} for the first cluster)`)
  .option(
    '--loadbalancer-cidr <cidr>',
    `LoadBalancer ingress IP range (default: the host slot's, ${DEFAULTS.loadBalancerCIDR} for the first cluster)`,
  )
  .option(
    '--service-node-port-range <from-to>',
    `NodePort range (default: the host slot's, ${DEFAULTS.nodePortRange} for the first cluster)`,
  )
  .option('--dns-listen <host:port>', 'cluster DNS address (default: the kube-dns ClusterIP, port 53)')
  .option('--dns-upstream <host:port[,host:port]>', 'resolvers for names outside the cluster domain (default: those of /etc/resolv.conf)')
  .option('--dns-ttl <seconds>', 'TTL of the cluster DNS records (default 5)')
  .option('--cluster-domain <domain>', `cluster DNS domain (default ${DEFAULTS.clusterDomain})`)
  .option('--node-name <name>', 'name of the Node (default: this host name)')
  .option('--zone <zone>', 'topology.kubernetes.io/zone label of the Node')
  .option('--max-pods <n>', 'pod capacity of the Node (default 2000)')
  .option('--max-endpoints-per-slice <n>', 'endpoints per EndpointSlice, 1-1000 (default 100)')
  .option(
    '--nodeport-addresses <cidrs>',
    'CIDRs whose host addresses serve NodePorts, as kube-proxy (default 127.0.0.1/32; 0.0.0.0/0 = every IPv4 address)',
  )
  .option(
    '--external-ip-addresses <cidrs>',
    "CIDRs of this host's non-loopback addresses that Services' externalIPs may be served on (default none: loopback only)",
  )
  .option(
    '--ingress-http-listen <host:port>',
    "the ingress controller's HTTP address (default: the last address of the load-balancer CIDR, port 80, or 8080 without privilege)",
  )
  .option('--ingress-https-listen <host:port>', "the ingress controller's HTTPS address (default: the same address, port 443, or 8443)")
  .option('--no-ingress', 'do not run the built-in ingress controller')
  .option(
    '--pod-isolation <mode>',
    'how Pods get their own mounts, /etc/hosts and resolv.conf: auto, mount (root), userns (unprivileged user namespaces) or none (default auto)',
  )
  .option(
    '--authorization-mode <mode>',
    'AlwaysAllow (every authenticated request) or RBAC (Roles, ClusterRoles and bindings decide; system:masters may do anything) (default AlwaysAllow)',
  )
  .option(
    '--images <file>',
    'image map (YAML or JSON): container images -> programs on this host, searched after ConfigMap kube-system/tinykube-images and before the built-in catalogue',
  )
  .addHelpText(
    'after',
    examples([
      'tinykube up                                   # data in ~/.local/share/tinykube/tinykube, API on 127.0.0.1:6443',
      'tinykube up --detach                          # the same in the background; tinykube down stops it',
      'tinykube up --in-memory --api-listen 127.0.0.1:0 --kubeconfig ./kc.yaml   # throwaway, free port (CI)',
      'tinykube up --name dev --detach               # a second cluster: its own addresses, NodePorts and API port',
    ]),
  )
  .action((f: UpFlags, cmd: Command) => up(f, cmd.getOptionValueSource('apiListen') !== 'default'));

dirOptions(program.command('down'))
  .description('stop the cluster of a data dir (started with up --detach, or in another terminal)')
  .option('--timeout <seconds>', 'how long to wait for it to stop', '30')
  .addHelpText('after', examples(['tinykube down', 'tinykube down --name dev', 'tinykube down --data-dir /tmp/tk']))
  .action((f: DirFlags & { timeout: string }) => down(f));

dirOptions(program.command('status'))
  .description('say whether the cluster of a data dir runs and is ready (exit code 0) or not (1)')
  .addHelpText('after', examples(['tinykube status', 'tinykube status --name dev && kubectl --context dev get pods']))
  .action((f: DirFlags) => status(f));

dirOptions(program.command('kubeconfig'))
  .description('print the kubeconfig of the cluster of a data dir (its last start)')
  .addHelpText(
    'after',
    examples([
      'tinykube kubeconfig > kc.yaml && kubectl --kubeconfig kc.yaml get ns',
      'KUBECONFIG=<(tinykube kubeconfig --name dev) kubectl get svc',
    ]),
  )
  .action((f: DirFlags) => kubeconfig(f));

dirOptions(program.command('add-user'))
  .description("print a kubeconfig for a user: a client certificate of the cluster's CA (CN the user, O each group), as envtest's AddUser")
  .argument('<name>', 'the user name')
  .option(
    '--group <group>',
    'a group of the user (repeat for several; system:masters may do anything)',
    (g: string, all: string[]) => [...all, g],
    [] as string[],
  )
  .option('--valid-days <days>', 'how long the certificate is valid (default 365)')
  .addHelpText(
    'after',
    examples([
      'tinykube add-user jane --group dev > jane.kubeconfig && kubectl --kubeconfig jane.kubeconfig auth whoami',
      'tinykube add-user ci-admin --group system:masters --name dev > admin.kubeconfig',
    ]),
  )
  .action((name: string, f: DirFlags & { group: string[]; validDays?: string }) => addUser(name, f));

dirOptions(program.command('reset'))
  .description('delete a data dir (API objects, certificates, Pod logs) after confirmation, and its kubeconfig context')
  .option('-y, --yes', 'do not ask for confirmation')
  .option('--kubeconfig <path>', 'kubeconfig to remove the context from (default $KUBECONFIG or ~/.kube/config)')
  .addHelpText('after', examples(['tinykube reset', 'tinykube down && tinykube reset --yes && tinykube up --detach   # start over']))
  .action((f: DirFlags & { yes?: boolean; kubeconfig?: string }) => reset(f));

program
  .command('list')
  .description('list the clusters running on this host (any user, CLI or library), with their address ranges')
  .option('-o, --output <format>', 'json for the full records')
  .addHelpText('after', examples(['tinykube list', 'tinykube list -o json']))
  .action((f: { output?: string }) => list(f));

program
  .command('version')
  .description('print the version')
  .addHelpText('after', examples(['tinykube version']))
  .action(() => {
    process.stdout.write(`${versionLine()}\n`);
  });

for (const cmd of [program, ...program.commands]) oneLineErrors(cmd);
program.exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 1));
for (const cmd of program.commands) cmd.exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 1));

// A reader that went away (`tinykube up | head -3`) must not take the cluster down with it.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') exitWithError(err);
});
// Anything thrown later (a bug, a failing socket): one line, not a stack, unless --verbose.
process.on('uncaughtException', (err) => exitWithError(err));
process.on('unhandledRejection', (err) => exitWithError(err));

if (process.argv[2] === 'agnhost') {
  // The built-in agnhost (src/agnhost), run by containers of its image: before anything else loads.
  import('../agnhost/main.js').then(
    (m) => m.runAgnhost(process.argv.slice(3)).then((code) => code !== undefined && process.exit(code)),
    (err: unknown) => exitWithError(err),
  );
} else if (process.argv.length <= 2) {
  program.outputHelp();
} else {
  program.parseAsync(process.argv).catch((err: unknown) => exitWithError(err));
}
