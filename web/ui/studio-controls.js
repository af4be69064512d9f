// Studio controls: the renderer choice (#renderer), the layers the layered renderer needs, and
// click-to-focus. main.js calls attachStudioControls() once the viewer exists; everything else
// happens here, driven by the viewer's 'show' events.
//
//   #renderer          <select> of RENDERERS names; data-layers = none | working | ready | failed,
//                      data-layers-ms = worker time of the last layers (for tests and benchmarks)
//   click on the photo sets the focus plane: the depth under the pointer stays still
import { OPS } from '../worker/protocol.js';

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
            viewer.events.removeEventListener('show', onShow);
            select?.removeEventListener('change', onSelect);
            surface?.removeEventListener('pointerdown', onDown);
            surface?.removeEventListener('click', onClick);
        },
    };
}
