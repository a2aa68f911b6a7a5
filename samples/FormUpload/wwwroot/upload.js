// The upload page's script: sends the form with fetch, with the antiforgery token in a header (checked before the
// server reads a byte of the body) and a fresh random X-Progress-ID, and polls the progress endpoint for that id
// while the body is on its way, as the progress-bar example in Django's upload-handler docs does.
(() => {
  const form = document.getElementById('upload-form');
  const input = document.getElementById('files');
  const drop = document.getElementById('drop');
  const bar = document.getElementById('progress');
  const status = document.getElementById('status');
  const uploaded = document.getElementById('uploaded');

  // Every value the bar showed, in order: the browser test reads it to see the bar move.
  window.progressHistory = [];

  for (const name of ['dragenter', 'dragover']) {
    drop.addEventListener(name, e => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const name of ['dragleave', 'drop']) {
    drop.addEventListener(name, e => { e.preventDefault(); drop.classList.remove('over'); });
  }
  drop.addEventListener('drop', e => { if (e.dataTransfer.files.length > 0) input.files = e.dataTransfer.files; });

  function setProgress(percent) {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    bar.value = value;
    bar.setAttribute('aria-valuenow', String(value));
    window.progressHistory.push(value);
  }

  function clearErrors() {
    for (const list of document.querySelectorAll('.field-errors')) list.replaceChildren();
  }

  function showErrors(field, messages) {
    const list = document.getElementById('errors-' + field) || document.getElementById('errors-form');
    for (const message of messages) {
      const item = document.createElement('li');
      item.textContent = message;
      list.append(item);
    }
  }

  async function readProgress(id) {
    const response = await fetch('/upload-progress/' + encodeURIComponent(id), { cache: 'no-store' });
    return response.ok ? response.json() : null;
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearErrors();
    uploaded.replaceChildren();
    document.getElementById('uploaded-heading').hidden = true;
    const id = crypto.randomUUID().replaceAll('-', '');
    const body = new FormData(form);
    const token = body.get(form.querySelector('input[type=hidden]').name);
    bar.hidden = false;
    window.progressHistory = [];
    setProgress(0);
    status.textContent = 'Uploading…';

    let done = false;
    let last = null;
    const poll = async () => {
      while (!done) {
        const snapshot = await readProgress(id).catch(() => null);
        if (snapshot) {
          last = snapshot;
          if (snapshot.state === 'receiving' && snapshot.bytesExpected) {
            setProgress(100 * snapshot.bytesReceived / snapshot.bytesExpected);
          }
        }
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    };
    const polling = poll();

    let response;
    try {
      response = await fetch(form.action, {
        method: 'POST',
        body,
        headers: { [form.dataset.tokenHeader]: token, 'X-Progress-ID': id },
      });
    } catch (error) {
      done = true;
      await polling;
      status.textContent = '';
      showErrors('form', ['The upload did not reach the server: ' + error.message]);
      return;
    }
    done = true;
    await polling;
    last = (await readProgress(id).catch(() => null)) || last;

    if (response.ok) {
      if (last && last.state === 'complete') setProgress(100);
      const result = await response.json();
      status.textContent = `Uploaded ${result.files.length} file(s) for “${result.title}”.`;
      document.getElementById('uploaded-heading').hidden = false;
      for (const file of result.files) {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = file.url;
        link.textContent = file.name;
        item.append(link, ` (${file.size} bytes)`);
        uploaded.append(item);
      }
      return;
    }

    status.textContent = '';
    const problem = await response.json().catch(() => ({ title: response.statusText }));
    if (problem.errors) {
      // The server stops at the first file a validator refuses and answers with that file's errors on its field.
      for (const [field, messages] of Object.entries(problem.errors)) showErrors(field, messages);
    } else {
      showErrors('form', [problem.detail || problem.title || `The upload failed (${response.status}).`]);
    }
  });
})();
