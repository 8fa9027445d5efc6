// Container log capture (src/kubelet/logs.ts): CRI-format lines, rotation, and a log file that
// cannot be written costing the lines, never the process.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { captureLogs } from '../../src/kubelet/logs.js';
import { until } from '../helpers/wait.js';

const dirs: string[] = [];
const linesOf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tinykube-logs-'));
  dirs.push(d);
  return d;
};

describe('captureLogs', () => {
  it('writes CRI lines: stream, F for a full line, P for a partial one at close', async () => {
    const file = join(tempDir(), 'c', '0.log');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const cap = captureLogs(file, { stdout, stderr });
    stdout.write('one\ntw');
    stderr.write('err\n');
    await until(() => linesOf(file) === 2, { what: 'the two full lines' });
    cap.close();
    await until(() => linesOf(file) === 3, { what: 'the partial line at close' });
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.split(' ').slice(1).join(' '));
    expect(lines).toEqual(['stdout F one', 'stderr F err', 'stdout P tw']);
  });

  it('reports a log file it cannot open instead of throwing an uncaught error', async () => {
    const dir = tempDir();
    const file = join(dir, '0.log');
    // The log path is a directory: opening it for append fails (EISDIR) after the call returns.
    mkdirSync(file);
    const errors: Error[] = [];
    const stdout = new PassThrough();
    const cap = captureLogs(file, { stdout, stderr: null }, undefined, (e) => errors.push(e));
    stdout.write('lost\n');
    await until(() => errors.length > 0, { what: 'the open error reported' });
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('EISDIR');
    cap.close();
  });

  it('rotates past maxBytes and reports a rotation that fails', async () => {
    const dir = tempDir();
    const file = join(dir, '0.log');
    const errors: Error[] = [];
    const stdout = new PassThrough();
    const cap = captureLogs(file, { stdout, stderr: null }, 200, (e) => errors.push(e));
    stdout.write('x'.repeat(150) + '\n');
    await until(() => linesOf(file) === 1, { what: 'the first line written' });
    // The directory goes away: the rename of the full file fails and is reported.
    rmSync(dir, { recursive: true, force: true });
    stdout.write('y'.repeat(150) + '\n');
    await until(() => errors.length > 0, { what: 'the rotation error reported' });
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toContain('ENOENT');
    cap.close();
  });
});
