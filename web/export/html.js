// The single-file 3D photo: photo.3d.html, made in the worker (py/diorama/photo3d.py photo_3d_html, the same
// function as `diorama html`) with the view's strength and focus; it draws with the renderer's own march.
export default async ({ viewer, flow }) => ({
  name: 'photo.3d.html',
  blob: await flow.photo3dHtml({ strength: viewer.strength, focus: viewer.focus }),
});
