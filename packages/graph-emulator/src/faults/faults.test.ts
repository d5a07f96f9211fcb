import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Faults } from "./faults.ts";
import { GRAPH_LATENCY, latencyFor } from "./latency.ts";

describe("Faults", () => {
  it("is off by default", () => {
    const faults = new Faults();
    for (let i = 0; i < 100; i++) assert.equal(faults.pickFault(), undefined);
    assert.equal(faults.delayMs({ write: false, objects: 999 }), 0);
    faults.noteCreated("x");
    assert.equal(faults.isHidden("x"), false);
  });

  it("injects faults at about the configured rate", () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const faults = new Faults({ faultRate: 0.2 }, Date.now, random);
    let injected = 0;
    for (let i = 0; i < 5000; i++) if (faults.pickFault()) injected += 1;
    assert.ok(injected > 800 && injected < 1200, `injected ${injected}`);
  });

  it("hides new objects for the replication lag", () => {
    let now = 0;
    const faults = new Faults({ replicationLagMs: 100 }, () => now);
    faults.noteCreated("x");
    assert.equal(faults.isHidden("x"), true);
    now = 100;
    assert.equal(faults.isHidden("x"), false);
  });

  it("rejects impossible settings naming the field", () => {
    const faults = new Faults();
    assert.throws(() => faults.configure({ faultRate: 2 }), /faultRate/);
    assert.throws(() => faults.configure({ replicationLagMs: -1 }), /replicationLagMs/);
    assert.throws(() => faults.configure({ latency: "slow" as "none" }), /latency/);
  });

  it("models Graph latency: a base per request plus a per-object cost", () => {
    const mid = () => 0.5;
    assert.equal(latencyFor("graph", { write: false, objects: 0 }, mid), GRAPH_LATENCY.readBaseMs);
    assert.equal(
      latencyFor("graph", { write: false, objects: 999 }, mid),
      Math.round(GRAPH_LATENCY.readBaseMs + 999 * GRAPH_LATENCY.perObjectMs),
    );
    assert.equal(latencyFor("none", { write: true, objects: 999 }, mid), 0);
  });
});
