// The resumable page: Uppy's Dashboard and Tus plugin (window.Uppy, from /lib/uppy.min.js). Uppy keeps each upload's
// address in localStorage (its fingerprint), retries a broken chunk, and waits for the browser to be back online before
// it asks the server where the upload stands and sends the rest. Once every file is done, the list of stored files is
// read again from the page itself.
(() => {
  const { Uppy, Dashboard, Tus } = window.Uppy;
  const target = document.getElementById('dashboard');
  const stored = document.getElementById('stored');
  const uppy = new Uppy({
    autoProceed: false,
    restrictions: { allowedFileTypes: target.dataset.types.split(','), maxFileSize: Number(target.dataset.maxFileSize) },
  })
    .use(Dashboard, { inline: true, target, height: 360, proudlyDisplayPoweredByUppy: false })
    .use(Tus, {
      endpoint: target.dataset.endpoint,
      chunkSize: 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      removeFingerprintOnSuccess: true,
    });

  uppy.on('complete', async () => {
    const response = await fetch('/resumable', { cache: 'no-store' });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    stored.replaceChildren(...page.getElementById('stored').children);
  });
  // The browser test reads what happened.
  window.uppy = uppy;
})();
