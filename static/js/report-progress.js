// Progress bars for background jobs: ask the server every two seconds; reload when one ends.
(function () {
  var rows = document.querySelectorAll('tr[data-status="queued"], tr[data-status="running"]');
  if (!rows.length) { return; }
  function poll() {
    rows.forEach(function (row) {
      fetch(row.dataset.progressUrl, {credentials: 'same-origin'})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.status === 'done' || job.status === 'failed') { window.location.reload(); return; }
          var bar = row.querySelector('progress'), stage = row.querySelector('.stage');
          if (bar) { bar.value = job.progress; bar.textContent = job.progress + '%'; }
          if (stage) { stage.textContent = job.stage; }
        });
    });
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1000);
})();
