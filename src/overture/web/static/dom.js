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

  window.OvertureUI = { h: h };
})();
