// The comparison page: a search form, live per-site progress over SSE, and the clubbed table.
// Plain ES module, no dependencies. Everything from the API is rendered as text, never as HTML.

const API = (document.querySelector('meta[name="flightcrawl-api"]')?.content || '').replace(/\/+$/, '');
const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  searching: 'searching', ok: 'done', no_results: 'no flights', blocked: 'blocked',
  rate_limited: 'rate limited', timeout: 'timed out', bad_response: 'failed', error: 'failed',
};
const STATUS_NOTICE = {
  no_results: 'listed no flights for this search',
  blocked: 'was blocked',
  rate_limited: 'rate-limited us',
  timeout: 'timed out',
  bad_response: 'sent an answer we could not read',
  error: 'failed',
};
const TIME_WINDOWS = [
  {value: 'night', label: 'Before 06:00', from: 0, to: 6},
  {value: 'morning', label: '06:00-12:00', from: 6, to: 12},
  {value: 'afternoon', label: '12:00-18:00', from: 12, to: 18},
  {value: 'evening', label: 'After 18:00', from: 18, to: 24},
];
const STOP_CHOICES = [
  {value: '0', label: 'Non-stop'}, {value: '1', label: '1 stop'}, {value: '2', label: '2+ stops'},
];
// The API's names for the form's fields (its 400s name the field they are about).
const FIELD_OF_PARAM = {
  from: 'from', origin: 'from', to: 'to', destination: 'to', travel_date: 'date', date: 'date',
  adults: 'adults', children: 'children', infants: 'infants', cabin: 'cabin', sources: 'sources',
};

const state = {
  sites: {},          // name -> title, in the API's display order
  search: null,       // the running search's parameters
  taskId: null,
  stream: null,       // the EventSource
  seen: new Set(),    // event ids already applied (a resumed stream never applies one twice)
  options: [],        // partial options before TOTAL
  statuses: {},       // site -> source_done data
  total: null,
  rows: [],
  startedAt: 0,
  filters: emptyFilters(),
};

function emptyFilters() {
  // Exclusions, so airlines or sites that show up later in a live search are shown by default.
  return {stops: new Set(), times: new Set(), airlines: new Set(), sites: new Set(), ceiling: null};
}

// --- small helpers -------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const moneyFormats = new Map();
function money(amount, currency) {
  if (!moneyFormats.has(currency)) {
    try {
      moneyFormats.set(currency, new Intl.NumberFormat('en-IN', {style: 'currency', currency, maximumFractionDigits: 0}));
    } catch {
      moneyFormats.set(currency, {format: (n) => `${currency} ${Math.round(n).toLocaleString('en-IN')}`});
    }
  }
  return moneyFormats.get(currency).format(amount);
}

