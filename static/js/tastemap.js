// The taste map (templates/mangaki/taste_map.html): draws the works of the JSON payload as
// SVG dots, names its regions and marks the person and their top recommendations. Hover or
// keyboard focus shows a title, what the person rated or will probably think, and the
// region; a click or Enter opens the work.
// Payload rows: [id, x, y, title, choice or "", predicted choice or "", region]; y grows upwards.
(() => {
  const figure = document.querySelector(".taste-map");
  const data = document.getElementById("taste-map-data");
  if (!figure || !data) return;
  const payload = JSON.parse(data.textContent);
  const labels = JSON.parse(document.getElementById("taste-map-labels").textContent);
  const svg = figure.querySelector("svg");
  const tip = document.getElementById("taste-map-tip");
  const workUrl = (id) => figure.dataset.workUrl.replace(/0\/$/, `${id}/`);
  const NS = "http://www.w3.org/2000/svg";
  const make = (name, attrs) => {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };

  // Unrated works are coloured by their predicted choice: four shades of one hue, deep
  // for "likely a favourite", pale for "probably not for you" (the legend names them).
  const near = new Set(payload.near.map((n) => n[0]));
  const dots = make("g", { class: "dots" });
  // Rated works and recommendations last, so they are drawn on top.
  const weight = (w) => (w[4] ? 2 : 0) + (near.has(w[0]) ? 1 : 0);
  const order = payload.works.map((_, i) => i).sort((a, b) => weight(payload.works[a]) - weight(payload.works[b]));
  for (const i of order) {
    const [id, x, y, , choice, guess] = payload.works[i];
    const big = choice || near.has(id);
    const dot = make("circle", { cx: x, cy: -y, r: big ? 0.024 : 0.014, "data-i": i });
    const classes = choice ? ["rated", choice] : [`guess-${guess}`];
    if (near.has(id)) classes.push("near");
    dot.setAttribute("class", classes.join(" "));
    dots.append(dot);
  }
  svg.append(dots);

  // Region names at the middle of their works; not focusable (the list below has them).
  const names = make("g", { class: "regions", "aria-hidden": "true" });
  for (const [, label, x, y] of payload.regions) {
    if (!label) continue;
    const text = make("text", { x, y: -y, class: "region-label", "text-anchor": "middle" });
    text.textContent = label;
    names.append(text);
  }
  svg.append(names);

  if (payload.you) {
    const [ux, uy] = payload.you;
    svg.append(make("circle", { cx: ux, cy: -uy, r: 0.03, class: "you-marker", "aria-hidden": "true" }));
    const you = make("text", { x: ux, y: -uy - 0.05, class: "you-label", "text-anchor": "middle", "aria-hidden": "true" });
    you.textContent = labels.you;
    svg.append(you);
  }
  const regionName = new Map(payload.regions.map(([r, label]) => [r, label]));

  const circles = new Map([...dots.children].map((c) => [Number(c.dataset.i), c]));
  let current = null;

  const show = (i) => {
    if (current !== null) circles.get(current).classList.remove("current");
    current = i;
    if (i === null) {
      tip.textContent = "";
      tip.classList.remove("shown");
      return;
    }
    const [id, , , title, choice, guess, region] = payload.works[i];
    const circle = circles.get(i);
    circle.classList.add("current");
    const lines = [
      choice ? labels.rated.replace("%(choice)s", labels.choices[choice] || choice) : labels.predicted[guess] || "",
    ];
    if (near.has(id)) lines.push(labels.recommended);
    if (regionName.get(region)) lines.push(labels.region.replace("%(name)s", regionName.get(region)));
    tip.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = title;
    tip.append(strong);
    for (const line of lines) tip.append(document.createElement("br"), line);
    const box = circle.getBoundingClientRect();
    const frame = figure.getBoundingClientRect();
    tip.style.left = `${Math.min(box.left - frame.left, frame.width - 200)}px`;
    tip.style.top = `${box.bottom - frame.top + 6}px`;
    tip.classList.add("shown");
  };
  const open = (i) => {
    window.location.href = workUrl(payload.works[i][0]);
  };
  const indexOf = (target) => (target instanceof SVGCircleElement && target.dataset.i !== undefined ? Number(target.dataset.i) : null);

  // Hover is for mice and pens; a finger's taps are handled by the click below.
  svg.addEventListener("pointerover", (event) => {
    const i = indexOf(event.target);
    if (i !== null && event.pointerType !== "touch") show(i);
  });
  svg.addEventListener("pointerleave", (event) => {
    if (event.pointerType !== "touch") show(null);
  });
  const nearestTo = (x, y, within = Infinity) => {
    let best = null;
    let bestDistance = within ** 2;
    payload.works.forEach((w, i) => {
      const d = (w[1] - x) ** 2 + (w[2] - y) ** 2;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  };
  // Dots are small for a finger: a tap takes the nearest dot, shows its title first and
  // opens it on a second tap. A mouse click on a dot opens it at once.
  const TOUCH_REACH = 0.06;
  svg.addEventListener("click", (event) => {
    if (event.pointerType !== "touch") {
      const i = indexOf(event.target);
      if (i !== null) open(i);
      return;
    }
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const i = nearestTo(point.x, -point.y, TOUCH_REACH);
    if (i === null) show(null);
    else if (i === current) open(i);
    else show(i);
  });

  // Keyboard: the map is one tab stop; arrows move to the nearest work in that direction.
  const step = (dx, dy) => {
    const [, x, y] = payload.works[current];
    let best = null;
    let bestCost = Infinity;
    payload.works.forEach((w, i) => {
      const along = (w[1] - x) * dx + (w[2] - y) * dy;
      if (i === current || along <= 0) return;
      const across = Math.abs((w[1] - x) * dy - (w[2] - y) * dx);
      const cost = along + 2 * across;
      if (cost < bestCost) [best, bestCost] = [i, cost];
    });
    if (best !== null) show(best);
  };
  svg.addEventListener("focus", () => {
    if (current === null && payload.works.length) {
      show(payload.you ? nearestTo(...payload.you) : nearestTo(0, 0));
    }
  });
  svg.addEventListener("blur", () => show(null));
  const moves = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  svg.addEventListener("keydown", (event) => {
    if (current === null) return;
    if (moves[event.key]) {
      event.preventDefault();
      step(...moves[event.key]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      open(current);
    } else if (event.key === "Escape") {
      show(null);
    }
  });
})();
