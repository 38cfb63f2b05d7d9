"""The app's own CSS and browser script, kept as Python strings so they ship with the package.

The script runs as the sources panel's ``js_on_load`` (it gets that component's ``server`` object for
``open_article``) and installs document-level listeners once: citation markers in the chat show their
quoted passage in a popover and select the matching card in the panel; cards open the whole article in
an overlay with the passage highlighted; the copy button puts the answer with its sources on the clipboard.
Nothing is fetched from anywhere but this app.
"""

from __future__ import annotations

JS = r"""
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
"""

CSS = r"""
/* The theme's Source Sans Pro SemiBold file covers only a few glyphs: bold text fell back glyph by glyph
   to another font. Serve the full Bold file for weights 600 and 700 (same origin, nothing from a CDN). */
@font-face { font-family: "Source Sans Pro"; font-style: normal; font-weight: 600; font-display: swap;
  src: url("static/fonts/SourceSansPro/SourceSansPro-Bold.woff2") format("woff2"); }
@font-face { font-family: "Source Sans Pro"; font-style: normal; font-weight: 700; font-display: swap;
  src: url("static/fonts/SourceSansPro/SourceSansPro-Bold.woff2") format("woff2"); }
.gradio-container { max-width: 1400px !important; }
#nq-header { align-items: baseline; gap: 12px; margin-bottom: 2px; }
#nq-header h1 { font-size: 1.45rem; font-weight: 700; margin: 0; letter-spacing: -0.01em; }
#nq-theme { margin-left: 12px; font-size: 0.8rem; padding: 2px 10px; border-radius: 999px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); color: var(--body-text-color); }
#nq-chat-tools { justify-content: flex-end; }
@media (max-width: 700px) {
  /* gradio's chat icons sit over the first message on a narrow screen: give them their own strip */
  #nq-chat .bubble-wrap { padding-top: 40px; }
  #nq-chat .message-row.bubble { margin-left: 8px; margin-right: 8px; }
  .bubble.user-row, .bubble.bot-row { max-width: calc(100% - 16px) !important; }
  #nq-header { flex-direction: column; align-items: flex-start; }
  /* the corpus table on a phone: title and date only (the other columns are on a wide screen) */
  #nq-articles th:nth-child(n+3), #nq-articles .body-cell[data-col="2"], #nq-articles .body-cell[data-col="3"], #nq-articles .body-cell[data-col="4"], #nq-articles .body-cell[data-col="5"], #nq-articles .body-cell[data-col="6"] { display: none !important; }
  #nq-articles table { width: 100% !important; table-layout: fixed !important; }
  #nq-articles th > *, #nq-articles th .cell-wrap { width: auto !important; min-width: 0 !important; max-width: none !important; }
  #nq-articles th:nth-child(1), #nq-articles .body-cell[data-col="0"] { width: 68% !important; min-width: 0 !important;
    max-width: none !important; flex: 0 0 68% !important; }
  #nq-articles th:nth-child(2), #nq-articles .body-cell[data-col="1"] { width: 32% !important; min-width: 0 !important;
    max-width: none !important; flex: 0 0 32% !important; }
}
#nq-header .nq-tagline { color: var(--body-text-color-subdued); font-size: 0.95rem; }
#nq-status { text-align: right; color: var(--body-text-color-subdued); font-size: 0.9rem; }
#nq-status p { margin: 0; }

/* chat */
#nq-chat .nq-user { white-space: pre-wrap; }
.nq-answer { line-height: 1.6; }
.nq-answer > div + div { margin-top: 8px; }
.nq-rewrite { font-size: 0.88em; color: var(--body-text-color-subdued); padding-left: 8px;
  border-left: 3px solid var(--color-accent); }
.nq-rewrite q { font-style: italic; color: var(--body-text-color); }
/* gradio fades every chat message to opacity 0.8, which takes small text below AA contrast */
#nq-chat .message-wrap .prose.chatbot.md { opacity: 1; }
.nq-foot { font-size: 0.78em; color: var(--body-text-color-subdued); }
a.cite, span.cite { display: inline-flex; align-items: center; justify-content: center; min-width: 1.35em;
  height: 1.35em; padding: 0 0.3em; margin: 0 1px; border-radius: 999px; font-size: 0.72em; font-weight: 700;
  line-height: 1; vertical-align: 0.35em; text-decoration: none !important; cursor: pointer;
  background: var(--color-accent-soft); color: var(--color-accent) !important;
  border: 1px solid var(--color-accent); }
a.cite:hover, a.cite:focus-visible { background: var(--color-accent); color: white !important; outline: none; }
span.nq-cite-pending { opacity: 0.55; cursor: default; }
a.nq-cite-closest { border-style: dashed; }
.nq-refusal { padding: 8px 10px; border-radius: 8px; background: #fff7ed; border: 1px solid #fdba74;
  color: #7c2d12; }
.nq-conflict { padding: 8px 10px; border-radius: 8px; background: #fef2f2; border: 1px solid #fca5a5;
  color: #7f1d1d; }
.nq-notice { padding: 6px 10px; border-radius: 8px; background: #eff6ff; border: 1px solid #93c5fd;
  color: #1e3a8a; font-size: 0.9em; }
.nq-error { padding: 8px 10px; border-radius: 8px; background: #fef2f2; border: 1px solid #f87171; color: #7f1d1d; }
.dark .nq-refusal { background: #431407; border-color: #9a3412; color: #fed7aa; }
.dark .nq-conflict, .dark .nq-error { background: #450a0a; border-color: #991b1b; color: #fecaca; }
.dark .nq-notice { background: #172554; border-color: #1e40af; color: #bfdbfe; }
.nq-pending .nq-dots::after { content: '…'; display: inline-block; width: 1.2em; animation: nq-dots 1.2s steps(4) infinite;
  overflow: hidden; vertical-align: bottom; }
@keyframes nq-dots { from { width: 0; } to { width: 1.2em; } }
.nq-pending { color: var(--body-text-color-subdued); font-style: italic; }
/* Stages show only for answers slower than half a second. */
.nq-pending .nq-dots, .nq-stage { opacity: 0; animation: nq-appear 0.2s ease 0.5s forwards; }
.nq-pending .nq-dots::after { animation-delay: 0.5s; }
@keyframes nq-appear { to { opacity: 1; } }
.nq-draft { color: var(--body-text-color-subdued); opacity: 0.75; margin-top: 4px; }
.nq-stage { color: var(--body-text-color-subdued); font-style: italic; font-size: 0.9em; margin-top: 4px; }
.nq-caret { display: inline-block; width: 0.5em; height: 1em; margin-left: 2px; vertical-align: -0.1em;
  background: var(--color-accent); animation: nq-blink 1s step-end infinite; }
@keyframes nq-blink { 50% { opacity: 0; } }
#nq-ask-row { align-items: stretch; }
#nq-question button.submit-button { background: var(--button-primary-background-fill); color: var(--button-primary-text-color);
  font-weight: 600; padding: 0 14px; }
#nq-question button.submit-button:hover { background: var(--button-primary-background-fill-hover); }
#nq-settings { gap: 10px; }

/* sources panel */
#nq-sources { height: 100%; }
.nq-panel { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px 14px;
  background: var(--background-fill-secondary); max-height: 720px; overflow-y: auto; }
.nq-empty h3 { margin: 0 0 6px; font-size: 1.05rem; }
.nq-empty p { color: var(--body-text-color-subdued); font-size: 0.92em; margin: 0 0 8px; line-height: 1.5; }
.nq-panel-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 8px; margin-bottom: 8px; }
.nq-for { font-weight: 600; font-size: 0.95em; line-height: 1.35; }
.nq-for q { font-weight: 500; }
.nq-panel-tools { display: flex; align-items: center; gap: 6px; flex-shrink: 0; }
.nq-nav { display: inline-flex; align-items: center; gap: 2px; font-size: 0.8em; color: var(--body-text-color-subdued); }
.nq-panel button, #nq-popover button, .nq-dialog button { font: inherit; cursor: pointer; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
  color: var(--body-text-color); padding: 2px 8px; font-size: 0.8em; }
.nq-panel button:hover:not([disabled]), #nq-popover button:hover { border-color: var(--color-accent);
  color: var(--color-accent); }
.nq-panel button[disabled] { opacity: 0.4; cursor: default; }
.nq-panel .nq-rewrite, .nq-panel .nq-conflict, .nq-panel .nq-refusal { margin-bottom: 8px; font-size: 0.88em; }
.nq-cards { list-style: none; margin: 0; padding: 0; }
.nq-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px; margin: 0 0 10px;
  background: var(--background-fill-primary); transition: border-color 0.2s, box-shadow 0.2s; }
.nq-quote + .nq-quote { border-top: 1px dashed var(--border-color-primary); margin-top: 8px; padding-top: 8px; }
.nq-quote > .nq-n { margin-right: 6px; }
.nq-card-head .nq-n + .nq-n { margin-left: 3px; }
.nq-quote.nq-active .nq-context { border-left-color: var(--color-accent); }
.nq-where { font-size: 0.8em; color: var(--body-text-color-subdued); }
.nq-card.nq-active { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft);
  animation: nq-flash 0.9s ease-out; }
@keyframes nq-flash { from { box-shadow: 0 0 0 8px var(--color-accent-soft); } }
.nq-card-head, .nq-pop-head { display: flex; align-items: baseline; gap: 8px; }
.nq-n { flex-shrink: 0; display: inline-flex; align-items: center; justify-content: center; min-width: 1.5em;
  height: 1.5em; border-radius: 999px; background: var(--color-accent); color: white; font-size: 0.78em;
  font-weight: 700; }
.nq-title { font-weight: 600; font-size: 0.93em; line-height: 1.35; }
.nq-meta { margin: 2px 0 6px; font-size: 0.78em; color: var(--body-text-color-subdued); }
.nq-meta code { font-size: 0.95em; background: transparent; padding: 0; }
.nq-score { font-variant-numeric: tabular-nums; color: var(--color-accent); }
blockquote.nq-context { margin: 0 !important; padding: 6px 10px; border-left: 3px solid var(--border-color-accent, #cbd5e1);
  font-size: 0.9em; line-height: 1.55; color: var(--body-text-color); background: transparent; quotes: none; }
.nq-context mark, .nq-dialog mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.nq-card-closest .nq-context mark { background: #e5e7eb; }
.dark .nq-context mark, .dark .nq-dialog mark { background: #a16207; color: #fefce8; }
.dark .nq-card-closest .nq-context mark { background: #374151; color: inherit; }
.nq-note { font-size: 0.78em; color: #b45309; margin-top: 4px; }
.nq-card-actions { margin-top: 6px; }

/* popover and article overlay */
#nq-popover { position: fixed; z-index: 1000; max-width: min(460px, 92vw); padding: 10px 12px;
  background: var(--background-fill-primary); color: var(--body-text-color);
  border: 1px solid var(--border-color-primary); border-radius: 10px;
  box-shadow: 0 12px 32px rgba(15, 23, 42, 0.22); font-size: 0.92rem; }
#nq-popover[hidden], .nq-overlay[hidden] { display: none !important; }
#nq-count { font-size: 0.78em; color: var(--body-text-color-subdued); text-align: right; padding: 0 12px 4px; }
#nq-count.nq-count-full { color: #b91c1c; font-weight: 600; }
#nq-popover .nq-pop-close { margin-left: auto; padding: 0 6px; }
.nq-overlay { position: fixed; inset: 0; z-index: 1001; background: rgba(15, 23, 42, 0.5);
  display: flex; align-items: center; justify-content: center; }
.nq-dialog { width: min(780px, 94vw); max-height: 86vh; overflow-y: auto; padding: 20px 26px;
  background: var(--background-fill-primary); color: var(--body-text-color); border-radius: 14px;
  box-shadow: 0 24px 60px rgba(15, 23, 42, 0.35); }
.nq-dialog-head { display: flex; align-items: flex-start; gap: 12px; position: sticky; top: -20px;
  background: var(--background-fill-primary); padding-top: 4px; }
.nq-dialog-head h2 { font-size: 1.2rem; margin: 0; line-height: 1.35; }
.nq-dialog-head .nq-close { margin-left: auto; font-size: 1.1rem; padding: 0 10px; }
.nq-dialog-meta { font-size: 0.82em; color: var(--body-text-color-subdued); margin: 6px 0 14px; }
.nq-dialog-body p { margin: 0 0 0.85em; line-height: 1.7; }
.nq-dialog mark#nq-hit, .nq-dialog mark.nq-hit-more { outline: 2px solid #f59e0b; }

/* corpus tab */
#nq-articles table, #nq-articles th, #nq-articles td, #nq-articles span { font-family: var(--font) !important; }
#nq-articles td { font-size: 0.88em; }
#nq-corpus-status { min-height: 2em; }
#nq-corpus-status ul { margin-top: 4px; }
"""