const clock = (iso) => iso.slice(11, 16); // the airport's local time, as the site printed it
const localDay = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10));
const dayShift = (departure, arrival) => Math.round((localDay(arrival) - localDay(departure)) / 86400000);
const duration = (minutes) => `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;

function longDate(iso) {
  const day = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(day.getTime())) return iso;
  return day.toLocaleDateString('en-GB', {weekday: 'short', day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC'});
}

function stopsText(stops, layovers) {
  if (!stops) return 'non-stop';
  const via = layovers && layovers.length ? ` via ${layovers.join(', ')}` : '';
  return `${stops} stop${stops > 1 ? 's' : ''}${via}`;
}

function safeLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function isoToday(offsetDays = 0) {
  const day = new Date();
  day.setDate(day.getDate() + offsetDays);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

async function getJson(path) {
  const response = await fetch(`${API}${path}`, {headers: {Accept: 'application/json'}});
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = {message: `${response.status} ${response.statusText}`};
  }
  return {status: response.status, ok: response.ok, body};
}

// --- airport fields (WAI-ARIA combobox with a list popup) ----------------------------------

class AirportField {
  constructor(input) {
    this.input = input;
    this.list = $(`${input.id}-list`);
    this.hint = $(`${input.id}-hint`);
    this.items = [];
    this.active = -1;
    this.seq = 0;
    this.timer = null;
    this.lastText = '';
    input.addEventListener('input', () => this.changed());
    input.addEventListener('keydown', (event) => this.key(event));
    input.addEventListener('blur', () => setTimeout(() => this.close(), 120));
    input.addEventListener('focus', () => { if (this.items.length && !this.isCode()) this.open(); });
    // mousedown, not click: choose before the input's blur closes the list
    this.list.addEventListener('mousedown', (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) {
        event.preventDefault();
        this.choose(+option.dataset.index);
      }
    });
  }

  isCode() {
    return /^[A-Za-z]{3}$/.test(this.input.value.trim());
  }

  changed() {
    clearFieldError(this.input.id);
    this.hint.textContent = '';
    clearTimeout(this.timer);
    const text = this.input.value.trim();
    if (!text) {
      this.items = [];
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.lookup(text), 120);
  }

  async lookup(text) {
    const seq = ++this.seq;
    let result;
    try {
      result = await getJson(`/api/airports?${new URLSearchParams({q: text, limit: '8'})}`);
    } catch {
      return []; // the form still works with a typed code; the search will say if the API is down
    }
    const items = result.ok ? result.body.airports : [];
    if (seq !== this.seq) return items; // a newer lookup owns the list; the caller still gets its answer
    this.lastText = text;
    this.items = items;
    if (!result.ok && result.body && result.body.message) showFieldError(this.input.id, result.body.message);
    this.render();
    const exact = this.items.find((a) => a.iata === text.toUpperCase());
    if (exact) this.describe(exact);
    if (document.activeElement === this.input && this.items.length) this.open();
    else this.close();
    return this.items;
  }

  render() {
    this.list.replaceChildren(...this.items.map((airport, index) => el('li', {
      id: `${this.input.id}-option-${index}`, role: 'option', 'data-index': String(index),
      'data-iata': airport.iata, 'aria-selected': 'false',
    }, el('b', {text: airport.iata}), ` ${airport.city}`, el('span', {class: 'muted', text: ` ${airport.name}, ${airport.country}`}))));
    this.active = -1;
    this.input.removeAttribute('aria-activedescendant');
  }

  open() {
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }

  move(step) {
    if (!this.items.length) return;
    if (this.list.hidden) this.open();
    this.active = (this.active + step + this.items.length) % this.items.length;
    for (const [index, node] of [...this.list.children].entries()) {
      node.setAttribute('aria-selected', String(index === this.active));
    }
    const node = this.list.children[this.active];
    this.input.setAttribute('aria-activedescendant', node.id);
    node.scrollIntoView({block: 'nearest'});
  }

  key(event) {
    if (event.key === 'ArrowDown') { event.preventDefault(); this.move(1); }
    else if (event.key === 'ArrowUp') { event.preventDefault(); this.move(-1); }
    else if (event.key === 'Escape' && !this.list.hidden) { event.preventDefault(); this.close(); }
    else if (event.key === 'Enter' && !this.list.hidden && this.active >= 0) {
      event.preventDefault(); // pick the airport, do not submit yet
      this.choose(this.active);
    }
  }

  choose(index) {
    const airport = this.items[index];
    if (!airport) return;
    this.input.value = airport.iata;
    this.describe(airport);
    this.close();
    clearFieldError(this.input.id);
  }

  describe(airport) {
    this.hint.textContent = `${airport.city}: ${airport.name}`;
  }

  // The code to search: a typed code as is; a typed city or name becomes its best match.
  async code() {
    clearTimeout(this.timer); // a pending keystroke lookup would only race this one
    const text = this.input.value.trim();
    if (!text || this.isCode()) return text.toUpperCase();
    const items = this.lastText === text ? this.items : await this.lookup(text);
    if (items && items.length) {
      this.input.value = items[0].iata;
      this.describe(items[0]);
      this.close();
      return items[0].iata;
    }
    return text;
  }

  async set(code) {
    clearTimeout(this.timer);
    this.input.value = code || '';
    this.hint.textContent = '';
    if (code) {
      const items = await this.lookup(code);
      this.close();
      const exact = (items || []).find((a) => a.iata === code.toUpperCase());
      if (exact) this.describe(exact);
    }
  }
}

// --- the form ------------------------------------------------------------------------------

let airportFields;

function clearFieldError(fieldId) {
  const slot = $(`${fieldId}-error`);
  if (slot) slot.textContent = '';
  const input = $(fieldId);
  if (input) input.removeAttribute('aria-invalid');
}

function clearErrors() {
  for (const id of ['from', 'to', 'date', 'adults', 'children', 'infants', 'cabin', 'sources']) clearFieldError(id);
  $('form-error').hidden = true;
}

function showFieldError(fieldId, message) {
  const slot = $(`${fieldId}-error`);
  if (!slot) {
    showFormError(message);
    return;
  }
  slot.textContent = message;
  const input = fieldId === 'sources' ? $('site-choices').querySelector('input') : $(fieldId);
  if (fieldId !== 'sources') input.setAttribute('aria-invalid', 'true');
  input?.focus();
}

function showFormError(message) {
  $('form-error').textContent = message;
  $('form-error').hidden = false;
}

function selectedSites() {
  return [...$('site-choices').querySelectorAll('input:checked')].map((box) => box.value);
}

function buildSiteChoices() {
  $('site-choices').replaceChildren(...Object.entries(state.sites).map(([name, title]) =>
    el('label', {class: 'choice'}, el('input', {type: 'checkbox', name: 'sources', value: name, checked: true}),
      ` ${title}`)));
  $('site-choices').addEventListener('change', () => clearFieldError('sources'));
}

async function readForm() {
  const [from, to] = await Promise.all([airportFields.from.code(), airportFields.to.code()]);
  return {
    from, to, date: $('date').value, adults: $('adults').value.trim(), children: $('children').value.trim(),
    infants: $('infants').value.trim(), cabin: $('cabin').value, sources: selectedSites().join(','),
  };
}

function plusDays(text) {
  // A shared link may say "+30" (30 days from today), as the CLI and API accept.
  const match = /^\+(\d{1,3})$/.exec(text || '');
  return match ? isoToday(+match[1]) : text;
}

async function fillForm(params) {
  await Promise.all([airportFields.from.set(params.get('from') || ''), airportFields.to.set(params.get('to') || '')]);
  $('date').value = plusDays(params.get('date') || '') || isoToday(7);
  $('adults').value = params.get('adults') || '1';
  $('children').value = params.get('children') || '0';
  $('infants').value = params.get('infants') || '0';
  $('cabin').value = params.get('cabin') || 'economy';
  const wanted = (params.get('sources') || '').split(',').filter(Boolean);
  for (const box of $('site-choices').querySelectorAll('input')) {
    box.checked = !wanted.length || wanted.includes(box.value);
  }
}

function pageQuery(search) {
  const params = new URLSearchParams({from: search.from, to: search.to, date: search.date});
  for (const name of ['adults', 'children', 'infants', 'cabin', 'sources']) params.set(name, search[name]);
  return `?${params}`;
}

async function submit(event) {
  event.preventDefault();
  const search = await readForm();
  await runSearch(search, {push: true});
}

// --- a search ------------------------------------------------------------------------------

async function runSearch(search, {push}) {
  clearErrors();
  stopStream();
  const api = new URLSearchParams({
    from: search.from, to: search.to, travel_date: search.date, adults: search.adults || '1',
    children: search.children || '0', infants: search.infants || '0', cabin: search.cabin || 'economy',
    sources: search.sources,
  });
  let result;
  $('go').disabled = true;
  try {
    result = await getJson(`/api/flight/start?${api}`);
  } catch (error) {
    showFormError(`The flightcrawl API cannot be reached (${error.message}).`);
    return;
  } finally {
    $('go').disabled = false;
  }
  if (result.status === 400) {
    const field = FIELD_OF_PARAM[result.body.field];
    if (field) showFieldError(field, result.body.message);
    else showFormError(`${result.body.field}: ${result.body.message}`);
    return;
  }
  if (!result.ok) {
    showFormError(result.body.message || `The search could not start (HTTP ${result.status}).`);
    return;
  }
  const url = `${location.pathname}${pageQuery(search)}`;
  if (push && url !== `${location.pathname}${location.search}`) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  document.title = `${search.from} → ${search.to}, ${search.date}: flightcrawl`;
  begin(result.body.task_id, search);
}

function begin(taskId, search) {
  Object.assign(state, {
    search: {...search, sourceList: search.sources.split(',').filter(Boolean)},
    taskId, seen: new Set(), options: [], statuses: {}, total: null, rows: [], startedAt: performance.now(),
    filters: emptyFilters(),
  });
  if (!state.search.sourceList.length) state.search.sourceList = Object.keys(state.sites);
  $('progress').hidden = false;
  $('results').hidden = true;
  $('notices').replaceChildren();
  for (const id of ['filter-stops', 'filter-times', 'filter-airlines', 'filter-sites']) $(id).replaceChildren();
  renderChips();
  setProgress('Searching…');
  openStream();
}

function openStream() {
  const stream = new EventSource(`${API}/api/flight/stream/${encodeURIComponent(state.taskId)}`);
  state.stream = stream;
  for (const type of ['progress', 'partial', 'source_done', 'TOTAL']) {
    stream.addEventListener(type, (event) => onEvent(stream, type, event));
  }
  stream.addEventListener('open', () => {
    if (!state.total) setProgress(progressText());
  });
  stream.addEventListener('error', () => {
    if (stream !== state.stream || state.total) return;
    if (stream.readyState === EventSource.CLOSED) {
      // The API refused the stream (e.g. it restarted and forgot the search): nothing to resume.
      setProgress('The search was lost on the server. Search again to retry.');
      state.stream = null;
    } else {
      setProgress('Connection lost; reconnecting (the search resumes where it left off)…');
    }
  });
}

function stopStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
}

function onEvent(stream, type, event) {
  if (stream !== state.stream) return;
  if (event.lastEventId) {
    if (state.seen.has(event.lastEventId)) return;
    state.seen.add(event.lastEventId);
  }
  const data = JSON.parse(event.data);
  if (type === 'partial') {
    state.options.push(...data.options);
    state.rows = clubOptions(state.options);
    renderChips();
    renderResults();
  } else if (type === 'source_done') {
    state.statuses[data.source] = data;
    renderChips();
    renderNotices();
    renderResults(); // column headers carry each site's status
  } else if (type === 'TOTAL') {
    stopStream(); // the server closes the stream after TOTAL; do not let EventSource reconnect
    state.total = data;
    Object.assign(state.statuses, data.sources || {});
    state.rows = rowsFromTotal(data);
    renderChips();
    renderNotices();
    renderResults();
  }
  setProgress(progressText());
}

function progressText() {
  const s = state.search;
  const where = `${s.from} → ${s.to} on ${longDate(s.date)}`;
  if (state.total) {
    const seconds = state.total.search?.elapsed ?? (performance.now() - state.startedAt) / 1000;
    const flights = state.total.counts?.flights ?? state.rows.length;
    const delivered = Object.values(state.statuses).filter((st) => st.options > 0).length;
    return `${where}: ${flights} flight${flights === 1 ? '' : 's'} from ${delivered} of ${s.sourceList.length} sites ` +
      `in ${seconds.toFixed(1)} s.`;
  }
  const done = s.sourceList.filter((site) => state.statuses[site]).length;
  return `Searching ${where}… ${done} of ${s.sourceList.length} sites done.`;
}

function setProgress(text) {
  $('progress-line').textContent = text;
}

// --- clubbing ------------------------------------------------------------------------------

const bySchedule = (o) => o.match === 'schedule' || !(o.flight_numbers && o.flight_numbers.length);
const scheduleKey = (o) => [o.airline_code, o.origin, o.destination, Date.parse(o.departure), Date.parse(o.arrival)].join('|');
const priceOrder = (a, b) => a.price - b.price || a.source.localeCompare(b.source);

// Before TOTAL, partial options are clubbed here the way the server will club them (flight number,
// else a unique same-schedule flight); TOTAL then replaces these rows with the server's.
function clubOptions(options) {
  const groups = new Map();
  const add = (key, option) => {
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(option);
  };
  const unnumbered = [];
  for (const option of options) (bySchedule(option) ? unnumbered.push(option) : add(option.flight_key, option));
  const schedules = new Map();
  for (const [key, group] of groups) {
    for (const option of group) {
      const sk = scheduleKey(option);
      if (!schedules.has(sk)) schedules.set(sk, new Set());
      schedules.get(sk).add(key);
    }
  }
  for (const option of unnumbered) {
    const found = schedules.get(scheduleKey(option));
    add(found && found.size === 1 ? [...found][0] : option.flight_key, option);
  }
  return [...groups].map(([key, group]) => {
    const sorted = [...group].sort(priceOrder);
    const numbered = sorted.filter((o) => !bySchedule(o));
    const lead = numbered[0] || sorted[0];
    const offers = {};
    for (const option of sorted) if (!offers[option.source]) offers[option.source] = option;
    const currencies = Object.values(offers).map((o) => o.currency);
    const currency = currencies.sort((a, b) => currencies.filter((c) => c === b).length -
      currencies.filter((c) => c === a).length)[0];
    return makeRow(key, lead, offers, currency, sorted.some(bySchedule) ? 'schedule' : 'flight_number');
  });
}

function rowsFromTotal(total) {
  return Object.entries(total.flights).map(([key, bySite]) => {
    const summary = total.summary[key];
    const offers = {};
    for (const [site, options] of Object.entries(bySite)) if (options.length) offers[site] = options[0];
    return makeRow(key, summary, offers, summary.cheapest.currency, summary.match);
  });
}

function makeRow(key, lead, offers, currency, match) {
  return {
    key, offers, currency, match,
    airline: lead.airline, airlineCode: lead.airline_code, numbers: lead.flight_numbers || [],
    origin: lead.origin, destination: lead.destination, departure: lead.departure, arrival: lead.arrival,
    minutes: lead.duration_minutes, stops: lead.stops, layovers: lead.layovers || [],
    depart: Date.parse(lead.departure), arrive: Date.parse(lead.arrival), hour: +lead.departure.slice(11, 13),
  };
}

// --- sorting and filtering -----------------------------------------------------------------

function visibleSites() {
  return state.search.sourceList.filter((site) => !state.filters.sites.has(site));
}

// A row's prices among the sites shown, in its currency: {cheapest, dearest, best site}.
function pricing(row, sites) {
  let cheapest = null;
  let dearest = null;
  let site = null;
  for (const name of sites) {
    const offer = row.offers[name];
    if (!offer || offer.currency !== row.currency) continue;
    if (cheapest === null || offer.price < cheapest) { cheapest = offer.price; site = name; }
    if (dearest === null || offer.price > dearest) dearest = offer.price;
  }
  return {cheapest, dearest, site};
}

const stopsValue = (row) => String(Math.min(row.stops, 2));
const timeValue = (row) => TIME_WINDOWS.find((w) => row.hour >= w.from && row.hour < w.to)?.value;

// Each facet is a test on a row; a facet's counts apply every other facet (the usual shop behaviour).
const FACETS = {
  sites: (row) => state.search.sourceList.some((s) => !state.filters.sites.has(s) && row.offers[s]),
  stops: (row) => !state.filters.stops.has(stopsValue(row)),
  times: (row) => !state.filters.times.has(timeValue(row)),
  airlines: (row) => !state.filters.airlines.has(row.airline),
  ceiling: (row) => state.filters.ceiling === null || row.price.cheapest <= state.filters.ceiling,
};

function passes(row, except = null) {
  return Object.entries(FACETS).every(([name, test]) => name === except || test(row));
}

const SORTS = {
  price: (a, b) => a.price.cheapest - b.price.cheapest || a.depart - b.depart,
  departure: (a, b) => a.depart - b.depart || a.price.cheapest - b.price.cheapest,
  arrival: (a, b) => a.arrive - b.arrive || a.price.cheapest - b.price.cheapest,
  duration: (a, b) => a.minutes - b.minutes || a.price.cheapest - b.price.cheapest,
};

// --- rendering -----------------------------------------------------------------------------

function renderChips() {
  const chips = state.search.sourceList.map((site) => {
    const done = state.statuses[site];
    const status = done ? done.status : 'searching';
    const arrived = done ? done.options : state.options.filter((o) => o.source === site).length;
    const meta = done ? `${arrived} option${arrived === 1 ? '' : 's'} · ${done.elapsed.toFixed(2)} s`
      : (arrived ? `${arrived} so far` : '');
    return el('li', {
      class: `chip status-${status}`, 'data-site': site, 'data-status': status,
      title: done && done.reason ? done.reason : null,
    }, el('span', {class: 'chip-site', text: state.sites[site] || site}), ' ',
    el('span', {class: 'chip-status', text: STATUS_TEXT[status] || status}),
    meta ? ' ' : null, meta ? el('span', {class: 'chip-meta', text: meta}) : null);
  });
  $('chips').replaceChildren(...chips);
}

function renderNotices() {
  const notices = [];
  for (const site of state.search.sourceList) {
    const done = state.statuses[site];
    if (!done || done.status === 'ok') continue;
    const reason = done.reason ? ` (${done.reason})` : '';
    const kept = done.options ? ` The ${done.options} options it sent before that are shown.` : '';
    const rest = done.status === 'no_results' ? '' : ` Its column shows no prices; the other sites' results are unaffected.${kept}`;
    notices.push(el('li', {class: `notice status-${done.status}`, 'data-site': site},
      el('strong', {text: state.sites[site] || site}), ` ${STATUS_NOTICE[done.status] || done.status}${reason}.${rest}`));
  }
  $('notices').replaceChildren(...notices);
}

