// The browser client as a package (src/main/webapp/js): what package.json points to is there and
// shipped, and the options are the same in the module, its declarations and its README. The type
// check (check-types.sh) covers the types; this covers what tsc cannot see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

const dir = new URL("../../main/webapp/js/", import.meta.url);
const read = (name) => readFileSync(new URL(name, dir), "utf8");
const pkg = JSON.parse(read("package.json"));

test("package.json points to files that are there and in the package", () => {
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.type, "module");
  const main = pkg.exports["."];
  assert.equal(main.types, pkg.types);
  assert.deepEqual(Object.keys(main), ["types", "default"], "types first: TypeScript takes the first match");
  for (const target of [main.types, main.default]) {
    const name = target.replace(/^\.\//, "");
    assert.ok(existsSync(new URL(name, dir)), `${name} exists`);
    assert.ok(pkg.files.includes(name), `${name} is in "files"`);
  }
  for (const name of pkg.files) assert.ok(existsSync(new URL(name, dir)), `${name} exists`);
});

/** Every module the package's entry imports, itself included, by their relative imports. */
function modules(name = "status-stream.js", found = new Set()) {
  found.add(name);
  for (const match of read(name).matchAll(/^import [^;]*? from "\.\/([^"]+)";$/gm)) {
    if (!found.has(match[1])) modules(match[1], found);
  }
  return found;
}

test("every module the entry imports is in the package", () => {
  assert.ok(modules().size > 1);
  for (const name of modules()) assert.ok(pkg.files.includes(name), `${name} is in "files"`);
});

/** The names of a function's destructured options in the module: connect() or watch(). */
function optionsTheModuleReads(fn) {
  const source = read("status-stream.js");
  const params = source.match(new RegExp(`export function ${fn}\\(\\{([\\s\\S]*?)\\n\\}\\)`))[1];
  return params
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, "").trim())
    .filter((line) => line !== "")
    .map((line) => line.match(/^([A-Za-z]+)\b/)[1]);
}

/** The properties of an interface in the declarations: ConnectOptions or WatchOptions. */
function optionsDeclared(name) {
  const declarations = read("status-stream.d.ts");
  const body = declarations.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))[1];
  return [...body.matchAll(/^ {2}([A-Za-z]+)\??:/gm)].map((match) => match[1]);
}

/** The options a table of the README names: the one that follows `heading`. */
function optionsDocumented(heading) {
  const readme = read("README.md");
  const start = readme.indexOf("| option |", readme.indexOf(heading));
  const table = readme.slice(start, readme.indexOf("\n\n", start));
  return new Set(
    table
      .split("\n")
      .map((row) => row.split("|")[1] ?? "")
      .flatMap((cell) => [...cell.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1])),
  );
}

test("the declarations name exactly the options the module reads", () => {
  assert.deepEqual(optionsDeclared("ConnectOptions").sort(), optionsTheModuleReads("connect").sort());
  assert.deepEqual(optionsDeclared("WatchOptions").sort(), optionsTheModuleReads("watch").sort());
});

test("the README's tables document every option", () => {
  const connect = optionsDocumented("## `connect(options)`");
  for (const option of optionsTheModuleReads("connect")) assert.ok(connect.has(option), `connect's ${option} is documented`);
  const watch = optionsDocumented("## `watch(options)`");
  for (const option of optionsTheModuleReads("watch")) assert.ok(watch.has(option), `watch's ${option} is documented`);
});
