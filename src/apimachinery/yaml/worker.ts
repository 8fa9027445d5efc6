// The YAML decoder's worker thread (see yaml-offload.ts): decodes one body per message and
// answers its JSON text, or the error. It is bundled into one self-contained script
// (scripts/yaml-worker.mjs) and started from that text, so it imports nothing but js-yaml.
import { parentPort } from 'node:worker_threads';
import { decodeYAML, loadYAMLParser, NestingError, YAMLDecodeError } from './decode.js';

export interface YamlJob {
  id: number;
  text: string;
}

export type YamlResult =
  { id: number; json: string } | { id: number; error: { kind: 'yaml' | 'nesting' | 'other'; message: string; bracket?: '[' | '{' } };

const parser = loadYAMLParser();

parentPort?.on('message', async ({ id, text }: YamlJob) => {
  await parser;
  let res: YamlResult;
  try {
    // undefined (an empty document) has no JSON: null is what it means.
    res = { id, json: JSON.stringify(decodeYAML(text)) ?? 'null' };
  } catch (e) {
    const kind = e instanceof YAMLDecodeError ? 'yaml' : e instanceof NestingError ? 'nesting' : 'other';
    res = { id, error: { kind, message: (e as Error).message, bracket: e instanceof NestingError ? e.bracket : undefined } };
  }
  parentPort!.postMessage(res);
});
