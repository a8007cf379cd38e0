// Temporary: boots the all-in-one with the registered services and stops it (not a test file).
import { startSystem } from './system.ts';
const t = Date.now();
const s = await startSystem();
const r = await fetch(s.url + '/health/ready');
console.log('ready', r.status, await r.text(), Date.now() - t, 'ms');
await s.stop();
console.log('stopped');
