// The four PATCH types of the API and managedFields tracking (see each module).
export { applyMergePatch } from './merge.js';
export { applyJsonPatch } from './json-patch.js';
export { applyStrategicMergePatch } from './strategic.js';
export { serverSideApply, trackUpdate } from './managed.js';
