// Pointer input: a mouse or pen hovering anywhere over the surface, a touch while it is pressed.
// The pointer's place over the canvas becomes an offset in -1..1 (centre = 0, right / down > 0).
//
//   const detach = attachPointer({ surface, canvas, onInput: (x, y) => ... });
//
// A lifted touch or a mouse leaving the surface reports (0, 0): the view drifts back to the centre.

/**
 * @param {{surface: HTMLElement, canvas: HTMLCanvasElement, onInput: (x: number, y: number) => void}} parts
 * @returns {() => void} detach: removes the listeners
 */
export function attachPointer({ surface, canvas, onInput }) {
    let touchId = null;     // the one touch that steers, while it is down

    canvas.style.touchAction = 'none';

    function look(e) {
        const r = canvas.getBoundingClientRect();

        if (r.width <= 0 || r.height <= 0) return;
        onInput(((e.clientX - r.left) / r.width) * 2 - 1, ((e.clientY - r.top) / r.height) * 2 - 1);
    }

    function onMove(e) {
        if (e.pointerType === 'touch' && e.pointerId !== touchId) return;
        look(e);
    }

    function onDown(e) {
        if (e.pointerType !== 'touch' || touchId !== null) return;
        touchId = e.pointerId;
        try { surface.setPointerCapture(e.pointerId); } catch { /* pointer already gone */ }
        look(e);
    }

    function onEnd(e) {
        if (e.pointerType === 'touch') {
            if (e.pointerId !== touchId) return;
            touchId = null;
        } else if (e.type !== 'pointerleave') return;       // a mouse button release is not an exit
        onInput(0, 0);
    }

    const listeners = [['pointermove', onMove], ['pointerdown', onDown], ['pointerup', onEnd],
        ['pointercancel', onEnd], ['pointerleave', onEnd]];

    for (const [type, fn] of listeners) surface.addEventListener(type, fn);

    return () => {
        for (const [type, fn] of listeners) surface.removeEventListener(type, fn);
    };
}
