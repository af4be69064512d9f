// Keyboard input: the arrow keys nudge the offset by `step` (presses add up; the controller clamps),
// Home recentres. Keys typed into a form field, or with Alt / Ctrl / Meta, are left alone.
//
//   const detach = attachKeys({ step: 0.25, position: () => [x, y], onInput: (x, y) => ... });

/** Whether a key event's target is a form field (then its keys are its own: the arrows move a caret or a slider). */
export function isTypingTarget(t) {
    if (!t || t === document.body || t === document.documentElement) return false;
    const tag = t.tagName;

    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

/**
 * @param {{step: number, position: () => [number, number], onInput: (x: number, y: number) => void}} parts
 *        position: the offset the inputs have set so far (the keys add to it)
 * @returns {() => void} detach: removes the listener
 */
export function attachKeys({ step, position, onInput }) {
    function onKeyDown(e) {
        if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
        let [x, y] = position();

        switch (e.key) {
            case 'ArrowLeft': x -= step; break;
            case 'ArrowRight': x += step; break;
            case 'ArrowUp': y -= step; break;
            case 'ArrowDown': y += step; break;
            case 'Home': x = 0; y = 0; break;
            default: return;
        }
        e.preventDefault();
        onInput(x, y);
    }

    addEventListener('keydown', onKeyDown);

    return () => removeEventListener('keydown', onKeyDown);
}
