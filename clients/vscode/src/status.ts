import * as vscode from 'vscode';
import type { WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport } from 'vscode-languageclient/node';

type ProgressToken = number | string;

/** Status bar item: starting / indexing progress (from the server's work-done progress) / ready / error. */
export class Status implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly tasks = new Map<ProgressToken, { title: string; message?: string; percentage?: number }>();
  private state: 'starting' | 'ready' | 'error' | 'stopped' = 'starting';
  private detail = '';

  constructor() {
    this.item = vscode.window.createStatusBarItem('nextguard.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'nextguard';
    this.item.command = 'nextguard.showOutput';
    this.render();
    this.item.show();
  }

  starting(): void {
    this.state = 'starting';
    this.tasks.clear();
    this.render();
  }

  ready(): void {
    this.state = 'ready';
    this.render();
  }

  /** A failure the user must act on (not installed, server crashed / stopped). */
  error(detail: string): void {
    this.state = 'error';
    this.detail = detail;
    this.tasks.clear();
    this.render();
  }

  stopped(): void {
    this.state = 'stopped';
    this.tasks.clear();
    this.render();
  }

  progress(token: ProgressToken, p: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void {
    if (p.kind === 'begin') {
      const title = p.title.replace(/^nextguard:\s*/i, '');
      this.tasks.set(token, { title, message: p.message, percentage: p.percentage });
    } else if (p.kind === 'report') {
      const t = this.tasks.get(token) ?? { title: 'working' };
      if (p.message !== undefined) t.message = p.message;
      if (p.percentage !== undefined) t.percentage = p.percentage;
      this.tasks.set(token, t);
    } else {
      this.tasks.delete(token);
    }
    this.render();
  }

  /** Text shown right now (used by tests through the output channel). */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    const task = [...this.tasks.values()].pop();
    if (this.state === 'error') {
      item.text = '$(error) nextguard';
      item.tooltip = `nextguard: ${this.detail}\nClick to show the output.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (task) {
      const pct = task.percentage !== undefined ? ` ${Math.round(task.percentage)}%` : '';
      item.text = `$(sync~spin) nextguard: ${task.title}${pct}`;
      item.tooltip = `nextguard: ${task.title}${task.message ? ` — ${task.message}` : ''}`;
    } else if (this.state === 'starting') {
      item.text = '$(sync~spin) nextguard';
      item.tooltip = 'nextguard: starting the language server';
    } else if (this.state === 'stopped') {
      item.text = '$(circle-slash) nextguard';
      item.tooltip = 'nextguard: the language server is stopped. Run "nextguard: Restart server" to start it.';
    } else {
      item.text = '$(shield) nextguard';
      item.tooltip = 'nextguard: the language server is running. Click to show the output.';
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
