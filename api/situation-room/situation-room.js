// The situation room (DESIGN.md §7): national and regional KPIs, priorities, shipments in
// transit and alerts, read from /v1 with the key the user gives once (kept in sessionStorage,
// never in a URL), kept live by GET /v1/events read as a fetch stream (EventSource cannot send
// an Authorization header). Data is only ever written to the page as text, never as HTML.

const STORAGE_KEY = 'reserve-hub.situation-room.key';
const FULL_REFRESH_MS = 60_000;
const STALL_MS = 45_000; // the server sends a heartbeat every 15 s
const KPIS = {
  stock_position: 'by=region',
  priority_backlog: 'by=region,priority',
  shipments: 'by=region',
  fill_rate: 'by=region',
  stock_outs: 'by=region',
};
const LISTS = ['requests', 'transit', 'incidents'];
const PRIORITIES = ['stat', 'asap', 'urgent', 'routine'];
const PRIORITY_FR = { stat: 'Immédiate', asap: 'Dès que possible', urgent: 'Urgente', routine: 'Routine' };
const SHIPMENT_STATUS_FR = {
  planned: 'planifiée',
  picked: 'préparée',
  dispatched: 'expédiée',
  'in-transit': 'en transit',
  delivered: 'livrée',
  received: 'réceptionnée',
  cancelled: 'annulée',
};
const SEVERITY_FR = {
  extreme: 'extrême',
  severe: 'sévère',
  moderate: 'modérée',
  minor: 'mineure',
  unknown: 'inconnue',
};
const INCIDENT_FR = {
  earthquake: 'Séisme',
  flood: 'Inondation',
  landslide: 'Glissement de terrain',
  chemical: 'Accident chimique',
  industrial: 'Accident industriel',
  radiological: 'Accident radiologique',
};
const UNIT_FR = {
  EA: 'unités',
  KGM: 'kg',
  LTR: 'L',
  KT: 'kits',
  XBO: 'bouteilles',
  XBX: 'boîtes',
  XPA: 'paquets',
  XPK: 'colis',
  MTR: 'm',
  PR: 'paires',
  SET: 'jeux',
};

const number = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 3 });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const dateTime = formatter({ dateStyle: 'short', timeStyle: 'short' });
const clock = formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit' });

function formatter(options) {
  try {
    return new Intl.DateTimeFormat('fr-FR', { ...options, timeZone: 'Africa/Casablanca' });
  } catch {
    return new Intl.DateTimeFormat('fr-FR', options);
  }
}

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Creates an element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// ---------------------------------------------------------------------------------------------
// state

const state = {
  key: '',
  /** Aborts everything of the current session (stream, timers). */
  session: null,
  places: new Map(),
  regions: [],
  kpis: {},
  requests: [],
  transit: [],
  incidents: [],
  lastEventId: '',
};

async function api(path) {
  const res = await fetch(`/v1${path}`, {
    headers: { Authorization: `Bearer ${state.key}`, Accept: 'application/json' },
    cache: 'no-store',
    signal: state.session?.signal,
  });
  if (!res.ok) {
    let problem = null;
    try {
      problem = await res.json();
    } catch {
      // not a problem document
    }
    throw new ApiError(res.status, problem);
  }
  return res.json();
}

async function list(path) {
  return (await api(path)).items ?? [];
}

// ---------------------------------------------------------------------------------------------
// session

function showLogin(message) {
  state.session?.abort();
  state.session = null;
  state.key = '';
  sessionStorage.removeItem(STORAGE_KEY);
  $('room').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('key-error').textContent = message ?? '';
  $('notice').textContent = '';
  setConnection('offline');
  $('api-key').focus();
}

function refusedMessage(error) {
  if (error instanceof ApiError && error.status === 401) {
    return 'Clé API refusée (401) : elle est inconnue, révoquée ou expirée. Vérifiez-la et recommencez.';
  }
  if (error instanceof ApiError && error.status === 403) {
    return 'Cette clé API n’a pas le droit de lecture (403, scope « read » requis).';
  }
  return null;
}

async function open(key) {
  state.session?.abort();
  state.key = key;
  state.session = new AbortController();
  $('key-error').textContent = '';
  setConnection('connecting');
  let locations;
  try {
    locations = await list('/locations');
  } catch (error) {
    if (error?.name === 'AbortError') return;
    showLogin(refusedMessage(error) ?? `Le hub ne répond pas : ${error.message}`);
    return;
  }
  sessionStorage.setItem(STORAGE_KEY, key);
  state.places = new Map(locations.map((l) => [l.id, l]));
  state.regions = locations.filter((l) => l.kind === 'region').sort((a, b) => a.nameFr.localeCompare(b.nameFr, 'fr'));
  state.kpis = {};
  state.lastEventId = '';
  $('login').hidden = true;
  $('room').hidden = false;
  $('logout').hidden = false;
  $('api-key').value = '';
  render();
  const signal = state.session.signal;
  markDirty(...Object.keys(KPIS), ...LISTS);
  const every = setInterval(() => markDirty(...Object.keys(KPIS), ...LISTS), FULL_REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(every));
  void stream(signal);
}

