import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export interface ServerCommand {
  command: string;
  args: string[];
  /** how it was found, for the output channel */
  source: string;
}

export type Discovery =
  | { ok: true; server: ServerCommand }
  | { ok: false; message: string; tried: string[] };

export const NOT_INSTALLED =
  'nextguard is not installed: run `pip install nextguard` (or set nextguard.path)';

const isWindows = process.platform === 'win32';
const EXE = isWindows ? ['nextguard.exe', 'nextguard.cmd', 'nextguard'] : ['nextguard'];
const PYTHON_NAME = /^python[0-9.]*(\.exe)?$/i;

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) return false;
    if (!isWindows) await fs.promises.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Does `python -c "import nextguard"` succeed (the module is installed in that interpreter)? */
function pythonHasNextguard(cmd: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(cmd[0], [...cmd.slice(1), '-c', 'import nextguard'], { timeout: 15_000 }, (err) =>
      resolve(!err),
    );
  });
}

function expand(p: string, folder: vscode.WorkspaceFolder | undefined): string {
  let out = p.trim();
  out = out.replace(/\$\{userHome\}/g, os.homedir());
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) out = path.join(os.homedir(), out.slice(1));
  if (folder) out = out.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
  if (!path.isAbsolute(out) && folder) out = path.join(folder.uri.fsPath, out);
  return out;
}

interface PythonExtensionApi {
  settings?: {
    getExecutionDetails?: (resource?: vscode.Uri) => { execCommand: string[] | undefined };
  };
}

async function pythonFromExtension(
  folder: vscode.WorkspaceFolder | undefined,
  log: (s: string) => void,
): Promise<string[] | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const cmd = api?.settings?.getExecutionDetails?.(folder?.uri)?.execCommand;
    return cmd && cmd.length > 0 ? cmd : undefined;
  } catch (e) {
    log(`could not ask the Python extension for its interpreter: ${e}`);
    return undefined;
  }
}

/**
 * Finds the nextguard language server, in this order: the `nextguard.path` setting; a `.venv` or
 * `venv` in a workspace folder; `nextguard` on PATH; the interpreter selected in the Python
 * extension, run as `python -m nextguard lsp`.
 */
export async function findServer(log: (s: string) => void): Promise<Discovery> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const first = folders[0];
  const tried: string[] = [];

  // 1. the setting
  const configured = vscode.workspace.getConfiguration('nextguard').get<string>('path', '').trim();
  if (configured) {
    const p = expand(configured, first);
    tried.push(`nextguard.path: ${p}`);
    if (!(await isExecutable(p))) {
      return {
        ok: false,
        message: `nextguard.path is set to "${configured}", but ${p} is not an executable file: fix the setting, or clear it and run \`pip install nextguard\``,
        tried,
      };
    }
    if (PYTHON_NAME.test(path.basename(p))) {
      if (!(await pythonHasNextguard([p]))) {
        return {
          ok: false,
          message: `nextguard.path is the Python interpreter ${p}, which does not have nextguard installed: run \`${p} -m pip install nextguard\``,
          tried,
        };
      }
      return { ok: true, server: { command: p, args: ['-m', 'nextguard', 'lsp'], source: 'nextguard.path (Python interpreter)' } };
    }
    return { ok: true, server: { command: p, args: ['lsp'], source: 'nextguard.path' } };
  }

  // 2. a virtual environment in a workspace folder
  for (const folder of folders) {
    for (const venv of ['.venv', 'venv']) {
      for (const exe of EXE) {
        const p = path.join(folder.uri.fsPath, venv, isWindows ? 'Scripts' : 'bin', exe);
        tried.push(p);
        if (await isExecutable(p)) {
          return { ok: true, server: { command: p, args: ['lsp'], source: `${venv} in ${folder.name}` } };
        }
      }
    }
  }

  // 3. PATH
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const exe of EXE) {
      const p = path.join(dir, exe);
      if (await isExecutable(p)) {
        tried.push(p);
        return { ok: true, server: { command: p, args: ['lsp'], source: 'PATH' } };
      }
    }
  }
  tried.push('nextguard on PATH');

  // 4. the interpreter selected in the Python extension
  const python = await pythonFromExtension(first, log);
  if (python) {
    tried.push(`${python.join(' ')} -m nextguard (Python extension)`);
    if (await pythonHasNextguard(python)) {
      return {
        ok: true,
        server: { command: python[0], args: [...python.slice(1), '-m', 'nextguard', 'lsp'], source: 'the Python extension\'s interpreter' },
      };
    }
  } else {
    tried.push('the Python extension\'s interpreter (none selected, or the extension is not installed)');
  }
  return { ok: false, message: NOT_INSTALLED, tried };
}
