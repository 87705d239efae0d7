/**
 * Keeps code-action requests behind the didChange of the text they are about. VS Code can ask for
 * code actions (e.g. source.fixAll.nextguard on save, right after a quick fix edited the file)
 * before the language client has put that edit on the wire; the server would then answer for the
 * old text and VS Code would drop the edit as stale.
 *
 * SyncedVersions: the last document version sent to the server, per URI, and who waits for a
 * newer one.
 */
export class SyncedVersions {
  private readonly versions = new Map<string, number>();
  private readonly waiters = new Map<string, Array<{ version: number; resolve: () => void }>>();

  sent(uri: string, version: number): void {
    if (version > (this.versions.get(uri) ?? -1)) this.versions.set(uri, version);
    const waiting = this.waiters.get(uri) ?? [];
    const still = waiting.filter((w) => (version >= w.version ? (w.resolve(), false) : true));
    if (still.length) this.waiters.set(uri, still);
    else this.waiters.delete(uri);
  }

  clear(): void {
    for (const uri of [...this.waiters.keys()]) this.forget(uri);
    this.versions.clear();
  }

  forget(uri: string): void {
    this.versions.delete(uri);
    for (const w of this.waiters.get(uri) ?? []) w.resolve();
    this.waiters.delete(uri);
  }

  /** Resolves once `version` of `uri` was sent, or after `timeoutMs` (never blocks for long). */
  waitFor(uri: string, version: number, timeoutMs: number): Promise<void> {
    const known = this.versions.get(uri);
    if (known === undefined || known >= version) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const list = this.waiters.get(uri) ?? [];
      list.push({ version, resolve: () => (clearTimeout(timer), resolve()) });
      this.waiters.set(uri, list);
    });
  }
}
