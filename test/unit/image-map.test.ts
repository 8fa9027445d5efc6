// The image map (src/config/images) and how the kubelet reads it (src/kubelet/images.ts):
// patterns over normalized references, the map's format and its problems, the search order
// (maps, then the built-in catalogue), and upstream's command/args rules.
import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/apimachinery/image-reference.js';
import { IMAGE_MAP_TEMPLATE, patternMatches, patternProblem, readImageMap } from '../../src/config/images/image-map.js';
import { decodeWithoutYAMLParser } from '../../src/kubelet/image-maps.js';
import { NOT_JSON } from '../../src/apimachinery/yaml/decode.js';
import { CATALOGUE } from '../../src/config/images/catalogue.js';
import { composeCommand, resolveImage, withImageEnv, type ResolveDeps } from '../../src/kubelet/images.js';

const ref = (s: string) => parseImageReference(s);

describe('image patterns', () => {
  it('name the same image however a manifest spells it, as upstream normalises references', () => {
    for (const r of [
      'nginx',
      'nginx:1.27',
      'docker.io/library/nginx:1.27',
      'index.docker.io/library/nginx',
      'library/nginx@sha256:' + 'a'.repeat(64),
    ])
      expect(patternMatches('nginx', ref(r)), r).toBe(true);
    expect(patternMatches('docker.io/library/nginx', ref('nginx:1.27'))).toBe(true);
    expect(patternMatches('nginx', ref('someone/nginx'))).toBe(false);
    expect(patternMatches('nginx', ref('registry.example/nginx'))).toBe(false);
  });

  it('with a tag match that tag only (no tag is latest); with a digest that digest', () => {
    expect(patternMatches('nginx:1.27', ref('nginx:1.27'))).toBe(true);
    expect(patternMatches('nginx:1.27', ref('nginx:1.26'))).toBe(false);
    expect(patternMatches('nginx:latest', ref('nginx'))).toBe(true);
    expect(patternMatches('nginx:1.27', ref('nginx'))).toBe(false);
    const d = 'sha256:' + 'b'.repeat(64);
    expect(patternMatches(`nginx@${d}`, ref(`nginx@${d}`))).toBe(true);
    expect(patternMatches(`nginx@${d}`, ref('nginx:1.27'))).toBe(false);
  });

  it('take * in names and tags, and a bare * for everything', () => {
    expect(patternMatches('registry.example/team/*', ref('registry.example/team/app:v1'))).toBe(true);
    expect(patternMatches('registry.example/team/*', ref('registry.example/other/app'))).toBe(false);
    expect(patternMatches('python:3.*', ref('python:3.12-slim'))).toBe(true);
    expect(patternMatches('python:3.*', ref('python:2.7'))).toBe(false);
    expect(patternMatches('someone/*', ref('someone/tool'))).toBe(true);
    expect(patternMatches('*', ref('quay.io/x/y:z'))).toBe(true);
    expect(patternMatches('*/agnhost', ref('registry.k8s.io/e2e-test-images/agnhost:2.52'))).toBe(true);
  });

  it('that are not references say why, with the reference library words', () => {
    expect(patternProblem('Nginx')).toContain('must be lowercase');
    expect(patternProblem('nginx::1')).toContain('invalid reference format');
    expect(patternProblem('nginx$*')).toContain('invalid image pattern');
    expect(patternProblem('nginx')).toBeUndefined();
  });
});

