/* Inside the banner iframe: tell the embedding page the visitor's choice (and whether they made one). */
(function () {
  "use strict";
  var node = document.getElementById("tc-state");
  if (!node || window.parent === window) { return; }
  var state = JSON.parse(node.textContent);
  window.parent.postMessage({ type: "tillit-cookies", chosen: state.chosen, choice: state.choice }, "*");
}());
