/**
 * The deployment files, checked without a container engine or a cluster: the Kubernetes base and each
 * overlay are rendered (the kustomize subset they use: resources, strategic-merge patches by kind and
 * name, labels), every object is validated against the Kubernetes schemas, and the rules every
 * container must keep are checked. The Dockerfile's entrypoint command line is run here as the image
 * would run it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { parse, parseAllDocuments } from "yaml";
import { FIELDS } from "../src/config/fields.ts";

const ROOT = join(import.meta.dirname, "..");
const KUBERNETES = join(ROOT, "deploy", "kubernetes");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

type Obj = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked as plain JSON.
type Manifest = any;

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Strategic merge as kustomize does it for what these files patch: maps merge, lists of named items merge by name. */
function merge(target: Obj, patch: Obj): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (value === null) delete target[key];
    else if (
      Array.isArray(value) &&
      Array.isArray(current) &&
      value.every((item) => isObject(item) && typeof item["name"] === "string")
    ) {
      for (const item of value as Obj[]) {
        const same = (current as Obj[]).find((c) => isObject(c) && c["name"] === item["name"]);
        if (same) merge(same, item);
        else current.push(structuredClone(item));
      }
    } else if (isObject(value) && isObject(current)) merge(current, value);
    else target[key] = structuredClone(value);
  }
}

/** The objects `kustomize build dir` prints, for the subset of kustomize these files use. */
function render(dir: string): Manifest[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as {
    resources?: string[];
    patches?: { path: string }[];
    labels?: { pairs: Record<string, string> }[];
  };
  const known = new Set(["apiVersion", "kind", "resources", "patches", "labels"]);
  for (const key of Object.keys(k)) assert.ok(known.has(key), `${dir}: this renderer does not know ${key}`);
  const objects: Manifest[] = [];
  for (const resource of k.resources ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) objects.push(...render(path));
    else objects.push(...parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS()));
  }
  for (const { path } of k.patches ?? []) {
    const patch = parse(readFileSync(join(dir, path), "utf8")) as Manifest;
    const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
    assert.ok(target, `${dir}/${path} patches ${patch.kind}/${patch.metadata.name}, which is not rendered`);
    merge(target, patch);
  }
  for (const { pairs } of k.labels ?? []) {
    for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...pairs };
  }
  return objects;
}

const MODELS: Record<string, new (data: Manifest) => { validate(): void }> = {
  ConfigMap,
  Deployment,
  PersistentVolumeClaim,
  PodDisruptionBudget,
  Secret,
  Service,
};

/** The variables the connector reads: those of its settings, and the token store key. */
const SETTINGS = new Set([...Object.values(FIELDS).map((f) => f.env), "ENTRA_CONNECTOR_KEY"]);
/** Values that must come from a Secret. */
const SECRET = /SECRET|_KEY$|QUEUE|PASSWORD|TOKEN/;

