// The protobuf decoder (decode.ts and its message tables) loads with the first protobuf request
// body (kubectl's typed create commands), not at start: the API server's preHandler waits for it
// (yaml-offload.ts), so decodeBody (rest.ts) decodes synchronously.
let decoder: typeof import('./decode.js') | undefined;
let loading: Promise<void> | undefined;

export function loadProtobufDecoder(): Promise<void> {
  return (loading ??= import('./decode.js').then((m) => {
    decoder = m;
  }));
}

/** decodeKubeProtobuf, once loadProtobufDecoder() has resolved. */
export function decodeProtobufBody(buf: Uint8Array): Record<string, unknown> {
  if (!decoder) throw new Error('the protobuf decoder is not loaded (await loadProtobufDecoder() first)');
  return decoder.decodeKubeProtobuf(buf);
}
