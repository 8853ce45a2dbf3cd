/* Serverless CRM web form: load this file with a script tag where the form should appear. */
(function () {
  "use strict";
  var config = __CRM_FORM_CONFIG__;
  var script = document.currentScript;
  var endpoint = new URL("submissions", script.src).href;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function hidden(name, value) {
    var input = element("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  var form = element("form", "crm-form");
  form.noValidate = true;
  form.dir = "auto";
  form.setAttribute("data-form-id", config.form_id);
  var hasFile = false;
  config.fields.forEach(function (field) {
    var id = "crm-" + config.form_id + "-" + field.name;
    var wrapper = element("div", "crm-field");
    var label = element("label", "crm-label", field.label + (field.required ? " *" : ""));
    label.htmlFor = id;
    var input = element(field.type === "textarea" ? "textarea" : "input");
    if (field.type !== "textarea") {
      input.type = { email: "email", tel: "tel", file: "file", hidden: "hidden" }[field.type] || "text";
    }
    if (field.type === "file") { hasFile = true; }
    input.name = field.name;
    input.id = id;
    input.required = field.required;
    input.dir = "auto";
    var error = element("div", "crm-field-error");
    error.setAttribute("data-field", field.name);
    error.hidden = true;
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(error);
    form.appendChild(wrapper);
  });

  // A field people never see: bots fill it, and that marks the submission as spam.
  var trap = element("div");
  trap.setAttribute("aria-hidden", "true");
  trap.style.cssText = "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden";
  var trapInput = element("input");
  trapInput.type = "text";
  trapInput.name = config.honeypot_field;
  trapInput.tabIndex = -1;
  trapInput.autocomplete = "off";
  trap.appendChild(trapInput);
  form.appendChild(trap);

  var params = new URLSearchParams(window.location.search);
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (name) {
    if (params.get(name)) { form.appendChild(hidden(name, params.get(name))); }
  });
  form.appendChild(hidden("_page", window.location.href));
  form.appendChild(hidden("_referrer", document.referrer || ""));
  // Stamped with the server's clock when the script was served (it is never cached), so a visitor's
  // wrong clock cannot make a human look like a bot; the server measures time-to-submit from it.
  form.appendChild(hidden("_ts", String(config.server_time_ms)));

  var formError = element("div", "crm-form-error");
  formError.hidden = true;
  form.appendChild(formError);
  var submit = element("button", "crm-submit", config.submit_label);
  submit.type = "submit";
  form.appendChild(submit);

  function showErrors(body) {
    var error = (body && body.error) || {};
    var fields = error.fields || {};
    Array.prototype.forEach.call(form.querySelectorAll(".crm-field-error"), function (node) {
      var message = fields[node.getAttribute("data-field")];
      node.textContent = message || "";
      node.hidden = !message;
    });
    formError.textContent = error.message || "Something went wrong. Please try again.";
    formError.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit.disabled = true;
    var data = new FormData(form);
    fetch(endpoint, {
      method: "POST",
      mode: "cors",
      headers: { "Accept": "application/json" },
      body: hasFile ? data : new URLSearchParams(data)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) { throw body; }
        var done = element("div", "crm-form-success", config.success_message);
        done.setAttribute("role", "status");
        form.parentNode.replaceChild(done, form);
      });
    }).catch(function (body) {
      submit.disabled = false;
      showErrors(body);
    });
  });

  script.parentNode.insertBefore(form, script.nextSibling);
})();
