// The 3D mesh export: the shown photo's two layers (the photo cut at depth edges, over the background filled
// behind them) as a textured binary glTF, made in the worker with the current depth (py/diorama/mesh.py).
// Opens in Blender, three.js, <model-viewer> and headset viewers.
import { fileName } from './kinds.js';

export default async ({ flow }, options) => ({ name: fileName('glb', options), blob: await flow.meshGlb() });
