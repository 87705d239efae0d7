import * as fs from 'fs';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { findServer } from './discovery';
import { SyncedVersions } from './sync';
import { serverSettings } from './settings';
import { Status } from './status';

const LANGUAGES = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'];
/** The server's "fix all in workspace" command (workspace/executeCommand). */
const SERVER_FIX_ALL = 'nextguard.fixAllWorkspace';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: Status;
let stopping = false;
let starting: Promise<void> | undefined;
const synced = new SyncedVersions();
/** times the server process ended unexpectedly (for the restart limit) */
const crashes: number[] = [];

function log(s: string): void {
  output.appendLine(`[client ${new Date().toISOString().slice(11, 23)}] ${s}`);
}

async function showError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Open settings', 'Show output');
  if (choice === 'Open settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'nextguard.path');
  } else if (choice === 'Show output') {
    output.show(true);
  }
}

async function startClient(): Promise<void> {
  status.starting();
  const found = await findServer(log);
  if (!found.ok) {
    log(found.message);
    log(`looked for the server in:\n  ${found.tried.join('\n  ')}`);
    status.error(found.message);
    void showError(found.message);
    return;
  }
  const { command, args, source } = found.server;
  log(`starting ${command} ${args.join(' ')} (found through ${source})`);

  const folder = vscode.workspace.workspaceFolders?.[0];
  const serverOptions: ServerOptions = {
    command,
    args,
    options: { cwd: folder?.uri.fsPath, env: { ...process.env } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: () => serverSettings(folder?.uri),
    synchronize: { configurationSection: 'nextguard' },
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (stopping) return { action: CloseAction.DoNotRestart, handled: true };
        const now = Date.now();
        crashes.push(now);
        while (crashes.length > 0 && now - crashes[0] > 3 * 60_000) crashes.shift();
        if (crashes.length > 4) {
          const message = 'nextguard: the language server stopped 5 times in the last 3 minutes and will not be restarted (see the output; "nextguard: Restart server" tries again)';
          status.error(message);
          void showError(message);
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        status.error('the language server stopped; restarting it');
        return { action: CloseAction.Restart, handled: true };
      },
    },
    initializationFailedHandler: (error) => {
      log(`initialize failed: ${error}`);
      return false;
    },
    middleware: {
      // Keep code-action requests behind the didChange of the text they are about: VS Code can ask
      // (e.g. source.fixAll.nextguard on save, right after a quick fix edited the file) before the
      // client has put that edit on the wire, and the server would then answer for the old text.
      didOpen: async (document, next) => {
        const version = document.version;
        await next(document);
        synced.sent(document.uri.toString(), version);
      },
      didChange: async (event, next) => {
        const version = event.document.version;
        await next(event);
        synced.sent(event.document.uri.toString(), version);
      },
      didClose: async (document, next) => {
        synced.forget(document.uri.toString());
        await next(document);
      },
      provideCodeActions: async (document, range, context, token, next) => {
        await synced.waitFor(document.uri.toString(), document.version, 1000);
        return next(document, range, context, token);
      },
      // Status bar: follow every work-done progress the server reports ($/progress, e.g. indexing).
      handleWorkDoneProgress: (token, params, next) => {
        status.progress(token, params);
        next(token, params);
      },
      workspace: {
        // Answer workspace/configuration for section "nextguard" with the settings shaped like
        // nextguard.json, only those the user set, for the folder asked about.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return params.items.map((item, i) =>
            item.section === 'nextguard'
              ? serverSettings(item.scopeUri ? client?.protocol2CodeConverter.asUri(item.scopeUri) : undefined)
              : result[i],
          );
        },
        // Push the same shape on change: {settings: {nextguard: {...}}}.
        didChangeConfiguration: async () => {
          await client?.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { nextguard: serverSettings(folder?.uri) },
          });
        },
      },
    },
  };

  const c = new LanguageClient('nextguard', 'nextguard', serverOptions, clientOptions);
  client = c;
  c.onDidChangeState((e) => {
    if (e.newState === State.Running) status.ready();
    else if (e.newState === State.Starting) status.starting();
    else if (e.newState === State.Stopped && !stopping) status.error('the language server stopped');
  });
  try {
    await c.start();
    log(`server ${c.initializeResult?.serverInfo?.name ?? ''} ${c.initializeResult?.serverInfo?.version ?? ''} running`);
  } catch (e) {
    const message = `nextguard could not start the language server (${command} ${args.join(' ')}): ${e instanceof Error ? e.message : e}`;
    log(message);
    status.error(message);
    client = undefined;
    void showError(message);
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  synced.clear();
  if (!c) return;
  stopping = true;
  try {
    if (c.isRunning()) await c.stop(5000);
    await c.dispose().catch(() => undefined);
  } catch (e) {
    log(`stopping the server: ${e}`);
  } finally {
    stopping = false;
  }
}

async function restart(): Promise<void> {
  if (starting) await starting;
  crashes.length = 0;
  await stopClient();
  starting = startClient().finally(() => (starting = undefined));
  await starting;
}

async function fixAll(): Promise<void> {
  if (starting) await starting;
  if (!client || !client.isRunning()) {
    await showError('nextguard: the language server is not running (see the output)');
    return;
  }
  try {
    await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_FIX_ALL, arguments: [] });
  } catch (e) {
    log(`${SERVER_FIX_ALL} failed: ${e}`);
    void vscode.window.showErrorMessage(`nextguard: fix all failed: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Test hook: when NEXTGUARD_DIAG_DUMP is set in the environment of the extension host, every
 * nextguard diagnostic is written to that JSON file whenever diagnostics change, so end-to-end
 * tests can check results without reading VS Code's DOM.
 */
function diagnosticsDump(file: string): vscode.Disposable {
  const write = () => {
    const all = vscode.languages.getDiagnostics().flatMap(([uri, diags]) =>
      diags
        .filter((d) => d.source === 'nextguard')
        .map((d) => ({
          uri: uri.toString(),
          line: d.range.start.line,
          character: d.range.start.character,
          code: typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? null : String(d.code),
          severity: vscode.DiagnosticSeverity[d.severity],
          message: d.message,
        })),
    );
    fs.writeFileSync(file, JSON.stringify(all, null, 2));
  };
  write();
  return vscode.languages.onDidChangeDiagnostics(write);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('nextguard');
  status = new Status();
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('nextguard.restart', restart),
    vscode.commands.registerCommand('nextguard.fixAll', fixAll),
    vscode.commands.registerCommand('nextguard.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('nextguard.path')) void restart();
    }),
    // A folder added later may hold the .venv: try again if the server was not found.
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!client) void restart();
    }),
  );
  const dump = process.env.NEXTGUARD_DIAG_DUMP;
  if (dump) context.subscriptions.push(diagnosticsDump(dump));
  starting = startClient().finally(() => (starting = undefined));
  await starting;
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