function renderChoices(container, group, items) {
  // Reuse existing checkboxes so focus and clicks survive live updates.
  const existing = new Map([...container.querySelectorAll('label')].map((label) => [label.dataset.value, label]));
  const nodes = items.map((item) => {
    let label = existing.get(item.value);
    if (!label) {
      const box = el('input', {type: 'checkbox', value: item.value, 'data-group': group});
      label = el('label', {class: 'choice', 'data-value': item.value}, box, el('span', {class: 'choice-text'}),
        el('span', {class: 'choice-count'}));
    }
    label.querySelector('input').checked = !state.filters[group].has(item.value);
    label.querySelector('.choice-text').textContent = ` ${item.label}`;
    label.querySelector('.choice-count').textContent = ` (${item.count})`;
    return label;
  });
  const same = nodes.length === container.children.length && nodes.every((node, i) => container.children[i] === node);
  if (!same) container.replaceChildren(...nodes);
}

function renderControls(rows) {
  const count = (facet, valueOf) => {
    const counts = new Map();
    for (const row of rows) if (passes(row, facet)) counts.set(valueOf(row), (counts.get(valueOf(row)) || 0) + 1);
    return counts;
  };
  const stops = count('stops', stopsValue);
  renderChoices($('filter-stops'), 'stops',
    STOP_CHOICES.filter((c) => rows.some((r) => stopsValue(r) === c.value))
      .map((c) => ({...c, count: stops.get(c.value) || 0})));
  const times = count('times', timeValue);
  renderChoices($('filter-times'), 'times',
    TIME_WINDOWS.map((w) => ({value: w.value, label: w.label, count: times.get(w.value) || 0})));
  const airlines = count('airlines', (row) => row.airline);
  const names = [...new Set(rows.map((row) => row.airline))].sort();
  renderChoices($('filter-airlines'), 'airlines', names.map((name) => ({value: name, label: name, count: airlines.get(name) || 0})));
  const siteCounts = new Map();
  for (const row of rows) {
    if (!passes(row, 'sites')) continue;
    for (const site of Object.keys(row.offers)) siteCounts.set(site, (siteCounts.get(site) || 0) + 1);
  }
  renderChoices($('filter-sites'), 'sites', state.search.sourceList.map((site) =>
    ({value: site, label: state.sites[site] || site, count: siteCounts.get(site) || 0})));

  const prices = rows.filter((row) => passes(row, 'ceiling') && row.price.cheapest !== null).map((r) => r.price.cheapest);
  const slider = $('filter-price');
  const low = prices.length ? Math.min(...prices) : 0;
  const high = prices.length ? Math.max(...prices) : 0;
  slider.min = String(low);
  slider.max = String(high);
  slider.step = String(Math.max(1, Math.round((high - low) / 100))); // about a hundred key presses end to end
  slider.disabled = prices.length < 2;
  slider.value = String(state.filters.ceiling === null ? high : Math.min(Math.max(state.filters.ceiling, low), high));
  const active = ['stops', 'times', 'airlines', 'sites'].filter((g) => state.filters[g].size).length +
    (state.filters.ceiling === null ? 0 : 1);
  $('filter-note').textContent = active ? `(${active} on)` : '';
  const currency = rows[0]?.currency || 'INR';
  $('filter-price-value').textContent = state.filters.ceiling === null ? `${money(high, currency)} (any)`
    : money(state.filters.ceiling, currency);
}

