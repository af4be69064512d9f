// "Share…" next to Export: hands the last export's files (name and type kept) to the system's Share sheet (Web
// Share API), where the browser says it can share them (navigator.canShare({files})): phones, Safari, Chrome on
// Android, ChromeOS and Windows. Elsewhere, and for kinds the platform will not share, the button stays hidden and
// the download is all. Sharing is a click of its own: the Share sheet needs a fresh user gesture, which a long
// export has outlived. A cancelled share (AbortError) is no error.
//
//   const share = attachShareButton(button, { onError });
//   share.offer([{ name, blob }, ...]);   // after an export: the button appears if these can be shared
//   share.withdraw();                     // a new export starts: the button goes

/**
 * @param {HTMLButtonElement} button
 * @param {{onError: (message: string) => void}} parts
 */
export function attachShareButton(button, { onError }) {
  let files = null;

  const canShare = (list) => {
    try {
      return Boolean(navigator.canShare?.({ files: list }));
    } catch {
      return false; // a browser whose canShare rejects file lists outright
    }
  };

  function offer(made) {
    const list = made.map(({ name, blob }) => new File([blob], name, { type: blob.type }));
    files = canShare(list) ? list : null;
    button.hidden = !files;
    button.title = files ? `Share ${list.map((file) => file.name).join(' + ')}` : '';
  }

  function withdraw() {
    files = null;
    button.hidden = true;
  }

  button.addEventListener('click', async () => {
    try {
      await navigator.share({ files });
    } catch (err) {
      if (err.name !== 'AbortError') onError(`Sharing failed: ${err.message}`);
    }
  });
  return { offer, withdraw };
}