// ---------------------------------------------------------------------------------------------
// loading: what changed is marked dirty, and reloaded together at most once a second

const dirty = new Set();
let flushTimer = null;
let flushing = false;

function markDirty(...names) {
  for (const n of names) dirty.add(n);
  if (!flushTimer && !flushing) flushTimer = setTimeout(flush, 200);
}

async function flush() {
  flushTimer = null;
  if (!state.session) {
    dirty.clear();
    return;
  }
  flushing = true;
  const names = [...dirty];
  dirty.clear();
  const results = await Promise.allSettled(names.map((n) => load(n)));
  flushing = false;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    const refused = refusedMessage(failed.reason);
    if (refused) return showLogin(refused);
    if (failed.reason?.name !== 'AbortError') setNotice(`Lecture impossible : ${failed.reason?.message}`);
  } else {
    setNotice('');
    const now = new Date();
    const time = $('last-update');
    time.setAttribute('datetime', now.toISOString());
    time.textContent = clock.format(now);
  }
  render();
  if (dirty.size && !flushTimer) flushTimer = setTimeout(flush, 1000);
}

async function load(name) {
  if (name in KPIS) {
    state.kpis[name] = (await api(`/kpis/${name}?${KPIS[name]}`)).items;
  } else if (name === 'requests') {
    state.requests = await list('/requests?status=active&sort=-authoredOn&limit=100');
  } else if (name === 'transit') {
    const [dispatched, moving] = await Promise.all([
      list('/shipments?status=dispatched&sort=eta&limit=100'),
      list('/shipments?status=in-transit&sort=eta&limit=100'),
    ]);
    state.transit = [...dispatched, ...moving].sort((a, b) => String(a.eta ?? '~').localeCompare(String(b.eta ?? '~')));
  } else if (name === 'incidents') {
    state.incidents = await list('/incidents?sort=-startedAt&limit=10');
  }
}

// ---------------------------------------------------------------------------------------------
// live events: a fetch stream, parsed here, resumed with Last-Event-ID

async function stream(signal) {
  let delay = 1000;
  let retry = 3000;
  let connected = false;
  while (!signal.aborted) {
    setConnection(connected ? 'reconnecting' : 'connecting');
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    signal.addEventListener('abort', stop);
    let watchdog = setTimeout(stop, STALL_MS);
    try {
      const headers = { Authorization: `Bearer ${state.key}`, Accept: 'text/event-stream' };
      if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
      const res = await fetch('/v1/events', { headers, cache: 'no-store', signal: attempt.signal });
      if (res.status === 401 || res.status === 403) {
        showLogin(refusedMessage(new ApiError(res.status)));
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setConnection('online');
      // Events beyond the server's journal, or during a gap, are caught up by reading again.
      if (connected) markDirty(...Object.keys(KPIS), ...LISTS);
      connected = true;
      delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(watchdog);
        watchdog = setTimeout(stop, STALL_MS);
        buffer = (buffer + value).replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = parseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (frame.retry) retry = frame.retry;
          if (frame.id !== undefined) state.lastEventId = frame.id;
          if (frame.data !== undefined) onEvent(frame.event, frame.data);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // a network failure or a stalled stream: reconnect below
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', stop);
    }
    if (signal.aborted) return;
    setConnection('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, Math.max(retry, delay)));
    delay = Math.min(delay * 2, 30_000);
  }
}

function parseFrame(text) {
  const frame = { event: 'message' };
  const data = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) frame.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value);
  }
  if (data.length) frame.data = data.join('\n');
  return frame;
}

function onEvent(type, text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  if (type === 'kpi.changed') {
    if (data.kpi in KPIS) markDirty(data.kpi);
    if (data.kpi === 'priority_backlog') {
      markDirty('requests');
      feed('request', [
        'Demandes ouvertes — ',
        regionLabel(data.region),
        ` : ${number.format(data.previous ?? 0)} → ${number.format(data.value ?? 0)}`,
      ]);
    }
  } else if (type === 'shipment.status_changed') {
    markDirty('shipments', 'fill_rate', 'stock_position', 'transit');
    const from = data.from ? (SHIPMENT_STATUS_FR[data.from] ?? data.from) : 'nouvelle';
    feed('shipment', `Expédition ${data.shipment} : ${from} → ${SHIPMENT_STATUS_FR[data.to] ?? data.to}`);
  } else if (type === 'incident.created') {
    markDirty('incidents');
    const regions = (data.affectedRegions ?? []).flatMap((r, i) => (i ? [', ', regionLabel(r)] : [regionLabel(r)]));
    feed('incident', [
      `Nouvel incident : ${data.name ?? INCIDENT_FR[data.type] ?? data.type}`,
      data.severity ? ` (gravité ${SEVERITY_FR[data.severity] ?? data.severity})` : '',
      regions.length ? ' — ' : '',
      ...regions,
    ]);
  }
}

