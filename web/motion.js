// Motion input for the 3D photo viewer: pointer (mouse hover, touch drag), arrow keys, device tilt
// and an idle auto-animation, all turned into viewer.look(x, y) with x, y in -1..1.
//
//   const motion = attachMotion(viewer, { surface: host, onStatus: (msg) => show(msg) });
//   button.onclick = async () => { const { ok, message } = await motion.enableTilt(); };
//
// Positive x / y move the virtual camera right / down (like the pointer): near things then shift
// left / up against far ones. Tilt follows the "window" metaphor: tilting the right edge of the
// device away from you shows the scene as if seen from the left.

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

const MESSAGES = {
    insecure: 'Tilt only works on a secure (https) page.',
    unsupported: 'This browser does not report device tilt.',
    denied: 'Tilt needs permission to read the motion sensors. Allow it when the browser asks; '
        + 'if you refused before, reload the page and try again.',
    noSensor: 'No tilt sensor answered; move the pointer or use the arrow keys instead.',
    on: 'Tilt is on: tilt your device to look around.',
};

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);

/** True where the browser wants a permission prompt (from a user gesture) before tilt events (iOS Safari). */
export function needsTiltPermission()
{
    return typeof DeviceOrientationEvent !== 'undefined'
        && typeof DeviceOrientationEvent.requestPermission === 'function';
}

/** Wrap an angle difference into -180..180. */
function wrap180(d)
{
    return d - 360 * Math.round(d / 360);
}

/**
 * @param {{look(x: number, y: number): void, canvas: HTMLCanvasElement}} viewer
 * @param {{surface?: HTMLElement, onStatus?: (msg: string) => void, autoMotion?: boolean,
 *          idleMs?: number, keyStep?: number, maxTiltDeg?: number}} [options]
 */
