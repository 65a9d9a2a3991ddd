// The rating deck without page reloads: forms post with fetch() and the server sends the
// next card as an HTML fragment. Without JavaScript the same forms post and redirect.
(() => {
  const deck = document.getElementById("deck");
  if (!deck) return;
  let busy = false;

  async function send(form, submitter) {
    if (busy) return;
    busy = true;
    deck.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form, submitter),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const payload = await response.json();
      deck.innerHTML = payload.html;
      keepFocus(submitter);
    } catch (error) {
      console.error("deck:", error);
      form.submit(); // fall back to the plain form post
    } finally {
      busy = false;
      deck.removeAttribute("aria-busy");
    }
  }

  // The pressed button is gone with its card: focus the same choice on the new card (or
  // the undo button), else the new card's title, so keyboard and screen-reader users stay
  // in the deck instead of falling back to the top of the page.
  function keepFocus(submitter) {
    const key = submitter && submitter.dataset.key;
    const next = (key && deck.querySelector(`button[data-key="${key}"]`))
      || deck.querySelector(".deck-title, .deck-empty");
    if (next) next.focus();
  }

  deck.addEventListener("submit", (event) => {
    event.preventDefault();
    send(event.target, event.submitter);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
    const button = deck.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
