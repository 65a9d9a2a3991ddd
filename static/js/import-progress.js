// The import progress page polls its status and reloads once the import is finished.
(() => {
  const progress = document.getElementById("progress");
  if (!progress || !progress.dataset.statusUrl) return;
  const status = document.getElementById("status");
  const poll = () => {
    fetch(progress.dataset.statusUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((state) => {
        progress.value = state.progress;
        status.textContent = state.status_label;
        if (state.finished) {
          location.reload();
        } else {
          setTimeout(poll, 1500);
        }
      });
  };
  poll();
})();