function checkObjects(objects: Manifest[]): void {
  const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  assert.equal(names.size, objects.length, "every object is rendered once");
  for (const o of objects) {
    const Model = MODELS[o.kind];
    assert.ok(Model, `no schema is checked for ${o.kind}`);
    new Model(o).validate();
  }
  const deployments = objects.filter((o) => o.kind === "Deployment");
  assert.ok(deployments.length > 0);
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    const where = `Deployment ${d.metadata.name}`;
    assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault", `${where}: seccomp`);
    assert.equal(pod.automountServiceAccountToken, false, `${where}: no API token mounted`);
    for (const c of pod.containers) {
      const at = `${where} container ${c.name}`;
      assert.ok(c.securityContext.runAsNonRoot ?? pod.securityContext.runAsNonRoot, `${at}: runAsNonRoot`);
      assert.notEqual(c.securityContext.runAsUser ?? pod.securityContext.runAsUser, 0, `${at}: not uid 0`);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${at}: read-only root`);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${at}: no privilege escalation`);
      assert.deepEqual(c.securityContext.capabilities?.drop, ["ALL"], `${at}: drops every capability`);
      const tmp = c.volumeMounts.find((m: Manifest) => m.mountPath === "/tmp");
      assert.ok(
        pod.volumes.some((v: Manifest) => v.name === tmp?.name && v.emptyDir),
        `${at}: /tmp is an emptyDir`,
      );
      assert.equal(c.livenessProbe?.httpGet?.path, "/healthz", `${at}: liveness on /healthz`);
      assert.equal(c.readinessProbe?.httpGet?.path, "/readyz", `${at}: readiness on /readyz`);
      for (const kind of ["requests", "limits"]) {
        assert.ok(c.resources?.[kind]?.cpu && c.resources[kind].memory, `${at}: ${kind} for cpu and memory`);
      }
      assert.match(c.image, /^[^:@]+(:(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/, `${at}: image pinned`);
      assert.equal(c.image, `entra-connector:${VERSION}`, `${at}: the image of this version`);
      for (const e of c.env ?? []) {
        assert.ok(
          e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef,
          `${at}: ${e.name} comes from a Secret or ConfigMap`,
        );
      }
      for (const from of c.envFrom ?? []) {
        const ref = from.configMapRef
          ? `ConfigMap/${from.configMapRef.name}`
          : `Secret/${from.secretRef?.name}`;
        assert.ok(names.has(ref), `${at}: ${ref} is rendered`);
      }
    }
  }
  for (const o of objects.filter((x) => x.kind === "ConfigMap" || x.kind === "Secret")) {
    for (const key of Object.keys({ ...o.data, ...o.stringData })) {
      assert.ok(SETTINGS.has(key), `${o.kind} ${o.metadata.name}: ${key} is no setting of the connector`);
      if (o.kind === "ConfigMap") assert.doesNotMatch(key, SECRET, `${key} belongs in the Secret`);
    }
  }
  const pods = deployments.map((d) => d.spec.template.metadata.labels);
  const selects = (selector: Record<string, string>) =>
    pods.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
  for (const s of objects.filter((o) => o.kind === "Service")) {
    assert.ok(selects(s.spec.selector), `Service ${s.metadata.name} selects a Deployment's pods`);
  }
  const budgets = objects.filter((o) => o.kind === "PodDisruptionBudget");
  assert.ok(budgets.length > 0, "a PodDisruptionBudget");
  for (const b of budgets) assert.ok(selects(b.spec.selector.matchLabels), `${b.metadata.name} selects pods`);
}

/** The environment the connector's container ends up with (ConfigMap, then Secret, as envFrom lists them). */
function environment(objects: Manifest[], deployment: string): Record<string, string> {
  const d = objects.find((o) => o.kind === "Deployment" && o.metadata.name === deployment);
  const env: Record<string, string> = {};
  for (const from of d.spec.template.spec.containers[0].envFrom) {
    const ref = from.configMapRef ?? from.secretRef;
    const o = objects.find((x) => x.metadata.name === ref.name);
    Object.assign(env, o.data, o.stringData);
  }
  return env;
}

describe("Kubernetes manifests", () => {
  test("the base renders valid objects that keep the container rules", () => {
    checkObjects(render(join(KUBERNETES, "base")));
  });

  test("the single overlay runs one process doing everything", () => {
    const objects = render(join(KUBERNETES, "overlays", "single"));
    checkObjects(objects);
    const deployments = objects.filter((o) => o.kind === "Deployment");
    assert.deepEqual(
      deployments.map((d) => d.spec.template.spec.containers[0].args),
      [["serve"]],
    );
    assert.equal(environment(objects, "entra-connector-api")["ENTRA_ROLE"], undefined, "role all");
  });

  test("the scale-out overlay runs the API beside workers sharing the queue from the Secret", () => {
    const objects = render(join(KUBERNETES, "overlays", "scale-out"));
    checkObjects(objects);
    const worker = objects.find(
      (o) => o.kind === "Deployment" && o.metadata.name === "entra-connector-worker",
    );
    assert.deepEqual(worker.spec.template.spec.containers[0].args, ["worker"]);
    assert.ok(worker.spec.replicas >= 2);
    const api = environment(objects, "entra-connector-api");
    assert.equal(api["ENTRA_ROLE"], "api");
    assert.match(api["ENTRA_QUEUE"] ?? "", /^postgres:\/\//);
    assert.equal(environment(objects, "entra-connector-worker")["ENTRA_QUEUE"], api["ENTRA_QUEUE"]);
    const secret = objects.find((o) => o.kind === "Secret");
    assert.ok(secret.stringData.ENTRA_CLIENT_SECRET, "the base's keys are kept by the patch");
  });

  test("a container that breaks a rule is refused", () => {
    const objects = render(join(KUBERNETES, "base"));
    const container = objects.find((o) => o.kind === "Deployment").spec.template.spec.containers[0];
    container.env = [{ name: "ENTRA_CLIENT_SECRET", value: "in the clear" }];
    assert.throws(() => checkObjects(objects), /ENTRA_CLIENT_SECRET comes from a Secret or ConfigMap/);
  });

  test("an object the Kubernetes schema refuses is refused", () => {
    const objects = render(join(KUBERNETES, "base"));
    objects.find((o) => o.kind === "Deployment").spec.replicas = "two";
    assert.throws(() => checkObjects(objects), /replicas/);
  });
});

describe("Docker Compose demo", () => {
  test("runs PostgreSQL, the API and two workers on the queue, configured by known settings", () => {
    const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), {
      merge: true,
    }) as Manifest;
    const services = compose.services as Record<string, Manifest>;
    assert.ok(services["postgres"] && services["emulator"]);
    assert.deepEqual(services["api"].command, ["serve", "--role", "api"]);
    const workers = Object.values(services).filter((s) => s.command?.[0] === "worker");
    assert.equal(workers.length, 2);
    for (const s of [services["api"], ...workers]) {
      assert.equal(s.init, true, "an init process as PID 1");
      assert.equal(s.read_only, true);
      assert.match(s.environment.ENTRA_QUEUE, /^postgres:\/\//);
      for (const key of Object.keys(s.environment)) assert.ok(SETTINGS.has(key), `${key} is no setting`);
    }
    const ports = [services["api"], ...workers].map((s) => s.environment.ENTRA_LISTEN);
    assert.equal(new Set(ports).size, ports.length, "processes sharing a network namespace listen apart");
    for (const s of Object.values(services)) assert.match(s.image, /:(?!latest$)[\w.-]+$/, "images pinned");
  });
});

