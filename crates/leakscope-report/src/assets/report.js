'use strict';
// Tables: every row lives in the table's JSON; only one page of them is in the DOM, so a
// census of 50,000 classes sorts and filters without stalling the page.
(() => {
  const fmt = new Intl.NumberFormat('en-US');
  for (const root of document.querySelectorAll('.table')) {
    const dataEl = root.querySelector('.table-data');
    if (!dataEl) continue;
    let data;
    try { data = JSON.parse(dataEl.textContent); } catch (e) { continue; }
    const heads = [...root.querySelectorAll('thead th')];
    const numeric = heads.map((th) => th.classList.contains('num'));
    const all = data.rows.map((cells, index) => {
      const text = cells.map((c) => (Array.isArray(c) ? c[0] : c));
      const value = cells.map((c) => (Array.isArray(c) && typeof c[1] === 'number' ? c[1] : -Infinity));
      return { text, value, index, search: text.join('\u0001').toLowerCase() };
    });
    const pageSize = Number(root.dataset.pageSize) || 50;
    const tbody = root.querySelector('tbody');
    const range = root.querySelector('.range');
    const count = root.querySelector('.count');
    const pager = root.querySelector('.pager');
    const [prev, next] = pager.querySelectorAll('button');
    const input = root.querySelector('input[type=search]');
    let rows = all;
    let page = 0;
    let sort = heads.findIndex((th) => th.hasAttribute('aria-sort'));
    let desc = sort >= 0 && heads[sort].getAttribute('aria-sort') === 'descending';

    const draw = () => {
      const pages = Math.max(1, Math.ceil(rows.length / pageSize));
      page = Math.min(Math.max(page, 0), pages - 1);
      const start = page * pageSize;
      const shown = rows.slice(start, start + pageSize);
      const frag = document.createDocumentFragment();
      for (const r of shown) {
        const tr = document.createElement('tr');
        r.text.forEach((t, i) => {
          const td = document.createElement('td');
          if (numeric[i]) td.className = 'num';
          td.textContent = t;
          tr.appendChild(td);
        });
        frag.appendChild(tr);
      }
      tbody.replaceChildren(frag);
      range.textContent = rows.length
        ? `${fmt.format(start + 1)}–${fmt.format(start + shown.length)} of ${fmt.format(rows.length)}`
        : 'no rows';
      count.textContent = rows.length === all.length
        ? `${fmt.format(all.length)} row${all.length === 1 ? '' : 's'}`
        : `${fmt.format(rows.length)} of ${fmt.format(all.length)} rows`;
      pager.hidden = pages <= 1;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    };

    const order = () => {
      if (sort < 0) {
        rows.sort((a, b) => a.index - b.index);
        return;
      }
      const sign = desc ? -1 : 1;
      if (numeric[sort]) {
        rows.sort((a, b) => sign * (a.value[sort] - b.value[sort] || 0) || a.index - b.index);
      } else {
        const key = (r) => r.text[sort].toLowerCase();
        rows.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          return sign * (x < y ? -1 : x > y ? 1 : 0) || a.index - b.index;
        });
      }
    };

    heads.forEach((th, i) => {
      th.querySelector('button').addEventListener('click', () => {
        // Numbers sort largest first on the first click, text A to Z.
        desc = sort === i ? !desc : numeric[i];
        sort = i;
        heads.forEach((h, j) => {
          if (j === i) h.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
          else h.removeAttribute('aria-sort');
        });
        order();
        page = 0;
        draw();
      });
    });

    let timer = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const q = input.value.trim().toLowerCase();
        rows = q ? all.filter((r) => r.search.includes(q)) : all.slice();
        order();
        page = 0;
        draw();
      }, 120);
    });
    prev.addEventListener('click', () => { page -= 1; draw(); });
    next.addEventListener('click', () => { page += 1; draw(); });
    rows = all.slice();
    draw();
  }
})();
