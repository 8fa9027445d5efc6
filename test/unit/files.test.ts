// The one atomic write (src/base/files.ts writeFileAtomic): exact modes whatever the umask, temp
// files of crashed writers removed and never reused, nothing left behind on failure, errors that
// name the target and the OS's cause, directories made with the real cause of a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DataDirError, FileWriteError, makeDirs, writeFileAtomic, writePrivateFile } from '../../src/base/files.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('writeFileAtomic', () => {
  it('writes the exact mode whatever the umask and the mode of the file it replaces', () => {
    const f = join(dir, 'a.crt');
    writeFileSync(f, 'old', { mode: 0o666 });
    chmodSync(f, 0o666);
    const old = process.umask(0o077);
    try {
      writeFileAtomic(f, 'new', { mode: 0o644 });
    } finally {
      process.umask(old);
    }
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(mode(f)).toBe(0o644);
    writePrivateFile(f, Buffer.from('key'));
    expect(readFileSync(f, 'utf8')).toBe('key');
    expect(mode(f)).toBe(0o600);
  });

  it('removes the temp files of writers that crashed, and never reuses what they held', () => {
    const f = join(dir, 'token');
    const dead = spawnSync('true').pid!; // exited: its pid is free
    const crashed = join(dir, `.token.${dead}-k3x9q2.tmp`);
    const live = join(dir, `.token.${process.ppid}-a1b2c3.tmp`); // a writer still running
    for (const t of [crashed, live]) {
      writeFileSync(t, 'x'.repeat(100), { mode: 0o666 });
      chmodSync(t, 0o666);
    }
    writePrivateFile(f, 'abc');
    expect(readFileSync(f, 'utf8')).toBe('abc');
    expect(mode(f)).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([basename(live)]);
    rmSync(live);
  });

  it('makes missing directories with dirMode', () => {
    const f = join(dir, 'x', 'y', 'config');
    writeFileAtomic(f, 'kc', { mode: 0o600, dirMode: 0o755 });
    expect(readFileSync(f, 'utf8')).toBe('kc');
    expect(mode(join(dir, 'x', 'y')) & 0o700).toBe(0o700);
  });

  it('names the target and the OS cause, and leaves no temp file', () => {
    const f = join(dir, 'missing', 'file');
    let err: unknown;
    try {
      writeFileAtomic(f, 'data', { mode: 0o600 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileWriteError);
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as FileWriteError).message).toBe(`cannot write ${f}: no such file or directory (ENOENT)`);
    expect((err as FileWriteError).path).toBe(f);
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');

    // A directory where the file should be: the rename fails after the temp file was written.
    const d = join(dir, 'is-a-dir');
    makeDirs(join(d, 'inside'), 0o700);
    expect(() => writeFileAtomic(d, 'data', { mode: 0o600 })).toThrow(new RegExp(`^cannot write ${d}: .*\\(EISDIR\\)$`));
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('makeDirs throws the real cause, not ENOENT, when a parent cannot be made', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    expect(() => makeDirs(join(file, 'a', 'b'), 0o700)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});
