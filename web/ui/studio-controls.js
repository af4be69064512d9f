// Studio controls: the renderer choice (#renderer), the layers the layered renderer needs, and
// click-to-focus. main.js calls attachStudioControls() once the viewer exists; everything else
// happens here, driven by the viewer's 'show' events.
//
//   #renderer          <select> of RENDERERS names; data-layers = none | working | ready | failed,
//                      data-layers-ms = worker time of the last layers (for tests and benchmarks)
//   click on the photo sets the focus plane: the depth under the pointer stays still
//   #preset, #amplitude, #loop-seconds   a motion preset plays in place of the idle motion (ui/presets.js)
//   #export-video, #export-depth, #export-facebook   downloads made in the page (ui/export.js)
import { OPS } from '../worker/protocol.js';
import { playPreset } from './presets.js';
import { depthPng, download, facebookPair, recordLoop } from './export.js';

/** A click that moved further than this (CSS px) between press and release was a drag: no refocus. */
const CLICK_SLOP = 6;

/**
 * @param {{viewer: object, client: {call: Function}, surface?: HTMLElement, select?: HTMLSelectElement}} parts
 * @returns {{requestLayers: () => Promise<boolean>, setRenderer: (name: string) => void, detach: () => void}}
 */
export function attachStudioControls({ viewer, client, surface = document.getElementById('stage'),
    select = document.getElementById('renderer') })
{
    let current = null;     // {photo, depth} of the last show()
    let pending = null;     // the show() whose layers are being computed
    let down = null;        // pointerdown position, to tell clicks from drags

    const mark = (state, ms) =>
    {
        if (!select) return;
        select.dataset.layers = state;
        if (ms !== undefined) select.dataset.layersMs = String(Math.round(ms));
    };

    // Layers of the photo + depth on screen, once per show(); stale replies (another photo or depth
    // was shown meanwhile) are dropped.
    async function requestLayers()
    {
        const shown = current;

        if (!shown || !shown.depth || pending === shown) return false;
        pending = shown;
        mark('working');
        try
        {
            const layers = await client.call(OPS.layers);

            if (current !== shown) return false;
            const taken = await viewer.setLayers(layers);

            if (current !== shown) return false;   // another show() came during the upload: its own request reports

            if (!taken && current === shown && !shown.retried
                && (layers.width !== shown.photo.width || layers.height !== shown.photo.height))
            {
                // computed from another photo the worker held meanwhile: ask once more
                console.warn(`diorama: layers of ${layers.width}x${layers.height} for a `
                    + `${shown.photo.width}x${shown.photo.height} photo; asking again`);
                shown.retried = true;
                pending = null;

                return requestLayers();
            }
            mark(taken ? 'ready' : 'failed', layers.timings?.layers);

            return taken;
        }
        catch (err)
        {
            // The plain depth keeps being shown; layers are an improvement, not a requirement.
            if (current === shown) mark('failed');
            console.warn('diorama: no layers for this photo:', err.message);

            return false;
        }
        finally
        {
            if (pending === shown) pending = null;
        }
    }

    const onShow = ({ detail }) =>
    {
        current = { photo: detail.photo, depth: detail.depth };
        mark('none');
        if (viewer.renderer === 'layered') requestLayers();
    };

    function setRenderer(name)
    {
        viewer.setRenderer(name);
        if (select && select.value !== name) select.value = name;
        if (name === 'layered' && select?.dataset.layers !== 'ready') requestLayers();
    }

    const onSelect = () => setRenderer(select.value);
    const onDown = (e) => { down = { x: e.clientX, y: e.clientY }; };
    const onClick = (e) =>
    {
        if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_SLOP) return;
        const depth = viewer.depthAt(e.clientX, e.clientY);

        if (depth !== null) viewer.setFocus(depth);
    };

    // ---- motion presets and export ----------------------------------------------------------------
    const $ = (id) => document.getElementById(id);
    let player = null;
    let pausedIdle = false;     // we turned #auto off for a preset and turn it back on after
    const presetOptions = () => ({ amplitude: Number($('amplitude')?.value ?? 0.8), seconds: Number($('loop-seconds')?.value ?? 4) });

    function stopPreset()
    {
        player?.stop();
        player = null;
    }

    function startPreset()
    {
        stopPreset();
        const name = $('preset')?.value;
        const auto = $('auto');

        if (name)
        {
            if (auto?.checked) { auto.click(); pausedIdle = true; }
            player = playPreset(viewer, name, presetOptions());
        }
        else if (pausedIdle && auto && !auto.checked)
        {
            auto.click();
            pausedIdle = false;
        }
    }

    async function busyButton(button, work)
    {
        if (!button || button.disabled) return;
        const label = button.textContent;

        button.disabled = true;
        button.textContent = 'Exporting…';
        try
        {
            await work();
        }
        catch (err)
        {
            console.warn('diorama: export failed:', err);
            const alert = $('alert');

            if (alert) { alert.textContent = `Export failed: ${err.message}`; alert.hidden = false; }
        }
        finally
        {
            button.disabled = false;
            button.textContent = label;
        }
    }

    const onExportVideo = () => busyButton($('export-video'), async () =>
    {
        if (!viewer.shown) return;
        const name = $('preset')?.value || 'circle';
        const wasPlaying = Boolean(player);

        stopPreset();
        try
        {
            download(await recordLoop(viewer, { preset: name, ...presetOptions() }), 'diorama.webm');
        }
        finally
        {
            if (wasPlaying) startPreset();
        }
    });
    const onExportDepth = () => busyButton($('export-depth'), async () =>
    {
        if (viewer.shown?.depth) download(await depthPng(viewer.shown.depth), 'photo_depth.png');
    });
    const onExportFacebook = () => busyButton($('export-facebook'), async () =>
    {
        if (!viewer.shown?.depth) return;
        const pair = await facebookPair(viewer.shown);

        download(pair.photo, 'photo.jpg');
        download(pair.depth, 'photo_depth.png');
    });
    const controls = [
        ['preset', 'change', startPreset], ['amplitude', 'change', () => player && startPreset()],
        ['loop-seconds', 'change', () => player && startPreset()], ['export-video', 'click', onExportVideo],
        ['export-depth', 'click', onExportDepth], ['export-facebook', 'click', onExportFacebook],
    ];

    for (const [id, type, fn] of controls) $(id)?.addEventListener(type, fn);

    viewer.events.addEventListener('show', onShow);
    select?.addEventListener('change', onSelect);
    surface?.addEventListener('pointerdown', onDown);
    surface?.addEventListener('click', onClick);
    if (select && select.value !== viewer.renderer) viewer.setRenderer(select.value);

    return {
        requestLayers,
        setRenderer,
        detach()
        {
            stopPreset();
            for (const [id, type, fn] of controls) $(id)?.removeEventListener(type, fn);
            viewer.events.removeEventListener('show', onShow);
            select?.removeEventListener('change', onSelect);
            surface?.removeEventListener('pointerdown', onDown);
            surface?.removeEventListener('click', onClick);
        },
    };
}
