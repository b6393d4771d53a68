// irnn ui: live updates. Listens to the server's events (/events) and, when the store changed,
// fetches this page's live part again and swaps it in (no reload): one request at a time, at most
// once a second, and never more than a third of the time busy (a page of a large store takes the
// server a while to draw). Checked compare boxes survive the swap. No other code runs in the page.
(() => {
  const live = document.getElementById('live');
  const state = document.getElementById('live-state');
  if (!live || !window.EventSource) return;
  const MIN_MS = 1000;
  let busy = false;
  let again = false;
  let last = 0;
  let took = 0;

  async function refresh() {
    if (busy) { again = true; return; }
    const wait = last + Math.max(MIN_MS, 3 * took) - Date.now();
    if (wait > 0) { busy = true; await new Promise((r) => setTimeout(r, wait)); busy = false; }
    busy = true;
    last = Date.now();
    try {
      const res = await fetch(location.pathname + location.search, { headers: { 'X-Irnn-Partial': '1' }, cache: 'no-store' });
      if (res.ok || res.status === 400 || res.status === 404) {
        const html = await res.text();
        const picked = [...live.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
        // The server escaped every string from the store; this is its own HTML for this page.
        live.innerHTML = html;
        for (const c of live.querySelectorAll('input[type=checkbox]')) if (picked.includes(c.value)) c.checked = true;
      }
    } catch {
      // The server went away: the event stream says so and reconnects.
    } finally {
      took = Date.now() - last;
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  const events = new EventSource('/events');
  events.onopen = () => { state.textContent = 'live'; state.className = 'live-state on'; };
  events.onerror = () => { state.textContent = 'reconnecting'; state.className = 'live-state off'; };
  events.addEventListener('change', () => { if (!document.hidden) refresh(); });
  // Ages and stale flags move with time: redraw now and then while something runs.
  events.addEventListener('tick', () => { if (!document.hidden && live.querySelector('[data-running]')) refresh(); });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
})();
