// The motion preset playing in place of the idle motion (motion/presets.js), if any. While one plays, idle
// motion is suspended through the motion controller; the person's own idle-motion switch is left alone.
//
//   const presets = createPresetPlayer(viewer, motion);
//   presets.play(name, {amplitude, seconds});   // '' stops; a new call replaces the one playing
//   presets.stop();  presets.current            // {name, amplitude, seconds} or null
import { playPreset } from '../motion/presets.js';

export function createPresetPlayer(viewer, motion) {
  let player = null;
  let resumeIdle = null;
  let current = null;

  function stop() {
    player?.stop();
    resumeIdle?.();
    player = resumeIdle = current = null;
  }

  function play(name, options) {
    stop();
    if (!name) return;
    resumeIdle = motion.suspendIdle();
    player = playPreset(viewer, name, options);
    current = { name, ...options };
  }

  return { play, stop, get current() { return current; } };
}
