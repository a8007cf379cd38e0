#!/usr/bin/env bash
# Checks SimpleBank's observability-as-code (run by CI): both Prometheus configs, the rules and their
# unit tests (promtool), and that every Grafana dashboard and provisioning file parses. Needs
# promtool (scripts/infra/prometheus.sh installs it) and node.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "check-observability: promtool not found (run scripts/infra/prometheus.sh as root)" >&2
  exit 1
fi

echo "== promtool check config"
promtool check config deploy/prometheus/prometheus.yml deploy/prometheus/prometheus-distributed.yml
echo "== promtool check rules"
promtool check rules deploy/prometheus/rules/simplebank.rules.yml
echo "== promtool test rules"
(cd deploy/prometheus/rules && promtool test rules simplebank.rules.test.yml)
echo "== Grafana dashboards and provisioning"
node --input-type=module - <<'JS'
import { readdirSync, readFileSync } from 'node:fs';
const dir = 'deploy/grafana/dashboards';
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
if (files.length === 0) throw new Error(`no dashboards in ${dir}`);
const uids = new Set();
let failed = false;
for (const f of files) {
  const problems = [];
  let d;
  try {
    d = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  } catch (err) {
    console.log(`  FAILED ${f}: not JSON: ${err.message}`);
    failed = true;
    continue;
  }
  if (typeof d.title !== 'string' || !d.title) problems.push('no title');
  if (typeof d.uid !== 'string' || !d.uid) problems.push('no uid');
  else if (uids.has(d.uid)) problems.push(`duplicate uid ${d.uid}`);
  else uids.add(d.uid);
  if (typeof d.schemaVersion !== 'number') problems.push('no schemaVersion');
  if (!Array.isArray(d.panels) || d.panels.length === 0) problems.push('no panels');
  const vars = d.templating?.list ?? [];
  if (!vars.some((v) => v.type === 'datasource' && v.query === 'prometheus')) problems.push('no Prometheus datasource variable');
  const ids = new Set();
  for (const p of d.panels ?? []) {
    if (ids.has(p.id)) problems.push(`duplicate panel id ${p.id}`);
    ids.add(p.id);
    if (p.type === 'row') continue;
    if (!p.gridPos) problems.push(`panel "${p.title}" has no gridPos`);
    const targets = p.targets ?? [];
    if (targets.length === 0) problems.push(`panel "${p.title}" has no query`);
    for (const t of targets) if (typeof t.expr !== 'string' || !/simplebank|rabbitmq|\bup\b/.test(t.expr)) problems.push(`panel "${p.title}": query ${JSON.stringify(t.expr)}`);
  }
  if (problems.length) {
    failed = true;
    console.log(`  FAILED ${f}: ${problems.join('; ')}`);
  } else console.log(`  SUCCESS ${f}: ${d.panels.length} panels`);
}
if (failed) process.exit(1);
JS
for f in deploy/grafana/provisioning/*/*.yml; do
  node -e "const s=require('fs').readFileSync(process.argv[1],'utf8'); if(!/apiVersion:\s*1/.test(s)) { console.log('  FAILED ' + process.argv[1] + ': no apiVersion: 1'); process.exit(1) } console.log('  SUCCESS ' + process.argv[1])" "$f"
done
echo "observability checks passed"
