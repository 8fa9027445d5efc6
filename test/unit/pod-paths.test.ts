// The node's own checks on paths an API caller chooses (issue 19, item 4): subPath preparation
// (kubelet makeMounts + pkg/volume/util/subpath), subPathExpr expansion, the atomic writer's
// validatePath, mount points inside a volume.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMountPointWithin, pathWithinBase, prepareSubPath, SubPathError } from '../../src/kubelet/volumes.js';
import { expandSubPathExpr, ConfigError } from '../../src/kubelet/env.js';
import { validatePayloadPath, writeAtomic } from '../../src/kubelet/atomic-writer.js';

let dir: string;
let vol: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-paths-unit-'));
  vol = join(dir, 'vol');
  outside = join(dir, 'outside');
  mkdirSync(vol);
  mkdirSync(outside);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SubPathError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

describe('prepareSubPath', () => {
  it('refuses absolute paths and `..` elements with the kubelet messages, before touching the disk', () => {
    expect(refused(() => prepareSubPath(vol, '/etc', 'm', 'c'))).toBe('error SubPath `/etc` must not be an absolute path');
    expect(refused(() => prepareSubPath(vol, `a/../../${outside.slice(1)}/x`, 'm', 'c'))).toBe(
      `unable to provision SubPath \`a/../../${outside.slice(1)}/x\`: must not contain '..'`,
    );
    expect(refused(() => prepareSubPath(vol, '..', 'm', 'c'))).toBe("unable to provision SubPath `..`: must not contain '..'");
    expect(readdirSync(vol)).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('creates a missing subPath inside the volume with the volume mode, and returns its real path', () => {
    chmodSync(vol, 0o775);
    const p = prepareSubPath(vol, 'a/./b//c', 'm', 'c');
    expect(p).toBe(join(vol, 'a', 'b', 'c'));
    expect(statSync(p).isDirectory()).toBe(true);
    expect(statSync(join(vol, 'a')).mode & 0o777).toBe(0o775);
    expect(statSync(p).mode & 0o777).toBe(0o775);
    // `..`-looking names that are not `..` are ordinary names.
    expect(prepareSubPath(vol, '..a/b..', 'm', 'c')).toBe(join(vol, '..a', 'b..'));
  });

  it('follows symlinks that stay inside the volume (configMap keys are links into ..data)', () => {
    mkdirSync(join(vol, '..2024_01_01'));
    writeFileSync(join(vol, '..2024_01_01', 'key'), 'v');
    symlinkSync('..2024_01_01', join(vol, '..data'));
    symlinkSync('..data/key', join(vol, 'key'));
    expect(prepareSubPath(vol, 'key', 'm', 'c')).toBe(join(vol, '..2024_01_01', 'key'));
  });

  it('refuses a subPath that resolves out of the volume through a symlink, and creates nothing there', () => {
    symlinkSync(outside, join(vol, 'out'));
    symlinkSync('../outside', join(vol, 'rel-out'));
    symlinkSync(join(outside, 'missing'), join(vol, 'dangling'));
    expect(refused(() => prepareSubPath(vol, 'out', 'data', 'main'))).toBe(
      'failed to prepare subPath for volumeMount "data" of container "main"',
    );
    expect(refused(() => prepareSubPath(vol, 'rel-out', 'data', 'main'))).toBe(
      'failed to prepare subPath for volumeMount "data" of container "main"',
    );
    // Missing below the link: SafeMakeDir refuses to create through it.
    expect(refused(() => prepareSubPath(vol, 'out/new', 'data', 'main'))).toBe(
      'failed to create subPath directory for volumeMount "data" of container "main"',
    );
    // A dangling link is not created through either.
    expect(refused(() => prepareSubPath(vol, 'dangling', 'data', 'main'))).toBe(
      'failed to create subPath directory for volumeMount "data" of container "main"',
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a volume that is itself a symlink (hostPath) is resolved first: its inside is the inside', () => {
    symlinkSync(vol, join(dir, 'vol-link'));
    expect(prepareSubPath(join(dir, 'vol-link'), 'x', 'm', 'c')).toBe(join(vol, 'x'));
  });
});

describe('expandSubPathExpr', () => {
  it('expands from the container environment; unset or empty variables are refused (missing value for …, sorted)', () => {
    expect(expandSubPathExpr('$(POD)/$$(LIT)', { POD: 'web-0' })).toBe('web-0/$(LIT)');
    expect(() => expandSubPathExpr('$(B)/$(A)/$(E)', { E: '' })).toThrow(new ConfigError('missing value for A, B, E'));
  });
});

describe('atomic writer payload paths', () => {
  it('validatePath of upstream: empty, absolute, `..` element, leading `..`, long names', () => {
    const msg = (p: string) => {
      try {
        validatePayloadPath(p);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg('a/b')).toBe('ok');
    expect(msg('..a')).toBe("invalid path: must not start with '..': ..a");
    expect(msg('')).toBe('invalid path: must not be empty: ""');
    expect(msg('/etc/passwd')).toBe('invalid path: must be relative path: /etc/passwd');
    expect(msg('a/../../x')).toBe("invalid path: must not contain '..': a/../../x");
    expect(msg('x'.repeat(256))).toBe('invalid path: filenames must be less than or equal to 255 characters');
  });

  it('writes nothing when one path climbs out', () => {
    const target = join(vol, 'cm');
    expect(() =>
      writeAtomic(
        target,
        new Map([
          ['ok', { data: Buffer.from('1'), mode: 0o644 }],
          ['../../outside/pwned', { data: Buffer.from('x'), mode: 0o644 }],
        ]),
      ),
    ).toThrow("invalid path: must not contain '..': ../../outside/pwned");
    expect(existsSync(join(outside, 'pwned'))).toBe(false);
    expect(existsSync(target)).toBe(false);
  });
});

describe('mount points inside a volume', () => {
  it('are made inside it, never through a symlink out of it', () => {
    makeMountPointWithin(vol, 'a/b', false);
    makeMountPointWithin(vol, 'a/f', true);
    expect(statSync(join(vol, 'a', 'b')).isDirectory()).toBe(true);
    expect(statSync(join(vol, 'a', 'f')).isFile()).toBe(true);
    symlinkSync(outside, join(vol, 'out'));
    expect(() => makeMountPointWithin(vol, 'out/m', false)).toThrow(/outside of allowed base/);
    expect(() => makeMountPointWithin(vol, 'out/f', true)).toThrow(/outside of allowed base/);
    symlinkSync(join(outside, 'file'), join(vol, 'link-file'));
    expect(() => makeMountPointWithin(vol, 'link-file', true)).toThrow(/unexpected symlink/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('pathWithinBase', () => {
    expect(pathWithinBase('/a/b', '/a')).toBe(true);
    expect(pathWithinBase('/a', '/a')).toBe(true);
    expect(pathWithinBase('/ab', '/a')).toBe(false);
    expect(pathWithinBase('/a/..b', '/a')).toBe(true);
    expect(pathWithinBase('/', '/a')).toBe(false);
  });
});
