// Tilt input: device orientation events turned into an offset, with
//   - permission: iOS Safari sends no events until enable() (from a click) has been granted;
//     elsewhere (Android) the events flow from the start and enable() only checks that some arrive;
//   - states for the person, through onState(state, message): 'on' (the first real reading arrived),
//     'no-sensor' (enable() heard nothing within SENSOR_WAIT_MS), 'denied', 'insecure', 'unsupported';
//   - a neutral pose: the first reading (again after a screen rotation or enable()); beyond ±maxTiltDeg
//     the neutral follows the device, so a changed grip re-centres by itself;
//   - smoothing: a low-pass filter with a time constant of smoothingMs;
//   - noise: changes under noiseDeg are sensor noise, not input: they move the view (onDrift) but do
//     not count as the person's input (they do not stop the idle motion).
//
//   const tilt = attachTilt({ maxTiltDeg: 20, smoothingMs: 90, noiseDeg: 1, onInput, onDrift, onState });
//   button.onclick = async () => { const { ok, message } = await tilt.enable(); };
//   tilt.detach();
//
// Tilt follows the "window" metaphor: tilting the right edge of the device away from you shows the
// scene as if seen from the left (x < 0); tilting its top toward you, as if from above (y < 0).

/** Each state in plain words for the person, shown next to the tilt button. */
const MESSAGES = {
    'on': 'Tilt on',
    'no-sensor': 'No motion sensor on this device',
    'denied': 'Motion access was refused: allow it in Settings > Safari',
    'insecure': 'Tilt only works on a secure (https) page',
    'unsupported': 'This browser does not report device tilt',
};

/** After enable(), this long without a reading means there is no sensor, ms. */
const SENSOR_WAIT_MS = 1000;

/** True where the browser wants a permission prompt (from a user gesture) before tilt events (iOS Safari). */
function needsTiltPermission() {
    return typeof DeviceOrientationEvent !== 'undefined'
        && typeof DeviceOrientationEvent.requestPermission === 'function';
}

/**
 * True where tilt is worth offering a button for: the browser reports orientation and the device is a phone or a
 * tablet (a touch screen or a coarse pointer). Decided from the device, never from the permission API: Chromium 156
 * has DeviceOrientationEvent.requestPermission on desktops too, where no sensor will ever answer. Should a desktop
 * send real readings all the same, tilt just works (onState 'on').
 */
export function tiltOffered() {
    const handheld = navigator.maxTouchPoints > 0 || globalThis.matchMedia?.('(pointer: coarse)').matches === true;

    return typeof DeviceOrientationEvent !== 'undefined' && handheld;
}

/** Wrap an angle difference into -180..180. */
function wrap180(d) {
    return d - 360 * Math.round(d / 360);
}

/** The screen's rotation from the device's natural orientation, degrees in 0..359. */
function screenAngle() {
    const a = screen.orientation ? screen.orientation.angle : (globalThis.orientation ?? 0);

    return ((Number(a) || 0) % 360 + 360) % 360;
}

/**
 * @param {{maxTiltDeg: number, smoothingMs: number, noiseDeg: number,
 *          onInput: (x: number, y: number) => void, onDrift: (x: number, y: number) => void,
 *          onState: (state: string, message: string) => void}} parts
 *        maxTiltDeg: tilt (degrees from the neutral pose) that maps to a full offset (x, y = ±1);
 *        onInput: a tilt that counts as input; onDrift: a small one (sensor noise, a steady hand);
 *        onState: 'on' | 'no-sensor' | 'denied' | 'insecure' | 'unsupported' and its words
 * @returns {{enable: () => Promise<{ok: boolean, message: string}>, detach: () => void}}
 */
