// Enhances the upload form (which works without this script): each chosen or dropped file uploads in a request of
// its own, with a fresh random X-Progress-ID; its bar follows the bytes the server has read, pushed by the progress
// endpoint's server-sent events (opened before the upload, so it never answers 404); a refusal shows the problem's
// message next to its file; and the list of saved files is refreshed from /files. A file larger than the form takes
// (the form's data-resumable-over) goes to the resumable route instead, with tus-js-client (/lib/tus.min.js) speaking
// the IETF resumable-upload draft: 5 MiB appends, retried and resumed from where the server stands if one breaks.
(() => {
  document.documentElement.classList.add('js');
  const form = document.getElementById('upload-form');
  const input = document.getElementById('files');
  const drop = document.getElementById('drop');
  const queueList = document.getElementById('queue');
  const overall = document.getElementById('overall');
  const overallBar = document.getElementById('overall-bar');
  const overallText = document.getElementById('overall-text');
  const button = document.getElementById('submit');
  const status = document.getElementById('status');
  const savedBody = document.querySelector('#saved-files tbody');
  const empty = document.getElementById('files-empty');
  document.getElementById('result')?.remove();

  const queue = [];
  let uploading = false;
  // Every progress event the page received, in order: the browser test reads it to see the bars move.
  window.progressLog = [];

  const formatSize = bytes => {
    if (bytes < 1024) return bytes + (bytes === 1 ? ' byte' : ' bytes');
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes, unit = -1;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (value < 10 ? Math.round(value * 10) / 10 : Math.round(value)) + ' ' + units[unit];
  };
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const delay = ms => new Promise(resolve => setTimeout(resolve, ms));

  function add(files) {
    if (uploading || files.length === 0) return;
    // Finished rows make way for the new choice.
    for (const entry of queue.filter(e => e.state !== 'ready')) remove(entry);
    for (const file of files) {
      const row = element('li');
      const name = element('span', 'file-name', file.name);
      const meta = element('span', 'file-meta');
      const bar = element('progress');
      bar.max = 100;
      bar.value = 0;
      const error = element('p', 'file-error');
      error.setAttribute('role', 'alert');
      row.append(name, meta, bar, error);
      const entry = { file, row, meta, bar, error, state: 'ready' };
      const removeButton = element('button', 'remove', '×');
      removeButton.type = 'button';
      removeButton.setAttribute('aria-label', 'Remove ' + file.name);
      removeButton.addEventListener('click', () => remove(entry));
      entry.removeButton = removeButton;
      setMeta(entry, formatSize(file.size));
      queue.push(entry);
      queueList.append(row);
    }
    queueList.hidden = false;
    status.textContent = `${queue.length} ${queue.length === 1 ? 'file' : 'files'} ready.`;
  }

  function remove(entry) {
    if (uploading) return;
    queue.splice(queue.indexOf(entry), 1);
    entry.row.remove();
    queueList.hidden = queue.length === 0;
    if (queue.length === 0) overall.hidden = true;
  }

  function setMeta(entry, text, link) {
    entry.meta.replaceChildren(text);
    if (link) {
      const anchor = element('a', null, link.name);
      anchor.href = link.url;
      entry.meta.replaceChildren('Saved as ', anchor);
    }
    if (entry.state === 'ready') entry.meta.append(entry.removeButton);
  }

  function setBar(bar, percent) {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    bar.value = value;
    bar.setAttribute('aria-valuenow', String(value));
    return value;
  }

  // The problem details of a refusal, as a sentence: the field errors, else the detail, else the title.
  function describe(problem, response) {
    if (problem && problem.errors) return Object.values(problem.errors).flat().join(' ');
    if (problem && (problem.detail || problem.title)) return problem.detail || problem.title;
    return `The upload failed (HTTP ${response.status}).`;
  }

  function refuse(entry, message) {
    entry.state = 'refused';
    entry.row.className = 'refused';
    entry.bar.hidden = true;   // a refused file has no progress left to show
    entry.error.textContent = message;
    setMeta(entry, 'Not uploaded');
  }

  // A large file, resumably: tus-js-client creates the upload, appends 5 MiB at a time, and after a broken append asks
  // the server where the upload stands (HEAD) and sends the rest, also once an offline browser is back online. Its last
  // answer names the stored file.
  function uploadResumable(entry, onProgress) {
    entry.state = 'uploading';
    entry.row.className = 'uploading';
    setMeta(entry, 'Starting…');
    return new Promise(resolve => {
      const upload = new tus.Upload(entry.file, {
        endpoint: form.dataset.resumable,
        protocol: 'ietf-draft-05',
        chunkSize: 5 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        removeFingerprintOnSuccess: true,
        metadata: { filename: entry.file.name, filetype: entry.file.type },
        onProgress: (sent, total) => {
          const value = setBar(entry.bar, total === 0 ? 100 : 100 * sent / total);
          window.progressLog.push({ file: entry.file.name, state: 'receiving', percent: value });
          setMeta(entry, `${formatSize(sent)} of ${formatSize(total)}`);
          onProgress(sent);
        },
        onSuccess: async ({ lastResponse }) => {
          const name = JSON.parse(lastResponse.getBody()).name;
          const listed = await fetch('/files', { headers: { Accept: 'application/json' }, cache: 'no-store' })
            .then(r => r.json()).then(files => files.find(f => f.name === name)).catch(() => null);
          entry.state = 'saved';
          entry.row.className = 'saved';
          setBar(entry.bar, 100);
          setMeta(entry, '', listed || { name, url: null });
          resolve(true);
        },
        onError: error => {
          // tus-js-client does not retry while the browser is offline: the page waits for it to be back, then starts the
          // same upload again, which asks the server where it stands and sends the rest.
          if (!navigator.onLine) {
            setMeta(entry, 'Offline: the upload continues when the connection is back…');
            window.addEventListener('online', () => upload.start(), { once: true });
            return;
          }
          const body = error.originalResponse?.getBody();
          let problem = null;
          try { problem = body ? JSON.parse(body) : null; } catch { problem = null; }
          refuse(entry, problem ? describe(problem, { status: error.originalResponse.getStatus() }) : 'The upload did not reach the server: ' + error.message);
          resolve(false);
        },
      });
      upload.findPreviousUploads().then(previous => {
        if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    });
  }

  async function upload(entry, onProgress) {
    if (entry.file.size > Number(form.dataset.resumableOver)) return uploadResumable(entry, onProgress);
    const id = crypto.randomUUID().replaceAll('-', '');
    entry.state = 'uploading';
    entry.row.className = 'uploading';
    setMeta(entry, 'Starting…');

    // The server's view of the upload. The events endpoint waits for the upload to begin, then pushes a snapshot
    // whenever more bytes were read, and ends with the final state.
    let ended;
    const end = new Promise(resolve => { ended = resolve; });
    const events = new EventSource(`/upload-progress/${id}/events`);
    events.addEventListener('progress', message => {
      const snapshot = JSON.parse(message.data);
      const received = Math.min(snapshot.bytesReceived, entry.file.size);
      const percent = snapshot.state === 'complete' || entry.file.size === 0 ? 100 : 100 * received / entry.file.size;
      if (snapshot.state !== 'rejected' && snapshot.state !== 'failed') {
        const value = setBar(entry.bar, percent);
        window.progressLog.push({ file: entry.file.name, state: snapshot.state, percent: value });
        setMeta(entry, `${formatSize(received)} of ${formatSize(entry.file.size)}`);
        onProgress(snapshot.state === 'complete' ? entry.file.size : received);
      }
      if (snapshot.state !== 'receiving') {
        events.close();
        ended();
      }
    });
    events.addEventListener('error', () => { events.close(); ended(); });

    const body = new FormData();
    body.append('files', entry.file);
    let response;
    try {
      response = await fetch(form.action, { method: 'POST', body, headers: { Accept: 'application/json', 'X-Progress-ID': id } });
    } catch (error) {
      events.close();
      refuse(entry, 'The upload did not reach the server: ' + error.message);
      return false;
    }

    if (!response.ok) {
      events.close();
      refuse(entry, describe(await response.json().catch(() => null), response));
      return false;
    }

    // The last snapshot ('complete') is on its way; it is not needed to know the file was saved.
    await Promise.race([end, delay(2000)]);
    events.close();
    const saved = (await response.json()).files[0];
    entry.state = 'saved';
    entry.row.className = 'saved';
    setBar(entry.bar, 100);
    setMeta(entry, '', saved);
    return true;
  }

  async function refreshSaved() {
    const response = await fetch('/files', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) return;
    const rows = (await response.json()).map(file => {
      const row = element('tr');
      const name = element('td', 'name');
      if (file.url) {
        const anchor = element('a', null, file.name);
        anchor.href = file.url;
        name.append(anchor);
      } else {
        name.textContent = file.name;
      }
      const size = element('td', 'size', formatSize(file.size));
      size.dataset.bytes = String(file.size);
      row.append(name, size);
      return row;
    });
    savedBody.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
  }

  input.addEventListener('change', () => {
    add(Array.from(input.files));
    input.value = '';
  });
  for (const name of ['dragenter', 'dragover']) {
    drop.addEventListener(name, e => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const name of ['dragleave', 'drop']) {
    drop.addEventListener(name, e => { e.preventDefault(); drop.classList.remove('over'); });
  }
  drop.addEventListener('drop', e => add(Array.from(e.dataTransfer.files)));
  // A file dropped beside the drop zone would make the browser leave the page to show it.
  for (const name of ['dragover', 'drop']) window.addEventListener(name, e => e.preventDefault());

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const pending = queue.filter(e => e.state === 'ready');
    if (uploading) return;
    if (pending.length === 0) {
      status.textContent = 'Choose or drop at least one file.';
      return;
    }

    uploading = true;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    const total = pending.reduce((sum, e) => sum + e.file.size, 0);
    let finished = 0;
    let savedCount = 0;
    overall.hidden = false;
    const showOverall = bytes => {
      const value = setBar(overallBar, total === 0 ? 100 : 100 * bytes / total);
      overallText.textContent = value + '%';
    };
    showOverall(0);
    for (const [index, entry] of pending.entries()) {
      status.textContent = `Uploading ${index + 1} of ${pending.length}…`;
      if (await upload(entry, received => showOverall(finished + received))) savedCount++;
      finished += entry.file.size;   // a refused file is done too: the overall bar moves on
      showOverall(finished);
    }

    const refused = pending.length - savedCount;
    status.textContent = `${savedCount} saved` + (refused > 0 ? `, ${refused} not uploaded.` : '.');
    await refreshSaved().catch(() => {});
    uploading = false;
    button.disabled = false;
    form.removeAttribute('aria-busy');
  });
})();
