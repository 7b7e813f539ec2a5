// The visual rule builder: segments' predicates and the plumb line's MQL rule, without YAML or JSON.
//
// It mounts on every element with `data-builder`:
//   data-catalogue="ID"      a <script type="application/json" id=ID> with the catalogue (below)
//   data-target="ID"         the <textarea> (hidden) the rule's JSON is written to and read from
//   data-preview-url="URL"   optional: the rule is POSTed there (field `predicate`), debounced, and the answer
//   data-preview="ID"        (an HTML fragment) replaces the content of the element ID
//   data-errors="ID"         optional: a JSON data block of [{path, message}] (errors of the last save), shown
//                            under the condition each path names ($.any[0].all[1].op -> group 1, condition 2)
//
// The rule it writes: {"any": [{"all": [CONDITION, ...]}, ...]}: groups OR-ed, conditions in a group AND-ed;
// a condition may be {"not": CONDITION}. A rule with deeper nesting is shown as JSON to edit, never flattened.
//
// The catalogue: {"allow_not": bool, "kinds": [KIND, ...]}. A KIND is the type of a condition:
//   {"key": "field", "label", "fields": [{"key", "label", "group", "type", "ops": [{"op", "label"}],
//                                         "choices": [{"value", "label"}]}]}
//       -> {"field": key, "op": op, "value": v}; `type` is text, number, choice, date, boolean or datetime
//          (a moment, compared in days ago: {"days_ago": n}). Any other kind with "fields" names each field by
//          a `ref` object: {key: ref, "op": op, "value": v} (form answers: {"form": {"form", "field"}, ...});
//          a field with "within_days" adds the window.
//   {"key", "label", "params": [PARAM, ...], "ops": [{"op", "label"}], "value": {"type": "number", "label"},
//    "within_days": bool, "scalar": bool}
//       -> {key: {param: v, ...}, "op": op, "value": n, "within_days": d}; with "scalar" the one param's value
//          stands alone: {key: v, "op": op}. A PARAM is {"name", "label", "type", "choices", "optional"}.
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var NO_VALUE_OPS = ["is_set", "is_not_set", "submitted", "not_submitted"];
  var LIST_OPS = ["in", "not_in"];

  // ---- small DOM helpers ----

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function select(label, options, current, multiple) {
    var node = el("select", {"aria-label": label, multiple: !!multiple});
    options.forEach(function (opt) {
      var parent = node;
      if (opt.group !== undefined) {
        parent = node.querySelector('optgroup[label="' + CSS.escape(opt.group) + '"]');
        if (!parent) {
          parent = el("optgroup", {label: opt.group});
          node.appendChild(parent);
        }
      }
      var selected = multiple ? (current || []).indexOf(opt.value) >= 0 : String(opt.value) === String(current);
      var option = el("option", {value: String(opt.value), text: opt.label});
      option.selected = selected;
      parent.appendChild(option);
    });
    return node;
  }

  // A multiple choice as a group of checkboxes: every chosen value stays visible, unlike a <select multiple>.
  function checks(label, options, current) {
    var group = el("span", {className: "builder-multi", role: "group", "aria-label": label});
    options.forEach(function (opt) {
      var box = el("input", {type: "checkbox", value: String(opt.value)});
      box.checked = current.map(String).indexOf(String(opt.value)) >= 0;
      group.appendChild(el("label", {}, [box, " " + opt.label]));
    });
    return group;
  }

  function input(label, type, value) {
    var node = el("input", {"aria-label": label, type: type});
    node.value = value === undefined || value === null ? "" : String(value);
    return node;
  }

  function readJson(id) {
    var node = id && document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function findBy(list, key, value) {
    for (var i = 0; i < (list || []).length; i++) if (list[i][key] === value) return list[i];
    return null;
  }

  // ---- the catalogue ----

  function kindOf(catalogue, leaf) {
    for (var i = 0; i < catalogue.kinds.length; i++) {
      if (Object.prototype.hasOwnProperty.call(leaf, catalogue.kinds[i].key)) return catalogue.kinds[i];
    }
    return null;
  }

  function fieldOf(kind, key) {
    return findBy(kind.fields, "key", key);
  }

  // The field a leaf names: by "field" for contact fields, by its `ref` object for other kinds (form answers).
  function fieldOfLeaf(kind, leaf) {
    if (kind.key === "field") return fieldOf(kind, leaf.field);
    var ref = canonical(leaf[kind.key]);
    for (var i = 0; i < kind.fields.length; i++) {
      if (canonical(kind.fields[i].ref) === ref) return kind.fields[i];
    }
    return null;
  }

  // An object's JSON with its keys sorted: PostgreSQL's jsonb does not keep the order they were written in.
  function canonical(obj) {
    if (!obj || typeof obj !== "object") return JSON.stringify(obj);
    return "{" + Object.keys(obj).sort().map(function (k) {
      return JSON.stringify(k) + ":" + JSON.stringify(obj[k]);
    }).join(",") + "}";
  }

  function fieldLeaf(kind, field) {
    var leaf = {};
    if (kind.key === "field") leaf.field = field.key;
    else leaf[kind.key] = JSON.parse(JSON.stringify(field.ref));
    leaf.op = field.ops[0].op;
    var value = defaultValue(field, leaf.op);
    if (value !== undefined) leaf.value = value;
    return leaf;
  }

  function defaultScalar(type, choices) {
    if (choices && choices.length) return choices[0].value;
    if (type === "number") return 0;
    if (type === "datetime") return {days_ago: 30};
    if (type === "boolean") return true;
    return "";
  }

  function defaultValue(field, op) {
    if (NO_VALUE_OPS.indexOf(op) >= 0) return undefined;
    var one = defaultScalar(field.type, field.choices);
    if (LIST_OPS.indexOf(op) >= 0) return [];  // the person picks; the preview says "choose at least one"
    if (op === "between") return [one, field.type === "datetime" ? {days_ago: 0} : one];
    return one;
  }

  function newLeaf(kind) {
    if (kind.fields) return fieldLeaf(kind, kind.fields[0]);
    var leaf = {};
    var params = {};
    (kind.params || []).forEach(function (p) {
      if (!p.optional) params[p.name] = defaultScalar(p.type, p.choices);
    });
    leaf[kind.key] = kind.scalar ? params[kind.params[0].name] : params;
    if (kind.ops && kind.ops.length) leaf.op = kind.ops[0].op;
    if (kind.value) leaf.value = kind.value.default !== undefined ? kind.value.default : 1;
    return leaf;
  }

  // ---- the rule <-> the model: groups of {not, leaf} ----

  function Unsupported(message) {
    this.message = message;
  }

  function toCondition(catalogue, node) {
    var negate = false;
    if (node && typeof node === "object" && Object.prototype.hasOwnProperty.call(node, "not")) {
      if (!catalogue.allow_not) throw new Unsupported("NOT is not available here");
      negate = true;
      node = node.not;
    }
    if (!node || typeof node !== "object" || node.any || node.all || node.not) {
      throw new Unsupported("nested groups");
    }
    var kind = kindOf(catalogue, node);
    if (!kind) throw new Unsupported("a condition of a kind the builder does not know");
    if (kind.fields && !fieldOfLeaf(kind, node)) throw new Unsupported("a field the builder does not list");
    return {not: negate, leaf: JSON.parse(JSON.stringify(node))};
  }

  function toGroups(catalogue, rule) {
    if (!rule) return [];
    var root = Object.assign({}, rule);
    delete root.version;
    var groups = root.any ? root.any : [root];
    return groups.map(function (group) {
      var conditions = group.all ? group.all : [group];
      return conditions.map(function (c) { return toCondition(catalogue, c); });
    });
  }

  function toRule(groups) {
    var any = groups.filter(function (g) { return g.length; }).map(function (g) {
      return {all: g.map(function (c) { return c.not ? {not: c.leaf} : c.leaf; })};
    });
    return any.length ? {any: any} : null;
  }

  // ---- one builder ----

  function Builder(root) {
    this.root = root;
    this.catalogue = readJson(root.dataset.catalogue) || {kinds: []};
    this.target = document.getElementById(root.dataset.target);
    this.previewUrl = root.dataset.previewUrl;
    this.previewBox = root.dataset.preview && document.getElementById(root.dataset.preview);
    this.errors = readJson(root.dataset.errors) || [];
    this.timer = null;
    this.groups = [];
    this.advanced = false;
    this.load();
  }

  Builder.prototype.load = function () {
    var text = (this.target.value || "").trim();
    try {
      this.groups = toGroups(this.catalogue, text ? JSON.parse(text) : null);
      this.advanced = false;
    } catch (e) {
      this.advanced = true;
      this.reason = e instanceof Unsupported ? e.message : "JSON that is not valid";
    }
    this.render();
    if (text) this.schedulePreview();
  };

  Builder.prototype.changed = function (structural) {
    var rule = toRule(this.groups);
    this.target.value = rule ? JSON.stringify(rule) : "";
    if (structural) this.render();
    this.schedulePreview();
  };

  Builder.prototype.schedulePreview = function () {
    if (!this.previewUrl || !this.previewBox) return;
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, DEBOUNCE_MS);
  };

  Builder.prototype.preview = function () {
    var form = this.root.closest("form");
    var token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    var body = new FormData();
    body.append("predicate", this.target.value);
    var box = this.previewBox;
    box.setAttribute("aria-busy", "true");
    fetch(this.previewUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch"},
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      box.innerHTML = html;
      box.removeAttribute("aria-busy");
    }).catch(function () {
      box.textContent = "The preview could not be loaded; the rule is still saved when you press Save.";
      box.removeAttribute("aria-busy");
    });
  };

  // ---- rendering ----

  Builder.prototype.render = function () {
    this.root.textContent = "";
    this.root.appendChild(this.advanced ? this.renderAdvanced() : this.renderVisual());
  };

  Builder.prototype.renderVisual = function () {
    var self = this;
    var box = el("div", {className: "builder-visual"});
    box.appendChild(el("p", {className: "builder-lead", text: "Match contacts in ANY of these groups:"}));
    this.groups.forEach(function (group, gi) {
      if (gi > 0) box.appendChild(el("p", {className: "builder-or", text: "or"}));
      box.appendChild(self.renderGroup(group, gi));
    });
    var addGroup = el("button", {type: "button", className: "builder-add-group", text: "Add a group"});
    addGroup.addEventListener("click", function () {
      self.groups.push([{not: false, leaf: newLeaf(self.catalogue.kinds[0])}]);
      self.changed(true);
    });
    var asJson = el("button", {type: "button", className: "link builder-to-json", text: "Edit as JSON"});
    asJson.addEventListener("click", function () {
      self.advanced = true;
      self.reason = null;
      self.render();
    });
    box.appendChild(el("div", {className: "builder-actions"}, [addGroup, asJson]));
    box.appendChild(this.renderLooseErrors());
    return box;
  };

  Builder.prototype.renderGroup = function (group, gi) {
    var self = this;
    var name = "Group " + (gi + 1);
    var box = el("fieldset", {className: "builder-group"}, [
      el("legend", {text: name + ": ALL of these conditions"}),
    ]);
    group.forEach(function (cond, ci) {
      box.appendChild(self.renderCondition(cond, gi, ci));
    });
    var add = el("button", {type: "button", text: "Add a condition", "aria-label": "Add a condition to " + name});
    add.addEventListener("click", function () {
      group.push({not: false, leaf: newLeaf(self.catalogue.kinds[0])});
      self.changed(true);
    });
    var remove = el("button", {type: "button", className: "link danger", text: "Remove group",
                              "aria-label": "Remove " + name});
    remove.addEventListener("click", function () {
      self.groups.splice(gi, 1);
      self.changed(true);
    });
    box.appendChild(el("div", {className: "builder-actions"}, [add, remove]));
    return box;
  };

  Builder.prototype.renderCondition = function (cond, gi, ci) {
    var self = this;
    var name = "Group " + (gi + 1) + ", condition " + (ci + 1);
    var row = el("div", {className: "builder-condition", role: "group", "aria-label": name,
                         "data-path": "$.any[" + gi + "].all[" + ci + "]"});
    if (this.catalogue.allow_not) row.appendChild(this.notToggle(cond, name));
    var kind = kindOf(this.catalogue, cond.leaf);
    if (this.catalogue.kinds.length > 1) {
      var kinds = this.catalogue.kinds.map(function (k) { return {value: k.key, label: k.label}; });
      var kindSelect = select(name + ": condition type", kinds, kind.key);
      kindSelect.addEventListener("change", function () {
        cond.leaf = newLeaf(findBy(self.catalogue.kinds, "key", kindSelect.value));
        self.changed(true);
      });
      row.appendChild(kindSelect);
    }
    var parts = kind.fields ? this.fieldControls(cond, kind, name) : this.kindControls(cond, kind, name);
    parts.forEach(function (part) { row.appendChild(part); });
    var remove = el("button", {type: "button", className: "link danger", text: "Remove",
                              "aria-label": "Remove " + name.toLowerCase()});
    remove.addEventListener("click", function () {
      self.groups[gi].splice(ci, 1);
      if (!self.groups[gi].length) self.groups.splice(gi, 1);
      self.changed(true);
    });
    row.appendChild(remove);
    this.errorsAt("$.any[" + gi + "].all[" + ci + "]").forEach(function (message) {
      row.appendChild(el("p", {className: "error builder-error", role: "alert", text: message}));
    });
    return row;
  };

  Builder.prototype.notToggle = function (cond, name) {
    var self = this;
    var box = el("input", {type: "checkbox", "aria-label": name + ": NOT (contacts that do not match)"});
    box.checked = cond.not;
    box.addEventListener("change", function () {
      cond.not = box.checked;
      self.changed(false);
    });
    return el("label", {className: "builder-not"}, [box, " NOT"]);
  };

  // A field condition: field (grouped), operator (the field's own), a value input fitting the type.
  Builder.prototype.fieldControls = function (cond, kind, name) {
    var self = this;
    var leaf = cond.leaf;
    var field = fieldOfLeaf(kind, leaf);
    var fieldOptions = kind.fields.map(function (f) { return {value: f.key, label: f.label, group: f.group}; });
    var fieldSelect = select(name + ": field", fieldOptions, field.key);
    fieldSelect.addEventListener("change", function () {
      cond.leaf = fieldLeaf(kind, fieldOf(kind, fieldSelect.value));
      self.changed(true);
    });
    var opOptions = field.ops.map(function (o) { return {value: o.op, label: o.label}; });
    var opSelect = select(name + ": operator", opOptions, leaf.op);
    opSelect.addEventListener("change", function () {
      leaf.op = opSelect.value;
      var value = defaultValue(field, leaf.op);
      if (value === undefined) delete leaf.value;
      else leaf.value = value;
      self.changed(true);
    });
    var parts = [fieldSelect, opSelect].concat(this.valueControls(leaf, field, name));
    if (field.within_days) parts.push(this.withinDays(leaf, name));
    return parts;
  };

  Builder.prototype.valueControls = function (leaf, field, name) {
    var self = this;
    var label = name + ": value";
    if (NO_VALUE_OPS.indexOf(leaf.op) >= 0) return [];
    if (LIST_OPS.indexOf(leaf.op) >= 0) {
      if (field.choices && field.choices.length) {
        var many = checks(label + "s", field.choices, leaf.value || []);
        many.addEventListener("change", function () {
          leaf.value = Array.prototype.filter.call(many.querySelectorAll("input"), function (box) {
            return box.checked;
          }).map(function (box) { return typed(field, box.value); });
          self.changed(false);
        });
        return [many];
      }
      var list = input(label + "s, separated by commas", "text", (leaf.value || []).join(", "));
      list.addEventListener("input", function () {
        leaf.value = list.value.split(",").map(function (s) { return s.trim(); })
          .filter(function (s) { return s; }).map(function (s) { return typed(field, s); });
        self.changed(false);
      });
      return [list];
    }
    if (leaf.op === "between") {
      var pair = Array.isArray(leaf.value) ? leaf.value : [undefined, undefined];
      leaf.value = pair;
      return [this.scalarInput(field, label + " from", pair[0], function (v) { pair[0] = v; }),
              el("span", {text: "and"}),
              this.scalarInput(field, label + " to", pair[1], function (v) { pair[1] = v; })];
    }
    return [this.scalarInput(field, label, leaf.value, function (v) { leaf.value = v; })];
  };

  function typed(field, raw) {
    if (field.type === "number") return raw === "" ? null : Number(raw);
    if (field.type === "boolean") return raw === "true";
    if (field.type === "datetime") return {days_ago: raw === "" ? null : parseInt(raw, 10)};
    return raw;
  }

  Builder.prototype.scalarInput = function (field, label, value, set) {
    var self = this;
    var node;
    if (field.choices && field.choices.length) {
      node = select(label, field.choices, value);
    } else if (field.type === "boolean") {
      node = select(label, [{value: "true", label: "Yes"}, {value: "false", label: "No"}], String(value));
    } else if (field.type === "datetime") {
      node = input(label + " in days ago", "number", value && value.days_ago);
      node.min = "-3650";
      var wrap = el("span", {className: "builder-days"}, [node, " days"]);
    } else {
      node = input(label, field.type === "number" ? "number" : field.type === "date" ? "date" : "text", value);
      if (field.type === "number") node.step = "any";
    }
    node.addEventListener(node.tagName === "SELECT" ? "change" : "input", function () {
      set(typed(field, node.value));
      self.changed(false);
    });
    return wrap || node;
  };

  // Any other kind: its parameters (kind, channel, campaign ...), an operator, a count, "within the last N days".
  Builder.prototype.kindControls = function (cond, kind, name) {
    var self = this;
    var leaf = cond.leaf;
    var params = kind.params || [];
    var main = params.filter(function (p) { return p.choices || !p.optional; });
    var extra = params.filter(function (p) { return !p.choices && p.optional; });
    var parts = main.map(function (param) { return self.paramControl(leaf, kind, param, name); });
    if (kind.ops && kind.ops.length > 1) {
      var opSelect = select(name + ": operator", kind.ops.map(function (o) { return {value: o.op, label: o.label}; }),
                            leaf.op);
      opSelect.addEventListener("change", function () {
        leaf.op = opSelect.value;
        self.changed(false);
      });
      parts.push(opSelect);
    } else if (kind.ops && kind.ops.length === 1) {
      parts.push(el("span", {className: "builder-op", text: kind.ops[0].label}));
    }
    if (kind.value) {
      var count = input(name + ": " + (kind.value.label || "value"), "number", leaf.value);
      count.min = "0";
      count.addEventListener("input", function () {
        leaf.value = count.value === "" ? null : Number(count.value);
        self.changed(false);
      });
      parts.push(count);
    }
    if (kind.within_days) parts.push(this.withinDays(leaf, name));
    if (extra.length) parts.push(this.moreFilters(leaf, kind, extra, name));
    return parts;
  };

  // Optional text and number filters (page, UTM source, amounts) fold away until wanted.
  Builder.prototype.moreFilters = function (leaf, kind, extra, name) {
    var self = this;
    var given = extra.some(function (p) { return (leaf[kind.key] || {})[p.name] !== undefined; });
    var box = el("details", {className: "builder-more", open: given}, [el("summary", {text: "More filters"})]);
    extra.forEach(function (param) {
      var control = self.paramControl(leaf, kind, param, name);
      box.appendChild(el("label", {}, [param.label + " ", control]));
    });
    return box;
  };

  Builder.prototype.paramControl = function (leaf, kind, param, name) {
    var self = this;
    var current = kind.scalar ? leaf[kind.key] : (leaf[kind.key] || {})[param.name];
    var label = name + ": " + param.label;
    var node;
    if (param.choices) {
      var options = (param.optional ? [{value: "", label: "Any " + param.label.toLowerCase()}] : [])
        .concat(param.choices);
      node = select(label, options, current === undefined || current === null ? "" : current);
    } else {
      node = input(label, param.type === "number" ? "number" : "text", current);
    }
    node.addEventListener(node.tagName === "SELECT" ? "change" : "input", function () {
      var raw = node.value;
      var value = raw === "" ? null : param.type === "number" ? Number(raw) : raw;
      if (kind.scalar) {
        leaf[kind.key] = value;
      } else {
        var params = leaf[kind.key] = leaf[kind.key] || {};
        if (value === null) delete params[param.name];
        else params[param.name] = value;
      }
      self.changed(false);
    });
    return node;
  };

  Builder.prototype.withinDays = function (leaf, name) {
    var self = this;
    var days = input(name + ": within the last N days (empty: ever)", "number", leaf.within_days);
    days.min = "1";
    days.addEventListener("input", function () {
      if (days.value === "") delete leaf.within_days;
      else leaf.within_days = parseInt(days.value, 10);
      self.changed(false);
    });
    return el("span", {className: "builder-days"}, ["within the last ", days, " days"]);
  };

  // ---- the JSON view, for rules deeper than groups of conditions ----

  Builder.prototype.renderAdvanced = function () {
    var self = this;
    var box = el("div", {className: "builder-advanced"});
    var why = this.reason
      ? "This rule uses " + this.reason + ", which the visual builder cannot show without changing it; " +
        "edit its JSON here."
      : "Edit the rule's JSON here.";
    box.appendChild(el("p", {className: "muted", text: why}));
    var area = el("textarea", {rows: "14", spellcheck: "false", "aria-label": "The rule as JSON",
                               className: "builder-json"});
    area.value = prettify(this.target.value);
    area.addEventListener("input", function () {
      self.target.value = area.value;
      self.schedulePreview();
    });
    var back = el("button", {type: "button", text: "Back to the visual builder"});
    var note = el("p", {className: "error", role: "status"});
    back.addEventListener("click", function () {
      try {
        var text = area.value.trim();
        self.groups = toGroups(self.catalogue, text ? JSON.parse(text) : null);
        self.advanced = false;
        self.render();
      } catch (e) {
        note.textContent = e instanceof Unsupported
          ? "The visual builder cannot show " + e.message + "; keep editing the JSON."
          : "This is not valid JSON.";
      }
    });
    box.appendChild(area);
    box.appendChild(el("div", {className: "builder-actions"}, [back]));
    box.appendChild(note);
    box.appendChild(this.renderLooseErrors(true));
    return box;
  };

  function prettify(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }

  // ---- errors of the last save ----

  Builder.prototype.errorsAt = function (prefix) {
    return this.errors.filter(function (e) {
      return e.path === prefix || (e.path || "").indexOf(prefix + ".") === 0 ||
        (e.path || "").indexOf(prefix + "[") === 0;
    }).map(function (e) { return e.message; });
  };

  // Errors no condition on screen claims (a path the visual builder does not show): listed under the builder.
  Builder.prototype.renderLooseErrors = function (all) {
    var self = this;
    var loose = this.errors.filter(function (e) {
      if (all) return true;
      var m = /^\$\.any\[(\d+)\]\.all\[(\d+)\]/.exec(e.path || "");
      return !(m && self.groups[m[1]] && self.groups[m[1]][m[2]]);
    });
    var list = el("ul", {className: "errorlist builder-errors"});
    loose.forEach(function (e) {
      list.appendChild(el("li", {}, [e.path ? el("code", {text: e.path}) : null, e.path ? ": " : "", e.message]));
    });
    return list;
  };

  // <section data-shown-if="kind:dynamic"> shows only while the form's `kind` radio is "dynamic" (a static list
  // has no rule).
  function toggleShown() {
    document.querySelectorAll("[data-shown-if]").forEach(function (section) {
      var rule = section.dataset.shownIf.split(":");
      var form = section.closest("form");
      var checked = form && form.querySelector('input[name="' + rule[0] + '"]:checked');
      if (checked) section.hidden = checked.value !== rule[1];
    });
  }

  function mountAll() {
    document.querySelectorAll("[data-builder]").forEach(function (root) {
      if (!root.builder) root.builder = new Builder(root);
    });
    toggleShown();
    document.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[type=radio]")) toggleShown();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
