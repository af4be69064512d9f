// "Hold to compare": while the button is pressed (mouse, finger, pen, Space or Enter) or the C key is held,
// the view shows the flat photo (parallax strength 0); on release the person's strength is back.
//
//   attachHoldToCompare({ button, viewer, strength: () => options.value('strength') });
import { isTypingTarget } from '../motion/keys.js';

/**
 * @param {{button: HTMLButtonElement, viewer: {setStrength(s: number): void}, strength: () => number}} parts
 *        strength: the person's strength setting, restored on release
 */
export function attachHoldToCompare({ button, viewer, strength }) {
  let held = false;
  const press = () => {
    if (held) return;
    held = true;
    button.setAttribute('aria-pressed', 'true');
    viewer.setStrength(0);
  };
  const release = () => {
    if (!held) return;
    held = false;
    button.setAttribute('aria-pressed', 'false');
    viewer.setStrength(strength());
  };
  const isCompareKey = (event) => event.key === 'c' || event.key === 'C';

  button.addEventListener('pointerdown', (event) => {
    button.setPointerCapture?.(event.pointerId); // the release arrives here even off the button
    press();
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) button.addEventListener(type, release);
  button.addEventListener('contextmenu', (event) => event.preventDefault()); // a long press on a phone
  button.addEventListener('keydown', (event) => {
    if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) { event.preventDefault(); press(); }
  });
  button.addEventListener('keyup', (event) => { if (event.key === ' ' || event.key === 'Enter') release(); });
  addEventListener('keydown', (event) => {
    if (!isCompareKey(event) || event.repeat || event.altKey || event.ctrlKey || event.metaKey || isTypingTarget(event.target)) return;
    press();
  });
  addEventListener('keyup', (event) => { if (isCompareKey(event)) release(); });
  addEventListener('blur', release); // the key's release may go to another window
}
