// Title suggestions under the header's search box: an ARIA combobox with a listbox.
// Arrows move, Enter opens the highlighted work (or submits the normal search when none is),
// Escape closes. Requests wait for a 150 ms pause in typing and a newer one aborts an older.
(() => {
  const form = document.querySelector("form.search[data-suggest]");
  if (!form) return;
  const input = form.querySelector("[role=combobox]");
  const list = document.getElementById(input.getAttribute("aria-controls"));
  const status = form.querySelector("[role=status]");
  const DELAY = 150;
  const MIN_LENGTH = 2;
  let timer = null;
  let controller = null;
  let results = [];
  let active = -1;

  const setActive = (index) => {
    const options = list.querySelectorAll("[role=option]");
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  };
  const open = () => {
    if (!results.length) return;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };
  const go = (index) => {
    window.location.href = results[index].url;
  };

  const render = (found) => {
    results = found;
    list.replaceChildren();
    found.forEach((work, i) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const poster = document.createElement("img");
      poster.src = work.poster || form.dataset.placeholder;
      poster.alt = "";
      poster.loading = "lazy";
      poster.addEventListener("error", () => { poster.src = form.dataset.placeholder; }, { once: true });
      const text = document.createElement("span");
      text.className = "text";
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = work.title;
      text.append(title);
      if (work.also_known_as) {
        const aka = document.createElement("span");
        aka.className = "aka";
        aka.textContent = `${form.dataset.aka} ${work.also_known_as}`;
        text.append(aka);
      }
      const meta = document.createElement("span");
      meta.className = "sub";
      meta.textContent = [work.category_name, work.year].filter(Boolean).join(" · ");
      text.append(meta);
      option.append(poster, text);
      // Keep the focus in the box (mousedown would blur it before the click).
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => go(i));
      list.append(option);
    });
    setActive(-1);
    const count = found.length === 1 ? form.dataset.countOne : form.dataset.count;
    status.textContent = found.length
      ? count.replace("%(n)s", found.length)
      : form.dataset.none;
    if (found.length) open();
    else close();
  };

  const fetchSuggestions = () => {
    const query = input.value;
    if (controller) controller.abort();
    controller = new AbortController();
    const url = `${form.dataset.suggest}?q=${encodeURIComponent(query)}`;
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { results: [] }))
      .then((data) => render(data.results))
      .catch((error) => {
        if (error.name !== "AbortError") close();
      });
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    if (input.value.trim().length < MIN_LENGTH) {
      if (controller) controller.abort();
      results = [];
      close();
      return;
    }
    timer = setTimeout(fetchSuggestions, DELAY);
  });
  input.addEventListener("keydown", (event) => {
    const shown = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!results.length) return;
      event.preventDefault();
      if (!shown) {
        open();
        setActive(event.key === "ArrowDown" ? 0 : results.length - 1);
        return;
      }
      // Past either end the highlight goes back to the typed text (-1), then wraps.
      let next = active + (event.key === "ArrowDown" ? 1 : -1);
      if (next >= results.length) next = -1;
      else if (next < -1) next = results.length - 1;
      setActive(next);
    } else if (event.key === "Enter" && shown && active >= 0) {
      event.preventDefault();
      go(active);
    } else if (event.key === "Escape" && shown) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  input.addEventListener("focus", () => {
    if (results.length && input.value.trim().length >= MIN_LENGTH) open();
  });
})();
