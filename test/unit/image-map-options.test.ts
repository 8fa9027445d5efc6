// The image map given at start (--images FILE, startCluster({ images })): read whole, YAML or
// JSON, and a mistake fails the start naming the flag and the entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError, resolveConfig } from '../../src/config/options.js';
import { loadYAMLParser } from '../../src/apimachinery/yaml/decode.js';

let dir: string;
beforeAll(async () => {
  await loadYAMLParser();
  dir = mkdtempSync(join(tmpdir(), 'tk-images-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--images', () => {
  it('reads a YAML file into the map searched after the ConfigMap', () => {
    const f = join(dir, 'images.yaml');
    writeFileSync(f, 'images:\n- image: registry.example/app\n  entrypoint: [python3, app.py]\n  workingDir: /srv\n');
    expect(resolveConfig({ images: f }).images).toEqual({
      source: `--images ${f}`,
      entries: [{ image: 'registry.example/app', entrypoint: ['python3', 'app.py'], workingDir: '/srv' }],
    });
  });

  it('takes entries from the library call as they are', () => {
    expect(resolveConfig({ images: [{ image: 'nginx', cmd: ['true'] }] }).images).toEqual({
      source: 'startCluster({ images })',
      entries: [{ image: 'nginx', cmd: ['true'] }],
    });
  });

  it('fails the start on a missing file, bad YAML or a bad entry, naming what is wrong', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- image: ok\n  cmd: ["true"]\n- image: Bad\n');
    expect(() => resolveConfig({ images: bad })).toThrow(
      new OptionError(`--images ${bad}: images[1].image: "Bad": invalid reference format: repository name (library/Bad) must be lowercase`),
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '- image: [unclosed\n');
    expect(() => resolveConfig({ images: broken })).toThrow(/^--images .*broken\.yaml: yaml: line \d+:/);
    expect(() => resolveConfig({ images: join(dir, 'nope.yaml') })).toThrow(/^--images: cannot read .*nope\.yaml: ENOENT/);
  });
});