function feed(kind, content) {
  const list = $('feed');
  const now = new Date();
  list.prepend(
    h('li', { class: `feed-${kind}` }, h('time', { datetime: now.toISOString() }, clock.format(now)), ' ', content),
  );
  while (list.children.length > 30) list.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------
// rendering

function setConnection(mode) {
  const text = { online: 'En direct', connecting: 'Connexion…', reconnecting: 'Reconnexion…', offline: 'Hors ligne' };
  $('connection').dataset.state = mode;
  $('connection-text').textContent = text[mode];
}

function setNotice(message) {
  $('notice').textContent = state.session ? message : '';
}

function regionLabel(id) {
  const region = state.places.get(id);
  if (!region) return h('span', { class: 'region-name' }, id || '—');
  return h(
    'span',
    { class: 'region-name' },
    h('span', { lang: 'fr' }, region.nameFr),
    region.nameAr ? [' ', h('span', { lang: 'ar', dir: 'rtl' }, region.nameAr)] : [],
  );
}

function placeLabel(reference) {
  const id = String(reference ?? '').replace(/^Location\//, '');
  const place = state.places.get(id);
  if (!place) return id || '—';
  const region = place.regionId && place.regionId !== id ? state.places.get(place.regionId) : undefined;
  return h(
    'span',
    {},
    place.nameFr,
    region ? [' (', region.nameFr, ' ', h('span', { lang: 'ar', dir: 'rtl' }, region.nameAr ?? ''), ')'] : [],
  );
}

const round = (n) => Math.round(n * 1e6) / 1e6;

function sum(rows, measure) {
  let total = 0;
  for (const r of rows) if (typeof r[measure] === 'number') total += r[measure];
  return round(total);
}

/** Σ available per unit. */
function byUnit(rows) {
  const units = new Map();
  for (const r of rows) units.set(r.unit, round((units.get(r.unit) ?? 0) + (r.available ?? 0)));
  return [...units].sort(([a], [b]) => a.localeCompare(b));
}

/** The mean of the lines' fill rates over rows that each hold a mean over `lines` lines. */
function fillRate(rows) {
  let lines = 0;
  let weighted = 0;
  for (const r of rows) {
    if (typeof r.fill_rate !== 'number' || !r.lines) continue;
    lines += r.lines;
    weighted += r.fill_rate * r.lines;
  }
  return lines ? round(weighted / lines) : null;
}

function value(measure, v, text) {
  return h('data', { value: v ?? '', 'data-measure': measure }, text ?? (v === null ? '—' : number.format(v)));
}

function indicators(rows) {
  const stock = rows.stock_position;
  const units = byUnit(stock);
  return h(
    'dl',
    { class: 'kpis' },
    h('dt', {}, 'Stock disponible'),
    h(
      'dd',
      { class: 'stock' },
      units.length
        ? h(
            'ul',
            {},
            units.map(([unit, available]) =>
              h(
                'li',
                { 'data-unit': unit },
                value('available', available),
                ' ',
                h('abbr', { title: unit }, UNIT_FR[unit] ?? unit),
              ),
            ),
          )
        : '—',
    ),
    h('dt', {}, 'Demandes ouvertes'),
    h('dd', {}, value('requests', sum(rows.priority_backlog, 'requests'))),
    h('dt', {}, 'Expéditions en transit'),
    h(
      'dd',
      {},
      value('in_transit', sum(rows.shipments, 'in_transit')),
      ' dont ',
      value('late', sum(rows.shipments, 'late')),
      ' en retard',
    ),
    h('dt', {}, 'Taux de service'),
    h(
      'dd',
      {},
      (() => {
        const rate = fillRate(rows.fill_rate);
        return value('fill_rate', rate, rate === null ? '—' : percent.format(rate));
      })(),
    ),
    h('dt', {}, 'Ruptures de stock'),
    h('dd', {}, value('stock_outs', sum(rows.stock_outs, 'stock_outs'))),
  );
}

function kpiRows(filter) {
  const rows = {};
  for (const name of Object.keys(KPIS)) rows[name] = (state.kpis[name] ?? []).filter(filter);
  return rows;
}

function render() {
  const loaded = Object.keys(KPIS).every((n) => state.kpis[n]);
  $('room').setAttribute('aria-busy', String(!loaded));
  $('national').replaceChildren(loaded ? indicators(kpiRows(() => true)) : h('p', {}, 'Chargement…'));

  $('regions').replaceChildren(
    ...state.regions.map((region) =>
      h(
        'li',
        { class: 'tile', 'data-region': region.id },
        h(
          'h3',
          {},
          h('span', { lang: 'fr' }, region.nameFr),
          ' ',
          h('span', { lang: 'ar', dir: 'rtl', class: 'ar' }, region.nameAr ?? ''),
        ),
        loaded ? indicators(kpiRows((r) => r.region === region.id)) : h('p', {}, 'Chargement…'),
      ),
    ),
  );

  const backlog = state.kpis.priority_backlog ?? [];
  const seen = [...new Set(backlog.map((r) => r.priority))];
  const order = [...PRIORITIES, ...seen.filter((p) => !PRIORITIES.includes(p)).sort()];
  $('priorities')
    .querySelector('tbody')
    ?.replaceChildren(
      ...order.map((p) => {
        const rows = backlog.filter((r) => r.priority === p);
        const oldest = rows.reduce(
          (m, r) => (typeof r.oldest_age_hours === 'number' ? Math.max(m, r.oldest_age_hours) : m),
          -1,
        );
        return h(
          'tr',
          { 'data-priority': p, class: `priority-${p}` },
          h('th', { scope: 'row' }, PRIORITY_FR[p] ?? p),
          h('td', {}, value('requests', sum(rows, 'requests'))),
          h('td', {}, oldest < 0 ? '—' : number.format(Math.round(oldest * 10) / 10)),
        );
      }),
    );

  const rank = (p) => (PRIORITIES.includes(p) ? PRIORITIES.indexOf(p) : PRIORITIES.length);
  const requests = [...state.requests]
    .sort((a, b) => rank(a.priority) - rank(b.priority) || String(a.authoredOn).localeCompare(String(b.authoredOn)))
    .slice(0, 20);
  $('requests')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(requests.length
        ? requests.map((r) =>
            h(
              'tr',
              { 'data-request': r.id, class: `priority-${r.priority}` },
              h('td', {}, PRIORITY_FR[r.priority] ?? r.priority ?? '—'),
              h('th', { scope: 'row' }, r.id),
              h('td', {}, placeLabel(r.deliverTo?.reference)),
              h('td', {}, when(r.authoredOn)),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 4 }, 'Aucune demande active.'))]),
    );

  const now = Date.now();
  $('shipments')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(state.transit.length
        ? state.transit.map((s) => {
            const late = s.eta && Date.parse(s.eta) < now;
            return h(
              'tr',
              { 'data-shipment': s.id, class: late ? 'late' : undefined },
              h('th', { scope: 'row' }, s.id),
              h('td', {}, PRIORITY_FR[s.priority] ?? s.priority ?? '—'),
              h('td', {}, SHIPMENT_STATUS_FR[s.status] ?? s.status),
              h('td', {}, placeLabel(s.origin?.reference)),
              h('td', {}, placeLabel(s.destination?.reference)),
              h('td', {}, when(s.eta), late ? h('strong', {}, ' — en retard') : ''),
            );
          })
        : [h('tr', {}, h('td', { colspan: 6 }, 'Aucune expédition en transit.'))]),
    );

  $('incidents').replaceChildren(
    ...(state.incidents.length
      ? state.incidents.map((i) =>
          h(
            'li',
            { 'data-incident': i.id, class: `severity-${i.severity}` },
            h(
              'p',
              { class: 'incident-name' },
              h('strong', {}, i.name?.fr ?? INCIDENT_FR[i.incidentType] ?? i.incidentType ?? i.id),
              i.name?.ar ? [' ', h('span', { lang: 'ar', dir: 'rtl' }, i.name.ar)] : [],
            ),
            h(
              'p',
              {},
              `${INCIDENT_FR[i.incidentType] ?? i.incidentType ?? ''} · gravité ${SEVERITY_FR[i.severity] ?? i.severity ?? '—'} · ${i.status ?? ''} · depuis ${when(i.period?.start)}`,
            ),
            i.affectedRegions?.length
              ? h(
                  'p',
                  {},
                  'Régions : ',
                  i.affectedRegions.flatMap((r, n) => (n ? [', ', regionLabel(r)] : [regionLabel(r)])),
                )
              : '',
          ),
        )
      : [h('li', {}, 'Aucun incident.')]),
  );
}

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTime.format(d);
}

// ---------------------------------------------------------------------------------------------
// start

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = /** @type {HTMLInputElement} */ ($('api-key')).value.trim();
  if (key) void open(key);
});
$('logout').addEventListener('click', () => showLogin(''));

const saved = sessionStorage.getItem(STORAGE_KEY);
if (saved) void open(saved);
else setConnection('offline');
