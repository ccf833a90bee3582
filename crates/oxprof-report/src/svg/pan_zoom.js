// Pan and zoom for a call graph drawing: the mouse wheel zooms around the pointer, dragging
// moves the drawing. Everything inside <g id="viewport"> is transformed.
(function () {
  var script = document.currentScript;
  var svg = (script && script.ownerSVGElement) || document.documentElement;
  var view = svg.querySelector('#viewport');
  if (!view) return;
  var scale = 0.5, tx = 0, ty = 0, drag = null;

  function apply() {
    view.setAttribute('transform', 'translate(' + tx + ',' + ty + ') scale(' + scale + ')');
  }

  // The pointer's position in the drawing's outer coordinates.
  function at(e) {
    var p = svg.createSVGPoint();
    p.x = e.clientX;
    p.y = e.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var p = at(e);
    var step = Math.max(-3, Math.min(3, e.deltaY / 100));
    var factor = Math.pow(1.2, -step);
    scale *= factor;
    tx = p.x - (p.x - tx) * factor;
    ty = p.y - (p.y - ty) * factor;
    apply();
  }, { passive: false });

  svg.addEventListener('mousedown', function (e) {
    if (e.button !== 0) return;
    var p = at(e);
    drag = { x: p.x - tx, y: p.y - ty };
    e.preventDefault();
  });

  svg.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var p = at(e);
    tx = p.x - drag.x;
    ty = p.y - drag.y;
    apply();
  });

  function stop() { drag = null; }
  svg.addEventListener('mouseup', stop);
  svg.addEventListener('mouseleave', stop);
  apply();
})();
