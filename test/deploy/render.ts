/**
 * Helpers of the deployment tests: rendering a Kustomize directory with `kubectl kustomize` (the
 * Kustomize built into kubectl), and reading a rendered Deployment's environment the way the kubelet
 * builds it (envFrom ConfigMaps, then env, with `$(VAR)` references expanded).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = new URL('../..', import.meta.url).pathname;
export const OVERLAYS = ['base', 'overlays/staging', 'overlays/production'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [k: string]: any;
}

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the Kubernetes tests are skipped, or false when kubectl is there. */
export const kubectlMissing: string | false = has('kubectl')
  ? false
  : 'kubectl is not installed (it brings Kustomize): the manifests are not rendered';
export const composeMissing: string | false = has('docker-compose')
  ? false
  : 'docker-compose is not installed (scripts/infra/docker-compose.sh installs it)';

const cache = new Map<string, K8sObject[]>();

/** `kubectl kustomize deploy/k8s/<dir>`, parsed. */
export function render(dir: string): K8sObject[] {
  let objects = cache.get(dir);
  if (!objects) {
    const text = execFileSync('kubectl', ['kustomize', join(root, 'deploy/k8s', dir)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    objects = parseAllDocuments(text)
      .map((d) => d.toJS() as K8sObject)
      .filter((o) => o);
    cache.set(dir, objects);
  }
  return objects;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * The environment of a Deployment's first container as the kubelet makes it: its ConfigMaps
 * (envFrom, from the rendered objects), then its env entries in order, values from Secrets taken
 * from `secrets` (name → key → value), `$(VAR)` expanded from what is defined before.
 */
export function containerEnvironment(
  objects: K8sObject[],
  deployment: K8sObject,
  secrets: (name: string, key: string) => string | undefined,
): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = find(objects, 'ConfigMap', from.configMapRef.name);
    if (!cm) throw new Error(`${deployment.metadata.name}: no ConfigMap ${from.configMapRef.name}`);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const { name, key, optional } = e.valueFrom.secretKeyRef;
      const value = secrets(name, key);
      if (value === undefined) {
        if (optional) continue;
        throw new Error(`${deployment.metadata.name}: no value for Secret ${name} key ${key}`);
      }
      env[e.name] = value;
    } else {
      env[e.name] = String(e.value ?? '').replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (all, name: string) => env[name] ?? all,
      );
    }
  }
  return env;
}