/** The Dockerfile's instructions, continuation lines joined. */
function dockerfile(): { instruction: string; args: string }[] {
  return readFileSync(join(ROOT, "Dockerfile"), "utf8")
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .map((l) => {
      const [, instruction, args] = /^\s*(\w+)\s+(.*)$/.exec(l) ?? [];
      return { instruction: instruction!.toUpperCase(), args: args!.trim() };
    });
}

describe("the container image", () => {
  const lines = dockerfile();
  const last = (name: string) => lines.findLast((l) => l.instruction === name)?.args ?? "";
  const runtime = lines.slice(lines.findLastIndex((l) => l.instruction === "FROM"));
  const env: Record<string, string> = {};
  for (const l of runtime.filter((x) => x.instruction === "ENV")) {
    for (const [, k, v] of l.args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  }

  test("is built in stages on a pinned Node 24, runs as a user under tini, in production mode", () => {
    const bases = lines.filter((l) => l.instruction === "FROM").map((l) => l.args.split(/\s+/)[0]);
    assert.ok(bases.length >= 2, "multi-stage");
    for (const b of bases) assert.match(b!, /^node:24\.\d+\.\d+-[\w-]*slim$/);
    assert.ok(
      lines.some((l) => l.instruction === "RUN" && /npm ci .*--omit=dev/.test(l.args)),
      "production dependencies only",
    );
    assert.equal(runtime.findLast((l) => l.instruction === "USER")?.args, "node");
    assert.equal(env["NODE_ENV"], "production");
    assert.deepEqual((JSON.parse(last("ENTRYPOINT")) as string[]).slice(0, 2), ["/usr/bin/tini", "--"]);
    assert.match(last("HEALTHCHECK"), /\/healthz/);
  });

  test("its entrypoint command line serves /healthz when run on this machine, and stops on SIGTERM", async () => {
    // tini is PID 1's job inside the image; here the command after `--` runs as the image would run it.
    const command = [
      ...(JSON.parse(last("ENTRYPOINT")) as string[]),
      ...(JSON.parse(last("CMD")) as string[]),
    ]
      .slice(2)
      .map((arg) => (arg === "node" ? process.execPath : arg.replace(/^\/app\//, `${ROOT}/`)));
    const dir = mkdtempSync(join(tmpdir(), "entra-image-"));
    const child = spawn(command[0]!, command.slice(1), {
      cwd: dir,
      env: {
        PATH: process.env["PATH"],
        ...env,
        // Port 0 on loopback instead of the image's 0.0.0.0:8080, and the store in a temporary /data.
        ENTRA_LISTEN: "127.0.0.1:0",
        ENTRA_STORE: join(dir, "entra-connector.db"),
      },
    });
    try {
      let stderr = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d) => {
          stderr += d;
          const m = /listening on (http:\/\/\S+) /.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: "ok" });
      // The image's HEALTHCHECK, run as Docker runs it, against this process.
      const check = JSON.parse(last("HEALTHCHECK").replace(/^.*?CMD\s+/, "")) as string[];
      const probe = spawn(process.execPath, check.slice(1), {
        env: { ...env, ENTRA_LISTEN: new URL(url).host },
      });
      assert.equal((await once(probe, "exit"))[0], 0, "the HEALTHCHECK passes");
      child.kill("SIGTERM");
      assert.equal((await once(child, "exit"))[0], 0, "SIGTERM is a clean stop");
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