export function attachMotion(viewer, options = {})
{
    const o = { ...DEFAULTS, ...options };
    const canvas = viewer.canvas;
    const surface = o.surface || canvas.parentElement || canvas;
    const onStatus = typeof o.onStatus === 'function' ? o.onStatus : () => {};
    const reducedQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;

    // The offset the inputs have set (keys add to it); auto-motion blends away from it.
    let inputX = 0;
    let inputY = 0;
    let lastInputAt = performance.now();
    let destroyed = false;

    canvas.style.touchAction = 'none';

    function input(x, y)
    {
        inputX = clamp(x, -1, 1);
        inputY = clamp(y, -1, 1);
        lastInputAt = performance.now();
        stopAuto();
        viewer.look(inputX, inputY);
        if (!autoTimer) scheduleAuto();     // one pending timer; it re-arms itself while input goes on
    }

    // ---- pointer: hover (mouse, pen) anywhere over the surface; touch while pressed --------------
    let touchId = null;

    function pointerLook(e)
    {
        const r = canvas.getBoundingClientRect();

        if (r.width <= 0 || r.height <= 0) return;
        input(((e.clientX - r.left) / r.width) * 2 - 1, ((e.clientY - r.top) / r.height) * 2 - 1);
    }

    function onPointerMove(e)
    {
        if (e.pointerType === 'touch' && e.pointerId !== touchId) return;
        pointerLook(e);
    }

    function onPointerDown(e)
    {
        if (e.pointerType !== 'touch' || touchId !== null) return;
        touchId = e.pointerId;
        try { surface.setPointerCapture(e.pointerId); } catch { /* pointer already gone */ }
        pointerLook(e);
    }

    // A lifted touch or a mouse leaving the surface lets the view drift back to the centre.
    function onPointerEnd(e)
    {
        if (e.pointerType === 'touch')
        {
            if (e.pointerId !== touchId) return;
            touchId = null;
        }
        else if (e.type !== 'pointerleave') return;       // a mouse button release is not an exit
        input(0, 0);
    }

    surface.addEventListener('pointermove', onPointerMove);
    surface.addEventListener('pointerdown', onPointerDown);
    surface.addEventListener('pointerup', onPointerEnd);
    surface.addEventListener('pointercancel', onPointerEnd);
    surface.addEventListener('pointerleave', onPointerEnd);

    // ---- keys: arrows nudge (accumulating, clamped); Home recentres ------------------------------
    function isTypingTarget(t)
    {
        if (!t || t === document.body || t === document.documentElement) return false;
        const tag = t.tagName;

        return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
    }

    function onKeyDown(e)
    {
        if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
        let x = inputX;
        let y = inputY;

        switch (e.key)
        {
            case 'ArrowLeft': x -= o.keyStep; break;
            case 'ArrowRight': x += o.keyStep; break;
            case 'ArrowUp': y -= o.keyStep; break;
            case 'ArrowDown': y += o.keyStep; break;
            case 'Home': x = 0; y = 0; break;
            default: return;
        }
        e.preventDefault();
        input(x, y);
    }

    addEventListener('keydown', onKeyDown);

    // ---- tilt -----------------------------------------------------------------------------------
    // Neutral pose = the first event (and again after a screen rotation or recenter()); beyond
    // ±maxTiltDeg the neutral follows the device, so a changed grip re-centres by itself.
    let tiltListening = false;
    let tiltSeen = false;            // a real (non-null) reading arrived
    let neutralBeta = 0;
    let neutralGamma = 0;
    let hasNeutral = false;
    let tiltX = 0;                   // low-passed, screen-aligned, degrees from neutral
    let tiltY = 0;
    let tiltAt = 0;
    let tiltActiveX = 0;             // where the tilt last counted as input
    let tiltActiveY = 0;
    let lastBeta = 0;                // previous screen-aligned reading, to spot Euler-angle flips
    let lastGamma = 0;

    function screenAngle()
    {
        const a = screen.orientation ? screen.orientation.angle : (globalThis.orientation ?? 0);

        return ((Number(a) || 0) % 360 + 360) % 360;
    }

    function onOrientation(e)
    {
        if (e.beta == null || e.gamma == null) return;     // desktop browsers send one empty event
        tiltSeen = true;

        // Device -> screen axes: tilt about the screen's horizontal axis (b) and vertical axis (g).
        const rad = (screenAngle() * Math.PI) / 180;
        const c = Math.round(Math.cos(rad));
        const s = Math.round(Math.sin(rad));
        const beta = e.beta * c - e.gamma * s;
        const gamma = e.beta * s + e.gamma * c;
        // Near a device standing on its side (gamma = ±90) the Euler angles flip: gamma jumps by
        // 180 and beta with it. No hand turns 90 degrees between two readings: start afresh.
        const flipped = hasNeutral
            && (Math.abs(wrap180(beta - lastBeta)) > 90 || Math.abs(wrap180(gamma - lastGamma)) > 90);

        lastBeta = beta;
        lastGamma = gamma;
        if (flipped)
        {
            // keep the view where it is: re-base the neutral so this reading maps to it
            neutralBeta = beta + tiltY;
            neutralGamma = gamma + tiltX;

            return;
        }
        if (!hasNeutral)
        {
            neutralBeta = beta;
            neutralGamma = gamma;
            hasNeutral = true;
            tiltX = tiltY = 0;
            tiltActiveX = tiltActiveY = 0;
            tiltAt = e.timeStamp || performance.now();

            return;
        }

        const max = o.maxTiltDeg;
        let db = wrap180(beta - neutralBeta);
        let dg = wrap180(gamma - neutralGamma);

        if (db > max) { neutralBeta += db - max; db = max; }
        else if (db < -max) { neutralBeta += db + max; db = -max; }
        if (dg > max) { neutralGamma += dg - max; dg = max; }
        else if (dg < -max) { neutralGamma += dg + max; dg = -max; }

        const now = e.timeStamp || performance.now();
        const k = 1 - Math.exp(-Math.max(0, now - tiltAt) / o.tiltSmoothingMs);

        tiltAt = now;
        // window metaphor: right edge away (gamma > 0) = eye to the left; top toward you (beta > 0) = eye up
        tiltX += (-dg - tiltX) * k;
        tiltY += (-db - tiltY) * k;

        if (Math.abs(tiltX - tiltActiveX) >= o.tiltNoiseDeg || Math.abs(tiltY - tiltActiveY) >= o.tiltNoiseDeg)
        {
            tiltActiveX = tiltX;
            tiltActiveY = tiltY;
            input(tiltX / max, tiltY / max);
        }
        else if (!autoRunning)
        {
            // small motion: follow it without resetting the idle timer
            inputX = clamp(tiltX / max, -1, 1);
            inputY = clamp(tiltY / max, -1, 1);
            viewer.look(inputX, inputY);
        }
    }

    function recenter()
    {
        hasNeutral = false;
        input(0, 0);
    }

    function listenTilt()
    {
        if (tiltListening) return;
        tiltListening = true;
        addEventListener('deviceorientation', onOrientation);
    }

    function onScreenRotate()
    {
        hasNeutral = false;      // axes changed: the next reading is the new neutral
    }

    screen.orientation?.addEventListener?.('change', onScreenRotate);
    addEventListener('orientationchange', onScreenRotate);

    // Listen from the start: where no prompt is needed (Android) tilt just works; where one is
    // (iOS Safari) no events arrive until enableTilt() has been granted.
    if (typeof DeviceOrientationEvent !== 'undefined') listenTilt();

    /**
     * Turn on tilt. Call it from a user gesture (a click): on iOS it shows the permission prompt.
     * @returns {Promise<{ok: boolean, message: string}>}
     */
    function enableTilt()
    {
        const done = (ok, message) =>
        {
            if (!ok) onStatus(message);           // onStatus hears about problems only

            return { ok, message };
        };

        if (!globalThis.isSecureContext) return Promise.resolve(done(false, MESSAGES.insecure));
        if (typeof DeviceOrientationEvent === 'undefined') return Promise.resolve(done(false, MESSAGES.unsupported));
        if (!needsTiltPermission())
        {
            listenTilt();
            hasNeutral = false;
            setTimeout(() =>
            {
                if (!destroyed && !tiltSeen) onStatus(MESSAGES.noSensor);
            }, 2000);

            return Promise.resolve(done(true, MESSAGES.on));
        }

        // requestPermission must run synchronously inside the gesture: nothing awaited before it
        let request;

        try
        {
            request = DeviceOrientationEvent.requestPermission();
        }
        catch (err)
        {
            return Promise.resolve(done(false, MESSAGES.denied));
        }

        return Promise.resolve(request).then(
            (state) =>
            {
                if (state !== 'granted') return done(false, MESSAGES.denied);
                listenTilt();
                hasNeutral = false;

                return done(true, MESSAGES.on);
            },
            () => done(false, MESSAGES.denied),
        );
    }

    // ---- idle auto-motion: a figure-eight that fades in from wherever the view rests -------------
    let autoExplicit = typeof o.autoMotion === 'boolean' ? o.autoMotion : null;   // null: follow the OS
    let autoTimer = 0;
    let autoRaf = 0;
    let autoRunning = false;
    let autoStart = 0;

    function autoEnabled()
    {
        return !destroyed && (autoExplicit ?? !(reducedQuery && reducedQuery.matches));
    }

    function scheduleAuto()
    {
        cancelAutoTimer();
        if (!autoEnabled()) return;
        autoTimer = setTimeout(startAuto, Math.max(0, o.idleMs - (performance.now() - lastInputAt)));
    }

    function cancelAutoTimer()
    {
        clearTimeout(autoTimer);
        autoTimer = 0;
    }

    function startAuto()
    {
        autoTimer = 0;
        if (autoRunning || !autoEnabled()) return;
        if (performance.now() - lastInputAt < o.idleMs)
        {
            scheduleAuto();                 // input came in meanwhile: wait for the rest
            return;
        }
        autoRunning = true;
        autoStart = performance.now();
        autoRaf = requestAnimationFrame(autoFrame);
    }

    function autoFrame(now)
    {
        if (!autoRunning) return;
        const t = Math.max(0, now - autoStart);
        const phase = (2 * Math.PI * t) / o.autoPeriodMs;
        const fade = Math.min(1, t / o.autoFadeMs);
        const ease = fade * fade * (3 - 2 * fade);
        const a = o.autoAmplitude;
        // figure-eight (Lissajous 1:2); starts at the centre
        const fx = a * Math.sin(phase);
        const fy = 0.5 * a * Math.sin(2 * phase);

        viewer.look(inputX + (fx - inputX) * ease, inputY + (fy - inputY) * ease);
        autoRaf = requestAnimationFrame(autoFrame);
    }

    /** Stop the animation now (the idle timer, if any, stays armed). */
    function stopAuto()
    {
        if (!autoRunning) return;
        autoRunning = false;
        cancelAnimationFrame(autoRaf);
        autoRaf = 0;
    }

    /** Turn the idle auto-animation on or off (overrides prefers-reduced-motion until it changes). */
    function setAutoMotion(on)
    {
        autoExplicit = !!on;
        applyAuto();
    }

    function applyAuto()
    {
        if (autoEnabled())
        {
            if (!autoRunning) scheduleAuto();
        }
        else
        {
            cancelAutoTimer();
            if (autoRunning)
            {
                stopAuto();
                viewer.look(inputX, inputY);        // settle where the inputs left the view
            }
        }
    }

    function onReducedChange()
    {
        autoExplicit = null;                        // the latest signal wins
        applyAuto();
    }

    reducedQuery?.addEventListener?.('change', onReducedChange);

    scheduleAuto();

    function destroy()
    {
        if (destroyed) return;
        stopAuto();
        cancelAutoTimer();
        destroyed = true;
        surface.removeEventListener('pointermove', onPointerMove);
        surface.removeEventListener('pointerdown', onPointerDown);
        surface.removeEventListener('pointerup', onPointerEnd);
        surface.removeEventListener('pointercancel', onPointerEnd);
        surface.removeEventListener('pointerleave', onPointerEnd);
        removeEventListener('keydown', onKeyDown);
        removeEventListener('deviceorientation', onOrientation);
        removeEventListener('orientationchange', onScreenRotate);
        screen.orientation?.removeEventListener?.('change', onScreenRotate);
        reducedQuery?.removeEventListener?.('change', onReducedChange);
    }

    return {
        enableTilt,
        needsTiltPermission,
        setAutoMotion,
        recenter,
        /** Whether the idle animation is running right now. */
        get autoMotionRunning() { return autoRunning; },
        /** Whether the idle animation is allowed (explicit setting, else !prefers-reduced-motion). */
        get autoMotion() { return autoEnabled(); },
        destroy,
    };
}
