const first = !window.__nq;
const nq = window.__nq || (window.__nq = { pinned: false, hideTimer: null });
nq.server = server;
if (first) {
  const root = () => document.querySelector('.gradio-container') || document.body;
  const panel = () => document.getElementById('nq-sources');
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));

  function parseCite(a) {
    const m = (a.getAttribute('href') || '').match(/^#cite-(\d+)-(\d+)$/);
    return m ? { turn: m[1], n: m[2] } : null;
  }
  function showTurn(turn) {
    const p = panel();
    if (!p) return null;
    let found = null;
    p.querySelectorAll('.nq-turn').forEach((s) => {
      const on = s.dataset.turn === String(turn);
      s.hidden = !on;
      if (on) found = s;
    });
    return found;
  }
  function activate(turn, n) {
    const section = showTurn(turn);
    if (!section) return null;
    section.querySelectorAll('.nq-active').forEach((c) => c.classList.remove('nq-active'));
    const quote = section.querySelector('#src-' + turn + '-' + n);  // a passage inside its article's card
    if (quote) {
      quote.classList.add('nq-active');
      const card = quote.closest('.nq-card');
      if (card) card.classList.add('nq-active');
      quote.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
    return quote;
  }
  function popover() {
    let pop = document.getElementById('nq-popover');
    if (!pop) {
      pop = document.createElement('div');
      pop.id = 'nq-popover';
      pop.setAttribute('role', 'tooltip');
      pop.hidden = true;
      root().appendChild(pop);
      pop.addEventListener('mouseenter', () => clearTimeout(nq.hideTimer));
      pop.addEventListener('mouseleave', () => { if (!nq.pinned) hidePopover(); });
    }
    return pop;
  }
  function hidePopover(restoreFocus) {
    const pop = document.getElementById('nq-popover');
    const hadFocus = pop && !pop.hidden && pop.contains(document.activeElement);
    if (pop) pop.hidden = true;
    nq.pinned = false;
    if ((restoreFocus || hadFocus) && nq.anchor && document.contains(nq.anchor)) nq.anchor.focus();
  }
  function showPopover(a, pinned) {
    const c = parseCite(a);
    if (!c) return;
    if (a.title) { a.dataset.tip = a.title; a.removeAttribute('title'); }
    const p = panel();
    const quote = p && p.querySelector('#src-' + c.turn + '-' + c.n);
    const card = quote && quote.closest('.nq-card');
    const pop = popover();
    clearTimeout(nq.hideTimer);
    if (card) {
      const open = quote.querySelector('.nq-open');
      pop.innerHTML =
        '<div class="nq-pop-head"><span class="nq-n">' + c.n + '</span><span class="nq-title">' +
        card.querySelector('.nq-title').innerHTML + '</span>' +
        (pinned ? '<button type="button" class="nq-pop-close" aria-label="Close">×</button>' : '') + '</div>' +
        '<div class="nq-meta">' + card.querySelector('.nq-meta').innerHTML + '</div>' +
        '<blockquote class="nq-context">' + quote.querySelector('.nq-context').innerHTML + '</blockquote>' +
        (open ? '<div class="nq-card-actions">' + open.outerHTML + '</div>' : '');
    } else {
      pop.innerHTML = '<blockquote class="nq-context">' + escapeHtml(a.dataset.tip || '') + '</blockquote>';
    }
    pop.classList.toggle('nq-pinned', !!pinned);
    pop.hidden = false;
    const r = a.getBoundingClientRect();
    const w = pop.offsetWidth, h = pop.offsetHeight;
    let left = Math.max(8, Math.min(r.left - 12, window.innerWidth - w - 12));
    let top = r.bottom + 8;
    if (top + h > window.innerHeight - 8) top = Math.max(8, r.top - h - 8);
    pop.style.left = left + 'px';
    pop.style.top = top + 'px';
    nq.pinned = !!pinned;
    nq.anchor = a;
    if (pinned) {  // opened from the keyboard or a click: its buttons are the next thing to reach
      pop.setAttribute('role', 'dialog');
      pop.setAttribute('aria-label', 'Source ' + c.n);
      const first = pop.querySelector('.nq-open') || pop.querySelector('.nq-pop-close');
      if (first) first.focus({ preventScroll: true });
    } else {
      pop.setAttribute('role', 'tooltip');
      pop.removeAttribute('aria-label');
    }
  }
  function overlay() {
    let o = document.getElementById('nq-article');
    if (!o) {
      o = document.createElement('div');
      o.id = 'nq-article';
      o.className = 'nq-overlay';
      o.hidden = true;
      o.innerHTML =
        '<div class="nq-dialog" role="dialog" aria-modal="true" aria-labelledby="nq-article-title">' +
        '<div class="nq-dialog-head"><h2 id="nq-article-title"></h2>' +
        '<button type="button" class="nq-close" aria-label="Close the article">×</button></div>' +
        '<div class="nq-dialog-meta"></div><div class="nq-dialog-body"></div></div>';
      root().appendChild(o);
    }
    return o;
  }
  function closeArticle() {
    const o = document.getElementById('nq-article');
    if (!o || o.hidden) return false;
    o.hidden = true;
    const back = nq.opener;  // focus goes back to what opened the dialog (or the marker behind a popover)
    nq.opener = null;
    if (back && document.contains(back) && back.offsetParent !== null) back.focus();
    else if (nq.anchor && document.contains(nq.anchor)) nq.anchor.focus();
    return true;
  }
  function focusables(container) {
    return Array.from(container.querySelectorAll('button, a[href], [tabindex]:not([tabindex="-1"])'))
      .filter((el) => !el.disabled && el.offsetParent !== null);
  }
  function trapFocus(e) {  // Tab and Shift+Tab stay inside the open dialog
    const o = document.getElementById('nq-article');
    if (!o || o.hidden || e.key !== 'Tab') return;
    const items = focusables(o);
    if (!items.length) { e.preventDefault(); return; }
    const first = items[0], last = items[items.length - 1];
    const inside = o.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (document.activeElement === last || !inside)) { e.preventDefault(); first.focus(); }
  }
  async function openArticle(btn) {
    const inPopover = btn.closest('#nq-popover');
    nq.opener = inPopover ? nq.anchor : btn;
    hidePopover();
    const o = overlay();
    const body = o.querySelector('.nq-dialog-body');
    o.querySelector('#nq-article-title').textContent = 'Loading the article…';
    o.querySelector('.nq-dialog-meta').textContent = '';
    body.innerHTML = '';
    o.hidden = false;
    let res;
    try {
      res = await nq.server.open_article({
        article_id: btn.dataset.article, start: Number(btn.dataset.start), end: Number(btn.dataset.end),
      });
    } catch (err) {
      res = { error: 'The article could not be loaded from the server.' };
    }
    if (!res || res.error) {
      o.querySelector('#nq-article-title').textContent = 'Article unavailable';
      body.innerHTML = '<p class="nq-error">' + escapeHtml((res && res.error) || 'No answer from the server.') + '</p>';
    } else {
      o.querySelector('#nq-article-title').innerHTML = res.title;
      o.querySelector('.nq-dialog-meta').innerHTML = res.meta;
      body.innerHTML = res.html;
      const hit = body.querySelector('#nq-hit');
      if (hit) hit.scrollIntoView({ block: 'center' });
    }
    o.querySelector('.nq-close').focus();
  }
  async function copyText(text, button) {
    let ok = true;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      ta.remove();
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = ok ? 'Copied ✓' : 'Copy failed';
    setTimeout(() => { button.textContent = label; }, 1600);
  }

  document.addEventListener('click', (e) => {
    const t = e.target;
    if (!(t instanceof Element)) return;
    const a = t.closest('a.cite, a[href^="#cite-"]');
    if (a) {
      e.preventDefault();
      e.stopPropagation();
      const c = parseCite(a);
      if (c) { activate(c.turn, c.n); showPopover(a, true); }
      return;
    }
    const open = t.closest('.nq-open');
    if (open) { e.preventDefault(); openArticle(open); return; }
    const copy = t.closest('.nq-copy');
    if (copy) {
      const s = copy.closest('.nq-turn');
      const ta = s && s.querySelector('.nq-copy-text');
      if (ta) copyText(ta.value, copy);
      return;
    }
    const nav = t.closest('.nq-prev, .nq-next');
    if (nav && nav.dataset.turn) { showTurn(nav.dataset.turn); return; }
    if (t.closest('.nq-pop-close')) { hidePopover(); return; }
    if (t.closest('.nq-close') || t.classList.contains('nq-overlay')) { closeArticle(); return; }
    if (!t.closest('#nq-popover')) hidePopover();
  }, true);
  const hoverIn = (e) => {
    const a = e.target instanceof Element && e.target.closest('a.cite');
    if (a && !nq.pinned) showPopover(a, false);
  };
  const hoverOut = (e) => {
    const a = e.target instanceof Element && e.target.closest('a.cite');
    if (a && !nq.pinned) { clearTimeout(nq.hideTimer); nq.hideTimer = setTimeout(hidePopover, 300); }
  };
  document.addEventListener('mouseover', hoverIn);
  document.addEventListener('focusin', hoverIn);
  document.addEventListener('mouseout', hoverOut);
  document.addEventListener('focusout', hoverOut);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { if (!closeArticle()) hidePopover(true); }
    trapFocus(e);
  });
  // A visible count of the question's characters against its limit.
  const countChars = () => {
    const box = document.querySelector('#nq-question textarea');
    if (!box) return;
    let counter = document.getElementById('nq-count');
    if (!counter) {
      counter = document.createElement('div');
      counter.id = 'nq-count';
      counter.setAttribute('aria-live', 'polite');
      box.closest('#nq-question').appendChild(counter);
    }
    const limit = Number(box.getAttribute('maxlength')) || 2000;
    const text = box.value.length + ' / ' + limit;
    if (counter.textContent !== text) counter.textContent = text;
    counter.classList.toggle('nq-count-full', box.value.length >= limit);
  };
  document.addEventListener('input', (e) => { if (e.target.closest && e.target.closest('#nq-question')) countChars(); });
  // gradio names its upload area "Click to upload or drop files" while it shows other words: screen-reader users
  // who speak what they see could not reach it (axe: label-content-name-mismatch). Name it by its text.
  const nameUploads = () => {
    document.querySelectorAll('#nq-upload [aria-label]').forEach((el) => {
      const text = (el.innerText || '').replace(/\s+/g, ' ').trim();
      if (text && el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
    });
  };
  setInterval(countChars, 500);  // also after the server clears or refills the box
  new MutationObserver(nameUploads).observe(document.body, { childList: true, subtree: true, attributes: true,
                                                            attributeFilter: ['aria-label'] });

  // Light or dark, as the reader last chose (kept in this browser), else as the system prefers.
  const applyTheme = (dark) => {
    document.body.classList.toggle('dark', dark);
    const button = document.getElementById('nq-theme');
    if (button) {
      button.setAttribute('aria-pressed', String(dark));
      button.textContent = dark ? 'Light theme' : 'Dark theme';
    }
  };
  const chosen = localStorage.getItem('nq-theme');
  if (chosen) applyTheme(chosen === 'dark');
  else applyTheme(document.body.classList.contains('dark'));
  document.addEventListener('click', (e) => {
    if (!(e.target instanceof Element) || !e.target.closest('#nq-theme')) return;
    const dark = !document.body.classList.contains('dark');
    localStorage.setItem('nq-theme', dark ? 'dark' : 'light');
    applyTheme(dark);
  });
  // A phone opens at the header with the options folded below the sources; a wide screen puts the cursor in
  // the question box without scrolling.
  setTimeout(() => {
    window.scrollTo(0, 0);
    const narrow = window.matchMedia('(max-width: 700px)').matches;
    const fold = document.querySelector('#nq-options > .label-wrap.open, #nq-options button.label-wrap.open');
    if (narrow && fold) fold.click();
    const box = document.querySelector('#nq-question textarea');
    if (!narrow && box) box.focus({ preventScroll: true });
  }, 200);
}
