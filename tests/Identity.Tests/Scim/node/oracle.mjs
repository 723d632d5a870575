// The independent side of ScimOracleTests: reads {resources, groups, filters, patches} (a JSON file named by argv[2])
// and prints what three SCIM implementations that are not ours make of them:
//   scimmy              coerces each resource through its User / Group schema (with the enterprise extension) as a
//                       service provider would send it, and reports errors or attributes it would drop;
//   scim2-parse-filter  parses each filter and evaluates it on the resources;
//   scim-patch          applies each PATCH to the resource as it was before;
//   and scimmy's ListResponse sorts the resources by each {sortBy, sortOrder} of "sorts" (RFC 7644 section 3.4.2.3).
import { readFileSync } from "node:fs";
import SCIMMY from "scimmy";
import { parse, filter } from "scim2-parse-filter";
import { scimPatch } from "scim-patch";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

const sorted = (value) => Array.isArray(value) ? value.map(sorted)
  : value && typeof value === "object" ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])])) : value;

const validate = (resource, Schema) => {
  try {
    const coerced = JSON.parse(JSON.stringify(new Schema(resource, "out")));
    const same = JSON.stringify(sorted(coerced)) === JSON.stringify(sorted(resource));
    return { id: resource.id, ok: same, error: same ? null : "coerced differs: " + JSON.stringify(sorted(coerced)) };
  } catch (e) {
    return { id: resource.id, ok: false, error: e.message };
  }
};

const output = {
  users: input.resources.map((r) => validate(r, SCIMMY.Schemas.User)),
  groups: (input.groups ?? []).map((g) => validate(g, SCIMMY.Schemas.Group)),
  filters: input.filters.map((f) => {
    try {
      return { filter: f, ids: input.resources.filter(filter(parse(f))).map((r) => r.id).sort() };
    } catch (e) {
      return { filter: f, error: e.message };
    }
  }),
  patches: (input.patches ?? []).map((p) => {
    try {
      return { result: scimPatch(structuredClone(p.resource), p.operations) };
    } catch (e) {
      return { error: e.message };
    }
  }),
};
output.sorts = (input.sorts ?? []).map((s) => {
  try {
    const list = new SCIMMY.Messages.ListResponse(structuredClone(input.resources), { sortBy: s.sortBy, sortOrder: s.sortOrder, count: 1000 });
    return { ids: list.Resources.map((r) => r.id) };
  } catch (e) {
    return { error: e.message };
  }
});
process.stdout.write(JSON.stringify(output));
