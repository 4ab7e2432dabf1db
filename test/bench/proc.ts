// Child processes of the harness (the app server, the reference server) and their memory:
// RSS summed over the whole process tree (cluster workers, esbuild service) read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The pid and every descendant of it, from /proc/<pid>/stat (field 4 is the parent). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Resident memory of the tree in bytes. */
export function treeRss(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* exited meanwhile */ }
  }
  return kb * 1024;
}

/** Samples the tree's RSS a few times a second while a measurement runs. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private peak = 0;
  private sum = 0;
  private n = 0;

  constructor(private readonly pid: number, private readonly everyMs = 250) {}

  start(): this {
    const sample = () => {
      const rss = treeRss(this.pid);
      this.peak = Math.max(this.peak, rss);
      this.sum += rss;
      this.n++;
    };
    sample();
    this.timer = setInterval(sample, this.everyMs);
    return this;
  }

  stop(): { peakMb: number; meanMb: number } {
    clearInterval(this.timer);
    const mb = (b: number) => Math.round(b / 1048576);
    return { peakMb: mb(this.peak), meanMb: mb(this.n ? this.sum / this.n : 0) };
  }
}

export interface Child { proc: ChildProcess; pid: number; logFile: string; stop(): Promise<void> }

/** Starts a long-running child in its own process group, output to logFile. */
export function startChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd: string): Child {
  const out = createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    pid: proc.pid!,
    logFile,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const tree = processTree(proc.pid!);
      proc.kill('SIGTERM'); // the server closes gracefully (and a cluster primary stops its workers)
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref());
      if (await Promise.race([exited.then(() => 'exited' as const), timeout]) === 'timeout') {
        try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
        await exited;
      }
      // Workers of a cluster exit just after the primary: wait for every process of the tree.
      const alive = () => tree.filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
      for (let i = 0; i < 50 && alive().length; i++) await new Promise((r) => setTimeout(r, 100));
      for (const pid of alive()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    },
  };
}

/** Polls url until it answers 200 (or the child dies / time runs out). */
export async function waitReady(url: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.proc.exitCode !== null) throw new Error(`${url}: the server exited (${child.proc.exitCode}); see ${child.logFile}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000} s; see ${child.logFile}`);
}
