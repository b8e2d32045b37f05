/* Overture widget loader: keeps the command queue and loads the widget app.
   <script src="https://HOST/widget.js" data-channel="KEY" async></script> */
(function (w, d) {
  var me = d.currentScript || d.querySelector('script[data-channel][src*="widget.js"]');
  var O = w.Overture = w.Overture || function () { (O.q = O.q || []).push(arguments); };
  if (!me || O.l) return; // no tag found, or the widget is already loading
  O.l = 1;
  var app = d.createElement('script');
  app.async = true;
  app.src = new URL('/widget/app.js', me.src).href;
  app.setAttribute('data-channel', me.getAttribute('data-channel') || '');
  app.setAttribute('data-shadow', me.getAttribute('data-shadow') || 'closed');
  (d.head || d.documentElement).appendChild(app);
})(window, document);
