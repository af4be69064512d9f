// Motion input for the 3D photo viewer: pointer (mouse hover, touch drag), arrow keys, device tilt
// and an idle auto-animation, all turned into viewer.look(x, y) with x, y in -1..1.
//
//   const motion = attachMotion(viewer, { surface: host, onTiltState: (state, message) => show(message) });
//   button.onclick = async () => { const { ok, message } = await motion.enableTilt(); };
//
// The controller attachMotion() returns:
//   enableTilt() -> Promise<{ok, message}>   turn tilt on; call it from a click (iOS asks for permission
//                                            then); the outcome also goes to onTiltState (motion/tilt.js)
//   setAutoMotion(on)                        the person's idle-motion setting (the #idle_motion option); it
//                                            overrides prefers-reduced-motion until that changes
//   suspendIdle() -> resume()                hold the idle motion still while something else moves the
//                                            view (a motion preset); resume() releases this hold (calling
//                                            it again does nothing). Idle motion runs only while it is on
//                                            and no hold is left; holds leave setAutoMotion's setting be.
//   destroy()                                remove every listener, stop the idle motion
// and the module exports tiltOffered(): whether to offer a tilt button (a phone or a tablet: touch or a coarse pointer).
//
// The parts, one file each in ./motion/: pointer.js (hover, touch drag), keys.js (arrows, Home),
// tilt.js (permission, neutral pose, smoothing, noise), idle.js (figure-eight, fade-in, holds).
// This file only combines them: the inputs set one offset (the keys add to it), every input stops
// the idle motion and restarts its clock, and the idle motion blends away from that offset.
//
// Positive x / y move the virtual camera right / down (like the pointer): near things then shift
// left / up against far ones.
import { attachPointer } from './motion/pointer.js';
import { attachKeys } from './motion/keys.js';
import { attachTilt, tiltOffered } from './motion/tilt.js';
import { createIdleMotion } from './motion/idle.js';

export { tiltOffered };

const DEFAULTS = {
    /** Auto-motion starts after this long without input, ms. */
    idleMs: 3000,
    /** Offset added per arrow key press. */
    keyStep: 0.25,
    /** Tilt (degrees from the neutral pose) that maps to a full offset; beyond it the neutral follows. */
    maxTiltDeg: 20,
    /** Low-pass time constant of the tilt signal, ms. */
    tiltSmoothingMs: 90,
    /** Tilt changes smaller than this (degrees) are sensor noise, not input (they do not stop auto-motion). */
    tiltNoiseDeg: 1.0,
    /** Auto-motion: figure-eight period (ms), amplitude, fade-in (ms). */
    autoPeriodMs: 9000,
    autoAmplitude: 0.6,
    autoFadeMs: 1500,
};

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);

/**
 * @param {{look(x: number, y: number): void, canvas: HTMLCanvasElement}} viewer
 * @param {{surface?: HTMLElement, onTiltState?: (state: string, message: string) => void, autoMotion?: boolean,
 *          idleMs?: number, keyStep?: number, maxTiltDeg?: number, tiltSmoothingMs?: number,
 *          tiltNoiseDeg?: number, autoPeriodMs?: number, autoAmplitude?: number, autoFadeMs?: number}} [options]
 *        autoMotion: the idle motion's initial setting (default: on unless prefers-reduced-motion)
 * @returns {{enableTilt: () => Promise<{ok: boolean, message: string}>, setAutoMotion: (on: boolean) => void,
 *            suspendIdle: () => (() => void), destroy: () => void}}
 */
export function attachMotion(viewer, options = {}) {
    const o = { ...DEFAULTS, ...options };
    const canvas = viewer.canvas;
    const surface = o.surface || canvas.parentElement || canvas;
    const onTiltState = typeof o.onTiltState === 'function' ? o.onTiltState : () => {};
    const pose = { x: 0, y: 0 };    // the offset the inputs have set; the idle motion blends away from it

    const idle = createIdleMotion({
        look: (x, y) => viewer.look(x, y), rest: pose, on: typeof o.autoMotion === 'boolean' ? o.autoMotion : null,
        idleMs: o.idleMs, periodMs: o.autoPeriodMs, amplitude: o.autoAmplitude, fadeMs: o.autoFadeMs,
    });

    /** The person moved: set the offset, stop the idle motion and restart its clock. */
    function input(x, y) {
        pose.x = clamp(x, -1, 1);
        pose.y = clamp(y, -1, 1);
        idle.inputSeen();
        viewer.look(pose.x, pose.y);
    }

    /** A small tilt (noise, a steady hand): followed unless the idle motion runs, without restarting its clock. */
    function drift(x, y) {
        if (idle.running) return;
        pose.x = clamp(x, -1, 1);
        pose.y = clamp(y, -1, 1);
        viewer.look(pose.x, pose.y);
    }

    const detachPointer = attachPointer({ surface, canvas, onInput: input });
    const detachKeys = attachKeys({ step: o.keyStep, position: () => [pose.x, pose.y], onInput: input });
    const tilt = attachTilt({ maxTiltDeg: o.maxTiltDeg, smoothingMs: o.tiltSmoothingMs, noiseDeg: o.tiltNoiseDeg,
        onInput: input, onDrift: drift, onState: onTiltState });
    let destroyed = false;

    return {
        enableTilt: tilt.enable,
        setAutoMotion: (on) => idle.setOn(on),
        suspendIdle: () => idle.suspend(),
        destroy() {
            if (destroyed) return;
            destroyed = true;
            idle.destroy();
            detachPointer();
            detachKeys();
            tilt.detach();
        },
    };
}
