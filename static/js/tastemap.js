// The taste map (templates/mangaki/taste_map.html): draws the works of the JSON payload as
// SVG dots. Hover or keyboard focus shows a title, a click or Enter opens the work.
// Payload rows: [id, x, y, title, choice or "", predicted score]; y grows upwards.
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

  // Unrated works are coloured by predicted score, on a scale cut at the
  // 5th and 95th percentiles so a few extreme scores do not wash out the rest.
  const scores = payload.works.filter((w) => !w[4]).map((w) => w[5]).sort((a, b) => a - b);
  const pick = (q) => (scores.length ? scores[Math.floor(q * (scores.length - 1))] : 0);
  const low = pick(0.05);
  const high = pick(0.95);
  const shade = (score) => {
    const t = high > low ? Math.min(1, Math.max(0, (score - low) / (high - low))) : 0.5;
    // One hue, pale to deep: it reads as "more", and no rating colour looks like it.
    return `hsl(252 ${Math.round(25 + 50 * t)}% ${Math.round(88 - 56 * t)}%)`;
  };

  svg.append(make("line", { x1: -1.05, y1: 0, x2: 1.05, y2: 0, class: "axis" }));
  svg.append(make("line", { x1: 0, y1: -1.05, x2: 0, y2: 1.05, class: "axis" }));
  const dots = make("g", { class: "dots" });
  // Rated works last, so they are drawn on top.
  const order = payload.works.map((_, i) => i).sort((a, b) => Boolean(payload.works[a][4]) - Boolean(payload.works[b][4]));
  for (const i of order) {
    const [, x, y, , choice, score] = payload.works[i];
    const dot = make("circle", { cx: x, cy: -y, r: choice ? 0.024 : 0.014, "data-i": i });
    if (choice) dot.setAttribute("class", `rated ${choice}`);
    else dot.setAttribute("fill", shade(score));
    dots.append(dot);
  }
  svg.append(dots);

  if (payload.you) {
    const [ux, uy] = payload.you;
    const defs = make("defs", {});
    const marker = make("marker", { id: "taste-arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto" });
    marker.append(make("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }));
    defs.append(marker);
    svg.prepend(defs);
    svg.append(make("line", { x1: 0, y1: 0, x2: ux, y2: -uy, class: "you-arrow", "marker-end": "url(#taste-arrow)" }));
    const you = make("text", { x: ux, y: -uy - 0.06, class: "you-label", "text-anchor": "middle" });
    you.textContent = labels.you;
    svg.append(you);
  }

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
    const [, , , title, choice, score] = payload.works[i];
    const circle = circles.get(i);
    circle.classList.add("current");
    const detail = choice
      ? labels.rated.replace("%(choice)s", labels.choices[choice] || choice)
      : labels.predicted.replace("%(score)s", score.toFixed(1));
    tip.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = title;
    tip.append(strong, document.createElement("br"), detail);
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