describe('readImageMap', () => {
  it('reads a list or { images: [...] }, env as a mapping or KEY=value strings', () => {
    const { map, problems } = readImageMap(
      { images: [{ image: 'nginx', entrypoint: ['python3', '-m', 'http.server'], cmd: ['80'], env: ['A=1=2'], volumes: ['/data'] }] },
      'test',
    );
    expect(problems).toEqual([]);
    expect(map.entries[0]).toEqual({
      image: 'nginx',
      entrypoint: ['python3', '-m', 'http.server'],
      cmd: ['80'],
      env: { A: '1=2' },
      volumes: ['/data'],
    });
    expect(readImageMap([{ image: 'x', env: { B: 'c' } }], 't').map.entries[0]!.env).toEqual({ B: 'c' });
    expect(readImageMap(null, 't').map.entries).toEqual([]);
  });

  it('keeps the good entries and names each problem of the others', () => {
    const { map, problems } = readImageMap(
      [
        { image: 'good', cmd: ['true'] },
        { cmd: 'true' },
        { image: 'x', volumes: ['data'], ports: [0], stopSignal: 'SIGFOO', rootfs: '/srv/root', colour: 'red' },
        'nope',
      ],
      't',
    );
    expect(map.entries.map((e) => e.image)).toEqual(['good']);
    expect(problems).toEqual([
      'images[1].image: required: an image reference or pattern',
      'images[1].cmd: must be a list of strings',
      expect.stringMatching(/^images\[2\]\.colour: unknown field/),
      'images[2].volumes: "data": must be an absolute path',
      'images[2].ports: must be a list of port numbers (1-65535)',
      expect.stringMatching(/^images\[2\]\.stopSignal: must be one of SIGHUP/),
      'images[2].rootfs: not supported yet: tinykube runs host programs and does not unpack image layers',
      'images[3]: must be an object',
    ]);
    expect(readImageMap('text', 't').problems).toEqual(['must be a list of image entries (or an object with a list `images`)']);
  });
});

describe('resolveImage', () => {
  const deps = (o: Partial<ResolveDeps> = {}): ResolveDeps => ({ maps: [], path: '/usr/local/bin:/usr/bin:/bin', self: true, ...o });

  it('searches the maps in order, then the catalogue', () => {
    const first = readImageMap([{ image: 'busybox', cmd: ['true'] }], 'first').map;
    const second = readImageMap([{ image: 'busybox', cmd: ['false'] }], 'second').map;
    const r = resolveImage('busybox:1.36', { name: 'c' }, deps({ maps: [first, second] }));
    expect(r).toMatchObject({ ok: true, image: { source: 'first', name: 'docker.io/library/busybox:1.36', entry: { cmd: ['true'] } } });
    const c = resolveImage('busybox', { name: 'c' }, deps());
    expect(c).toMatchObject({ ok: true, image: { source: 'the built-in catalogue', entry: { cmd: ['sh'] } } });
    if (c.ok) expect(c.image.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  });

  it('waits for a mapped program that is not on this host, naming the image, the map, the program and the PATH', () => {
    const map = readImageMap([{ image: 'myapp', entrypoint: ['no-such-program-here'] }], 'ConfigMap kube-system/tinykube-images').map;
    const r = resolveImage('myapp', { name: 'c' }, deps({ maps: [map] }));
    expect(r).toEqual({
      ok: false,
      reason: 'ErrImagePull',
      eventReason: 'Failed',
      message:
        'image "docker.io/library/myapp:latest" is mapped by ConfigMap kube-system/tinykube-images (entry "myapp") to program "no-such-program-here", which is not on this host (looked on PATH /usr/local/bin:/usr/bin:/bin): install it, or change the entry',
    });
    // The container's own command needs nothing of the image.
    expect(resolveImage('myapp', { name: 'c', command: ['true'] }, deps({ maps: [map] })).ok).toBe(true);
  });

  it('says which catalogue programs were looked for when none is here', () => {
    const r = resolveImage('nginx:1.27', { name: 'c' }, deps({ path: '/nonexistent' }));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.message).toBe(
        'image "docker.io/library/nginx:1.27" is in tinykube\'s built-in catalogue, but its program is not on this host (looked for nginx on PATH /nonexistent): install it, or map it in ConfigMap kube-system/tinykube-images (kubectl edit configmap -n kube-system tinykube-images)',
      );
  });

  it('runs an unknown image with a command as written; without one it names every place searched', () => {
    expect(resolveImage('registry.example/app:v1', { name: 'c', command: ['true'] }, deps())).toMatchObject({
      ok: true,
      image: { entry: { image: 'registry.example/app:v1' } },
    });
    const r = resolveImage('registry.example/app:v1', { name: 'c' }, deps({ maps: [{ source: '--images suite.yaml', entries: [] }] }));
    if (r.ok) throw new Error('resolved');
    expect(r.message).toContain('no mapping for image "registry.example/app:v1" (searched --images suite.yaml, the built-in catalogue)');
  });

  it('gives InvalidImageName with the kubelet words for a reference that does not parse', () => {
    expect(resolveImage('Nginx', { name: 'c' }, deps())).toEqual({
      ok: false,
      reason: 'InvalidImageName',
      eventReason: 'InspectFailed',
      message:
        'Failed to apply default image tag "Nginx": couldn\'t parse image name "Nginx": invalid reference format: repository name (library/Nginx) must be lowercase',
    });
  });

  it('runs agnhost as tinykube itself, and only where tinykube can be run', () => {
    expect(resolveImage('registry.k8s.io/e2e-test-images/agnhost:2.52', { name: 'c', args: ['netexec'] }, deps())).toMatchObject({
      ok: true,
    });
    expect(resolveImage('registry.k8s.io/e2e-test-images/agnhost:2.52', { name: 'c' }, deps({ self: false })).ok).toBe(false);
  });

  it('has every catalogue image the issue names', () => {
    for (const image of [
      'busybox',
      'alpine',
      'nginx',
      'httpd',
      'redis',
      'memcached',
      'postgres',
      'mysql',
      'mariadb',
      'python',
      'node',
      'registry.k8s.io/pause',
      'registry.k8s.io/e2e-test-images/agnhost',
    ])
      expect(
        CATALOGUE.some((e) => patternMatches(e.image, ref(image))),
        image,
      ).toBe(true);
  });
});

