/**
 * The script of the /docs page, as text: it fetches openapi.json and renders the reference with DOM
 * calls only (textContent, never innerHTML), so nothing in the document can inject markup. Plain ES2017
 * for any browser; it stays a string because the project compiles without DOM types. Served inline and
 * allowed by its hash in the page's Content-Security-Policy.
 */
export const DOCS_SCRIPT = String.raw`
(function () {
  'use strict';
  var doc;
  var METHODS = ['get', 'post', 'put', 'patch', 'delete'];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function link(href, cls, text) { var a = el('a', cls, text); a.href = href; return a; }

  // Text with backtick code spans.
  function inline(parent, text) {
    String(text).split('\x60').forEach(function (part, i) {
      if (!part) return;
      if (i % 2) add(parent, el('code', null, part));
      else parent.appendChild(document.createTextNode(part));
    });
    return parent;
  }
  // Paragraphs, and "- " lines as a list.
  function prose(parent, text) {
    var list = null;
    String(text).split('\n').forEach(function (line) {
      if (/^- /.test(line)) {
        if (!list) list = add(parent, el('ul', 'codes'));
        inline(add(list, el('li')), line.slice(2));
      } else if (line.trim()) {
        list = null;
        inline(add(parent, el('p')), line);
      }
    });
    return parent;
  }

  function refName(s) { return s && s.$ref ? s.$ref.split('/').pop() : null; }
  function resolve(s) {
    var hops = 0;
    while (s && s.$ref && hops++ < 10) s = doc.components.schemas[refName(s)];
    return s || {};
  }
  // anyOf [X, null] is a nullable X.
  function unwrap(raw) {
    var s = resolve(raw);
    if (s.anyOf) {
      var rest = s.anyOf.filter(function (x) { return x.type !== 'null'; });
      if (rest.length === 1 && rest.length < s.anyOf.length) {
        var inner = Object.assign({}, resolve(rest[0]));
        if (s.description) inner.description = s.description;
        return { schema: inner, nullable: true };
      }
    }
    return { schema: s, nullable: false };
  }
  function hasFields(s) { return (s.type === 'object' && s.properties) || !!s.oneOf; }
  function typeLabel(s) {
    if (s.$ref) return refName(s);
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.oneOf) return 'one of ' + s.oneOf.length + ' shapes';
    if (s.anyOf) return s.anyOf.map(typeLabel).join(' | ');
    var t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type || 'any');
    if (t === 'array') return 'array of ' + typeLabel(unwrap(s.items || {}).schema);
    if (t === 'object' && s.propertyNames) return 'map';
    if (s.format) t += ' (' + s.format + ')';
    return t;
  }
  function range(min, max, unit) {
    if (min !== undefined && max !== undefined) return min === max ? min + unit : min + '–' + max + unit;
    return min !== undefined ? '≥ ' + min + unit : '≤ ' + max + unit;
  }
  function facts(s) {
    var f = [];
    if (s.enum) f.push(['one of', s.enum]);
    if (s.pattern && !s.format) f.push(['pattern', s.pattern]); // a format says it better
    if (s.minLength !== undefined || s.maxLength !== undefined) f.push(['length', range(s.minLength, s.maxLength, ' chars')]);
    if (s.minimum !== undefined || s.maximum !== undefined) f.push(['range', range(s.minimum, s.maximum, '')]);
    if (s.minItems !== undefined || s.maxItems !== undefined) f.push(['items', range(s.minItems, s.maxItems, '')]);
    if (s.default !== undefined) f.push(['default', JSON.stringify(s.default)]);
    if (s.examples) f.push(['example', s.examples.map(function (x) { return JSON.stringify(x); }).join(', ')]);
    return f;
  }
  function describe(cell, s) {
    if (s.description) inline(add(cell, el('div')), s.description);
    facts(s).forEach(function (f) {
      var line = add(cell, el('div', 'fact'));
      add(line, el('span', 'label', f[0] + ' '));
      if (Array.isArray(f[1])) f[1].forEach(function (v) { add(line, el('code', 'enum', v)); });
      else add(line, el('code', null, f[1]));
    });
  }

  function table(headings) {
    var t = el('table', 'fields');
    var tr = add(add(t, el('thead')), el('tr'));
    headings.forEach(function (h) { add(tr, el('th', null, h)); });
    return { table: t, body: add(t, el('tbody')) };
  }
  function depthClass(depth) { return 'd' + Math.min(depth, 6); }

  function fieldRow(body, name, raw, required, depth) {
    var u = unwrap(raw);
    var s = u.schema;
    var tr = add(body, el('tr'));
    var nameCell = add(tr, el('td', 'name ' + depthClass(depth)));
    add(nameCell, el('code', null, name));
    if (required) add(nameCell, el('span', 'req', 'required'));
    add(tr, el('td', 'type', typeLabel(s) + (u.nullable ? ' | null' : '')));
    describe(add(tr, el('td', 'desc')), s);
    children(body, s, depth + 1);
  }
  function children(body, s, depth) {
    if (s.oneOf) s.oneOf.forEach(function (v) { variant(body, resolve(v), depth); });
    else if (s.type === 'object' && s.properties) fields(body, s, depth, '');
    else if (s.type === 'array' && s.items) {
      var item = unwrap(s.items).schema;
      if (hasFields(item)) children(body, item, depth);
    }
  }
  function fields(body, s, depth, skip) {
    var required = s.required || [];
    Object.keys(s.properties || {}).forEach(function (name) {
      if (name !== skip) fieldRow(body, name, s.properties[name], required.indexOf(name) >= 0, depth);
    });
    if (s.additionalProperties && typeof s.additionalProperties === 'object' && !s.propertyNames) {
      var tr = add(body, el('tr', 'more'));
      var td = add(tr, el('td', depthClass(depth), 'other fields may be present'));
      td.colSpan = 3;
    }
  }
  function discriminator(v) {
    var props = v.properties || {};
    for (var k in props) if (props[k].const !== undefined) return [k, props[k].const];
    return null;
  }
  function variant(body, v, depth) {
    var d = discriminator(v);
    var td = add(add(body, el('tr', 'variant')), el('td', depthClass(depth)));
    td.colSpan = 3;
    add(td, el('span', 'when', d ? 'when ' + d[0] + ' = "' + d[1] + '"' : 'or'));
    if (v.description) inline(add(td, el('span', 'vdesc')), v.description);
    if (v.properties) fields(body, v, depth + 1, d ? d[0] : '');
  }
  function schemaTable(raw) {
    var s = unwrap(raw).schema;
    var t = table(['Field', 'Type', 'Description']);
    if (hasFields(s)) children(t.body, s, 0);
    else fieldRow(t.body, '(value)', raw, true, 0);
    return t.table;
  }

  function paramTable(params) {
    var t = table(['Parameter', 'In', 'Type', 'Description']);
    params.forEach(function (p) {
      var tr = add(t.body, el('tr'));
      var nameCell = add(tr, el('td', 'name'));
      add(nameCell, el('code', null, p.name));
      if (p.required) add(nameCell, el('span', 'req', 'required'));
      add(tr, el('td', 'in', p.in));
      add(tr, el('td', 'type', typeLabel(p.schema)));
      var cell = add(tr, el('td', 'desc'));
      if (p.description) inline(add(cell, el('div')), p.description);
      var rest = Object.assign({}, p.schema);
      if (p.description) delete rest.description;
      describe(cell, rest);
    });
    return t.table;
  }

  function securityChips(parent, op) {
    var box = add(parent, el('div', 'auth'));
    var sec = op.security || doc.security || [];
    if (!sec.length) { add(box, el('span', 'chip open', 'no authentication')); return; }
    sec.forEach(function (req) {
      Object.keys(req).forEach(function (name) {
        var scheme = doc.components.securitySchemes[name] || {};
        var label = scheme.type === 'http'
          ? (scheme.scheme === 'bearer' ? 'Bearer API key' : 'HTTP ' + scheme.scheme + ' (operators)')
          : 'Standard Webhooks signature';
        add(box, link('#security', 'chip scheme', label));
        (req[name] || []).forEach(function (scope) { add(box, el('span', 'chip scope', 'scope ' + scope)); });
      });
    });
  }

  function mediaBlock(parent, type, media, open) {
    var name = refName(media.schema);
    var line = add(parent, el('div', 'ctype'));
    add(line, el('code', null, type));
    if (name) { line.appendChild(document.createTextNode(' · ')); add(line, link('#schema-' + name, null, name)); }
    var s = unwrap(media.schema).schema;
    if (name === 'Problem' || !hasFields(s)) return;
    var det = add(parent, el('details', 'schema'));
    det.open = !!open;
    add(det, el('summary', null, 'Fields'));
    det.appendChild(schemaTable(media.schema));
  }

  function examples(parent, media) {
    var ex = media.examples || {};
    Object.keys(ex).forEach(function (key) {
      var det = add(parent, el('details', 'example'));
      add(det, el('summary', null, 'Example: ' + (ex[key].summary || key)));
      add(det, el('pre', null, JSON.stringify(ex[key].value, null, 2)));
    });
  }

  function responses(parent, all) {
    Object.keys(all).forEach(function (status) {
      var r = all[status];
      var row = add(parent, el('div', 'response'));
      add(row, el('span', 'status s' + status.charAt(0), status));
      var body = add(row, el('div', 'rbody'));
      prose(body, r.description);
      var headers = Object.keys(r.headers || {}).filter(function (h) { return h !== 'X-Request-Id'; });
      if (headers.length) {
        var hl = add(body, el('div', 'headers'));
        add(hl, el('span', 'label', 'headers '));
        headers.forEach(function (h) { add(hl, el('code', null, h)); });
      }
      Object.keys(r.content || {}).forEach(function (type) { mediaBlock(body, type, r.content[type], false); });
    });
  }

  function renderOperation(item) {
    var op = item.op;
    var card = el('section', 'op');
    card.id = op.operationId;
    var h = add(card, el('h3', 'op-head'));
    add(h, el('span', 'method m-' + item.method, (item.webhook ? 'webhook ' : '') + item.method.toUpperCase()));
    add(h, el('code', 'path', item.webhook ? 'to NOTIFY_URL' : item.path));
    add(h, el('span', 'summary', op.summary));
    securityChips(card, op);
    if (op.description) prose(add(card, el('div', 'desc')), op.description);
    if (op.parameters && op.parameters.length) {
      add(card, el('h4', null, 'Parameters'));
      card.appendChild(paramTable(op.parameters));
    }
    if (op.requestBody) {
      add(card, el('h4', null, 'Request body' + (op.requestBody.required ? '' : ' (optional)')));
      Object.keys(op.requestBody.content).forEach(function (type) {
        var media = op.requestBody.content[type];
        mediaBlock(card, type, media, true);
        examples(card, media);
      });
    }
    add(card, el('h4', null, 'Responses'));
    responses(add(card, el('div', 'responses')), op.responses);
    return card;
  }

  function operations() {
    var out = [];
    Object.keys(doc.paths).forEach(function (path) {
      METHODS.forEach(function (m) { if (doc.paths[path][m]) out.push({ path: path, method: m, op: doc.paths[path][m] }); });
    });
    Object.keys(doc.webhooks || {}).forEach(function (name) {
      METHODS.forEach(function (m) {
        if (doc.webhooks[name][m]) out.push({ path: name, method: m, op: doc.webhooks[name][m], webhook: true });
      });
    });
    return out;
  }

  function render() {
    document.getElementById('version').textContent = 'OpenAPI ' + doc.openapi + ' · API version ' + doc.info.version;
    var ref = document.getElementById('reference');
    var nav = document.getElementById('nav-ops');
    ref.textContent = '';
    prose(add(ref, el('div', 'lead')), doc.info.description);
    var ops = operations();
    (doc.tags || []).forEach(function (tag) {
      var mine = ops.filter(function (o) { return (o.op.tags || [])[0] === tag.name; });
      if (!mine.length) return;
      var id = 'tag-' + tag.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      var section = add(ref, el('section', 'tag'));
      section.id = id;
      add(section, el('h2', null, tag.name));
      if (tag.description) add(section, el('p', 'muted', tag.description));
      var group = add(nav, el('li'));
      add(group, link('#' + id, 'nav-tag', tag.name));
      var list = add(group, el('ul'));
      mine.forEach(function (o) {
        section.appendChild(renderOperation(o));
        var a = add(add(list, el('li')), link('#' + o.op.operationId, 'nav-op'));
        add(a, el('span', 'method small m-' + o.method, o.webhook ? 'hook' : o.method.toUpperCase()));
        a.appendChild(document.createTextNode(' ' + (o.webhook ? 'Beijing notification' : o.path)));
      });
    });

    var sec = add(ref, el('section', 'tag'));
    sec.id = 'security';
    add(sec, el('h2', null, 'Authentication'));
    Object.keys(doc.components.securitySchemes).forEach(function (name) {
      var scheme = doc.components.securitySchemes[name];
      var box = add(sec, el('div', 'op'));
      add(box, el('h3', 'op-head', name + ' (' + (scheme.scheme || scheme.type) + ')'));
      prose(box, scheme.description || '');
    });

    var schemas = add(ref, el('section', 'tag'));
    schemas.id = 'schemas';
    add(schemas, el('h2', null, 'Schemas'));
    Object.keys(doc.components.schemas).forEach(function (name) {
      var det = add(schemas, el('details', 'schema-def'));
      det.id = 'schema-' + name;
      var summary = add(det, el('summary'));
      add(summary, el('code', null, name));
      var s = doc.components.schemas[name];
      if (s.description) add(summary, el('span', 'muted', ' ' + s.description));
      det.appendChild(schemaTable(s));
    });
    var extra = add(nav, el('li'));
    add(extra, link('#security', 'nav-tag', 'Authentication'));
    add(add(nav, el('li')), link('#schemas', 'nav-tag', 'Schemas'));
    // Opening a link to a schema opens its details.
    window.addEventListener('hashchange', openTarget);
    openTarget();
    document.body.setAttribute('data-ready', 'true');
  }
  function openTarget() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
  }

  Array.prototype.forEach.call(document.querySelectorAll('.origin'), function (e) { e.textContent = location.origin; });
  fetch('openapi.json', { headers: { accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('openapi.json answered ' + res.status);
      return res.json();
    })
    .then(function (json) { doc = json; render(); })
    .catch(function (err) {
      var ref = document.getElementById('reference');
      ref.textContent = '';
      add(ref, el('p', 'error', 'Could not load the reference: ' + err.message));
      document.body.setAttribute('data-ready', 'error');
    });
})();
`;
