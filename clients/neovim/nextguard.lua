-- nextguard for Neovim 0.11+ (built-in LSP client: vim.lsp.config / vim.lsp.enable).
--
-- Install: pip install nextguard (so `nextguard` is on PATH, e.g. in the project's activated .venv),
-- then copy this file to ~/.config/nvim/plugin/nextguard.lua (loaded at start-up), or to
-- ~/.config/nvim/lua/nextguard.lua and `require('nextguard')` from init.lua.
--
-- nextguard runs beside the TypeScript server (ts_ls, vtsls, ...): Neovim attaches every enabled
-- config whose filetypes match, so nothing else needs to change.
--
-- Override anything later in your own config (vim.lsp.config merges), e.g. a server from a
-- virtual environment that is not activated:
--   vim.lsp.config('nextguard', { cmd = { '/path/to/project/.venv/bin/nextguard', 'lsp' } })

-- Server settings: the keys of nextguard.json, plus logLevel. Only what is set here is sent;
-- everything left out stays as the project's nextguard.json (or nextguard's default) says.
-- An empty table is encoded as a JSON array: use vim.empty_dict() for an empty object.
local settings = {
  -- rules = { NG203 = 'error', NG202 = 'off' },  -- severity per rule: off|error|warning|info|hint
  -- authPrimitives = { 'requireUser', '@/lib/auth#requireUser' },
  -- dataClients = { '@/lib/kv#kv' },
  -- publicActions = { 'app/actions/newsletter.ts#subscribe', 'app/(marketing)/**' },
  -- ignore = { 'legacy/**' },
  -- ownerFields = { 'tenantId' },
  -- supabase = { rls = true },
  -- unauthorized = 'redirect:/login',   -- or 'throw' (default)
  -- diagnosticsScope = 'workspace',     -- or 'openFiles'
  -- logLevel = 'info',                  -- error|warning|info|debug (the server's log, :LspLog)
}

-- Lua's {} would be sent as a JSON array: send an empty object instead.
local function object(t)
  return next(t) == nil and vim.empty_dict() or t
end

vim.lsp.config('nextguard', {
  cmd = { 'nextguard', 'lsp' },
  filetypes = { 'typescript', 'typescriptreact', 'javascript', 'javascriptreact' },
  -- The first marker found (searching upwards from the file) sets the workspace root.
  root_markers = { 'nextguard.json', 'package.json', 'tsconfig.json', '.git' },
  -- Sent once as initializationOptions ...
  init_options = object(settings),
  -- ... and answered for workspace/configuration (section "nextguard").
  settings = { nextguard = object(settings) },
})

vim.lsp.enable('nextguard')

-- Commands -----------------------------------------------------------------------------------

local function nextguard_client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'nextguard' })[1]
end

--- Applies every safe nextguard fix in the buffer (code action kind source.fixAll.nextguard),
--- synchronously, so it can run from BufWritePre.
local function fix_all_buffer(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = nextguard_client(bufnr)
  if not client then return end
  local last = math.max(vim.api.nvim_buf_line_count(bufnr) - 1, 0)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = last, character = 0 } },
    context = { only = { 'source.fixAll.nextguard' }, diagnostics = {} },
  }
  local resp = client:request_sync('textDocument/codeAction', params, 3000, bufnr)
  for _, action in ipairs(resp and resp.result or {}) do
    if not action.edit and client:supports_method('codeAction/resolve') then
      local resolved = client:request_sync('codeAction/resolve', action, 3000, bufnr)
      action = resolved and resolved.result or action
    end
    if action.edit then vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding) end
    if action.command then client:exec_cmd(action.command, { bufnr = bufnr }) end
  end
end

vim.api.nvim_create_user_command('NextguardFixAll', function() fix_all_buffer(0) end,
  { desc = 'nextguard: apply every safe fix in this buffer' })

vim.api.nvim_create_user_command('NextguardFixAllWorkspace', function()
  local client = nextguard_client(0) or vim.lsp.get_clients({ name = 'nextguard' })[1]
  if not client then
    vim.notify('nextguard is not running (see :checkhealth vim.lsp)', vim.log.levels.ERROR)
    return
  end
  client:exec_cmd({ title = 'Fix all in workspace', command = 'nextguard.fixAllWorkspace', arguments = {} })
end, { desc = 'nextguard: apply every safe fix in the workspace' })

-- Fix on save: set vim.g.nextguard_fix_on_save = true before this file is loaded.
if vim.g.nextguard_fix_on_save then
  vim.api.nvim_create_autocmd('BufWritePre', {
    group = vim.api.nvim_create_augroup('nextguard_fix_on_save', { clear = true }),
    pattern = { '*.ts', '*.tsx', '*.js', '*.jsx', '*.mts', '*.cts', '*.mjs', '*.cjs' },
    callback = function(args) fix_all_buffer(args.buf) end,
  })
end

return { settings = settings, fix_all = fix_all_buffer }
