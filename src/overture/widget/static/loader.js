/* Overture widget loader: keeps the command queue, reports the page view at once and loads
   the app, which picks up the answers (docs/widget-protocol.md, "The loader").
   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
   A host page may have broken built-ins: whatever fails here, the app does again. */
(function (w, d) {
  var me = d.currentScript;
  if (!me) return;
  function at(n) { return me.getAttribute('data-' + n) || ''; }
  var name = at('global') || 'Overture';
  var O = w[name];
  var ours = !O;
  try { ours = ours || O.l || /\.q\b/.test(O); } catch (e) { }
  // A host's own global of that name is left alone (data-global names another one).
  if (!ours) O = {};
  else if (!O) O = w[name] = function () { var q = O.q = O.q || []; q[q.length] = arguments; };
  if (O.l) return;
  O.l = 1;
  var key = at('channel');
  var x = { api: new URL('/widget/v1/' + encodeURIComponent(key) + '/', me.src).href };

  function rid(p) {
    var b = crypto.getRandomValues(new Uint8Array(12));
    for (var i = 0; i < 12; i++) p += (b[i] + 256).toString(16).slice(1);
    return p;
  }
  function ok(id) { return /^[\w-]{16,64}$/.test(id); }
  function send(path, init) {
    try {
      var p = fetch(x.api + path, init);
      p.catch(ok);  // handled: the app reads the failure later, the console need not
      return p;
    } catch (e) { }
  }

  try {
    // The visitor lives in localStorage; the visit's session in a cookie without expiry,
    // which every tab shares until the browser closes.
    var ls = localStorage, s = ls.getItem('overture:visitor');
    if (!ok(s)) ls.setItem('overture:visitor', s = rid('v_'));
    x.visitor = s;
  } catch (e) { }
  try {
    var c = /(^|; )ov_visit=([\w-]+)/;
    s = (c.exec(d.cookie) || [])[2];
    if (!ok(s)) d.cookie = 'ov_visit=' + (s = rid('s_')) + ';path=/;SameSite=Lax';
    if (c.test(d.cookie)) x.session = s;  // else cookies are off: the app decides
  } catch (e) { }
  x.lang = navigator.language || '';
  x.config = send('config?lang=' + encodeURIComponent(x.lang));
  // The first page view goes now, unless queued commands shape it: the app sends it then.
  var q = O.q || [];
  for (var i = 0; i < q.length; i++) if (/^(pageView|set|identify)$/.test(q[i][0])) q = 0;
  if (q && x.visitor && x.session) {
    try {
      // JSON.stringify as the host page left it: used only while it still writes JSON.
      if (JSON.stringify({ a: [1] }) !== '{"a":[1]}') throw 0;
      x.start = Date.now();
      x.body = {
        visitor_id: x.visitor, session_id: x.session, event_id: rid('e_'),
        url: location.href.slice(0, 2000), title: d.title.slice(0, 500),
        referrer: d.referrer.slice(0, 2000), language: x.lang.slice(0, 35), attributes: {}
      };
      // A string body goes as text/plain: no preflight.
      x.pageView = send('page-views', { method: 'POST', body: JSON.stringify(x.body) });
    } catch (e) { }
  }
  var app = d.createElement('script');
  app.async = true;
  app.src = new URL('/widget/app.js', me.src).href;
  app.overture = { key: key, shadow: at('shadow'), global: ours ? name : '', queue: O, early: x };
  (d.head || d.documentElement).appendChild(app);
})(window, document);
