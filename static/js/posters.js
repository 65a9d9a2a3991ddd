// Posters that fail to load show the placeholder named in their data-fallback attribute
// (an inline onerror handler would be blocked by the Content-Security-Policy). Error events
// do not bubble, so the listener captures them; images that failed before this script ran
// are swapped when it starts.
(() => {
  const swap = (img) => {
    if (img.dataset.fallback && img.getAttribute("src") !== img.dataset.fallback) {
      img.src = img.dataset.fallback;
    }
  };
  document.addEventListener("error", (event) => {
    if (event.target instanceof HTMLImageElement) swap(event.target);
  }, true);
  document.querySelectorAll("img[data-fallback]").forEach((img) => {
    if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) swap(img);
  });
})();
