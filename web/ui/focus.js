// Click-to-focus: a click on the photo makes the depth under the pointer the one that stays still.
// A press that moved further than CLICK_SLOP before its release was a drag (looking around), not a click.

/** CSS px. */
const CLICK_SLOP = 6;

/**
 * @param {{depthAt(x: number, y: number): number|null, setFocus(f: number): void}} viewer
 * @param {HTMLElement} surface
 * @returns {() => void} detach
 */
export function attachClickToFocus(viewer, surface) {
  let down = null;
  const onDown = (e) => { down = { x: e.clientX, y: e.clientY }; };
  const onClick = (e) => {
    if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_SLOP) return;
    const depth = viewer.depthAt(e.clientX, e.clientY);
    if (depth !== null) viewer.setFocus(depth);
  };
  surface.addEventListener('pointerdown', onDown);
  surface.addEventListener('click', onClick);
  return () => {
    surface.removeEventListener('pointerdown', onDown);
    surface.removeEventListener('click', onClick);
  };
}