function renderResults() {
  const sites = visibleSites();
  const rows = state.rows.map((row) => ({...row, price: pricing(row, sites)}));
  const empty = !state.rows.length;
  for (const id of ['controls', 'table-wrap', 'legend']) $(id).hidden = empty;
  if (empty) {
    $('results').hidden = !state.total;
    $('count').textContent = state.total ? 'No flights found on the sites searched.' : '';
    $('flights-head').replaceChildren();
    $('flights-body').replaceChildren();
    return;
  }
  $('results').hidden = false;
  renderControls(rows);
  const shown = rows.filter((row) => passes(row)).sort(SORTS[$('sort').value] || SORTS.price);
  const pending = state.total ? '' : ' (more may arrive)';
  $('count').textContent = `Showing ${shown.length} of ${state.rows.length} flights${pending}.`;
  renderHead(sites);
  $('flights-body').replaceChildren(...shown.map((row) => renderRow(row, sites)));
}

function renderHead(sites) {
  const cells = [el('th', {scope: 'col', text: 'Flight'}), el('th', {scope: 'col', text: 'Departure → arrival'}),
    el('th', {scope: 'col', text: 'Duration, stops'})];
  for (const site of sites) {
    const done = state.statuses[site];
    const status = done ? done.status : 'searching';
    cells.push(el('th', {scope: 'col', class: 'site-col', 'data-site': site},
      state.sites[site] || site,
      status === 'ok' ? null : el('span', {class: `badge status-${status}`, text: STATUS_TEXT[status] || status})));
  }
  cells.push(el('th', {scope: 'col', class: 'saving-col', title: 'the cheapest site against the dearest', text: 'Saving'}));
  $('flights-head').replaceChildren(...cells);
}

