/**
 * The script embedded in a flame graph SVG (runtime/output/flamegraph.ts): hover shows a frame's
 * name, samples and share (a tooltip and the details line), click zooms to a frame, Search (or
 * Ctrl-F, or `/`) highlights the frames a regular expression matches and says what share of the
 * samples they hold, Reset Zoom (or Escape) goes back. Plain ES5 that any browser runs from a file,
 * with no network access.
 *
 * The SVG's root carries the layout (`data-total`, `data-width`, `data-pad`, `data-font`); each
 * frame is a `g.f` with its first sample (`data-x`), samples (`data-w`), depth (`data-d`) and name
 * (`data-n`), so the script needs no other data.
 */
export const FLAME_SCRIPT = `
(function () {
  var svg = document.documentElement;
  var total = Number(svg.getAttribute('data-total'));
  var width = Number(svg.getAttribute('data-width'));
  var pad = Number(svg.getAttribute('data-pad'));
  var charWidth = Number(svg.getAttribute('data-font')) * 0.6;
  var span = width - 2 * pad;
  var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var tip = document.getElementById('tip');
  var tipText = document.getElementById('tip-text');
  var tipBox = document.getElementById('tip-box');
  var details = document.getElementById('details');
  var matched = document.getElementById('matched');
  var resetZoom = document.getElementById('reset-zoom');
  var searchButton = document.getElementById('search');
  var searching = null;

  function num(g, name) { return Number(g.getAttribute(name)); }
  function percent(samples) { return (100 * samples / total).toFixed(2) + '%'; }
  function describe(g) {
    var w = num(g, 'data-w');
    return g.getAttribute('data-n') + ' (' + w + ' sample' + (w === 1 ? '' : 's') + ', ' + percent(w) + ')';
  }
  function label(name, w) {
    var fit = Math.floor((w - 6) / charWidth);
    if (fit < 3) return '';
    return name.length <= fit ? name : name.slice(0, fit - 2) + '..';
  }
  function place(g, x, w) {
    var rect = g.querySelector('rect');
    var text = g.querySelector('text');
    rect.setAttribute('x', x.toFixed(2));
    rect.setAttribute('width', Math.max(w, 0).toFixed(2));
    text.setAttribute('x', (x + 3).toFixed(2));
    text.textContent = label(g.getAttribute('data-n'), w);
    g.style.display = '';
  }

  function zoom(target) {
    var zx = num(target, 'data-x'), zw = num(target, 'data-w'), zd = num(target, 'data-d');
    frames.forEach(function (g) {
      var x = num(g, 'data-x'), w = num(g, 'data-w'), d = num(g, 'data-d');
      g.classList.remove('parent');
      if (d >= zd && x >= zx && x + w <= zx + zw) {
        place(g, pad + (x - zx) / zw * span, w / zw * span);
      } else if (d < zd && x <= zx && x + w >= zx + zw) {
        place(g, pad, span);
        g.classList.add('parent');
      } else {
        g.style.display = 'none';
      }
    });
    resetZoom.style.display = zd > 0 ? '' : 'none';
  }
  function unzoom() {
    frames.forEach(function (g) {
      g.classList.remove('parent');
      place(g, pad + num(g, 'data-x') / total * span, num(g, 'data-w') / total * span);
    });
    resetZoom.style.display = 'none';
  }

  function clearSearch() {
    frames.forEach(function (g) { g.classList.remove('match'); });
    matched.textContent = '';
    searchButton.textContent = 'Search';
    searching = null;
  }
  function search(pattern) {
    var re;
    try { re = new RegExp(pattern); } catch (e) { matched.textContent = 'Bad expression: ' + e.message; return; }
    clearSearch();
    var ranges = [];
    frames.forEach(function (g) {
      if (!re.test(g.getAttribute('data-n'))) return;
      g.classList.add('match');
      ranges.push([num(g, 'data-x'), num(g, 'data-x') + num(g, 'data-w')]);
    });
    // A frame and its matching callees cover the same samples once: add up the union of ranges.
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, end = -1;
    ranges.forEach(function (r) {
      if (r[1] <= end) return;
      covered += r[1] - Math.max(r[0], end);
      end = r[1];
    });
    searching = pattern;
    searchButton.textContent = 'Clear search';
    matched.textContent = 'Matched: ' + percent(covered) + ' (' + pattern + ')';
  }
  function askSearch() {
    var pattern = window.prompt('Search frames (regular expression)', searching || '');
    if (pattern) search(pattern);
  }

  frames.forEach(function (g) {
    g.addEventListener('mouseover', function () {
      details.textContent = describe(g);
      tipText.textContent = describe(g);
      tip.style.display = '';
      var w = tipText.getComputedTextLength() + 12;
      tipBox.setAttribute('width', w.toFixed(0));
    });
    g.addEventListener('mousemove', function (ev) {
      var p = svg.createSVGPoint();
      p.x = ev.clientX; p.y = ev.clientY;
      var m = p.matrixTransform(svg.getScreenCTM().inverse());
      var w = Number(tipBox.getAttribute('width'));
      var x = m.x + 12 + w > width ? m.x - 12 - w : m.x + 12;
      tip.setAttribute('transform', 'translate(' + x.toFixed(0) + ',' + (m.y + 14).toFixed(0) + ')');
    });
    g.addEventListener('mouseout', function () {
      details.textContent = ' ';
      tip.style.display = 'none';
    });
    g.addEventListener('click', function () { zoom(g); });
  });
  resetZoom.addEventListener('click', unzoom);
  searchButton.addEventListener('click', function () { if (searching) clearSearch(); else askSearch(); });
  window.addEventListener('keydown', function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'f' || ev.key === '/') { ev.preventDefault(); askSearch(); }
    else if (ev.key === 'Escape') { unzoom(); clearSearch(); }
  });
  unzoom();
})();
`;
