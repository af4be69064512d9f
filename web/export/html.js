// The single-file 3D photo: photo.3d.html, the template photo-3d.html with the shown photo's pictures inline
// (data: URLs; made in the worker, py/diorama/photo3d.py) and the view's strength and focus. It needs nothing
// else: no Pyodide, no network, opened from disk or a mail. Its Content-Security-Policy allows its own inline
// script and style only (by hash) and data: images, nothing else.
import { fileName } from './kinds.js';

const TEMPLATE = new URL('./photo-3d.html', import.meta.url);

const dataUrl = (bytes, type) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(new Blob([bytes], { type }));
});

/** The CSP source of an inline element's text: 'sha256-<base64 of its SHA-256>'. */
async function hashSource(text) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

/** The template without indentation and comment lines, which a reader of the exported file does not need (the
 * template is the commented source): a few kB less, which matters for a small photo. */
const compact = (text) => text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('//')).join('\n');

/** The text of the one `<tag>` element of the template. */
function inline(template, tag) {
  const found = template.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`));
  if (!found) throw new Error(`The 3D photo template has no <${tag}>.`);
  return found[1];
}

export default async ({ viewer, flow }, options) => {
  const [template, images] = await Promise.all([
    fetch(TEMPLATE).then((response) => {
      if (!response.ok) throw new Error(`The 3D photo template could not be read (${response.status}).`);
      return response.text().then(compact);
    }),
    flow.photo3dImages(),
  ]);
  const csp = ["default-src 'none'", 'img-src data:', `script-src ${await hashSource(inline(template, 'script'))}`,
    `style-src ${await hashSource(inline(template, 'style'))}`, "base-uri 'none'", "form-action 'none'"].join('; ');
  const values = {
    csp,
    strength: String(viewer.strength),
    focus: String(viewer.focus),
    photo: await dataUrl(images.photo, 'image/jpeg'),
    depth: await dataUrl(images.depth, 'image/webp'),
    fill: await dataUrl(images.fill, 'image/jpeg'),
    fillDepth: await dataUrl(images.fillDepth, 'image/jpeg'),
    mask: await dataUrl(images.mask, 'image/webp'),
  };
  const html = template.replace(/\{\{(\w+)\}\}/g, (_, key) => values[key]);
  return { name: fileName('html', options), blob: new Blob([html], { type: 'text/html' }) };
};
