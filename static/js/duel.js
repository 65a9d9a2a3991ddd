// The duel deck's keys: left and right arrows pick a side, down arrow or "s" skips. The
// answer is a plain form post; buttons are disabled once one is pressed, and the server
// records one answer per offered pair whatever arrives twice.
(() => {
  const form = document.getElementById("duel");
  if (!form) return;
  let sent = false;

  form.addEventListener("submit", (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    // Disabled after the submission has taken the pressed button's value.
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const button = form.querySelector(`button[data-key="${key}"], button[data-alt-key="${key}"]`);
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