function renderRow(row, sites) {
  const numbers = row.numbers.length ? row.numbers.join(' + ') : `${row.airlineCode} (no flight number)`;
  const shift = dayShift(row.departure, row.arrival);
  const flight = el('td', {class: 'flight', 'data-label': 'Flight'},
    el('span', {class: 'airline', text: row.airline}), el('span', {class: 'numbers', text: numbers}),
    row.match === 'schedule' ? el('abbr', {class: 'schedule', title: 'a site showed no flight number: matched by airline and times', text: '~'}) : null);
  const times = el('td', {class: 'times', 'data-label': 'Departure → arrival'},
    el('span', {class: 'time'}, el('small', {text: `${row.origin} `}), clock(row.departure)), ' → ',
    el('span', {class: 'time'}, el('small', {text: `${row.destination} `}), clock(row.arrival)),
    shift ? el('sup', {class: 'next-day', title: `arrives ${shift} day${shift > 1 ? 's' : ''} later`, text: `+${shift}`}) : null);
  const cells = [flight, times,
    el('td', {class: 'duration', 'data-label': 'Duration'}, el('span', {text: duration(row.minutes)}),
      ' ', el('span', {class: `stops${row.stops ? '' : ' non-stop'}`, text: stopsText(row.stops, row.layovers)}))];
  const several = sites.filter((s) => row.offers[s]).length > 1;
  for (const site of sites) {
    const offer = row.offers[site];
    const label = state.sites[site] || site;
    if (!offer) {
      cells.push(el('td', {class: 'price none', 'data-site': site, 'data-label': label, 'aria-label': `${label}: not listed`, text: '–'}));
      continue;
    }
    const cheapest = several && row.price.site === site;
    const href = safeLink(offer.deep_link);
    const text = money(offer.price, offer.currency) + (bySchedule(offer) ? ' ~' : '');
    const content = href ? el('a', {href, target: '_blank', rel: 'noopener noreferrer', text,
      title: `See this fare on ${label}`}) : el('span', {text});
    cells.push(el('td', {class: `price${cheapest ? ' cheapest' : ''}`, 'data-site': site, 'data-label': label,
      'data-price': String(offer.price)}, content, cheapest ? el('span', {class: 'star', 'aria-label': 'cheapest', text: ' ★'}) : null));
  }
  const spread = row.price.dearest !== null ? row.price.dearest - row.price.cheapest : 0;
  cells.push(el('td', {class: 'saving', 'data-label': 'Saving'},
    spread > 0 ? el('span', {title: 'the cheapest site against the dearest', text: money(spread, row.currency)}) : '–'));
  return el('tr', {'data-key': row.key}, ...cells);
}

