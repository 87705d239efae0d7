import * as vscode from 'vscode';

/** The server's settings: the keys of nextguard.json (schemas/nextguard.schema.json) plus logLevel. */
export const SERVER_KEYS = [
  'rules',
  'authPrimitives',
  'dataClients',
  'validators',
  'rateLimiters',
  'sensitiveCalls',
  'publicActions',
  'ignore',
  'ownerFields',
  'supabase.rls',
  'unauthorized',
  'diagnosticsScope',
  'logLevel',
] as const;

export type ServerSettings = Record<string, unknown>;

/**
 * The `nextguard.*` settings the user has set explicitly (user, workspace or folder level), shaped
 * like nextguard.json (`supabase.rls` becomes `{supabase: {rls}}`). Settings left at their default
 * are not sent, so they do not override what the project's nextguard.json says.
 */
export function serverSettings(scope?: vscode.Uri): ServerSettings {
  const cfg = vscode.workspace.getConfiguration('nextguard', scope ?? null);
  const out: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const i = cfg.inspect(key);
    if (!i) continue;
    const value = i.workspaceFolderValue ?? i.workspaceValue ?? i.globalValue;
    if (value === undefined) continue;
    const path = key.split('.');
    let target = out;
    for (const part of path.slice(0, -1)) {
      if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
      target = target[part] as ServerSettings;
    }
    target[path[path.length - 1]] = clone(value);
  }
  return out;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
