// Motion presets for the idle animation and for export: circle, horizontal swing, vertical swing,
// zoom (dolly in) and dolly zoom, each a loop of the phase 0..1 with an amplitude.
//
//   PRESETS[name](phase, amplitude) -> {x, y, zoom, magnify}   view offset -1..1, zoom -1..1, magnify 0..0.5
//   const player = playPreset(viewer, name, {amplitude, seconds});  player.stop();
//
// Every preset starts and ends at the same view (phase 0 = phase 1), so recorded loops are seamless.
// Zoom and dolly zoom go through viewer.setZoom: the 'layered' and 'displacement' render modes draw them;
// 'classic' (the seed's stock filter) has no zoom, so there they stand still.
// The names, amplitude and loop length are options.py's (preset, amplitude, loop_seconds).
import { OPTIONS } from '../options.js';

const TAU = 2 * Math.PI;

/** name -> (phase 0..1, amplitude 0..1) -> {x, y, zoom, magnify} */
export const PRESETS = Object.freeze({
    circle: (p, a) => ({ x: a * Math.cos(TAU * p), y: a * Math.sin(TAU * p), zoom: 0, magnify: 0 }),
    'horizontal swing': (p, a) => ({ x: a * Math.sin(TAU * p), y: 0, zoom: 0, magnify: 0 }),
    'vertical swing': (p, a) => ({ x: 0, y: a * Math.sin(TAU * p), zoom: 0, magnify: 0 }),
    // in and back out: near things grow faster than far ones
    zoom: (p, a) => {
        const s = 0.5 - 0.5 * Math.cos(TAU * p);

        return { x: 0, y: 0, zoom: a * s, magnify: 0.08 * a * s };
    },
    // the focus plane keeps its size while the rest of the scene grows or shrinks around it
    'dolly zoom': (p, a) => ({ x: 0, y: 0, zoom: a * Math.sin(TAU * p), magnify: 0 }),
});

export const DEFAULT_PRESET_OPTIONS = Object.freeze({ amplitude: OPTIONS.amplitude.default, seconds: OPTIONS.loop_seconds.default });

/** Apply one preset pose to the viewer at once (no easing). */
export function applyPose(viewer, pose) {
    viewer.lookNow(pose.x, pose.y);
    viewer.setZoom(pose.zoom, pose.magnify);
}

/**
 * Play a preset on the viewer in real time until stop(); one loop lasts `seconds`.
 * @returns {{stop: () => void, options: {amplitude: number, seconds: number}}}
 */
export function playPreset(viewer, name, options = {}) {
    const path = PRESETS[name];

    if (!path) throw new TypeError(`unknown preset ${name}; one of ${Object.keys(PRESETS).join(', ')}`);
    const o = { ...DEFAULT_PRESET_OPTIONS, ...options };
    const start = performance.now();
    let raf = 0;
    let running = true;

    const frame = (now) => {
        if (!running) return;
        const phase = (((now - start) / 1000) / o.seconds) % 1;

        applyPose(viewer, path(phase, o.amplitude));
        raf = requestAnimationFrame(frame);
    };

    raf = requestAnimationFrame(frame);

    return {
        options: o,
        stop() {
            running = false;
            cancelAnimationFrame(raf);
            viewer.setZoom(0, 0);
            viewer.look(0, 0);
        },
    };
}