// --- wiring --------------------------------------------------------------------------------

function onFilterChange(event) {
  const box = event.target;
  if (!box.matches('input[type="checkbox"][data-group]')) return;
  const excluded = state.filters[box.dataset.group];
  if (box.checked) excluded.delete(box.value);
  else excluded.add(box.value);
  renderResults();
}

function onCeiling() {
  const slider = $('filter-price');
  // The top step means no ceiling, even when the range is not a whole number of steps.
  state.filters.ceiling = +slider.value + +slider.step > +slider.max ? null : +slider.value;
  renderResults();
}

async function fromLocation() {
  // A shared or reloaded search URL fills the form and runs again; a bare URL keeps the defaults.
  const params = new URLSearchParams(location.search);
  if (!['from', 'to', 'date'].some((name) => params.get(name))) return;
  await fillForm(params);
  if (params.get('from') && params.get('to') && params.get('date')) {
    await runSearch(await readForm(), {push: false});
  }
}

async function init() {
  airportFields = {from: new AirportField($('from')), to: new AirportField($('to'))};
  // Filters start open where there is room for them, folded on a phone.
  $('filters').open = window.matchMedia('(min-width: 721px)').matches;
  $('date').min = isoToday();
  $('date').value = isoToday(7);
  try {
    const sources = await getJson('/api/sources');
    if (!sources.ok) throw new Error(sources.body.message || `HTTP ${sources.status}`);
    state.sites = Object.fromEntries(Object.entries(sources.body).map(([name, info]) => [name, info.title || name]));
  } catch (error) {
    showFormError(`The flightcrawl API cannot be reached at ${API || location.origin} (${error.message}).`);
    return;
  }
  buildSiteChoices();
  $('search').addEventListener('submit', submit);
  $('swap').addEventListener('click', async () => {
    const from = $('from').value;
    await Promise.all([airportFields.from.set($('to').value), airportFields.to.set(from)]);
  });
  $('sort').addEventListener('change', renderResults);
  $('results').addEventListener('change', onFilterChange);
  $('filter-price').addEventListener('input', onCeiling);
  $('reset-filters').addEventListener('click', () => {
    state.filters = emptyFilters();
    renderResults();
  });
  window.addEventListener('popstate', fromLocation);
  await fromLocation();
  document.body.dataset.ready = 'true'; // for tests: the page has wired itself up
}

init();
