// Idle motion: after idleMs without input the view traces a figure-eight that fades in, over
// fadeMs, from wherever the inputs left it. It runs only while it is on (the person's choice, else
// !prefers-reduced-motion) and no one holds a suspension (another animation owns the view).
//
//   const idle = createIdleMotion({ look, rest, idleMs: 3000, periodMs: 9000, amplitude: 0.6, fadeMs: 1500 });
//   idle.inputSeen();                 // on every input: stop the animation, start the idle clock again
//   idle.setOn(true);                 // the person's setting (overrides prefers-reduced-motion until it changes)
//   const resume = idle.suspend();    // hold it still ...; resume() lets it run again (idempotent)
//   idle.running;                     // whether the animation is drawing right now
//   idle.destroy();

/**
 * @param {{look: (x: number, y: number) => void, rest: {x: number, y: number}, on?: boolean | null,
 *          idleMs: number, periodMs: number, amplitude: number, fadeMs: number}} options
 *        look: moves the view; rest: where the inputs left the view (read, never written: the
 *        animation blends away from it, and the view settles back there when the animation is
 *        stopped from outside); on: true / false, or null to follow prefers-reduced-motion
 */
export function createIdleMotion({ look, rest, on = null, idleMs, periodMs, amplitude, fadeMs }) {
    const reducedQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
    let explicit = typeof on === 'boolean' ? on : null;     // null: follow the OS
    let suspensions = 0;
    let destroyed = false;
    let lastInputAt = performance.now();
    let timer = 0;
    let raf = 0;
    let running = false;
    let startedAt = 0;

    /** On (explicit setting, else !prefers-reduced-motion), whatever holds a suspension. */
    const isOn = () => explicit ?? !(reducedQuery && reducedQuery.matches);
    const allowed = () => !destroyed && suspensions === 0 && isOn();

    function schedule() {
        cancelTimer();
        if (!allowed()) return;
        timer = setTimeout(start, Math.max(0, idleMs - (performance.now() - lastInputAt)));
    }

    function cancelTimer() {
        clearTimeout(timer);
        timer = 0;
    }

    function start() {
        timer = 0;
        if (running || !allowed()) return;
        if (performance.now() - lastInputAt < idleMs) {
            schedule();                     // input came in meanwhile: wait for the rest
            return;
        }
        running = true;
        startedAt = performance.now();
        raf = requestAnimationFrame(frame);
    }

    function frame(now) {
        if (!running) return;
        const t = Math.max(0, now - startedAt);
        const phase = (2 * Math.PI * t) / periodMs;
        const fade = Math.min(1, t / fadeMs);
        const ease = fade * fade * (3 - 2 * fade);
        // figure-eight (Lissajous 1:2); starts at the centre
        const fx = amplitude * Math.sin(phase);
        const fy = 0.5 * amplitude * Math.sin(2 * phase);

        look(rest.x + (fx - rest.x) * ease, rest.y + (fy - rest.y) * ease);
        raf = requestAnimationFrame(frame);
    }

    /** Stop the animation now (the idle timer, if any, stays armed). */
    function stop() {
        if (!running) return;
        running = false;
        cancelAnimationFrame(raf);
        raf = 0;
    }

    /** After a change of setting or suspension: arm the timer, or stop and settle where the inputs left the view. */
    function apply() {
        if (allowed()) {
            if (!running) schedule();
        } else {
            cancelTimer();
            if (running) {
                stop();
                look(rest.x, rest.y);
            }
        }
    }

    function onReducedChange() {
        explicit = null;                            // the latest signal wins
        apply();
    }

    reducedQuery?.addEventListener?.('change', onReducedChange);
    schedule();

    return {
        /** Input arrived: stop the animation; it may start again idleMs after the last input. */
        inputSeen() {
            lastInputAt = performance.now();
            stop();
            if (!timer) schedule();     // one pending timer; it re-arms itself while input goes on
        },
        setOn(value) {
            explicit = !!value;
            apply();
        },
        suspend() {
            let held = true;

            suspensions += 1;
            apply();

            return function resume() {
                if (!held) return;
                held = false;
                suspensions -= 1;
                apply();
            };
        },
        get running() { return running; },
        destroy() {
            if (destroyed) return;
            stop();
            cancelTimer();
            destroyed = true;
            reducedQuery?.removeEventListener?.('change', onReducedChange);
        },
    };
}
