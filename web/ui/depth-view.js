// The depth view: the display depth on screen (exactly the texels the renderer has, previews while painting
// included) drawn over the photo in a perceptual colour map (viridis: dark violet = far, yellow = near), from
// the left edge over a share of the photo, so the photo shows beside it (a split view).
//
//   const depthView = attachDepthView(viewer, stage);
//   depthView.set(on, split);    // split 0..1: the share of the photo's width the depth covers
//
// A flat 2D canvas over the 3D view (it does not move with it), redrawn after each viewer 'show' while on.

/** Viridis (matplotlib, CC0) at 9 evenly spaced stops, far (0) to near (1). */
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129],
  [92, 200, 99], [170, 220, 50], [253, 231, 37]];

/** RGBA for each depth byte, interpolated between the stops. */
const LUT = (() => {
  const lut = new Uint32Array(256);
  const bytes = new Uint8Array(lut.buffer);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (VIRIDIS.length - 1);
    const k = Math.min(VIRIDIS.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) bytes[i * 4 + c] = Math.round(VIRIDIS[k][c] * (1 - f) + VIRIDIS[k + 1][c] * f);
    bytes[i * 4 + 3] = 255;
  }
  return lut;
})();

/**
 * @param {object} viewer  render/viewer.js
 * @param {HTMLElement} stage  the viewer's host, absolutely positioned: the view goes next to it, in the same box
 */
export function attachDepthView(viewer, stage) {
  const canvas = document.createElement('canvas');
  canvas.id = 'depth-view';
  canvas.hidden = true;
  canvas.setAttribute('aria-hidden', 'true');
  stage.after(canvas); // beside the stage, over it (same box): the stage keeps one canvas, the viewer's
  let on = false;
  let split = 0.5;
  let drawn = null; // the texels drawn

  // The photo's box on the page, relative to the stage's box (the viewer letterboxes it in its canvas).
  function place() {
    const view = viewer.canvas;
    const box = viewer.photoBox();
    const scale = view.clientWidth / view.width || 1;
    Object.assign(canvas.style, {
      left: `${view.offsetLeft + box.x * scale}px`, top: `${view.offsetTop + box.y * scale}px`,
      width: `${box.width * scale}px`, height: `${box.height * scale}px`,
      clipPath: `inset(0 ${(100 * (1 - split)).toFixed(2)}% 0 0)`,
    });
  }

  function draw() {
    const depth = viewer.shown?.depth;
    canvas.hidden = !on || !depth || split <= 0;
    if (canvas.hidden) return;
    if (depth !== drawn) {
      canvas.width = depth.width;
      canvas.height = depth.height;
      const image = new ImageData(depth.width, depth.height);
      const out = new Uint32Array(image.data.buffer);
      const texels = depth.data;
      for (let i = 0; i < out.length; i++) out[i] = LUT[texels[i * 4]];
      canvas.getContext('2d').putImageData(image, 0, 0);
      drawn = depth;
    }
    place();
  }

  viewer.events.addEventListener('show', () => requestAnimationFrame(draw));
  new ResizeObserver(() => requestAnimationFrame(draw)).observe(stage);

  return {
    set(show, share = split) {
      on = Boolean(show);
      split = Math.min(1, Math.max(0, Number(share)));
      draw();
    },
    get visible() { return !canvas.hidden; },
  };
}
