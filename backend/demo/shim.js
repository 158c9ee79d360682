// google.script.run in the demo sidebar: an asynchronous runner whose calls POST to /run/<function>.
(function () {
  var context = JSON.parse(document.currentScript.dataset.context);
  function runner(ok, fail, user) {
    return new Proxy({}, { get: function (_target, name) {
      if (name === 'withSuccessHandler') { return function (f) { return runner(f, fail, user); }; }
      if (name === 'withFailureHandler') { return function (f) { return runner(ok, f, user); }; }
      if (name === 'withUserObject') { return function (u) { return runner(ok, fail, u); }; }
      return function () {
        var body = JSON.stringify({ as: context.as, sheet: context.sheet, args: Array.prototype.slice.call(arguments) });
        fetch('/run/' + encodeURIComponent(name), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
          .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
          .then(function (answer) {
            var failed = !answer.ok || answer.body.error !== undefined;
            if (!failed) { if (ok) { ok(answer.body.result, user); } }
            else if (fail) { fail(new Error(answer.body.error), user); }
            else { console.error(answer.body.error); }
          })
          .catch(function (error) { if (fail) { fail(error, user); } });
      };
    } });
  }
  window.google = { script: { run: runner(null, null, undefined), host: { close: function () {} } } };
})();
