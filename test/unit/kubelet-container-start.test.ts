// Starting containers and what follows their exit (src/kubelet/container-start.ts), alone: real
// local processes, with a fake tracker and the rest of the runtime as recording fakes. Errors
// before a process exists give the kubelet's waiting reasons or a StartError; an exit follows
// the restart policy with CrashLoopBackOff; output reaches the log file and attached sessions.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { untilPasses } from '../helpers/wait.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { containerExited, startContainer } from '../../src/kubelet/container-start.js';
import { logPath } from '../../src/kubelet/logs.js';
import type { Ctr } from '../../src/kubelet/pod-state.js';
import { ctr, fakeContext, pod, worker } from './kubelet-fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-start-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

function setup(spec: Record<string, unknown>, podSpec: Record<string, unknown> = {}, c: Partial<Ctr> = {}) {
  const f = fakeContext();
  f.rt.config = { ...f.rt.config, podBackoff: { initialMs: 100, maxMs: 1000 } };
  const container = ctr({ name: 'app', image: 'busybox', ...spec }, c);
  const w = worker(pod(podSpec), [container], { dir: join(dir, 'disk'), run: join(dir, 'run') });
  mkdirSync(w.dir, { recursive: true });
  mkdirSync(w.run, { recursive: true });
  w.volumes = new Map();
  return { ...f, c: container, w };
}

const terminated = (c: Ctr) => ('terminated' in c.state ? c.state.terminated : undefined);
const waiting = (c: Ctr) => ('waiting' in c.state ? c.state.waiting : undefined);

