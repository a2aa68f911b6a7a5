// The upload page's script: sends the form with fetch, with the antiforgery token in a header (checked before the
// server reads a byte of the body) and a fresh random X-Progress-ID, and follows the progress endpoint's events for
// that id while the body is on its way, as the progress-bar example in Django's upload-handler docs does. The events
// are opened before the upload is sent: the endpoint waits for the upload to begin rather than answering 404.
(() => {
  const form = document.getElementById('upload-form');
  const input = document.getElementById('files');
  const drop = document.getElementById('drop');
  const bar = document.getElementById('progress');
  const status = document.getElementById('status');
  const uploaded = document.getElementById('uploaded');
  const button = document.getElementById('submit');

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

  // Follows the server's progress of one upload; resolves with the last snapshot once the upload has ended.
  function watchProgress(id) {
    let last = null;
    let finish;
    const ended = new Promise(resolve => { finish = resolve; });
    const events = new EventSource('/upload-progress/' + encodeURIComponent(id) + '/events');
    events.addEventListener('progress', message => {
      last = JSON.parse(message.data);
      if (last.state === 'receiving' && last.bytesExpected) setProgress(100 * last.bytesReceived / last.bytesExpected);
      // A file read to its end waits for the malware scan before the next one is read (when the app scans).
      status.textContent = last.state === 'scanning' ? `Scanning ${last.fileName || 'the file'}…` : (last.state === 'receiving' ? 'Uploading…' : status.textContent);
      if (last.state !== 'receiving' && last.state !== 'scanning') {
        events.close();
        finish(last);
      }
    });
    events.addEventListener('error', () => { events.close(); finish(last); });
    return { ended, stop: () => { events.close(); finish(last); } };
  }

  // A refusal's messages, each naming the file it concerns when the problem says which (fileName).
  function refusalMessages(problem, status) {
    const prefix = problem.fileName ? problem.fileName + ': ' : '';
    if (problem.errors) {
      return Object.entries(problem.errors).map(([field, messages]) => [field, messages.map(m => (field === 'files' ? prefix : '') + m)]);
    }
    return [['form', [prefix + (problem.detail || problem.title || `The upload failed (${status}).`)]]];
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
    button.disabled = true;
    const progress = watchProgress(id);

    let response;
    try {
      response = await fetch(form.action, {
        method: 'POST',
        body,
        headers: { [form.dataset.tokenHeader]: token, 'X-Progress-ID': id },
      });
    } catch (error) {
      progress.stop();
      bar.hidden = true;
      button.disabled = false;
      status.textContent = '';
      showErrors('form', ['The upload did not reach the server: ' + error.message]);
      return;
    }

    if (response.ok) {
      // The final snapshot is on its way; the answer alone says the files were saved.
      const last = await Promise.race([progress.ended, new Promise(resolve => setTimeout(resolve, 2000))]);
      progress.stop();
      if (!last || last.state === 'complete') setProgress(100);
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
      button.disabled = false;
      return;
    }

    // Refused: the bar goes (it would otherwise stay where the server stopped reading), and the errors show next to
    // their fields. The server stops at the first file a validator refuses and names it in the problem.
    progress.stop();
    bar.hidden = true;
    status.textContent = 'Nothing was uploaded.';
    const problem = await response.json().catch(() => ({ title: response.statusText }));
    for (const [field, messages] of refusalMessages(problem, response.status)) showErrors(field, messages);
    button.disabled = false;
  });
})();
