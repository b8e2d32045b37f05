/* Overture pages' shared DOM helper: elements built from data, text only through text nodes.
   h("button", {type: "button", text: "Save", on: {click: fn}}, [children]) */
(function () {
  "use strict";
  var PROPERTIES = { value: 1, checked: 1, disabled: 1, hidden: 1 };

  function h(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key === "on") {
        Object.keys(value).forEach(function (ev) { node.addEventListener(ev, value[ev]); });
      } else if (PROPERTIES[key]) node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* "Step {n}" with {n: 2}: a translated text with its values put in (unknown names stay). */
  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  /* A value as text: null and undefined are empty. */
  function str(value) {
    if (typeof value === "string") return value;
    return value === null || value === undefined ? "" : String(value);
  }

  window.OvertureUI = { h: h, fmt: fmt, str: str };
})();