describe('composeCommand: upstream command and args rules', () => {
  const entry = { image: 'x', entrypoint: ['/entry'], cmd: ['default'], paths: { '/agnhost': ['@tinykube', 'agnhost'] } };
  const id = (s: string) => s;
  it.each([
    [{}, ['/entry', 'default']],
    [{ command: ['run'] }, ['run']],
    [{ args: ['a', 'b'] }, ['/entry', 'a', 'b']],
    [{ command: ['run'], args: ['a'] }, ['run', 'a']],
  ])('%j -> %j', (c, want) => expect(composeCommand(entry, { name: 'c', ...c }, id, ['node', 'cli.js'])).toEqual(want));

  it('puts tinykube itself for @tinykube, maps the image paths a command names, and expands $(VAR)', () => {
    expect(
      composeCommand(
        entry,
        { name: 'c', command: ['/agnhost', 'netexec'], args: ['--http-port=$(PORT)'] },
        (s) => s.replace('$(PORT)', '8080'),
        ['node', 'cli.js'],
      ),
    ).toEqual(['node', 'cli.js', 'agnhost', 'netexec', '--http-port=8080']);
    expect(composeCommand({ image: 'b', cmd: ['sh'] }, { name: 'c', args: ['sleep', '3600'] }, id, [])).toEqual(['sleep', '3600']);
  });

  it('puts the image env under the container env', () => {
    expect(withImageEnv({ image: 'x', env: { A: 'image', B: '$(C)' } }, { A: 'container', C: 'c' }, (s) => s.replace('$(C)', 'c'))).toEqual(
      { A: 'container', B: 'c', C: 'c' },
    );
  });
});

describe('the map tinykube makes', () => {
  it('reads as an empty list without the YAML parser (the parser loads only for a map in YAML)', () => {
    expect(decodeWithoutYAMLParser(IMAGE_MAP_TEMPLATE)).toEqual([]);
    expect(decodeWithoutYAMLParser('# a comment\n[{"image": "x", "cmd": ["true"]}]\n')).toEqual([{ image: 'x', cmd: ['true'] }]);
    expect(decodeWithoutYAMLParser('- image: x\n')).toBe(NOT_JSON);
  });
});
