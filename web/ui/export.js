// Files handed to the browser as downloads (web/export/ makes them); nothing leaves the device.
//
//   download(blob, 'photo_depth.png');

/** Hand a blob to the browser as a download named `name`. */
export function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');

    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