describe('startContainer: before a process exists', () => {
  it('waits in ErrImagePull for an image no map knows and no command, then ImagePullBackOff until the back-off ends', async () => {
    vi.useFakeTimers();
    const { rt, c, w, events } = setup({ image: 'registry.example/team/unmapped:1.0', imagePullPolicy: 'IfNotPresent' });
    startContainer(rt, w, c);
    expect(waiting(c)?.reason).toBe('ErrImagePull');
    expect(waiting(c)?.message).toContain('no mapping for image "registry.example/team/unmapped:1.0"');
    expect(waiting(c)?.message).toContain('kubectl edit configmap -n kube-system tinykube-images');
    expect(events.map((e) => `${e.reason}: ${e.message.slice(0, 52)}`)).toEqual([
      'Pulling: Pulling image "registry.example/team/unmapped:1.0"',
      'Failed: Failed to pull image "registry.example/team/unmapped',
      'Failed: Error: ErrImagePull',
    ]);
    expect(rt.markDirty).toHaveBeenCalledWith(w);
    expect(c.proc).toBeUndefined();
    // Within the back-off (100 ms here): ImagePullBackOff, said once.
    startContainer(rt, w, c);
    startContainer(rt, w, c);
    expect(waiting(c)?.reason).toBe('ImagePullBackOff');
    expect(waiting(c)?.message).toMatch(
      /^Back-off pulling image "registry.example\/team\/unmapped:1.0": ErrImagePull: tinykube runs images/,
    );
    expect(events.slice(3).map((e) => e.reason)).toEqual(['BackOff', 'Failed']);
    // Past it: pulled again, and the back-off doubles.
    await vi.advanceTimersByTimeAsync(150);
    startContainer(rt, w, c);
    expect(waiting(c)?.reason).toBe('ErrImagePull');
    expect(c.pull?.backoffMs).toBe(200);
  });

  it('runs a busybox container without a command as the image does: its CMD (sh) with args replacing it', async () => {
    const { rt, c, w, events } = setup({ args: ['sh', '-c', 'echo hello from $0'] });
    startContainer(rt, w, c);
    await untilPasses(() => expect(terminated(c)?.exitCode).toBe(0));
    expect(readFileSync(logPath(w.dir, 'app', 0), 'utf8')).toContain('hello from sh');
    expect(events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    expect(events.find((e) => e.reason === 'Pulled')?.message).toMatch(/Resolved to local program \/.*sh \(the built-in catalogue\)/);
    expect(c.image?.imageID).toMatch(/^docker.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  });

  it('waits in CreateContainerConfigError for a missing ConfigMap, and tries again in 1 s', async () => {
    vi.useFakeTimers();
    const { rt, c, w, events } = setup({
      command: ['true'],
      env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }],
    });
    startContainer(rt, w, c);
    expect(waiting(c)?.reason).toBe('CreateContainerConfigError');
    expect(events.at(-1)?.message).toMatch(/^Error: configmap "missing" not found/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(rt.sync).toHaveBeenCalledWith('ns/p');
    clearTimeout(c.timer);
  });

  it('fails with StartError, as runc words it, when the command or the working directory is not there', () => {
    const { rt, c, w, events } = setup({ command: ['no-such-command-anywhere'] }, { restartPolicy: 'Never' });
    startContainer(rt, w, c);
    expect(terminated(c)).toMatchObject({ exitCode: 128, reason: 'StartError', startedAt: '1970-01-01T00:00:00Z' });
    expect(terminated(c)?.message).toContain('exec: "no-such-command-anywhere": executable file not found in $PATH');
    expect(events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Failed']);
    // Never restarts: the container is done, and the Pod syncs to its phase.
    expect(c.done).toBe(true);
    expect(rt.sync).toHaveBeenCalledWith('ns/p');

    const other = setup({ command: ['true'], workingDir: '/no/such/dir' }, { restartPolicy: 'Never' });
    startContainer(other.rt, other.w, other.c);
    expect(terminated(other.c)?.message).toContain('chdir to cwd ("/no/such/dir") set in config.json failed');
  });
});

describe('startContainer: the process', () => {
  it('runs the command with its environment, logs its output, records its pid, and reports its exit', async () => {
    const { rt, c, w, events } = setup(
      { command: ['sh', '-c', 'echo "hello $GREETING"; echo oops >&2; exit 3'], env: [{ name: 'GREETING', value: 'world' }] },
      { restartPolicy: 'Never' },
    );
    startContainer(rt, w, c);
    expect('running' in c.state).toBe(true);
    expect(c.containerID).toBe('uid-0001-app-0');
    expect(c.env?.TINYKUBE_CONTAINER).toBe('test:uid-0001-aaaa:app:0');
    expect([c.startupOK, c.readyOK]).toEqual([true, true]); // no probes: ready at once
    expect(events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    expect(readFileSync(join(w.dir, 'app.pid'), 'utf8')).toMatch(new RegExp(`^${c.proc!.pid} \\d+\\n$`));
    await untilPasses(() => expect(terminated(c)).toBeDefined());
    expect(terminated(c)).toMatchObject({ exitCode: 3, reason: 'Error', containerID: 'tinykube://uid-0001-app-0' });
    expect(c.proc).toBeUndefined();
    expect(c.done).toBe(true);
    // The log file is written by a stream: its last bytes land shortly after the exit.
    const log = () => readFileSync(logPath(w.dir, 'app', 0), 'utf8');
    await untilPasses(() => expect(log()).toMatch(/ stdout F hello world\n/));
    await untilPasses(() => expect(log()).toMatch(/ stderr F oops\n/));
    // What the main process left behind is killed with it.
    expect(rt.tracker).toMatchObject({
      calls: expect.arrayContaining([{ op: 'kill', ref: expect.objectContaining({ pod: 'uid-0001-aaaa', name: 'app', run: 0 }) }]),
    });
  });

  it('sends the output to attached sessions too', async () => {
    const { rt, c, w } = setup({ command: ['sh', '-c', 'sleep 0.2; echo to-attach'] }, { restartPolicy: 'Never' });
    startContainer(rt, w, c);
    const out = new PassThrough();
    let got = '';
    out.on('data', (d: Buffer) => (got += d.toString()));
    c.attached!.add({ stdout: out });
    await untilPasses(() => expect(terminated(c)).toBeDefined());
    expect(got).toBe('to-attach\n');
  });

  it('reports a death by signal as 128+signal', async () => {
    // `$$$$`: the container's own $(VAR) expansion turns `$$` into `$`.
    const { rt, c, w } = setup({ command: ['sh', '-c', 'kill -TERM $$$$'] }, { restartPolicy: 'Never' });
    startContainer(rt, w, c);
    await untilPasses(() => expect(terminated(c)).toBeDefined());
    expect(terminated(c)).toMatchObject({ exitCode: 143, signal: 15, reason: 'Error' });
  });
});

describe('restarts', () => {
  it('restarts a crashing container at once, then after a back-off that doubles (CrashLoopBackOff)', async () => {
    const { rt, c, w, events } = setup({ command: ['sh', '-c', 'exit 1'] }, { restartPolicy: 'Always' });
    startContainer(rt, w, c);
    await untilPasses(() => expect(terminated(c)).toBeDefined());
    // First exit: no back-off yet, the worker is synced to start it again.
    await untilPasses(() => expect(rt.sync).toHaveBeenCalledWith('ns/p'));
    expect(c.backoffUntil).toBeUndefined();
    expect(c.done).toBeFalsy();
    startContainer(rt, w, c);
    expect(c.restartCount).toBe(1);
    expect(c.containerID).toBe('uid-0001-app-1');
    expect(c.lastState).toMatchObject({ terminated: { exitCode: 1 } });
    await untilPasses(() => expect(waiting(c)?.reason).toBe('CrashLoopBackOff'));
    expect(waiting(c)?.message).toBe('back-off 100ms restarting failed container=app pod=p_ns(uid-0001-aaaa)');
    expect(events.at(-1)).toMatchObject({
      reason: 'BackOff',
      message: 'Back-off restarting failed container app in pod p_ns(uid-0001-aaaa)',
    });
    expect(c.backoffUntil).toBeGreaterThan(Date.now() - 1);
    expect(c.backoffMs).toBe(200);
    vi.mocked(rt.sync).mockClear();
    await untilPasses(() => expect(rt.sync).toHaveBeenCalledWith('ns/p'));
    expect(c.backoffUntil).toBeUndefined();
  });

  it('restarts nothing while the Pod terminates or tinykube stops', () => {
    const exit = { exitCode: 1, reason: 'Error', startedAt: 'T0', finishedAt: 'T1' };
    const { rt, c, w } = setup({}, { restartPolicy: 'Always' });
    w.terminating = Promise.resolve();
    containerExited(rt, w, c, exit);
    expect(terminated(c)?.exitCode).toBe(1);
    const other = setup({}, { restartPolicy: 'Always' });
    other.rt.stopped = true;
    containerExited(other.rt, other.w, other.c, exit);
    for (const x of [{ rt, c }, other]) {
      expect(x.rt.sync).not.toHaveBeenCalled();
      expect(x.c.backoffMs).toBe(0);
      expect(x.c.done).toBeFalsy();
    }
  });

  it('lets an init container that succeeded be done, and syncs for the next one', () => {
    const { rt, c, w } = setup({}, { restartPolicy: 'Always' }, { init: true });
    containerExited(rt, w, c, { exitCode: 0, reason: 'Completed', startedAt: 'T0', finishedAt: 'T1' });
    expect(c.done).toBe(true);
    expect(rt.sync).toHaveBeenCalledWith('ns/p');
  });
});