export function attachTilt({ maxTiltDeg: max, smoothingMs, noiseDeg, onInput, onDrift, onState }) {
    let listening = false;
    let detached = false;
    let seen = false;                // a real (non-null) reading arrived
    let onFirstReading = [];         // enable()'s waits for it
    let hasNeutral = false;
    let neutralBeta = 0;
    let neutralGamma = 0;
    let tiltX = 0;                   // low-passed, screen-aligned, degrees from neutral
    let tiltY = 0;
    let tiltAt = 0;
    let activeX = 0;                 // where the tilt last counted as input
    let activeY = 0;
    let lastBeta = 0;                // previous screen-aligned reading, to spot Euler-angle flips
    let lastGamma = 0;

    function onOrientation(e) {
        if (e.beta == null || e.gamma == null) return;     // desktop browsers send one empty event
        if (!seen) {
            seen = true;
            onState('on', MESSAGES.on);
            for (const resolve of onFirstReading) resolve(true);
            onFirstReading = [];
        }

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
        if (flipped) {
            // keep the view where it is: re-base the neutral so this reading maps to it
            neutralBeta = beta + tiltY;
            neutralGamma = gamma + tiltX;

            return;
        }
        if (!hasNeutral) {
            neutralBeta = beta;
            neutralGamma = gamma;
            hasNeutral = true;
            tiltX = tiltY = 0;
            activeX = activeY = 0;
            tiltAt = e.timeStamp || performance.now();

            return;
        }

        let db = wrap180(beta - neutralBeta);
        let dg = wrap180(gamma - neutralGamma);

        if (db > max) { neutralBeta += db - max; db = max; } else if (db < -max) { neutralBeta += db + max; db = -max; }
        if (dg > max) { neutralGamma += dg - max; dg = max; } else if (dg < -max) { neutralGamma += dg + max; dg = -max; }

        const now = e.timeStamp || performance.now();
        const k = 1 - Math.exp(-Math.max(0, now - tiltAt) / smoothingMs);

        tiltAt = now;
        // window metaphor: right edge away (gamma > 0) = eye to the left; top toward you (beta > 0) = eye up
        tiltX += (-dg - tiltX) * k;
        tiltY += (-db - tiltY) * k;

        if (Math.abs(tiltX - activeX) >= noiseDeg || Math.abs(tiltY - activeY) >= noiseDeg) {
            activeX = tiltX;
            activeY = tiltY;
            onInput(tiltX / max, tiltY / max);
        } else onDrift(tiltX / max, tiltY / max);
    }

    function listen() {
        if (listening) return;
        listening = true;
        addEventListener('deviceorientation', onOrientation);
    }

    function onScreenRotate() {
        hasNeutral = false;      // axes changed: the next reading is the new neutral
    }

    screen.orientation?.addEventListener?.('change', onScreenRotate);
    addEventListener('orientationchange', onScreenRotate);

    // Listen from the start: where no prompt is needed (Android) tilt just works; where one is
    // (iOS Safari) no events arrive until enable() has been granted.
    if (typeof DeviceOrientationEvent !== 'undefined') listen();

    /** True once a real reading arrived, false after SENSOR_WAIT_MS without one. */
    function sensorAnswers() {
        if (seen) return Promise.resolve(true);

        return new Promise((resolve) => {
            onFirstReading.push(resolve);
            setTimeout(() => resolve(seen), SENSOR_WAIT_MS);
        });
    }

    /** Turn tilt on. Call it from a user gesture (a click): on iOS it shows the permission prompt. */
    function enable() {
        const done = (state) => {
            if (!detached) onState(state, MESSAGES[state]);

            return { ok: state === 'on', message: MESSAGES[state] };
        };
        const listenAndWait = () => {
            listen();
            hasNeutral = false;

            return sensorAnswers().then((answered) => done(answered ? 'on' : 'no-sensor'));
        };

        if (!globalThis.isSecureContext) return Promise.resolve(done('insecure'));
        if (typeof DeviceOrientationEvent === 'undefined') return Promise.resolve(done('unsupported'));
        if (!needsTiltPermission()) return listenAndWait();

        // requestPermission must run synchronously inside the gesture: nothing awaited before it
        let request;

        try {
            request = DeviceOrientationEvent.requestPermission();
        } catch (err) {
            return Promise.resolve(done('denied'));
        }

        return Promise.resolve(request).then(
            (state) => (state === 'granted' ? listenAndWait() : done('denied')),
            () => done('denied'),
        );
    }

    function detach() {
        detached = true;
        removeEventListener('deviceorientation', onOrientation);
        removeEventListener('orientationchange', onScreenRotate);
        screen.orientation?.removeEventListener?.('change', onScreenRotate);
    }

    return { enable, detach };
}
